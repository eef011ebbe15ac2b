/**
 * Argument checks shared by the {@link CounterStore} implementations of gatehouse.
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
