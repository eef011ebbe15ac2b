/**
 * The {@link CounterStore} contract suite: every implementation (memory, SQLite, a user's own)
 * must pass it unchanged. Lockouts and rate limits are only as good as `increment`'s atomicity,
 * so the concurrent increments are the important test.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { CounterStore } from '../types.js';
import { defineSlidingHitTests } from './counters-sliding.js';
import { addMs, CONTRACT_EPOCH } from './fixtures.js';
import { type ContractFactory, useFreshSubject } from './lifecycle.js';

const SECOND = 1000;

/**
 * Registers the counter-store tests in the current `describe`; `store` returns the store of the
 * running test. Used by {@link describeCounterStoreContract} and `describeStoreContract`.
 */
export function defineCounterStoreTests(store: () => CounterStore): void {
  const now = CONTRACT_EPOCH;

  describe('increment and get', () => {
    it('the first increment starts a window: count 1, resetAt = now + windowSeconds', async () => {
      const resetAt = addMs(now, 900 * SECOND);
      expect(await store().increment('login:alice', 900, now)).toEqual({ count: 1, resetAt });
      expect(await store().get('login:alice', now)).toEqual({ count: 1, resetAt });
    });

    it('later increments in the window add up and keep resetAt', async () => {
      const resetAt = addMs(now, 60 * SECOND);
      await store().increment('k', 60, now);
      expect(await store().increment('k', 60, addMs(now, 10 * SECOND))).toEqual({ count: 2, resetAt });
      expect(await store().increment('k', 60, addMs(resetAt, -1))).toEqual({ count: 3, resetAt });
      expect(await store().get('k', addMs(resetAt, -1))).toEqual({ count: 3, resetAt });
    });

    it('adds `by` when given', async () => {
      const resetAt = addMs(now, 60 * SECOND);
      expect(await store().increment('k', 60, now, 5)).toEqual({ count: 5, resetAt });
      expect(await store().increment('k', 60, now, 3)).toEqual({ count: 8, resetAt });
      expect(await store().increment('k', 60, now)).toEqual({ count: 9, resetAt });
      const later = addMs(resetAt, SECOND);
      expect(await store().increment('k', 60, later, 4)).toEqual({
        count: 4,
        resetAt: addMs(later, 60 * SECOND),
      });
    });

    it('a later call with another windowSeconds does not move the end of the running window', async () => {
      const resetAt = addMs(now, 60 * SECOND);
      await store().increment('k', 60, now);
      expect(await store().increment('k', 3600, addMs(now, SECOND))).toEqual({ count: 2, resetAt });
    });

    it('get returns null for an unknown key', async () => {
      await store().increment('known', 60, now);
      expect(await store().get('unknown', now)).toBeNull();
      expect(await store().get('know', now)).toBeNull();
      expect(await store().get('', now)).toBeNull();
    });

    it('keeps keys independent, metacharacters included', async () => {
      await store().increment('login:%', 60, now);
      await store().increment('login:%', 60, now);
      await store().increment('login:_', 60, now);
      expect(await store().increment('login:alice', 60, now)).toMatchObject({ count: 1 });
      expect(await store().increment("login:' OR 1=1 --", 120, now)).toEqual({
        count: 1,
        resetAt: addMs(now, 120 * SECOND),
      });
      expect(await store().get('login:%', now)).toMatchObject({ count: 2 });
      expect(await store().get('login:_', now)).toMatchObject({ count: 1 });
      expect(await store().get('login:alice', now)).toMatchObject({ count: 1 });
    });
  });

  describe('windows', () => {
    it('the window ends at resetAt: get gives null from then on', async () => {
      const { resetAt } = await store().increment('k', 60, now);
      expect(await store().get('k', addMs(resetAt, -1))).toMatchObject({ count: 1 });
      expect(await store().get('k', resetAt)).toBeNull();
      expect(await store().get('k', addMs(resetAt, 3600 * SECOND))).toBeNull();
    });

    it('an increment at resetAt starts a new window at 1 with a new resetAt', async () => {
      await store().increment('k', 60, now);
      const { resetAt } = await store().increment('k', 60, now);
      expect(await store().increment('k', 60, resetAt)).toEqual({
        count: 1,
        resetAt: addMs(resetAt, 60 * SECOND),
      });
    });

    it('after windowSeconds have passed the count restarts at 1 from the time of the increment', async () => {
      for (let i = 0; i < 5; i++) await store().increment('k', 30, addMs(now, i * SECOND));
      expect(await store().get('k', addMs(now, 5 * SECOND))).toEqual({
        count: 5,
        resetAt: addMs(now, 30 * SECOND),
      });
      const later = addMs(now, 95 * SECOND + 7);
      const restarted = await store().increment('k', 30, later);
      expect(restarted).toEqual({ count: 1, resetAt: addMs(later, 30 * SECOND) });
      expect(await store().get('k', later)).toEqual(restarted);
      expect(await store().increment('k', 30, addMs(later, SECOND))).toEqual({
        count: 2,
        resetAt: restarted.resetAt,
      });
    });

    it('keeps resetAt to the millisecond', async () => {
      const at = new Date(Date.UTC(2038, 0, 19, 3, 14, 7, 999));
      expect(await store().increment('k', 1, at)).toEqual({ count: 1, resetAt: addMs(at, SECOND) });
    });
  });

  describe('reset', () => {
    it('forgets the key: get gives null, the next increment starts a new window', async () => {
      for (let i = 0; i < 3; i++) await store().increment('k', 60, now);
      await store().increment('other', 60, now);
      await store().reset('k');
      expect(await store().get('k', now)).toBeNull();
      const later = addMs(now, 10 * SECOND);
      expect(await store().increment('k', 60, later)).toEqual({
        count: 1,
        resetAt: addMs(later, 60 * SECOND),
      });
      expect(await store().get('other', now)).toMatchObject({ count: 1 });
    });

    it('resetting an unknown key is a no-op', async () => {
      await store().increment('k', 60, now);
      await store().reset('unknown');
      await store().reset('k');
      await store().reset('k');
      expect(await store().get('k', now)).toBeNull();
    });
  });

  describe('concurrency', () => {
    it('of 100 concurrent increments of one key none is lost', async () => {
      const results = await Promise.all(
        Array.from({ length: 100 }, () => store().increment('rate:203.0.113.7', 60, now)),
      );
      expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      const resetAt = addMs(now, 60 * SECOND);
      for (const result of results) expect(result.resetAt).toEqual(resetAt);
      expect(await store().get('rate:203.0.113.7', now)).toEqual({ count: 100, resetAt });
    });

    it('concurrent increments of different keys and sizes add up per key', async () => {
      const calls = [];
      for (let i = 0; i < 30; i++) {
        calls.push(store().increment('a', 60, now));
        calls.push(store().increment('b', 60, now, 2));
      }
      await Promise.all(calls);
      expect(await store().get('a', now)).toMatchObject({ count: 30 });
      expect(await store().get('b', now)).toMatchObject({ count: 60 });
    });
  });

  defineSlidingHitTests(store);
}

/**
 * Declares a vitest `describe(name)` block that checks a {@link CounterStore} against the contract
 * of `src/storage/types.ts`, including 100 concurrent increments of one key. `createStore` is
 * called before every test and must return an empty store; if the result has a `close()` method
 * it is called after the test.
 *
 * @example
 * describeCounterStoreContract('my counters', () => new MyCounterStore(freshDb()));
 */
export function describeCounterStoreContract(name: string, createStore: ContractFactory<CounterStore>): void {
  describe(name, () => {
    const store = useFreshSubject(createStore);
    defineCounterStoreTests(store);
  });
}
