/**
 * {@link ClientRepository} on PostgreSQL: the `oauth_clients` table. The primary key makes
 * `create` atomic across instances (a taken `client_id` fails, RFC 6749 §2.2: the id is unique to
 * the server), ids are compared exactly (`=` on `text`, never a pattern), and `update` is one
 * statement that applies the patch and returns the row, so concurrent updates never half-apply.
 *
 * @module
 */
import { AlreadyRegisteredError } from '../../src/errors.js';
import type {
  ClientGrantType,
  ClientPatch,
  ClientRecord,
  ClientRepository,
} from '../../src/storage/types.js';
import { hasNul, isUniqueViolation, named, type Queryable, quoteSchema, run } from './sql.js';

/** A row of `oauth_clients` as pg returns it. */
interface ClientRow {
  id: string;
  name: string;
  secret_hash: string | null;
  scopes: string[];
  grant_types: string[];
  created_at: Date;
  updated_at: Date;
  disabled_at: Date | null;
}

const COLUMNS = 'id, name, secret_hash, scopes, grant_types, created_at, updated_at, disabled_at';

function fromRow(row: ClientRow): ClientRecord {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    scopes: row.scopes,
    grantTypes: row.grant_types as ClientGrantType[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    disabledAt: row.disabled_at,
  };
}

/**
 * {@link ClientRepository} backed by `<schema>.oauth_clients` of a migrated schema (see
 * `migratePostgres`). Usually obtained through `createPostgresStore`. Every record returned is
 * built from the row read, so mutating it changes nothing stored.
 */
export class PostgresClientRepository implements ClientRepository {
  readonly #db: Queryable;
  readonly #insert;
  readonly #find;
  readonly #list;
  readonly #update;
  readonly #delete;

  /** `db` is a `pg.Pool` (or a client); `schema` the schema holding the tables (default `gatehouse`). */
  constructor(db: Queryable, schema = 'gatehouse') {
    this.#db = db;
    const clients = `${quoteSchema(schema)}.oauth_clients`;
    this.#insert = named(`INSERT INTO ${clients} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`);
    this.#find = named(`SELECT ${COLUMNS} FROM ${clients} WHERE id = $1`);
    // Ties broken by id in byte order, as the memory and SQLite stores do.
    this.#list = named(`SELECT ${COLUMNS} FROM ${clients} ORDER BY created_at, id COLLATE "C"`);
    // Each patch field comes with a flag: unset keeps the column.
    this.#update = named(
      `UPDATE ${clients} SET
         name = CASE WHEN $2::boolean THEN $3::text ELSE name END,
         secret_hash = CASE WHEN $4::boolean THEN $5::text ELSE secret_hash END,
         scopes = CASE WHEN $6::boolean THEN $7::text[] ELSE scopes END,
         grant_types = CASE WHEN $8::boolean THEN $9::text[] ELSE grant_types END,
         disabled_at = CASE WHEN $10::boolean THEN $11::timestamptz ELSE disabled_at END,
         updated_at = $12
       WHERE id = $1
       RETURNING ${COLUMNS}`,
    );
    this.#delete = named(`DELETE FROM ${clients} WHERE id = $1`);
  }

  async create(client: ClientRecord): Promise<ClientRecord> {
    try {
      await run(this.#db, this.#insert, [
        client.id,
        client.name,
        client.secretHash,
        [...client.scopes],
        [...client.grantTypes],
        client.createdAt,
        client.updatedAt,
        client.disabledAt,
      ]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AlreadyRegisteredError({ cause: error });
      throw error;
    }
    return { ...client, scopes: [...client.scopes], grantTypes: [...client.grantTypes] };
  }

  async findById(id: string): Promise<ClientRecord | null> {
    if (hasNul(id)) return null;
    const { rows } = await run<ClientRow>(this.#db, this.#find, [id]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async list(): Promise<ClientRecord[]> {
    const { rows } = await run<ClientRow>(this.#db, this.#list, []);
    return rows.map(fromRow);
  }

  async update(id: string, patch: ClientPatch, updatedAt: Date): Promise<ClientRecord | null> {
    if (hasNul(id)) return null;
    const field = (value: unknown) => [value !== undefined, value === undefined ? null : value];
    const list = (value: readonly string[] | undefined) =>
      field(value === undefined ? undefined : [...value]);
    const { rows } = await run<ClientRow>(this.#db, this.#update, [
      id,
      ...field(patch.name),
      ...field(patch.secretHash),
      ...list(patch.scopes),
      ...list(patch.grantTypes),
      ...field(patch.disabledAt),
      updatedAt,
    ]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async delete(id: string): Promise<boolean> {
    if (hasNul(id)) return false;
    const { rowCount } = await run(this.#db, this.#delete, [id]);
    return rowCount === 1;
  }
}
