/**
 * {@link StateStore} on PostgreSQL: the `state` table of short-lived values (OAuth flow state,
 * one-time tokens, MFA challenges, device codes, locks). Each operation is one statement; `take` is
 * a `DELETE ... RETURNING`, so of any number of concurrent takes of one key, from any instance,
 * exactly one gets the value: an OAuth login started on one instance completes on another, once.
 *
 * @module
 */
import type { StateStore } from '../../src/storage/types.js';
import { hasNul, named, type Queryable, quoteSchema, run } from './sql.js';

/**
 * {@link StateStore} backed by `<schema>.state` of a migrated schema (see `migratePostgres`).
 * Expired rows are never returned; they stay until {@link PostgresStateStore.deleteExpired} (which
 * uses the `expires_at` index), `take` or `delete` removes them.
 */
export class PostgresStateStore implements StateStore {
  readonly #db: Queryable;
  readonly #set;
  readonly #get;
  readonly #take;
  readonly #delete;
  readonly #deleteByPrefix;
  readonly #deleteExpired;

  /** `db` is a `pg.Pool` (or a client); `schema` the schema holding the tables (default `gatehouse`). */
  constructor(db: Queryable, schema = 'gatehouse') {
    this.#db = db;
    const state = `${quoteSchema(schema)}.state`;
    this.#set = named(
      `INSERT INTO ${state} (key, value, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
    );
    this.#get = named(
      `SELECT value FROM ${state} WHERE key = $1 AND (expires_at IS NULL OR expires_at > $2)`,
    );
    this.#take = named(`DELETE FROM ${state} WHERE key = $1 RETURNING value, expires_at`);
    this.#delete = named(`DELETE FROM ${state} WHERE key = $1`);
    // starts_with compares literally: `%`, `_` and `\\` in the prefix are plain characters.
    this.#deleteByPrefix = named(`DELETE FROM ${state} WHERE starts_with(key, $1)`);
    this.#deleteExpired = named(`DELETE FROM ${state} WHERE expires_at <= $1`);
  }

  async set(key: string, value: string, expiresAt: Date | null): Promise<void> {
    await run(this.#db, this.#set, [key, value, expiresAt]);
  }

  async get(key: string, now: Date): Promise<string | null> {
    if (hasNul(key)) return null;
    const { rows } = await run<{ value: string }>(this.#db, this.#get, [key, now]);
    return rows[0]?.value ?? null;
  }

  async take(key: string, now: Date): Promise<string | null> {
    if (hasNul(key)) return null;
    const { rows } = await run<{ value: string; expires_at: Date | null }>(this.#db, this.#take, [key]);
    const row = rows[0];
    if (!row) return null;
    return row.expires_at !== null && row.expires_at.getTime() <= now.getTime() ? null : row.value;
  }

  async delete(key: string): Promise<boolean> {
    if (hasNul(key)) return false;
    const { rowCount } = await run(this.#db, this.#delete, [key]);
    return (rowCount ?? 0) > 0;
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    if (hasNul(prefix)) return 0;
    const { rowCount } = await run(this.#db, this.#deleteByPrefix, [prefix]);
    return rowCount ?? 0;
  }

  async deleteExpired(now: Date): Promise<number> {
    const { rowCount } = await run(this.#db, this.#deleteExpired, [now]);
    return rowCount ?? 0;
  }
}
