/**
 * `gatehouse/redis` fails closed: with its Redis server stopped, every store call rejects (no
 * command waits in a queue for the server to come back), the client's errors are reported, not
 * thrown, and once the server is back the same store works again by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisStore,
  RECONNECT_MAX_DELAY_MS,
  type RedisClient,
  reconnectDelayMs,
} from '../../adapters/redis/index.js';
import { describeWithRedis, type RedisServer, startRedisServer } from '../support/services/index.js';

/** Resolves on the client's next `'ready'` (a connection made and set up). */
function nextReady(client: RedisClient): Promise<void> {
  return new Promise((resolve) => {
    const onReady = () => {
      client.off('ready', onReady);
      resolve();
    };
    client.on('ready', onReady);
  });
}

// The private server is started here; describeWithRedis only skips the suite where redis-server is missing.
describeWithRedis('Redis stores when the server goes away', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server.destroy();
  });

  it('every call rejects while Redis is down; the same store works again once it is back', async () => {
    const errors: Error[] = [];
    const store = await createRedisStore({ url: server.url, onError: (error) => errors.push(error) });
    const { counters, state } = store;
    const now = new Date();
    try {
      await state.set('pending', 'v', null);
      expect(await counters.increment('c', 60, now)).toMatchObject({ count: 1 });

      await server.stop();
      await expect(counters.increment('c', 60, now)).rejects.toThrow();
      await expect(counters.get('c', now)).rejects.toThrow();
      await expect(counters.hitSliding('c', 60_000, now, 10)).rejects.toThrow();
      await expect(counters.reset('c')).rejects.toThrow();
      await expect(state.set('k', 'v', null)).rejects.toThrow();
      await expect(state.get('pending', now)).rejects.toThrow();
      await expect(state.take('pending', now)).rejects.toThrow();
      await expect(state.delete('pending')).rejects.toThrow();
      await expect(state.deleteByPrefix('')).rejects.toThrow();
      await expect(state.deleteExpired(now)).rejects.toThrow();
      // The lost connection was reported to onError (an unheard 'error' event would end the process).
      expect(errors.length).toBeGreaterThan(0);

      const ready = nextReady(store.client);
      await server.start();
      await ready;
      // The server kept nothing (no persistence) and no scripts: both must be rebuilt transparently.
      expect(await state.get('pending', now)).toBeNull();
      expect(await counters.increment('c', 60, now)).toMatchObject({ count: 1 });
      expect(await counters.hitSliding('c', 60_000, now, 10)).toMatchObject({ current: 1, counted: true });
      await state.set('k', 'back', null);
      expect(await state.take('k', now)).toBe('back');
    } finally {
      await store.close();
    }
  });

  it('calls in flight when the server stops all settle: none waits for it to come back', async () => {
    const store = await createRedisStore({ url: server.url });
    const now = new Date();
    try {
      const inFlight = Array.from({ length: 50 }, (_, i) => store.counters.increment(`k${i}`, 60, now));
      const stopping = server.stop();
      const outcomes = await Promise.allSettled(inFlight);
      await stopping;
      // Those the server answered before it went are fine; none is left waiting.
      expect(outcomes).toHaveLength(50);
      await expect(store.counters.get('k0', now)).rejects.toThrow();
      const ready = nextReady(store.client);
      await server.start();
      await ready;
      expect(await store.counters.increment('k0', 60, now)).toMatchObject({ count: 1 });
    } finally {
      await store.close();
    }
  });

  describe('a store created while Redis is down', () => {
    it('is refused: the first connection must succeed', async () => {
      await server.stop();
      try {
        await expect(createRedisStore({ url: server.url, onError: () => undefined })).rejects.toThrow();
      } finally {
        await server.start();
      }
      const store = await createRedisStore({ url: server.url });
      expect(await store.state.get('k', new Date())).toBeNull();
      await store.close();
    });
  });

  it('a store closes while Redis is down', async () => {
    const store = await createRedisStore({ url: server.url, onError: () => undefined });
    await server.stop();
    try {
      await expect(store.state.get('k', new Date())).rejects.toThrow();
      await store.close();
      expect(store.client.isOpen).toBe(false);
    } finally {
      await server.start();
    }
  });

  it('waits between reconnection attempts 100 ms doubling, at most 5 s, with under 100 ms of jitter', () => {
    for (let retries = 0; retries < 40; retries++) {
      const delay = reconnectDelayMs(retries);
      const base = Math.min(100 * 2 ** retries, RECONNECT_MAX_DELAY_MS);
      expect(delay).toBeGreaterThanOrEqual(base);
      expect(delay).toBeLessThan(base + 100);
    }
  });
});
