/**
 * {@link StateStore} on SQLite (better-sqlite3): the `gatehouse_state` table. Every statement is
 * prepared once; each operation is a single statement, so `take` (a `DELETE ... RETURNING`) is
 * atomic across connections and processes: of any number of concurrent takes exactly one gets
 * the row.
 *
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { StateStore } from '../../src/storage/types.js';

interface TakenRow {
  value: string;
  expires_at: number | null;
}

/**
 * {@link StateStore} backed by the `gatehouse_state` table of a migrated database (see
 * `migrateSqliteDatabase`). Usually obtained through `createSqliteStore`. Expired rows are never
 * returned; they stay in the table until {@link SqliteStateStore.deleteExpired} (which uses the
 * `expires_at` index), `take` or `delete` removes them.
 */
export class SqliteStateStore implements StateStore {
  readonly #set: BetterSqlite3.Statement<[{ key: string; value: string; expires_at: number | null }]>;
  readonly #get: BetterSqlite3.Statement<[{ key: string; now: number }], string>;
  readonly #take: BetterSqlite3.Statement<[string], TakenRow>;
  readonly #delete: BetterSqlite3.Statement<[string]>;
  readonly #deleteByPrefix: BetterSqlite3.Statement<[{ prefix: string }]>;
  readonly #deleteExpired: BetterSqlite3.Statement<[number]>;

  /** Prepares every statement once against `db`, which must already hold the gatehouse schema. */
  constructor(db: BetterSqlite3.Database) {
    this.#set = db.prepare(
      `INSERT INTO gatehouse_state (key, value, expires_at) VALUES (@key, @value, @expires_at)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
    );
    this.#get = db
      .prepare<[{ key: string; now: number }], string>(
        'SELECT value FROM gatehouse_state WHERE key = @key AND (expires_at IS NULL OR expires_at > @now)',
      )
      .pluck()
      .safeIntegers(false);
    // All changes of a statement with RETURNING happen on its first step, so `get()` deletes the row.
    this.#take = db
      .prepare<[string], TakenRow>('DELETE FROM gatehouse_state WHERE key = ? RETURNING value, expires_at')
      .safeIntegers(false);
    this.#delete = db.prepare<[string]>('DELETE FROM gatehouse_state WHERE key = ?');
    // A byte-wise prefix comparison rather than LIKE, so `%`, `_` and `\` in the prefix are literal.
    // The BLOB casts make `length` count bytes, NULs included (on TEXT it stops at the first NUL).
    this.#deleteByPrefix = db.prepare(
      `DELETE FROM gatehouse_state
       WHERE substr(CAST(key AS BLOB), 1, length(CAST(@prefix AS BLOB))) = CAST(@prefix AS BLOB)`,
    );
    this.#deleteExpired = db.prepare<[number]>('DELETE FROM gatehouse_state WHERE expires_at <= ?');
  }

  async set(key: string, value: string, expiresAt: Date | null): Promise<void> {
    this.#set.run({ key, value, expires_at: expiresAt === null ? null : expiresAt.getTime() });
  }

  async get(key: string, now: Date): Promise<string | null> {
    return this.#get.get({ key, now: now.getTime() }) ?? null;
  }

  async take(key: string, now: Date): Promise<string | null> {
    const row = this.#take.get(key);
    if (row === undefined) return null;
    return row.expires_at !== null && row.expires_at <= now.getTime() ? null : row.value;
  }

  async delete(key: string): Promise<boolean> {
    return this.#delete.run(key).changes > 0;
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    return this.#deleteByPrefix.run({ prefix }).changes;
  }

  async deleteExpired(now: Date): Promise<number> {
    return this.#deleteExpired.run(now.getTime()).changes;
  }
}
