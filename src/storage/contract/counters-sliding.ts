/**
 * The {@link CounterStore.hitSliding} part of the counter-store contract: the window arithmetic,
 * the limit decided atomically with the count, and the keys it shares with `get` and `reset`.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { CounterStore } from '../types.js';
import { addMs } from './fixtures.js';

const MINUTE = 60_000;
/** An instant at the start of a one-minute window (index `START / MINUTE`). */
const START = new Date(Date.UTC(2025, 2, 14, 9, 27, 0, 0));
const INDEX = START.getTime() / MINUTE;

async function expectRangeError(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected the call to be rejected').toBeInstanceOf(Error);
}

/** Registers the `hitSliding` tests; `store` returns the store of the running test. */
export function defineSlidingHitTests(store: () => CounterStore): void {
  describe('hitSliding', () => {
    it('without a limit counts every hit in the window of now, under the key <key>@<index>', async () => {
      expect(await store().hitSliding('rl:ip:1', MINUTE, START)).toEqual({
        previous: 0,
        current: 1,
        counted: true,
      });
      expect(await store().hitSliding('rl:ip:1', MINUTE, addMs(START, MINUTE - 1))).toEqual({
        previous: 0,
        current: 2,
        counted: true,
      });
      // The window's counter is kept for two windows from its first hit.
      expect(await store().get(`rl:ip:1@${INDEX}`, START)).toEqual({
        count: 2,
        resetAt: addMs(START, 2 * MINUTE),
      });
    });

    it('the next window starts at 0 and reports the previous window', async () => {
      for (let i = 0; i < 3; i++) await store().hitSliding('k', MINUTE, addMs(START, i * 1000));
      expect(await store().hitSliding('k', MINUTE, addMs(START, MINUTE + 5))).toEqual({
        previous: 3,
        current: 1,
        counted: true,
      });
      // Two windows later the first one is no longer the previous one.
      expect(await store().hitSliding('k', MINUTE, addMs(START, 2 * MINUTE))).toEqual({
        previous: 1,
        current: 1,
        counted: true,
      });
    });

    it('with a limit counts a hit only while previous × (W − elapsed) + (current + 1) × W ≤ limit × W', async () => {
      for (let i = 0; i < 10; i++) await store().hitSliding('k', MINUTE, addMs(START, i));
      // Half-way through the next window the previous 10 weigh 5: room for 3 under a limit of 8.
      const half = addMs(START, MINUTE + MINUTE / 2);
      for (let i = 1; i <= 3; i++) {
        expect(await store().hitSliding('k', MINUTE, half, 8)).toEqual({
          previous: 10,
          current: i,
          counted: true,
        });
      }
      expect(await store().hitSliding('k', MINUTE, half, 8)).toEqual({
        previous: 10,
        current: 3,
        counted: false,
      });
      // One millisecond before the weight drops enough the hit is still refused; at that moment it fits.
      const fits = addMs(START, MINUTE + 36_000);
      expect(await store().hitSliding('k', MINUTE, addMs(fits, -1), 8)).toMatchObject({ counted: false });
      expect(await store().hitSliding('k', MINUTE, fits, 8)).toEqual({
        previous: 10,
        current: 4,
        counted: true,
      });
    });

    it('a refused hit changes nothing; a limit of 0 admits nothing', async () => {
      expect(await store().hitSliding('k', MINUTE, START, 0)).toEqual({
        previous: 0,
        current: 0,
        counted: false,
      });
      expect(await store().get(`k@${INDEX}`, START)).toBeNull();
      await store().hitSliding('k', MINUTE, START, 1);
      expect(await store().hitSliding('k', MINUTE, START, 1)).toMatchObject({ current: 1, counted: false });
      expect(await store().get(`k@${INDEX}`, START)).toMatchObject({ count: 1 });
    });

    it('shares its keys with reset, and keeps keys with metacharacters apart', async () => {
      await store().hitSliding('rl:%', MINUTE, START);
      await store().hitSliding('rl:_', MINUTE, START);
      await store().hitSliding("rl:' OR 1=1 --", MINUTE, START);
      await store().reset(`rl:%@${INDEX}`);
      expect(await store().hitSliding('rl:%', MINUTE, START)).toMatchObject({ current: 1 });
      expect(await store().hitSliding('rl:_', MINUTE, START)).toMatchObject({ current: 2 });
      expect(await store().hitSliding("rl:' OR 1=1 --", MINUTE, START)).toMatchObject({ current: 2 });
    });

    it('of 60 concurrent hits under a limit of 10 exactly 10 are counted', async () => {
      const results = await Promise.all(
        Array.from({ length: 60 }, () => store().hitSliding('rl:burst', MINUTE, addMs(START, 1000), 10)),
      );
      expect(results.filter((r) => r.counted)).toHaveLength(10);
      expect(
        results
          .filter((r) => r.counted)
          .map((r) => r.current)
          .sort((a, b) => a - b),
      ).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      expect(await store().get(`rl:burst@${INDEX}`, START)).toMatchObject({ count: 10 });
    });

    it('rejects a window that is not a positive whole number of milliseconds, or a negative limit', async () => {
      await expectRangeError(store().hitSliding('k', 0, START));
      await expectRangeError(store().hitSliding('k', 1.5, START));
      await expectRangeError(store().hitSliding('k', MINUTE, START, -1));
      expect(await store().get(`k@${INDEX}`, START)).toBeNull();
    });
  });
}
