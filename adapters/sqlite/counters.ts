/**
 * {@link CounterStore} on SQLite (better-sqlite3): the `gatehouse_counters` table of fixed
 * windows. `increment` is one upsert (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`) that adds
 * to a running window or starts a new one when the old has ended, so no update is lost whatever
 * connection or process the increments come from.
 *
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import { counterWindowMs, slidingFrame, slidingHitFits } from '../../src/storage/counter-window.js';
import type { CounterStore, CounterValue, SlidingHit } from '../../src/storage/types.js';

interface CounterRow {
  count: number;
  reset_at: number;
}

interface IncrementParams {
  key: string;
  by: number;
  now: number;
  reset_at: number;
}

function toValue(row: CounterRow): CounterValue {
  return { count: row.count, resetAt: new Date(row.reset_at) };
}

/**
 * {@link CounterStore} backed by the `gatehouse_counters` table of a migrated database (see
 * `migrateSqliteDatabase`). Usually obtained through `createSqliteStore`. An ended window is
 * never returned and is overwritten by the next increment of its key; rows of keys never
 * incremented again stay until {@link SqliteCounterStore.deleteExpired} removes them.
 */
export class SqliteCounterStore implements CounterStore {
  readonly #increment: BetterSqlite3.Statement<[IncrementParams], CounterRow>;
  readonly #get: BetterSqlite3.Statement<[{ key: string; now: number }], CounterRow>;
  readonly #reset: BetterSqlite3.Statement<[string]>;
  readonly #deleteExpired: BetterSqlite3.Statement<[number]>;
  readonly #hitSliding: (key: string, windowMs: number, now: number, limit?: number) => SlidingHit;

  /** Prepares every statement once against `db`, which must already hold the gatehouse schema. */
  constructor(db: BetterSqlite3.Database) {
    // In the DO UPDATE clause, bare column names are the row's values before the update.
    this.#increment = db
      .prepare<[IncrementParams], CounterRow>(
        `INSERT INTO gatehouse_counters (key, count, reset_at) VALUES (@key, @by, @reset_at)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN reset_at <= @now THEN excluded.count ELSE count + excluded.count END,
           reset_at = CASE WHEN reset_at <= @now THEN excluded.reset_at ELSE reset_at END
         RETURNING count, reset_at`,
      )
      .safeIntegers(false);
    this.#get = db
      .prepare<[{ key: string; now: number }], CounterRow>(
        'SELECT count, reset_at FROM gatehouse_counters WHERE key = @key AND reset_at > @now',
      )
      .safeIntegers(false);
    this.#reset = db.prepare<[string]>('DELETE FROM gatehouse_counters WHERE key = ?');
    this.#deleteExpired = db.prepare<[number]>('DELETE FROM gatehouse_counters WHERE reset_at <= ?');
    // Read both windows, decide and count inside one immediate transaction: another connection
    // or process cannot count in between.
    const hit = db.transaction((key: string, windowMs: number, at: number, limit?: number): SlidingHit => {
      const { index, elapsedMs } = slidingFrame(windowMs, new Date(at), limit);
      const previous = this.#get.get({ key: `${key}@${index - 1}`, now: at })?.count ?? 0;
      const currentKey = `${key}@${index}`;
      const current = this.#get.get({ key: currentKey, now: at })?.count ?? 0;
      if (limit !== undefined && !slidingHitFits(previous, current, windowMs, elapsedMs, limit)) {
        return { previous, current, counted: false };
      }
      const row = this.#increment.get({ key: currentKey, by: 1, now: at, reset_at: at + 2 * windowMs });
      return { previous, current: row?.count ?? current + 1, counted: true };
    });
    this.#hitSliding = (key, windowMs, now, limit) => hit.immediate(key, windowMs, now, limit);
  }

  async increment(key: string, windowSeconds: number, now: Date, by = 1): Promise<CounterValue> {
    const windowMs = counterWindowMs(windowSeconds, by);
    const at = now.getTime();
    const row = this.#increment.get({ key, by, now: at, reset_at: at + windowMs });
    if (row === undefined) throw new Error('gatehouse sqlite: counter upsert returned no row');
    return toValue(row);
  }

  async get(key: string, now: Date): Promise<CounterValue | null> {
    const row = this.#get.get({ key, now: now.getTime() });
    return row === undefined ? null : toValue(row);
  }

  async reset(key: string): Promise<void> {
    this.#reset.run(key);
  }

  async hitSliding(key: string, windowMs: number, now: Date, limit?: number): Promise<SlidingHit> {
    return this.#hitSliding(key, windowMs, now.getTime(), limit);
  }

  /**
   * Deletes the rows of windows that ended at or before `now` (uses the `reset_at` index); returns
   * how many. Not part of {@link CounterStore}: run it periodically to keep the table small.
   */
  async deleteExpired(now: Date): Promise<number> {
    return this.#deleteExpired.run(now.getTime()).changes;
  }
}
