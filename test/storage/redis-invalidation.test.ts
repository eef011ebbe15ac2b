/**
 * The invalidation channel of `gatehouse/redis` against real Redis servers: messages cross from one
 * channel object (one client) to another, decoded as sent; unsubscribing stops delivery; and on a
 * private server, a stop is reported as `onStatus(false)` and a restart as `onStatus(true)`, after
 * which messages flow again.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisInvalidationChannel,
  type RedisClient,
  type RedisInvalidationChannel,
} from '../../adapters/redis/index.js';
import type { Invalidation } from '../../src/storage/invalidation.js';
import { observedChannel } from '../support/invalidation.js';
import { describeWithRedis, type RedisServer, startRedisServer } from '../support/services/index.js';

/** Runs `attempt` until it resolves (the test timeout bounds the wait), 50 ms between attempts. */
async function eventually<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= 1_000) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const FAMILY: Invalidation = { kind: 'family', id: 'fam:1:with:colons' };
const USER: Invalidation = { kind: 'user', id: '3f1c9a52-7a43-4a57-9b0e-1f6f1c0f8d11' };
const TOKEN: Invalidation = { kind: 'token', id: 'x'.repeat(43) };

describeWithRedis('Redis invalidation channel', (url) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  /** A channel on its own client (created from the URL), closed after the test. */
  async function open(channel: string, serverUrl = url): Promise<RedisInvalidationChannel> {
    const created = await createRedisInvalidationChannel({
      url: serverUrl,
      channel,
      onError: () => undefined,
    });
    cleanup.push(() => created.close());
    return created;
  }

  /** A plain client for raw commands, closed after the test. */
  async function rawClient(serverUrl = url): Promise<RedisClient> {
    const client = createClient({ url: serverUrl });
    client.on('error', () => undefined);
    await client.connect();
    cleanup.push(() => client.close());
    return client;
  }

  it('a message published on one channel object reaches the subscribers of another, and its own', async () => {
    const name = `gatehouse-test:${randomUUID()}`;
    const a = await open(name);
    const b = await open(name);
    const atA = observedChannel(a);
    const atB = observedChannel(b);
    await atA.channel.subscribe(
      () => undefined,
      () => undefined,
    );
    await atB.channel.subscribe(
      () => undefined,
      () => undefined,
    );
    expect(atB.listening).toBe(true);
    await a.publish(FAMILY);
    await b.publish(USER);
    await atB.received((m) => m.kind === 'user');
    await atA.received((m) => m.kind === 'user');
    expect(atB.messages).toEqual([FAMILY, USER]);
    expect(atA.messages).toEqual([FAMILY, USER]);
  });

  it('ignores payloads that are not messages, and keeps delivering after a listener throws', async () => {
    const name = `gatehouse-test:${randomUUID()}`;
    const errors: Error[] = [];
    const channel = await createRedisInvalidationChannel({
      url,
      channel: name,
      onError: (e) => errors.push(e),
    });
    cleanup.push(() => channel.close());
    const seen: Invalidation[] = [];
    await channel.subscribe(
      (message) => {
        seen.push(message);
        if (message.kind === 'family') throw new Error('listener failed');
      },
      () => undefined,
    );
    const raw = await rawClient();
    for (const payload of ['garbage', 'session:1', 'token:', ':x'])
      await raw.sendCommand(['PUBLISH', name, payload]);
    await channel.publish(FAMILY);
    const observed = observedChannel(channel);
    await observed.channel.subscribe(
      () => undefined,
      () => undefined,
    );
    await channel.publish(TOKEN);
    await observed.received((m) => m.kind === 'token');
    await eventually(async () => {
      if (seen.length < 2) throw new Error('not yet');
    });
    expect(seen).toEqual([FAMILY, TOKEN]);
    expect(errors.map((e) => e.message)).toEqual(['listener failed']);
  });

  it('unsubscribing stops delivery and frees the connection', async () => {
    const name = `gatehouse-test:${randomUUID()}`;
    const a = await open(name);
    const b = await open(name);
    const first = observedChannel(b);
    const second = observedChannel(b);
    const statuses: boolean[] = [];
    const unsubscribe = await first.channel.subscribe(
      () => undefined,
      (listening) => statuses.push(listening),
    );
    await second.channel.subscribe(
      () => undefined,
      () => undefined,
    );
    const raw = await rawClient();
    expect(await raw.sendCommand(['PUBSUB', 'NUMSUB', name])).toEqual([name, 2]);
    await a.publish(FAMILY);
    await first.received((m) => m.kind === 'family');
    await unsubscribe();
    await unsubscribe();
    expect(await raw.sendCommand(['PUBSUB', 'NUMSUB', name])).toEqual([name, 1]);
    await a.publish(USER);
    await second.received((m) => m.kind === 'user');
    expect(first.messages).toEqual([FAMILY]);
    // Ending a subscription is not a lost connection: nothing more is reported.
    expect(statuses).toEqual([true]);
  });

  it('close ends every subscription', async () => {
    const name = `gatehouse-test:${randomUUID()}`;
    const channel = await createRedisInvalidationChannel({ url, channel: name });
    await channel.subscribe(
      () => undefined,
      () => undefined,
    );
    await channel.subscribe(
      () => undefined,
      () => undefined,
    );
    const raw = await rawClient();
    expect(await raw.sendCommand(['PUBSUB', 'NUMSUB', name])).toEqual([name, 2]);
    await channel.close();
    await channel.close();
    // The subscriber connections are closed by then; the server drops their subscriptions when it
    // reads the disconnection, a moment later under load.
    await expect
      .poll(() => raw.sendCommand(['PUBSUB', 'NUMSUB', name]), { timeout: 5000, interval: 20 })
      .toEqual([name, 0]);
    await expect(channel.publish(FAMILY)).rejects.toThrow();
  });

  it('takes a client or a URL, not both, not neither, and a non-empty channel name', async () => {
    const raw = await rawClient();
    await expect(createRedisInvalidationChannel({})).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    await expect(createRedisInvalidationChannel({ client: raw, url })).rejects.toMatchObject({
      code: 'ERR_CONFIG',
    });
    await expect(createRedisInvalidationChannel({ client: raw, channel: '' })).rejects.toMatchObject({
      code: 'ERR_CONFIG',
    });
    const shared = await createRedisInvalidationChannel({
      client: raw,
      channel: `gatehouse-test:${randomUUID()}`,
    });
    // The subscriber is a duplicate of the client passed in.
    const observed = observedChannel(shared);
    await observed.channel.subscribe(
      () => undefined,
      () => undefined,
    );
    await shared.publish(TOKEN);
    await observed.received((m) => m.kind === 'token');
    await shared.close();
    expect(raw.isReady).toBe(true);
    const byDefault = await createRedisInvalidationChannel({ client: raw });
    expect(byDefault.channel).toBe('gatehouse:invalidation');
    await byDefault.close();
  });

  describe('when the server goes away', () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedisServer();
    });
    afterAll(async () => {
      await server.destroy();
    });

    it('reports onStatus(false) when the server stops, onStatus(true) once subscribed again; messages flow again', async () => {
      const name = `gatehouse-test:${randomUUID()}`;
      const a = await open(name, server.url);
      const b = await open(name, server.url);
      const atB = observedChannel(b);
      const statuses: boolean[] = [];
      await atB.channel.subscribe(
        () => undefined,
        (listening) => statuses.push(listening),
      );
      await a.publish(FAMILY);
      await atB.received((m) => m.kind === 'family');

      await server.stop();
      await atB.status(false);
      await expect(a.publish(USER)).rejects.toThrow();

      await server.start();
      await atB.status(true);
      expect(statuses).toEqual([true, false, true]);
      // The publishing client reconnects on its own schedule: retry until it is back.
      await eventually(() => a.publish(TOKEN));
      await atB.received((m) => m.kind === 'token');
      expect(atB.messages).toEqual([FAMILY, TOKEN]);
    });

    it('subscribe resolves while the server is down, and reports onStatus(true) once it is back', async () => {
      const name = `gatehouse-test:${randomUUID()}`;
      const b = await open(name, server.url);
      const atB = observedChannel(b);
      await server.stop();
      try {
        await atB.channel.subscribe(
          () => undefined,
          () => undefined,
        );
        expect(atB.listening).toBe(false);
      } finally {
        await server.start();
      }
      await atB.status(true);
      const a = await open(name, server.url);
      await a.publish(USER);
      await atB.received((m) => m.kind === 'user');
      expect(atB.messages).toEqual([USER]);
    });
  });
});
