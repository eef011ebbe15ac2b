/**
 * {@link ClientRepository} on SQLite (better-sqlite3): the `oauth_clients` table. Every statement
 * is prepared once; the primary key makes `create` atomic across connections and processes.
 *
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import { AlreadyRegisteredError } from '../../src/errors.js';
import type {
  ClientGrantType,
  ClientPatch,
  ClientRecord,
  ClientRepository,
} from '../../src/storage/types.js';
import { isSqliteUniqueViolation } from './users.js';

/** A row of the `oauth_clients` table as better-sqlite3 returns it. */
interface ClientRow {
  id: string;
  name: string;
  secret_hash: string | null;
  scopes: string;
  grant_types: string;
  created_at: number;
  updated_at: number;
  disabled_at: number | null;
}

const CLIENT_COLUMNS = 'id, name, secret_hash, scopes, grant_types, created_at, updated_at, disabled_at';

function toRow(client: ClientRecord): ClientRow {
  return {
    id: client.id,
    name: client.name,
    secret_hash: client.secretHash,
    scopes: JSON.stringify(client.scopes),
    grant_types: JSON.stringify(client.grantTypes),
    created_at: client.createdAt.getTime(),
    updated_at: client.updatedAt.getTime(),
    disabled_at: client.disabledAt === null ? null : client.disabledAt.getTime(),
  };
}

function fromRow(row: ClientRow): ClientRecord {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    scopes: JSON.parse(row.scopes) as string[],
    grantTypes: JSON.parse(row.grant_types) as ClientGrantType[],
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    disabledAt: row.disabled_at === null ? null : new Date(row.disabled_at),
  };
}

/**
 * {@link ClientRepository} backed by the `oauth_clients` table of a migrated database (see
 * `migrateSqliteDatabase`). Usually obtained through `createSqliteStore`. `update` reads and
 * writes in one immediate transaction, so a concurrent update is never half-applied.
 */
export class SqliteClientRepository implements ClientRepository {
  readonly #insert: BetterSqlite3.Statement<[ClientRow]>;
  readonly #find: BetterSqlite3.Statement<[string], ClientRow>;
  readonly #list: BetterSqlite3.Statement<[], ClientRow>;
  readonly #write: BetterSqlite3.Statement<[ClientRow]>;
  readonly #delete: BetterSqlite3.Statement<[string]>;
  readonly #update: (id: string, patch: ClientPatch, updatedAt: Date) => ClientRecord | null;

  /** Prepares every statement once against `db`, which must already hold the gatehouse schema. */
  constructor(db: BetterSqlite3.Database) {
    this.#insert = db.prepare<[ClientRow]>(
      `INSERT INTO oauth_clients (${CLIENT_COLUMNS})
       VALUES (@id, @name, @secret_hash, @scopes, @grant_types, @created_at, @updated_at, @disabled_at)`,
    );
    this.#find = db
      .prepare<[string], ClientRow>(`SELECT ${CLIENT_COLUMNS} FROM oauth_clients WHERE id = ?`)
      .safeIntegers(false);
    this.#list = db
      .prepare<[], ClientRow>(`SELECT ${CLIENT_COLUMNS} FROM oauth_clients ORDER BY created_at, id`)
      .safeIntegers(false);
    this.#write = db.prepare<[ClientRow]>(
      `UPDATE oauth_clients SET name = @name, secret_hash = @secret_hash, scopes = @scopes,
         grant_types = @grant_types, updated_at = @updated_at, disabled_at = @disabled_at
       WHERE id = @id`,
    );
    this.#delete = db.prepare<[string]>('DELETE FROM oauth_clients WHERE id = ?');
    const update = db.transaction((id: string, patch: ClientPatch, updatedAt: Date): ClientRecord | null => {
      const row = this.#find.get(id);
      if (!row) return null;
      const current = fromRow(row);
      const next: ClientRecord = {
        ...current,
        name: patch.name ?? current.name,
        secretHash: patch.secretHash === undefined ? current.secretHash : patch.secretHash,
        scopes: patch.scopes ?? current.scopes,
        grantTypes: patch.grantTypes ?? current.grantTypes,
        disabledAt: patch.disabledAt === undefined ? current.disabledAt : patch.disabledAt,
        updatedAt,
      };
      this.#write.run(toRow(next));
      return next;
    });
    this.#update = (id, patch, updatedAt) => update.immediate(id, patch, updatedAt);
  }

  async create(client: ClientRecord): Promise<ClientRecord> {
    try {
      this.#insert.run(toRow(client));
    } catch (error) {
      if (isSqliteUniqueViolation(error)) throw new AlreadyRegisteredError({ cause: error });
      throw error;
    }
    return fromRow(toRow(client));
  }

  async findById(id: string): Promise<ClientRecord | null> {
    const row = this.#find.get(id);
    return row ? fromRow(row) : null;
  }

  async list(): Promise<ClientRecord[]> {
    return this.#list.all().map(fromRow);
  }

  async update(id: string, patch: ClientPatch, updatedAt: Date): Promise<ClientRecord | null> {
    return this.#update(id, patch, updatedAt);
  }

  async delete(id: string): Promise<boolean> {
    return this.#delete.run(id).changes > 0;
  }
}
