/**
 * `gatehouse.account.listUsers`: keyset pages of users in registration order, public fields only,
 * an opaque cursor, typed errors for a bad limit or cursor and for a store that cannot list. Run on
 * the memory and SQLite stores, and with the token-record cache (which wraps the user repository).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../adapters/sqlite/index.js';
import { ValidationError } from '../../src/errors.js';
import { createGatehouse } from '../../src/gatehouse.js';
import { createMemoryStore } from '../../src/storage/memory.js';
import { UnsupportedByStoreError } from '../../src/storage/store-errors.js';
import type { Store, UserRepository } from '../../src/storage/types.js';
import { CHEAP_ARGON2, FakeClock, GOOD_PASSWORD, newSecret, testGatehouse } from '../support/gatehouse.js';
import { memoryChannelBus, observedChannel } from '../support/invalidation.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

type Gh = ReturnType<typeof createGatehouse> & { clock?: FakeClock };

/** Registers `count` users one second apart (`u0@...`, `u1@...`) and returns their ids in order. */
async function registerUsers(gh: Gh, clock: FakeClock, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push((await gh.auth.register({ email: `u${i}@example.com`, password: GOOD_PASSWORD })).id);
    clock.advance(1);
  }
  return ids;
}

function describeListing(name: string, setup: () => { gh: Gh; clock: FakeClock }): void {
  describe(`listUsers on ${name}`, () => {
    it('pages through every user once, oldest first, with public fields only', async () => {
      const { gh, clock } = setup();
      const ids = await registerUsers(gh, clock, 5);
      const first = await gh.account.listUsers({ limit: 2 });
      expect(first.users.map((u) => u.id)).toEqual(ids.slice(0, 2));
      expect(first.users[0]).toEqual({
        id: ids[0],
        email: 'u0@example.com',
        username: null,
        role: 'USER',
        isActive: true,
        emailVerified: false,
        createdAt: expect.any(Date),
      });
      expect(JSON.stringify(first)).not.toMatch(/argon2|passwordHash/);
      expect(first.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      const second = await gh.account.listUsers({ limit: 2, cursor: first.cursor });
      expect(second.users.map((u) => u.id)).toEqual(ids.slice(2, 4));
      // A user deleted and another registered between pages: nobody else is skipped or repeated.
      await gh.account.deleteAccount(ids[3] as string);
      const late = (await gh.auth.register({ email: 'late@example.com', password: GOOD_PASSWORD })).id;
      const third = await gh.account.listUsers({ limit: 2, cursor: second.cursor });
      expect(third.users.map((u) => u.id)).toEqual([ids[4], late]);
      expect(third.cursor).toBeNull();
    });

    it('gives no cursor on the last page, and 50 users per page by default', async () => {
      const { gh, clock } = setup();
      const ids = await registerUsers(gh, clock, 3);
      expect(await gh.account.listUsers({ limit: 3 })).toMatchObject({ cursor: null });
      const all = await gh.account.listUsers();
      expect(all.users.map((u) => u.id)).toEqual(ids);
      expect(all.cursor).toBeNull();
      expect(await gh.account.listUsers({ cursor: null, limit: 100 })).toEqual(all);
    });

    it('shows role and state changes in place', async () => {
      const { gh, clock } = setup();
      const ids = await registerUsers(gh, clock, 2);
      await gh.account.setRole(ids[0] as string, 'ADMIN');
      await gh.auth.disableAccount(ids[1] as string);
      const { users } = await gh.account.listUsers();
      expect(users.map((u) => [u.id, u.role, u.isActive])).toEqual([
        [ids[0], 'ADMIN', true],
        [ids[1], 'USER', false],
      ]);
    });
  });
}

describeListing('the memory store', () => {
  const gh = testGatehouse();
  return { gh, clock: gh.clock };
});

describeListing('the SQLite store', () => {
  const store = createSqliteStore();
  cleanup.push(() => store.close());
  const gh = testGatehouse({ store });
  return { gh, clock: gh.clock };
});

describeListing('a store with the token-record cache on', () => {
  const clock = new FakeClock();
  const observed = observedChannel(memoryChannelBus().channel());
  const gh = createGatehouse({
    store: createMemoryStore(),
    clock: clock.now,
    tokens: { secret: newSecret(), recordCache: { channel: observed.channel, maxAge: 300 } },
    password: { argon2: CHEAP_ARGON2 },
  });
  cleanup.push(() => gh.close());
  return { gh, clock };
});

describe('listUsers refuses bad input before reading anything', () => {
  it('a limit outside 1..100 or not a whole number: ValidationError invalid_limit', async () => {
    const gh = testGatehouse();
    for (const limit of [0, -1, 101, 1.5, Number.NaN, '10' as unknown as number]) {
      const error = await gh.account.listUsers({ limit }).catch((e: unknown) => e);
      expect(error, String(limit)).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ code: 'ERR_VALIDATION', status: 400 });
      expect((error as ValidationError).issues).toEqual([
        expect.objectContaining({ field: 'limit', rule: 'invalid_limit' }),
      ]);
    }
    expect((await gh.account.listUsers({ limit: 1 })).users).toEqual([]);
    expect((await gh.account.listUsers({ limit: 100 })).users).toEqual([]);
  });

  it('a cursor listUsers did not return: ValidationError invalid_cursor', async () => {
    const gh = testGatehouse();
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const bad = [
      '',
      'not a cursor!',
      'x'.repeat(600),
      Buffer.from('{"v":1').toString('base64url'),
      encode([1, 2]),
      encode({ v: 2, t: 0, i: 'a' }),
      encode({ v: 1, t: 'yesterday', i: 'a' }),
      encode({ v: 1, t: 1.5, i: 'a' }),
      encode({ v: 1, t: 9e15, i: 'a' }),
      encode({ v: 1, t: 0, i: '' }),
      encode({ v: 1, t: 0 }),
      42 as unknown as string,
    ];
    for (const cursor of bad) {
      const error = await gh.account.listUsers({ cursor }).catch((e: unknown) => e);
      expect(error, String(cursor)).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues).toEqual([
        expect.objectContaining({ field: 'cursor', rule: 'invalid_cursor' }),
      ]);
    }
  });
});

describe('listUsers on a store whose user repository cannot list', () => {
  it('throws UnsupportedByStoreError (ERR_UNSUPPORTED_BY_STORE, 501), after checking the input', async () => {
    const memory = createMemoryStore();
    // A user repository written before listing existed: every method but the optional list().
    const inner = memory.users;
    const users: UserRepository = {
      create: (user) => inner.create(user),
      findById: (id) => inner.findById(id),
      findByEmail: (email) => inner.findByEmail(email),
      findByUsername: (username) => inner.findByUsername(username),
      update: (id, patch, at) => inner.update(id, patch, at),
      delete: (id) => inner.delete(id),
      count: () => inner.count(),
    };
    const store: Store = { ...memory, users };
    const gh = testGatehouse({ store });
    await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
    const error = await gh.account.listUsers().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedByStoreError);
    expect(error).toMatchObject({ code: 'ERR_UNSUPPORTED_BY_STORE', status: 501, operation: 'users.list' });
    await expect(gh.account.listUsers({ limit: 0 })).rejects.toBeInstanceOf(ValidationError);
  });
});
