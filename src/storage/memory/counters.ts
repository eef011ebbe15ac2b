/**
 * {@link CounterStore} kept in process memory.
 *
 * @module
 */
import { counterWindowMs, slidingFrame, slidingHitFits } from '../counter-window.js';
import type { CounterStore, CounterValue, SlidingHit } from '../types.js';
import { ExpiringMap } from './expiring-map.js';

interface CounterEntry {
  readonly count: number;
  /** End of the window in epoch milliseconds; the entry is dead from then on. */
  readonly expiresAt: number;
}

function toValue(entry: CounterEntry): CounterValue {
  return { count: entry.count, resetAt: new Date(entry.expiresAt) };
}

/**
 * {@link CounterStore} kept in process memory: one `Map` of fixed windows. `increment` runs
 * synchronously from read to write, so no update is lost. A window that has ended is never
 * returned; dead windows are dropped when a read finds them and by a sweep whenever the map has
 * doubled in size, so memory stays bounded by the live windows. rate-limiter-flexible was
 * considered and not used: its one-limiter-per-configuration API does not fit a repository whose
 * window is chosen per call, which one contract suite checks on memory, SQLite, PostgreSQL and Redis.
 */
export class MemoryCounterStore implements CounterStore {
  readonly #entries = new ExpiringMap<CounterEntry>();

  /** Number of windows held, including ended ones not dropped yet (for tests and monitoring). */
  get size(): number {
    return this.#entries.size;
  }

  async increment(key: string, windowSeconds: number, now: Date, by = 1): Promise<CounterValue> {
    const windowMs = counterWindowMs(windowSeconds, by);
    const at = now.getTime();
    const current = this.#entries.getLive(key, at);
    const next: CounterEntry =
      current === undefined
        ? { count: by, expiresAt: at + windowMs }
        : { count: current.count + by, expiresAt: current.expiresAt };
    this.#entries.set(key, next);
    return toValue(next);
  }

  async get(key: string, now: Date): Promise<CounterValue | null> {
    const entry = this.#entries.getLive(key, now.getTime());
    return entry === undefined ? null : toValue(entry);
  }

  async reset(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async hitSliding(key: string, windowMs: number, now: Date, limit?: number): Promise<SlidingHit> {
    const { index, elapsedMs } = slidingFrame(windowMs, now, limit);
    const at = now.getTime();
    const previous = this.#entries.getLive(`${key}@${index - 1}`, at)?.count ?? 0;
    const currentKey = `${key}@${index}`;
    const entry = this.#entries.getLive(currentKey, at);
    const current = entry?.count ?? 0;
    if (limit !== undefined && !slidingHitFits(previous, current, windowMs, elapsedMs, limit)) {
      return { previous, current, counted: false };
    }
    this.#entries.set(currentKey, { count: current + 1, expiresAt: entry?.expiresAt ?? at + 2 * windowMs });
    return { previous, current: current + 1, counted: true };
  }

  /**
   * Drops every window that has ended at `now`; returns how many. Not part of {@link CounterStore}
   * (ended windows are never returned anyway): memory is also reclaimed without calling it.
   */
  async deleteExpired(now: Date): Promise<number> {
    return this.#entries.sweep(this.#entries.observe(now.getTime()));
  }
}
