/**
 * The opt-in token-record cache (`tokens.recordCache`) with two instances sharing one store and an
 * in-process invalidation channel: what it saves, and the bound on what it can serve stale.
 */
import { describe, expect, it } from 'vitest';
import { createGatehouse, createMemoryStore, type Gatehouse, type Store } from '../../src/index.js';
import { CHEAP_ARGON2, FakeClock, GOOD_PASSWORD, newSecret } from '../support/gatehouse.js';
import { memoryChannelBus, observedChannel } from '../support/invalidation.js';

/** The store with its token reads counted. */
function countingStore(store: Store) {
  let reads = 0;
  const tokens = new Proxy(store.tokens, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (property === 'findById' || property === 'findByIdWithUser') reads++;
        return value.apply(target, args);
      };
    },
  });
  return {
    store: { ...store, tokens } as Store,
    get reads() {
      return reads;
    },
  };
}

function setup(options: { maxAge?: number } = {}) {
  const clock = new FakeClock();
  const secret = newSecret();
  const shared = createMemoryStore();
  const bus = memoryChannelBus();
  const instance = () => {
    const counted = countingStore(shared);
    const observed = observedChannel(bus.channel());
    const gatehouse = createGatehouse({
      store: counted.store,
      clock: clock.now,
      tokens: { secret, recordCache: { channel: observed.channel, maxAge: options.maxAge ?? 5 } },
      password: { argon2: CHEAP_ARGON2 },
    });
    return { gatehouse, counted, observed };
  };
  return { clock, shared, bus, a: instance(), b: instance() };
}

async function signIn(gatehouse: Gatehouse, email = 'ada@example.com') {
  const user = await gatehouse.auth.register({ email, password: GOOD_PASSWORD });
  const login = await gatehouse.auth.login({ identifier: email, password: GOOD_PASSWORD });
  if (login.status !== 'authenticated') throw new Error('expected tokens');
  return { user, accessToken: login.accessToken, familyId: login.familyId };
}

describe('token record cache', () => {
  it('answers a token read less than maxAge ago without a store read', async () => {
    const { a, b, clock } = setup();
    await b.observed.status(true);
    const { accessToken } = await signIn(a.gatehouse);
    await b.gatehouse.auth.authenticate(accessToken);
    const reads = b.counted.reads;
    await b.gatehouse.auth.authenticate(accessToken);
    await b.gatehouse.auth.authenticate(accessToken);
    expect(b.counted.reads).toBe(reads);
    clock.advance(5);
    await b.gatehouse.auth.authenticate(accessToken);
    expect(b.counted.reads).toBe(reads + 1);
  });

  it('a logout on one instance is refused on the other at once (the message arrives before the next request)', async () => {
    const { a, b } = setup();
    await b.observed.status(true);
    const { accessToken } = await signIn(a.gatehouse);
    await b.gatehouse.auth.authenticate(accessToken);
    await a.gatehouse.auth.logout(accessToken);
    await b.observed.received((m) => m.kind === 'family');
    await expect(b.gatehouse.auth.authenticate(accessToken)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
  });

  it('logout everywhere, disabling, deleting and a role change invalidate the user everywhere', async () => {
    const { a, b } = setup();
    await b.observed.status(true);
    const { user, accessToken } = await signIn(a.gatehouse);
    expect((await b.gatehouse.auth.authenticate(accessToken)).user.role).toBe('USER');
    await a.gatehouse.store.users.update(user.id, { role: 'ADMIN' }, a.gatehouse.now());
    expect((await b.gatehouse.auth.authenticate(accessToken)).user.role).toBe('ADMIN');
    await a.gatehouse.auth.disableAccount(user.id);
    await expect(b.gatehouse.auth.authenticate(accessToken)).rejects.toMatchObject({ status: 401 });
  });

  it('while the channel is down nothing is cached: a revocation is seen by the next request', async () => {
    const { a, b, bus, shared } = setup();
    await b.observed.status(true);
    const { accessToken, familyId } = await signIn(a.gatehouse);
    await b.gatehouse.auth.authenticate(accessToken);
    bus.setDown(true);
    await b.observed.status(false);
    const reads = b.counted.reads;
    await b.gatehouse.auth.authenticate(accessToken);
    expect(b.counted.reads).toBe(reads + 1);
    // A revocation no message could announce (the channel is down) is still seen at once.
    await shared.tokens.revokeFamily(familyId, a.gatehouse.now());
    await expect(b.gatehouse.auth.authenticate(accessToken)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
    bus.setDown(false);
    await b.observed.status(true);
  });

  it('a message lost while the channel looks up is bounded by maxAge', async () => {
    const { a, b, clock, shared } = setup({ maxAge: 30 });
    await b.observed.status(true);
    const { accessToken, familyId } = await signIn(a.gatehouse);
    await b.gatehouse.auth.authenticate(accessToken);
    // Revoked behind gatehouse's back: no invalidation is published.
    await shared.tokens.revokeFamily(familyId, a.gatehouse.now());
    clock.advance(29);
    await b.gatehouse.auth.authenticate(accessToken);
    clock.advance(1);
    await expect(b.gatehouse.auth.authenticate(accessToken)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
    // The instance that was not caching the token refuses at once.
    await expect(a.gatehouse.auth.authenticate(accessToken)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
  });

  it('a message that overtakes the read it makes stale keeps that read out of the cache', async () => {
    const clock = new FakeClock();
    const shared = createMemoryStore();
    const bus = memoryChannelBus();
    let gate: Promise<void> | null = null;
    let reading: () => void = () => undefined;
    let reads = 0;
    const tokens = new Proxy(shared.tokens, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property !== 'findByIdWithUser' || typeof value !== 'function') {
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return async (...args: unknown[]) => {
          reads++;
          const answer = await value.apply(target, args);
          reading();
          if (gate) await gate;
          return answer;
        };
      },
    });
    const observed = observedChannel(bus.channel());
    const gatehouse = createGatehouse({
      store: { ...shared, tokens },
      clock: clock.now,
      tokens: { secret: newSecret(), recordCache: { channel: observed.channel } },
      password: { argon2: CHEAP_ARGON2 },
    });
    await observed.status(true);
    const { accessToken, familyId } = await signIn(gatehouse);
    let release: () => void = () => undefined;
    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const started = new Promise<void>((resolve) => {
      reading = resolve;
    });
    const inFlight = gatehouse.auth.authenticate(accessToken);
    await started;
    // The read has its answer but has not returned it yet when a message about its family arrives.
    await bus.channel().publish({ kind: 'family', id: familyId });
    gate = null;
    release();
    await inFlight;
    const before = reads;
    await gatehouse.auth.authenticate(accessToken);
    expect(reads).toBe(before + 1);
    await gatehouse.close();
  });

  it('refuses a configuration without a channel, or with maxAge over 300 seconds, naming the field', () => {
    const base = { store: createMemoryStore(), tokens: { secret: newSecret() } };
    expect(() => createGatehouse({ ...base, tokens: { ...base.tokens, recordCache: {} as never } })).toThrow(
      /tokens\.recordCache\.channel/,
    );
    const { channel } = observedChannel(memoryChannelBus().channel());
    expect(() =>
      createGatehouse({ ...base, tokens: { ...base.tokens, recordCache: { channel, maxAge: 301 } } }),
    ).toThrow(/tokens\.recordCache\.maxAge/);
  });
});
