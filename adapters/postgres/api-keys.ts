/**
 * {@link ApiKeyRepository} on PostgreSQL: the `api_keys` table.
 *
 * The per-user cap of `create` cannot be one statement here. Under READ COMMITTED each statement
 * reads a snapshot taken when it starts, so two concurrent `INSERT ... WHERE (SELECT count(*) ...)
 * < cap` both count the same N keys, both insert, and the cap is overrun (SQLite gets away with
 * it because it has one writer at a time). So `create` runs a short transaction on one pooled
 * connection: it first takes a transaction-level advisory lock on the user, then counts and
 * inserts in a statement that starts after the lock is held, and therefore sees every key
 * committed by the creates that held the lock before it. Creates of one user run one after the
 * other, from any instance; creates of different users do not wait for each other. The lock is
 * released by the commit (or rollback), so a crashed connection never leaves it held.
 *
 * Everything else is one statement: `revoke` is a compare-and-swap `UPDATE ... WHERE revoked_at IS
 * NULL`, `touch` only moves `last_used_at` forward. Neither needs the lock: revoking can only
 * lower the number of active keys.
 *
 * @module
 */
import type { ApiKeyRecord, ApiKeyRepository } from '../../src/storage/types.js';
import { hasNul, named, type PostgresPool, quoteSchema, run, withAdvisoryLock } from './sql.js';

/** A row of `api_keys` as pg returns it. */
interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  secret_hash: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = 'id, user_id, name, secret_hash, scopes, created_at, expires_at, last_used_at, revoked_at';

function fromRow(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    secretHash: row.secret_hash,
    scopes: row.scopes,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/**
 * {@link ApiKeyRepository} backed by `<schema>.api_keys` of a migrated schema (see
 * `migratePostgres`). Usually obtained through `createPostgresStore`. `db` must be a pool (see
 * {@link PostgresPool}): `create` borrows one connection for its transaction. The table has no
 * foreign key to `users`, so this repository also works next to users kept elsewhere.
 */
export class PostgresApiKeyRepository implements ApiKeyRepository {
  readonly #db: PostgresPool;
  readonly #lockPrefix: string;
  readonly #insert;
  readonly #find;
  readonly #list;
  readonly #revoke;
  readonly #touch;
  readonly #deleteAll;

  /** `db` is a `pg.Pool`; `schema` the schema holding the tables (default `gatehouse`). */
  constructor(db: PostgresPool, schema = 'gatehouse') {
    this.#db = db;
    const keys = `${quoteSchema(schema)}.api_keys`;
    this.#lockPrefix = `gatehouse api_keys ${schema} `;
    // Run under the user's lock: the count sees every key committed before the lock was granted.
    // Parameters of INSERT ... SELECT are not typed by the target columns, hence the casts.
    this.#insert = named(
      `INSERT INTO ${keys} (${COLUMNS})
       SELECT $1::text, $2::text, $3::text, $4::text, $5::text[], $6::timestamptz, $7::timestamptz,
              $8::timestamptz, $9::timestamptz
       WHERE (SELECT count(*) FROM ${keys}
              WHERE user_id = $2::text AND revoked_at IS NULL AND expires_at > $6::timestamptz) < $10::bigint`,
    );
    this.#find = named(`SELECT ${COLUMNS} FROM ${keys} WHERE id = $1`);
    // Ties broken by id in byte order, as the memory and SQLite stores do.
    this.#list = named(
      `SELECT ${COLUMNS} FROM ${keys} WHERE user_id = $1 ORDER BY created_at DESC, id COLLATE "C"`,
    );
    this.#revoke = named(
      `UPDATE ${keys} SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
    );
    this.#touch = named(
      `UPDATE ${keys} SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`,
    );
    this.#deleteAll = named(`DELETE FROM ${keys} WHERE user_id = $1`);
  }

  async create(record: ApiKeyRecord, maxActive: number): Promise<boolean> {
    // A NUL anywhere (the lock key included) is refused by the server: the write throws.
    return withAdvisoryLock(this.#db, this.#lockPrefix + record.userId, async (client) => {
      const { rowCount } = await run(client, this.#insert, [
        record.id,
        record.userId,
        record.name,
        record.secretHash,
        [...record.scopes],
        record.createdAt,
        record.expiresAt,
        record.lastUsedAt,
        record.revokedAt,
        maxActive,
      ]);
      return rowCount === 1;
    });
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    if (hasNul(id)) return null;
    const { rows } = await run<ApiKeyRow>(this.#db, this.#find, [id]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async listForUser(userId: string): Promise<ApiKeyRecord[]> {
    if (hasNul(userId)) return [];
    const { rows } = await run<ApiKeyRow>(this.#db, this.#list, [userId]);
    return rows.map(fromRow);
  }

  async revoke(id: string, userId: string, now: Date): Promise<boolean> {
    if (hasNul(id) || hasNul(userId)) return false;
    const { rowCount } = await run(this.#db, this.#revoke, [id, userId, now]);
    return rowCount === 1;
  }

  async touch(id: string, usedAt: Date): Promise<void> {
    if (hasNul(id)) return;
    await run(this.#db, this.#touch, [id, usedAt]);
  }

  async deleteAllForUser(userId: string): Promise<number> {
    if (hasNul(userId)) return 0;
    const { rowCount } = await run(this.#db, this.#deleteAll, [userId]);
    return rowCount ?? 0;
  }
}
