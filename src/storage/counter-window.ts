/**
 * Argument checks and arithmetic shared by the {@link CounterStore} implementations of gatehouse.
 *
 * @module
 */
import type { CounterStore } from './types.js';

/**
 * Checks the arguments of {@link CounterStore.increment} and returns the window length in whole
 * milliseconds (rounded up, so at least 1).
 *
 * @throws RangeError when `windowSeconds` is not a positive finite number or `by` is not a positive
 *   safe integer: a bad window would give an invalid `resetAt`, a bad `by` a count that cannot be stored.
 */
export function counterWindowMs(windowSeconds: number, by: number): number {
  if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) {
    throw new RangeError(`windowSeconds must be a positive number, got ${windowSeconds}`);
  }
  if (!Number.isSafeInteger(by) || by < 1) {
    throw new RangeError(`by must be a positive integer, got ${by}`);
  }
  return Math.ceil(windowSeconds * 1000);
}

/** Where `now` falls for {@link CounterStore.hitSliding}: the window index and the time gone by in it. */
export interface SlidingFrame {
  /** `floor(now / windowMs)`. */
  readonly index: number;
  /** Milliseconds of the current window gone by, `now − index × windowMs`. */
  readonly elapsedMs: number;
}

/**
 * Checks the arguments of {@link CounterStore.hitSliding} and returns the window of `now`.
 *
 * @throws RangeError when `windowMs` is not a positive safe integer or `limit` (when given) is not
 *   a non-negative safe integer.
 */
export function slidingFrame(windowMs: number, now: Date, limit?: number): SlidingFrame {
  if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
    throw new RangeError(`windowMs must be a positive integer, got ${windowMs}`);
  }
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  }
  const time = now.getTime();
  const index = Math.floor(time / windowMs);
  return { index, elapsedMs: time - index * windowMs };
}

/**
 * Whether one more hit fits a sliding-window limit: `previous × (windowMs − elapsed) + (current + 1)
 * × windowMs ≤ limit × windowMs`, the estimate `previous × (1 − elapsed / windowMs) + current + 1 ≤
 * limit` without a division. Exact for counts and windows whose products stay below 2^53 (a
 * million hits in a day-long window is about 2^46).
 */
export function slidingHitFits(
  previous: number,
  current: number,
  windowMs: number,
  elapsedMs: number,
  limit: number,
): boolean {
  return previous * (windowMs - elapsedMs) + (current + 1) * windowMs <= limit * windowMs;
}
