/**
 * The sliding-window rate limiter on its own, over the memory and the SQLite counter stores:
 * bursts across a window boundary are not admitted twice (the weakness of fixed windows),
 * Retry-After is exact, refused hits are not counted, and concurrent hits never exceed the limit.
 */
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../adapters/sqlite/index.js';
import { RateLimiter } from '../../src/defense/rate-limiter.js';
import { msUntilAllowed, slidingEstimate } from '../../src/defense/sliding-window.js';
import { RateLimitedError } from '../../src/errors.js';
import type { CounterStore } from '../../src/index.js';
import { MemoryCounterStore } from '../../src/storage/memory/counters.js';
import { FakeClock } from '../support/gatehouse.js';

const STORES: Array<[string, () => CounterStore]> = [
  ['memory', () => new MemoryCounterStore()],
  ['SQLite', () => createSqliteStore().counters],
];

/** Whether one hit goes through (true) or is refused (the Retry-After seconds). */
async function attempt(
  limiter: RateLimiter,
  limit: { limit: number; window: number },
): Promise<true | number> {
  try {
    await limiter.hit('test', 'key', limit);
    return true;
  } catch (error) {
    if (error instanceof RateLimitedError) return error.retryAfter;
    throw error;
  }
}

describe('sliding-window estimate', () => {
  it('weighs the previous window by the part of it still inside the last window', () => {
    expect(slidingEstimate({ previous: 10, current: 2, windowMs: 1000, elapsedMs: 0 })).toBe(12);
    expect(slidingEstimate({ previous: 10, current: 2, windowMs: 1000, elapsedMs: 250 })).toBe(9.5);
    expect(slidingEstimate({ previous: 10, current: 2, windowMs: 1000, elapsedMs: 999 })).toBeCloseTo(2.01);
  });

  it('computes the wait until one more hit fits, inside this window or the next', () => {
    // Fading previous window: 10 × (1 − f) + 2 ≤ 4 → f ≥ 0.8.
    expect(msUntilAllowed({ previous: 10, current: 2, windowMs: 1000, elapsedMs: 100 }, 5)).toBe(700);
    // The current window alone is over: wait for the next one, then 6 × (1 − g) ≤ 4 → g ≥ 1/3.
    expect(msUntilAllowed({ previous: 0, current: 6, windowMs: 1200, elapsedMs: 200 }, 5)).toBe(1000 + 400);
    // Already room.
    expect(msUntilAllowed({ previous: 1, current: 1, windowMs: 1000, elapsedMs: 0 }, 5)).toBe(0);
  });
});

for (const [name, makeStore] of STORES) {
  describe(`RateLimiter over the ${name} counter store`, () => {
    it('does not admit a second burst right after a window boundary (fixed windows would)', async () => {
      const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
      const limiter = new RateLimiter(makeStore(), clock.now);
      const limit = { limit: 10, window: 60 };
      clock.advance(59);
      for (let i = 0; i < 10; i++) expect(await attempt(limiter, limit)).toBe(true);
      expect(await attempt(limiter, limit)).toBeTypeOf('number');
      clock.advance(2); // 1 s into the next window: the burst still weighs 59/60 of itself.
      const admitted = [];
      for (let i = 0; i < 10; i++) admitted.push(await attempt(limiter, limit));
      expect(admitted.filter((a) => a === true)).toHaveLength(0);
      // Half a window later, half the burst has slid out.
      clock.advance(29);
      const later = [];
      for (let i = 0; i < 10; i++) later.push(await attempt(limiter, limit));
      expect(later.filter((a) => a === true)).toHaveLength(5);
    });

    it('Retry-After is exact: a second earlier is refused (and not counted), then the hit goes through', async () => {
      const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
      const limiter = new RateLimiter(makeStore(), clock.now);
      const limit = { limit: 4, window: 100 };
      // A pseudo-random pattern of hits over several windows.
      let seed = 7;
      for (let step = 0; step < 40; step++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        clock.advance(seed % 37);
        const result = await attempt(limiter, limit);
        if (result === true) continue;
        expect(result).toBeGreaterThanOrEqual(1);
        expect(result).toBeLessThanOrEqual(2 * limit.window);
        if (result > 1) {
          clock.advance(result - 1);
          expect(await attempt(limiter, limit)).toBeTypeOf('number');
          clock.advance(1);
        } else {
          clock.advance(result);
        }
        expect(await attempt(limiter, limit)).toBe(true);
      }
    });

    it('lets exactly `limit` of many concurrent hits through', async () => {
      const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 30));
      const limiter = new RateLimiter(makeStore(), clock.now);
      const results = await Promise.all(
        Array.from({ length: 25 }, () => attempt(limiter, { limit: 5, window: 60 })),
      );
      expect(results.filter((r) => r === true)).toHaveLength(5);
    });

    it('reset forgets both windows of the key', async () => {
      const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 50));
      const limiter = new RateLimiter(makeStore(), clock.now);
      const limit = { limit: 2, window: 60 };
      await attempt(limiter, limit);
      await attempt(limiter, limit);
      clock.advance(20);
      await attempt(limiter, limit);
      expect(await attempt(limiter, limit)).toBeTypeOf('number');
      await limiter.reset('test', 'key', limit);
      expect(await attempt(limiter, limit)).toBe(true);
      expect(await attempt(limiter, limit)).toBe(true);
      expect(await attempt(limiter, limit)).toBeTypeOf('number');
    });
  });
}
