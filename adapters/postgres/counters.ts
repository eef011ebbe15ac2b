/**
 * {@link CounterStore} on PostgreSQL: the `counters` table of fixed windows. Every operation is one
 * statement, one round trip: `increment` is an upsert that adds to a running window or starts a
 * new one; `hitSliding` reads the previous window and, in the same statement, counts the hit only
 * when the upsert's `WHERE` (evaluated on the row it has locked) finds room. No update is lost
 * and no limit is overrun, whichever instance the hits come from.
 *
 * @module
 */
import { counterWindowMs, slidingFrame } from '../../src/storage/counter-window.js';
import type { CounterStore, CounterValue, SlidingHit } from '../../src/storage/types.js';
import { hasNul, named, type Queryable, quoteSchema, run } from './sql.js';

interface CounterRow {
  count: string;
  reset_at: Date;
}

/**
 * {@link CounterStore} backed by `<schema>.counters` of a migrated schema (see `migratePostgres`).
 * An ended window is never returned and is overwritten by the next increment of its key; rows of
 * keys never incremented again stay until {@link PostgresCounterStore.deleteExpired} removes them.
 */
export class PostgresCounterStore implements CounterStore {
  readonly #db: Queryable;
  readonly #increment;
  readonly #get;
  readonly #reset;
  readonly #hit;
  readonly #deleteExpired;

  /** `db` is a `pg.Pool` (or a client); `schema` the schema holding the tables (default `gatehouse`). */
  constructor(db: Queryable, schema = 'gatehouse') {
    this.#db = db;
    const counters = `${quoteSchema(schema)}.counters`;
    // $1 key, $2 by, $3 now, $4 the new window's end.
    this.#increment = named(
      `INSERT INTO ${counters} AS c (key, count, reset_at) VALUES ($1, $2, $4)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN c.reset_at <= $3 THEN excluded.count ELSE c.count + excluded.count END,
         reset_at = CASE WHEN c.reset_at <= $3 THEN excluded.reset_at ELSE c.reset_at END
       RETURNING count, reset_at`,
    );
    this.#get = named(`SELECT count, reset_at FROM ${counters} WHERE key = $1 AND reset_at > $2`);
    this.#reset = named(`DELETE FROM ${counters} WHERE key = $1`);
    // $1 the current window's key, $2 the previous window's, $3 now, $4 the current window's end
    // when it starts now, $5 the limit (NULL: none), $6 windowMs − elapsed, $7 windowMs.
    // previous × (W − elapsed) + (current + 1) × W ≤ limit × W, with current 0 for a new or ended row.
    this.#hit = named(
      `WITH previous AS (
         SELECT coalesce((SELECT count FROM ${counters} WHERE key = $2 AND reset_at > $3), 0) AS n
       ), hit AS (
         INSERT INTO ${counters} AS c (key, count, reset_at)
         SELECT $1, 1, $4 FROM previous p
         WHERE $5::bigint IS NULL OR p.n * $6::bigint + $7::bigint <= $5::bigint * $7::bigint
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN c.reset_at <= $3 THEN 1 ELSE c.count + 1 END,
           reset_at = CASE WHEN c.reset_at <= $3 THEN excluded.reset_at ELSE c.reset_at END
         WHERE $5::bigint IS NULL
           OR (SELECT n FROM previous) * $6::bigint
              + ((CASE WHEN c.reset_at <= $3 THEN 0 ELSE c.count END) + 1) * $7::bigint <= $5::bigint * $7::bigint
         RETURNING count
       )
       SELECT (SELECT n FROM previous) AS previous,
              (SELECT count FROM hit) AS counted,
              coalesce((SELECT count FROM ${counters} WHERE key = $1 AND reset_at > $3), 0) AS current`,
    );
    this.#deleteExpired = named(`DELETE FROM ${counters} WHERE reset_at <= $1`);
  }

  async increment(key: string, windowSeconds: number, now: Date, by = 1): Promise<CounterValue> {
    const windowMs = counterWindowMs(windowSeconds, by);
    const { rows } = await run<CounterRow>(this.#db, this.#increment, [
      key,
      by,
      now,
      new Date(now.getTime() + windowMs),
    ]);
    const row = rows[0];
    if (!row) throw new Error('gatehouse postgres: counter upsert returned no row');
    return { count: Number(row.count), resetAt: row.reset_at };
  }

  async get(key: string, now: Date): Promise<CounterValue | null> {
    if (hasNul(key)) return null;
    const { rows } = await run<CounterRow>(this.#db, this.#get, [key, now]);
    const row = rows[0];
    return row ? { count: Number(row.count), resetAt: row.reset_at } : null;
  }

  async reset(key: string): Promise<void> {
    if (hasNul(key)) return;
    await run(this.#db, this.#reset, [key]);
  }

  async hitSliding(key: string, windowMs: number, now: Date, limit?: number): Promise<SlidingHit> {
    const { index, elapsedMs } = slidingFrame(windowMs, now, limit);
    const { rows } = await run<{ previous: string; counted: string | null; current: string }>(
      this.#db,
      this.#hit,
      [
        `${key}@${index}`,
        `${key}@${index - 1}`,
        now,
        new Date(now.getTime() + 2 * windowMs),
        limit ?? null,
        windowMs - elapsedMs,
        windowMs,
      ],
    );
    const row = rows[0];
    if (!row) throw new Error('gatehouse postgres: sliding hit returned no row');
    const previous = Number(row.previous);
    return row.counted === null
      ? { previous, current: Number(row.current), counted: false }
      : { previous, current: Number(row.counted), counted: true };
  }

  /**
   * Deletes the rows of windows that ended at or before `now` (uses the `reset_at` index); returns
   * how many. Not part of {@link CounterStore}: run it periodically to keep the table small.
   */
  async deleteExpired(now: Date): Promise<number> {
    const { rowCount } = await run(this.#db, this.#deleteExpired, [now]);
    return rowCount ?? 0;
  }
}
