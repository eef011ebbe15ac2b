/**
 * How long Redis keeps a key. gatehouse decides expiry from the times its callers pass (`now`,
 * `expiresAt`, a window's end), stored with the value; Redis' own expiry (`PX`, `PEXPIRE`) is only
 * garbage collection, so it must never drop a key that a caller could still see as live.
 *
 * @module
 */

/**
 * Extra time, milliseconds, a key is kept after its logical end as seen by the clock of the
 * process writing it: covers callers (other instances) whose clocks run behind that one's, and
 * keeps a key written with a logical end already past (a late write, a test's fixed clock) for
 * this long rather than dropping it at once.
 */
export const EXPIRY_GRACE_MS = 60_000;

/**
 * The Redis time-to-live, milliseconds, of a key whose logical end is `endMs` (epoch ms): what
 * remains of it by the wall clock (`clockMs`, default `Date.now()`, never below 0) plus
 * {@link EXPIRY_GRACE_MS}. A caller whose clock is at most the grace behind the writer's never
 * finds a live key gone; a key is dropped the grace after its end (after it was written, when its
 * end had already passed).
 *
 * @throws RangeError when `endMs` is not a finite number (an invalid `Date`).
 */
export function expiryTtlMs(endMs: number, clockMs: number = Date.now()): number {
  if (!Number.isFinite(endMs)) throw new RangeError(`expiry must be a valid time, got ${endMs}`);
  return Math.max(endMs - clockMs, 0) + EXPIRY_GRACE_MS;
}
