/**
 * {@link ApiKeyRepository} on SQLite (better-sqlite3): the `api_keys` table. Every statement is
 * prepared once. `create` is a single `INSERT ... SELECT ... WHERE (count of active keys) < cap`,
 * so the per-user cap holds across connections and processes; `revoke` is a compare-and-swap
 * `UPDATE ... WHERE revoked_at IS NULL`.
 *
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { ApiKeyRecord, ApiKeyRepository } from '../../src/storage/types.js';

/** A row of the `api_keys` table as better-sqlite3 returns it. */
interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  secret_hash: string;
  scopes: string;
  created_at: number;
  expires_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const COLUMNS = 'id, user_id, name, secret_hash, scopes, created_at, expires_at, last_used_at, revoked_at';

function toRow(record: ApiKeyRecord): ApiKeyRow {
  return {
    id: record.id,
    user_id: record.userId,
    name: record.name,
    secret_hash: record.secretHash,
    scopes: JSON.stringify(record.scopes),
    created_at: record.createdAt.getTime(),
    expires_at: record.expiresAt.getTime(),
    last_used_at: record.lastUsedAt?.getTime() ?? null,
    revoked_at: record.revokedAt?.getTime() ?? null,
  };
}

function fromRow(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    secretHash: row.secret_hash,
    scopes: JSON.parse(row.scopes) as string[],
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  };
}

/**
 * {@link ApiKeyRepository} backed by the `api_keys` table of a migrated database (see
 * `migrateSqliteDatabase`). Usually obtained through `createSqliteStore`. The table has no foreign
 * key to `users`, so this repository also works next to users kept elsewhere.
 */
export class SqliteApiKeyRepository implements ApiKeyRepository {
  readonly #insert: BetterSqlite3.Statement<[ApiKeyRow & { max_active: number }]>;
  readonly #find: BetterSqlite3.Statement<[string], ApiKeyRow>;
  readonly #list: BetterSqlite3.Statement<[string], ApiKeyRow>;
  readonly #revoke: BetterSqlite3.Statement<[{ id: string; user_id: string; now: number }]>;
  readonly #touch: BetterSqlite3.Statement<[{ id: string; used_at: number }]>;
  readonly #deleteAll: BetterSqlite3.Statement<[string]>;

  /** Prepares every statement once against `db`, which must already hold the gatehouse schema. */
  constructor(db: BetterSqlite3.Database) {
    // One statement: the count and the insert happen under the same write lock.
    this.#insert = db.prepare(
      `INSERT INTO api_keys (${COLUMNS})
       SELECT @id, @user_id, @name, @secret_hash, @scopes, @created_at, @expires_at, @last_used_at, @revoked_at
       WHERE (SELECT count(*) FROM api_keys
              WHERE user_id = @user_id AND revoked_at IS NULL AND expires_at > @created_at) < @max_active`,
    );
    this.#find = db
      .prepare<[string], ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`)
      .safeIntegers(false);
    this.#list = db
      .prepare<[string], ApiKeyRow>(
        `SELECT ${COLUMNS} FROM api_keys WHERE user_id = ? ORDER BY created_at DESC, id ASC`,
      )
      .safeIntegers(false);
    this.#revoke = db.prepare(
      'UPDATE api_keys SET revoked_at = @now WHERE id = @id AND user_id = @user_id AND revoked_at IS NULL',
    );
    this.#touch = db.prepare(
      'UPDATE api_keys SET last_used_at = @used_at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @used_at)',
    );
    this.#deleteAll = db.prepare<[string]>('DELETE FROM api_keys WHERE user_id = ?');
  }

  async create(record: ApiKeyRecord, maxActive: number): Promise<boolean> {
    return this.#insert.run({ ...toRow(record), max_active: maxActive }).changes === 1;
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const row = this.#find.get(id);
    return row ? fromRow(row) : null;
  }

  async listForUser(userId: string): Promise<ApiKeyRecord[]> {
    return this.#list.all(userId).map(fromRow);
  }

  async revoke(id: string, userId: string, now: Date): Promise<boolean> {
    return this.#revoke.run({ id, user_id: userId, now: now.getTime() }).changes === 1;
  }

  async touch(id: string, usedAt: Date): Promise<void> {
    this.#touch.run({ id, used_at: usedAt.getTime() });
  }

  async deleteAllForUser(userId: string): Promise<number> {
    return this.#deleteAll.run(userId).changes;
  }
}
