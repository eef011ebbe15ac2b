/**
 * Sliding-window counts on a {@link CounterStore}, the "sliding window counter" approximation
 * used by most rate limiters: time is cut into windows aligned to the epoch, each window has its
 * own counter, and the count "in the last window" at time `t` is estimated as
 *
 *     previous × (1 − elapsed) + current
 *
 * where `elapsed` is the fraction of the current window gone by at `t`. A burst at the end of one
 * window therefore still counts at the start of the next (a fixed window would forget it at the
 * boundary and admit twice the limit in a short time), while the store keeps only two integers per
 * key and every backend can increment them atomically.
 *
 * @module
 */
import { slidingHitFits } from '../storage/counter-window.js';
import type { CounterStore } from '../storage/types.js';

/** The two counters of a key at one moment, and where that moment lies in its window. */
export interface SlidingCount {
  /** Hits in the previous window. */
  readonly previous: number;
  /** Hits in the current window so far. */
  readonly current: number;
  /** Window length, milliseconds. */
  readonly windowMs: number;
  /** Milliseconds of the current window gone by. */
  readonly elapsedMs: number;
}

/** The estimated number of hits in the last window: `previous × (1 − elapsed) + current`. */
export function slidingEstimate(count: SlidingCount): number {
  return (count.previous * (count.windowMs - count.elapsedMs)) / count.windowMs + count.current;
}

/** Whether one more hit keeps the estimate within `limit` (integer arithmetic, see `slidingHitFits`). */
export function fitsOneMore(count: SlidingCount, limit: number): boolean {
  return slidingHitFits(count.previous, count.current, count.windowMs, count.elapsedMs, limit);
}

/**
 * Milliseconds from now until one more hit would keep the estimate within `limit`, assuming no
 * other hit in between; 0 when it already would. The wait may end inside the current window (the
 * previous window's weight fading) or inside the next one (the current window's hits fading), so
 * it can be longer than the rest of the current window.
 */
export function msUntilAllowed(count: SlidingCount, limit: number): number {
  if (fitsOneMore(count, limit)) return 0;
  const { previous, current, windowMs, elapsedMs } = count;
  const room = limit - 1;
  // Integer arithmetic where it matters: floor(a × windowMs / b) is exact for the whole numbers here.
  if (current < room && previous > 0) {
    // Within the current window, once previous × (1 − f) + current ≤ room.
    return Math.max(0, windowMs - elapsedMs - Math.floor(((room - current) * windowMs) / previous));
  }
  // In the next window, the current hits become the previous ones: current × (1 − g) ≤ room.
  const fading = current <= room ? windowMs : Math.floor((room * windowMs) / Math.max(current, 1));
  return windowMs - elapsedMs + windowMs - fading;
}

/**
 * Sliding-window counts of keys in a {@link CounterStore}. Each key uses two store counters,
 * `<key>@<window index>`, each kept for two windows so it can serve as the previous window; a hit
 * is one {@link CounterStore.hitSliding} call (one round trip on a networked store).
 */
export class SlidingWindowCounter {
  readonly #counters: CounterStore;

  constructor(counters: CounterStore) {
    this.#counters = counters;
  }

  static #frame(windowSeconds: number, now: Date): { windowMs: number; index: number; elapsedMs: number } {
    const windowMs = Math.max(1, Math.ceil(windowSeconds * 1000));
    const time = now.getTime();
    const index = Math.floor(time / windowMs);
    return { windowMs, index, elapsedMs: time - index * windowMs };
  }

  /** Reads both counters without counting. */
  async read(key: string, windowSeconds: number, now: Date): Promise<SlidingCount> {
    const { windowMs, index, elapsedMs } = SlidingWindowCounter.#frame(windowSeconds, now);
    const [previous, current] = await Promise.all([
      this.#counters.get(`${key}@${index - 1}`, now),
      this.#counters.get(`${key}@${index}`, now),
    ]);
    return { previous: previous?.count ?? 0, current: current?.count ?? 0, windowMs, elapsedMs };
  }

  /**
   * Counts one hit in the current window and returns both counters after it. With `limit`, the
   * hit is counted only when it fits (see {@link CounterStore.hitSliding}); `counted` says which.
   */
  async add(
    key: string,
    windowSeconds: number,
    now: Date,
    limit?: number,
  ): Promise<SlidingCount & { readonly counted: boolean }> {
    const { windowMs, elapsedMs } = SlidingWindowCounter.#frame(windowSeconds, now);
    const { previous, current, counted } = await this.#counters.hitSliding(key, windowMs, now, limit);
    return { previous, current, windowMs, elapsedMs, counted };
  }

  /** Forgets the key: both the current and the previous window. */
  async reset(key: string, windowSeconds: number, now: Date): Promise<void> {
    const { index } = SlidingWindowCounter.#frame(windowSeconds, now);
    await Promise.all([this.#counters.reset(`${key}@${index - 1}`), this.#counters.reset(`${key}@${index}`)]);
  }
}
