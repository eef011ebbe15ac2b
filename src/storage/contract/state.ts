/**
 * The {@link StateStore} contract suite: every implementation (memory, SQLite, a user's own) must
 * pass it unchanged. One-time tokens are only single-use if `take` is atomic, so the concurrent
 * takes are the important test.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { StateStore } from '../types.js';
import { addMs, CONTRACT_EPOCH } from './fixtures.js';
import { type ContractFactory, useFreshSubject } from './lifecycle.js';

const MINUTE = 60_000;

/** An instant far in the future (the last millisecond of 9999), for "never expires" checks. */
const FAR_FUTURE = new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999));

/**
 * Registers the state-store tests in the current `describe`; `store` returns the store of the
 * running test. Used by {@link describeStateStoreContract} and `describeStoreContract`.
 */
export function defineStateStoreTests(store: () => StateStore): void {
  const now = CONTRACT_EPOCH;

  describe('set and get', () => {
    it('get returns what set stored; unknown keys give null', async () => {
      await store().set('reset:abc', '{"userId":"u1"}', addMs(now, 15 * MINUTE));
      expect(await store().get('reset:abc', now)).toBe('{"userId":"u1"}');
      expect(await store().get('reset:abd', now)).toBeNull();
      expect(await store().get('reset:ab', now)).toBeNull();
      expect(await store().get('', now)).toBeNull();
    });

    it('stores values verbatim: the empty string, unicode, quotes, backslashes, SQL and wildcards', async () => {
      const values = [
        '',
        '{"email":"zoë@exämple.com","note":"日本語 🔐"}',
        `it's "quoted" \\ back\\slashed`,
        "'; DROP TABLE gatehouse_state; --",
        '%_*?[]{}$^.|\n\t\r',
        'x'.repeat(64 * 1024),
      ];
      for (const [i, value] of values.entries()) await store().set(`k${i}`, value, null);
      for (const [i, value] of values.entries()) expect(await store().get(`k${i}`, now)).toBe(value);
    });

    it('matches keys exactly: metacharacters in keys are literal', async () => {
      await store().set('verify:a_c', 'underscore', null);
      await store().set('verify:a%', 'percent', null);
      await store().set("verify:' OR '1'='1", 'quote', null);
      expect(await store().get('verify:abc', now)).toBeNull();
      expect(await store().get('verify:a%c', now)).toBeNull();
      expect(await store().get('verify:%', now)).toBeNull();
      expect(await store().get('verify:a_', now)).toBeNull();
      expect(await store().get('verify:a_c', now)).toBe('underscore');
      expect(await store().get('verify:a%', now)).toBe('percent');
      expect(await store().get("verify:' OR '1'='1", now)).toBe('quote');
      expect(await store().get("verify:' OR ''='", now)).toBeNull();
    });

    it('set replaces the value and the expiry of an existing key', async () => {
      await store().set('pending:email', 'old', addMs(now, MINUTE));
      await store().set('pending:email', 'new', addMs(now, 10 * MINUTE));
      expect(await store().get('pending:email', addMs(now, 5 * MINUTE))).toBe('new');
      await store().set('pending:email', 'forever', null);
      expect(await store().get('pending:email', FAR_FUTURE)).toBe('forever');
      await store().set('pending:email', 'short', addMs(now, MINUTE));
      expect(await store().get('pending:email', addMs(now, MINUTE))).toBeNull();
    });

    it('set can revive an expired key', async () => {
      await store().set('k', 'first', addMs(now, -1));
      await store().set('k', 'second', addMs(now, MINUTE));
      expect(await store().get('k', now)).toBe('second');
    });

    it('keeps keys independent', async () => {
      await store().set('a', '1', addMs(now, MINUTE));
      await store().set('b', '2', null);
      expect(await store().get('a', now)).toBe('1');
      expect(await store().get('b', now)).toBe('2');
      expect(await store().delete('a')).toBe(true);
      expect(await store().get('b', now)).toBe('2');
    });
  });

  describe('expiry', () => {
    it('a value is live until just before expiresAt and expired from expiresAt on (now >= expiresAt)', async () => {
      const expiresAt = addMs(now, 15 * MINUTE);
      await store().set('k', 'v', expiresAt);
      expect(await store().get('k', now)).toBe('v');
      expect(await store().get('k', addMs(expiresAt, -1))).toBe('v');
      expect(await store().get('k', expiresAt)).toBeNull();
      expect(await store().get('k', addMs(expiresAt, 1))).toBeNull();
    });

    it('a value set already expired is never returned', async () => {
      await store().set('k', 'v', addMs(now, -1));
      expect(await store().get('k', now)).toBeNull();
      await store().set('j', 'v', now);
      expect(await store().get('j', now)).toBeNull();
      expect(await store().take('j', now)).toBeNull();
    });

    it('a null expiry never expires', async () => {
      await store().set('k', 'v', null);
      expect(await store().get('k', now)).toBe('v');
      expect(await store().get('k', addMs(now, 100 * 365 * 86_400_000))).toBe('v');
      expect(await store().get('k', FAR_FUTURE)).toBe('v');
      expect(await store().deleteExpired(FAR_FUTURE)).toBe(0);
      expect(await store().take('k', FAR_FUTURE)).toBe('v');
    });

    it('keeps expiry to the millisecond', async () => {
      const expiresAt = new Date(Date.UTC(2038, 0, 19, 3, 14, 7, 999));
      await store().set('k', 'v', expiresAt);
      expect(await store().get('k', addMs(expiresAt, -1))).toBe('v');
      expect(await store().get('k', expiresAt)).toBeNull();
    });
  });

  describe('take', () => {
    it('returns the value once, then null; the key is gone', async () => {
      await store().set('challenge:1', 'payload', addMs(now, MINUTE));
      expect(await store().take('challenge:1', now)).toBe('payload');
      expect(await store().take('challenge:1', now)).toBeNull();
      expect(await store().get('challenge:1', now)).toBeNull();
      expect(await store().delete('challenge:1')).toBe(false);
    });

    it('returns null for an unknown key and leaves other keys alone', async () => {
      await store().set('other', 'v', null);
      expect(await store().take('missing', now)).toBeNull();
      expect(await store().get('other', now)).toBe('v');
    });

    it('takes a value just before it expires', async () => {
      const expiresAt = addMs(now, MINUTE);
      await store().set('k', 'v', expiresAt);
      expect(await store().take('k', addMs(expiresAt, -1))).toBe('v');
    });

    it('an expired key gives null and is gone afterwards', async () => {
      const expiresAt = addMs(now, MINUTE);
      await store().set('k', 'v', expiresAt);
      expect(await store().take('k', expiresAt)).toBeNull();
      // Even a caller with an earlier clock no longer finds it.
      expect(await store().get('k', now)).toBeNull();
      expect(await store().take('k', now)).toBeNull();
      expect(await store().delete('k')).toBe(false);
    });

    it('of 20 concurrent takes of one key exactly one gets the value', async () => {
      await store().set('reset:once', 'secret-payload', addMs(now, MINUTE));
      const results = await Promise.all(Array.from({ length: 20 }, () => store().take('reset:once', now)));
      expect(results.filter((r) => r !== null)).toEqual(['secret-payload']);
      expect(results.filter((r) => r === null)).toHaveLength(19);
      expect(await store().get('reset:once', now)).toBeNull();
    });

    it('concurrent takes of different keys each get their own value', async () => {
      const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
      for (const key of keys) await store().set(key, `v-${key}`, null);
      const results = await Promise.all(keys.map((key) => store().take(key, now)));
      expect(results).toEqual(keys.map((key) => `v-${key}`));
    });
  });

  describe('delete', () => {
    it('returns true when the key existed, then false', async () => {
      await store().set('k', 'v', null);
      expect(await store().delete('k')).toBe(true);
      expect(await store().get('k', now)).toBeNull();
      expect(await store().delete('k')).toBe(false);
      expect(await store().delete('never-set')).toBe(false);
    });

    it('returns true for an expired key still stored', async () => {
      await store().set('k', 'v', addMs(now, -MINUTE));
      expect(await store().delete('k')).toBe(true);
      expect(await store().delete('k')).toBe(false);
    });
  });

  describe('deleteByPrefix', () => {
    it('deletes exactly the keys that start with the prefix and returns how many', async () => {
      for (const key of ['reset:a', 'reset:b', 'reset:', 'resetx', 'RESET:c', 'verify:reset:d', 'reset']) {
        await store().set(key, key, null);
      }
      expect(await store().deleteByPrefix('reset:')).toBe(3);
      for (const key of ['reset:a', 'reset:b', 'reset:']) expect(await store().get(key, now)).toBeNull();
      for (const key of ['resetx', 'RESET:c', 'verify:reset:d', 'reset']) {
        expect(await store().get(key, now)).toBe(key);
      }
      expect(await store().deleteByPrefix('reset:')).toBe(0);
    });

    it('treats % and _ in the prefix literally, never as wildcards', async () => {
      const keys = ['a%b:1', 'a%b:2', 'a%:3', 'axb:1', 'ab:1', 'a_c:1', 'abc:1', 'a\\%:1', 'zz%'];
      for (const key of keys) await store().set(key, key, null);
      expect(await store().deleteByPrefix('a%')).toBe(3);
      expect(await store().deleteByPrefix('a_')).toBe(1);
      expect(await store().deleteByPrefix('%')).toBe(0);
      expect(await store().deleteByPrefix('_')).toBe(0);
      expect(await store().deleteByPrefix('a\\')).toBe(1);
      const left = [];
      for (const key of keys) if ((await store().get(key, now)) !== null) left.push(key);
      expect(left).toEqual(['axb:1', 'ab:1', 'abc:1', 'zz%']);
    });

    it('handles quotes and non-ASCII prefixes', async () => {
      for (const key of ["o'brien:1", "o'brien:2", 'obrien:3', 'zoë:1', 'zoe:1', '🔐:1']) {
        await store().set(key, 'v', null);
      }
      expect(await store().deleteByPrefix("o'brien:")).toBe(2);
      expect(await store().deleteByPrefix('zoë')).toBe(1);
      expect(await store().deleteByPrefix('🔐')).toBe(1);
      expect(await store().get('obrien:3', now)).toBe('v');
      expect(await store().get('zoe:1', now)).toBe('v');
    });

    it('deletes live keys and keys with no expiry alike', async () => {
      await store().set('session:1', 'v', addMs(now, MINUTE));
      await store().set('session:2', 'v', null);
      expect(await store().deleteByPrefix('session:')).toBe(2);
      expect(await store().get('session:1', now)).toBeNull();
      expect(await store().get('session:2', now)).toBeNull();
    });
  });

  describe('deleteExpired', () => {
    it('deletes the values expired at or before now, returns how many, and keeps the rest', async () => {
      await store().set('past', 'v', addMs(now, -MINUTE));
      await store().set('exactly', 'v', now);
      await store().set('future', 'v', addMs(now, 1));
      await store().set('forever', 'v', null);
      expect(await store().deleteExpired(now)).toBe(2);
      expect(await store().delete('past')).toBe(false);
      expect(await store().delete('exactly')).toBe(false);
      expect(await store().get('future', now)).toBe('v');
      expect(await store().get('forever', now)).toBe('v');
      expect(await store().deleteExpired(now)).toBe(0);
      expect(await store().deleteExpired(addMs(now, 1))).toBe(1);
      expect(await store().get('forever', FAR_FUTURE)).toBe('v');
    });

    it('returns 0 on an empty store', async () => {
      expect(await store().deleteExpired(now)).toBe(0);
    });
  });
}

/**
 * Declares a vitest `describe(name)` block that checks a {@link StateStore} against the contract
 * of `src/storage/types.ts`, including 20 concurrent `take`s of one key. `createStore` is called
 * before every test and must return an empty store; if the result has a `close()` method it is
 * called after the test.
 *
 * @example
 * describeStateStoreContract('my state', () => new MyStateStore(freshDb()));
 */
export function describeStateStoreContract(name: string, createStore: ContractFactory<StateStore>): void {
  describe(name, () => {
    const store = useFreshSubject(createStore);
    defineStateStoreTests(store);
  });
}
