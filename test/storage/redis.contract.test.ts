/**
 * `gatehouse/redis` against a real Redis server: the counter and state contract suites, each test
 * under a fresh random key prefix (its keys deleted afterwards), and what the suites cannot see:
 * the key layout, Redis' own expiry of the keys, and data under the prefix that the stores did not
 * write.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  counterKey,
  createRedisStore,
  EXPIRY_GRACE_MS,
  type RedisClient,
  RedisCounterStore,
  RedisStateStore,
  stateKey,
} from '../../adapters/redis/index.js';
import { describeCounterStoreContract, describeStateStoreContract } from '../../src/testing.js';
import { describeWithRedis, freePort } from '../support/services/index.js';

/** Every key under `prefix` (literal glob characters in it are not expected here). */
async function keysUnder(client: RedisClient, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await client.sendCommand([
      'SCAN',
      cursor,
      'MATCH',
      `${prefix}*`,
      'COUNT',
      '1000',
    ])) as [string, string[]];
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return [...new Set(keys)].sort();
}

describeWithRedis('Redis stores', (url) => {
  let client: RedisClient;
  beforeAll(async () => {
    const created = createClient({ url });
    created.on('error', () => undefined);
    await created.connect();
    client = created;
  });
  afterAll(async () => {
    await client.close();
  });

  /** A store on a fresh prefix; closing it deletes every key under the prefix. */
  function fresh<T extends object>(build: (prefix: string) => T) {
    return () => {
      const prefix = `gatehouse-test:${randomUUID()}:`;
      return Object.assign(build(prefix), {
        close: async () => {
          for (const key of await keysUnder(client, prefix)) await client.sendCommand(['DEL', key]);
        },
      });
    };
  }

  describeCounterStoreContract(
    'counters',
    fresh((prefix) => new RedisCounterStore(client, prefix)),
  );
  describeStateStoreContract(
    'state',
    fresh((prefix) => new RedisStateStore(client, prefix)),
  );

  describe('key layout', () => {
    const now = new Date(Date.UTC(2025, 2, 14, 9, 27, 0, 0));

    it('a counter is <prefix>{c:<base>}<suffix>: both windows of a sliding hit share the hash tag', async () => {
      const store = fresh((prefix) => Object.assign(new RedisCounterStore(client, prefix), { prefix }))();
      try {
        const index = now.getTime() / 60_000;
        await store.hitSliding('rl:ip:203.0.113.7', 60_000, new Date(now.getTime() - 1));
        await store.hitSliding('rl:ip:203.0.113.7', 60_000, now);
        await store.increment('login:ada@example.com', 60, now);
        expect(await keysUnder(client, store.prefix)).toEqual(
          [
            `${store.prefix}{c:rl:ip:203.0.113.7}@${index - 1}`,
            `${store.prefix}{c:rl:ip:203.0.113.7}@${index}`,
            `${store.prefix}{c:login:ada}@example.com`,
          ].sort(),
        );
        expect(counterKey('p:', 'k')).toBe('p:{c:k}');
        expect(counterKey('p:', '@7')).toBe('p:{c:}@7');
        expect(counterKey('p:', 'a@b@7')).toBe('p:{c:a@b}@7');
      } finally {
        await store.close();
      }
    });

    it('keys with braces, @ and the empty key stay apart', async () => {
      const store = fresh((prefix) => new RedisCounterStore(client, prefix))();
      const keys = [
        '',
        '@',
        '@@',
        'a',
        'a}',
        'a}@1',
        'a@}1',
        'a@1',
        '{c:a}',
        '{c:a}@1',
        'a@b@1',
        'a{b}@1',
        'c:a',
      ];
      try {
        for (const [i, key] of keys.entries()) await store.increment(key, 60, now, i + 1);
        for (const [i, key] of keys.entries())
          expect(await store.get(key, now)).toMatchObject({ count: i + 1 });
      } finally {
        await store.close();
      }
    });

    it('a state value is <prefix>s:<key>, apart from a counter of the same name', async () => {
      const prefix = `gatehouse-test:${randomUUID()}:`;
      const { state, counters, close } = await createRedisStore({ client, prefix });
      try {
        await state.set('k', 'v', null);
        await counters.increment('k', 60, now);
        expect(await keysUnder(client, prefix)).toEqual([`${prefix}s:k`, `${prefix}{c:k}`]);
        expect(stateKey(prefix, 'k')).toBe(`${prefix}s:k`);
        expect(await state.deleteByPrefix('')).toBe(1);
        expect(await counters.get('k', now)).toMatchObject({ count: 1 });
      } finally {
        await counters.reset('k');
        await close();
      }
    });

    it('glob characters in the store prefix match literally', async () => {
      const base = `gatehouse-test:${randomUUID()}`;
      const star = new RedisStateStore(client, `${base}:a*[x]?\\:`);
      const plain = new RedisStateStore(client, `${base}:ab[x]z\\:`);
      await star.set('k', 'star', null);
      await plain.set('k', 'plain', null);
      await plain.set('j', 'plain', new Date(0));
      expect(await star.deleteExpired(new Date())).toBe(0);
      expect(await star.deleteByPrefix('')).toBe(1);
      expect(await plain.get('k', new Date())).toBe('plain');
      expect(await plain.deleteByPrefix('')).toBe(2);
      expect(await keysUnder(client, `${base}:`)).toEqual([]);
    });

    it('refuses a prefix with a brace', async () => {
      expect(() => new RedisCounterStore(client, 'app{1}:')).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG' }),
      );
      expect(() => new RedisStateStore(client, 'app}:')).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG' }),
      );
      await expect(createRedisStore({ client, prefix: '{x}' })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    });
  });

  describe('Redis expiry (garbage collection only)', () => {
    it('a key is kept for what remains of it by the wall clock plus the grace period', async () => {
      const prefix = `gatehouse-test:${randomUUID()}:`;
      const { state, counters, close } = await createRedisStore({ client, prefix });
      try {
        const before = Date.now();
        const end = before + 3_600_000;
        await state.set('live', 'v', new Date(end));
        await counters.increment('window', 3_600, new Date(before));
        const after = Date.now();
        for (const key of [`${prefix}s:live`, `${prefix}{c:window}`]) {
          const ttl = Number(await client.sendCommand(['PTTL', key]));
          expect(ttl).toBeGreaterThan(end - after);
          expect(ttl).toBeLessThanOrEqual(end - before + EXPIRY_GRACE_MS);
        }
      } finally {
        await state.deleteByPrefix('');
        await counters.reset('window');
        await close();
      }
    });

    it('a key whose logical end has passed is kept for the grace period; no expiry means no TTL', async () => {
      const prefix = `gatehouse-test:${randomUUID()}:`;
      const { state, counters, close } = await createRedisStore({ client, prefix });
      const past = new Date(Date.UTC(2025, 0, 1));
      try {
        await state.set('past', 'v', past);
        await counters.hitSliding('hits', 60_000, past);
        for (const key of await keysUnder(client, prefix)) {
          const ttl = Number(await client.sendCommand(['PTTL', key]));
          expect(ttl).toBeGreaterThan(0);
          expect(ttl).toBeLessThanOrEqual(EXPIRY_GRACE_MS);
        }
        await state.set('past', 'forever', null);
        expect(await client.sendCommand(['PTTL', `${prefix}s:past`])).toBe(-1);
        expect(await state.get('past', new Date(8.64e15))).toBe('forever');
      } finally {
        for (const key of await keysUnder(client, prefix)) await client.sendCommand(['DEL', key]);
        await close();
      }
    });

    it('an invalid expiry date is refused, and nothing is written', async () => {
      const prefix = `gatehouse-test:${randomUUID()}:`;
      const { state, close } = await createRedisStore({ client, prefix });
      try {
        await expect(state.set('k', 'v', new Date(Number.NaN))).rejects.toBeInstanceOf(RangeError);
        expect(await keysUnder(client, prefix)).toEqual([]);
      } finally {
        await close();
      }
    });
  });

  describe('fails closed on data it did not write', () => {
    it('a malformed value or a key of another type rejects the call', async () => {
      const prefix = `gatehouse-test:${randomUUID()}:`;
      const { state, counters, close } = await createRedisStore({ client, prefix });
      const now = new Date();
      try {
        await client.sendCommand(['SET', `${prefix}s:plain`, 'no header']);
        await client.sendCommand(['SET', `${prefix}s:bad-expiry`, '12x:value']);
        await client.sendCommand(['SET', `${prefix}{c:k}`, 'a string']);
        await client.sendCommand([
          'SET',
          `${prefix}{c:k}@${Math.floor(now.getTime() / 60_000) - 1}`,
          'a string',
        ]);
        await expect(state.get('plain', now)).rejects.toThrow(/malformed/);
        await expect(state.get('bad-expiry', now)).rejects.toThrow(/malformed/);
        await expect(counters.increment('k', 60, now)).rejects.toThrow(/WRONGTYPE/);
        await expect(counters.get('k', now)).rejects.toThrow(/WRONGTYPE/);
        await expect(counters.hitSliding('k', 60_000, now)).rejects.toThrow(/WRONGTYPE/);
      } finally {
        for (const key of await keysUnder(client, prefix)) await client.sendCommand(['DEL', key]);
        await close();
      }
    });
  });

  describe('scripts', () => {
    it('runs again after the server forgot its scripts (SCRIPT FLUSH answers NOSCRIPT)', async () => {
      const store = fresh((prefix) => new RedisCounterStore(client, prefix))();
      const now = new Date();
      try {
        expect(await store.increment('k', 60, now)).toMatchObject({ count: 1 });
        await client.sendCommand(['SCRIPT', 'FLUSH']);
        expect(await store.increment('k', 60, now)).toMatchObject({ count: 2 });
        await client.sendCommand(['SCRIPT', 'FLUSH']);
        expect(await store.hitSliding('k', 60_000, now, 5)).toMatchObject({ current: 1, counted: true });
      } finally {
        await store.close();
      }
    });
  });

  describe('createRedisStore', () => {
    it('takes a client or a URL, not both, not neither', async () => {
      await expect(createRedisStore({})).rejects.toMatchObject({ code: 'ERR_CONFIG' });
      await expect(createRedisStore({ client, url })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    });

    it('closes a client it created, never one passed in', async () => {
      const own = await createRedisStore({ url });
      expect(own.client.isReady).toBe(true);
      await own.close();
      await own.close();
      expect(own.client.isOpen).toBe(false);
      const shared = await createRedisStore({ client });
      await shared.close();
      expect(client.isReady).toBe(true);
      expect(await shared.state.get('never-set', new Date())).toBeNull();
    });

    it('connects a client passed in that is not open yet', async () => {
      const unopened = createClient({ url, disableOfflineQueue: true });
      unopened.on('error', () => undefined);
      const store = await createRedisStore({ client: unopened });
      try {
        expect(unopened.isReady).toBe(true);
        expect(await store.counters.get('never', new Date())).toBeNull();
      } finally {
        await unopened.close();
      }
    });

    it('rejects when the first connection to the URL fails', async () => {
      const errors: Error[] = [];
      const port = await freePort();
      await expect(
        createRedisStore({ url: `redis://127.0.0.1:${port}`, onError: (error) => errors.push(error) }),
      ).rejects.toThrow();
      expect(errors.length).toBeGreaterThan(0);
    });
  });
});
