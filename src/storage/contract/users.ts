/**
 * The {@link UserRepository} contract suite: every implementation (memory, SQLite, a user's own)
 * must pass it unchanged.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { UserRecord, UserRepository } from '../types.js';
import { addMs, buildUserRecord, CONTRACT_EPOCH } from './fixtures.js';
import { type ContractFactory, expectAlreadyRegistered, useFreshSubject } from './lifecycle.js';
import { defineUserListingTests, type UserContractOptions } from './user-listing.js';

export type { UserContractOptions } from './user-listing.js';

/** Values that break naive SQL string building or match as `LIKE` patterns; all must be stored verbatim. */
const HOSTILE_EMAILS = [
  `o'brien"; DROP TABLE users;--@example.com`,
  '100%@example.com',
  'a_b@example.com',
  'back\\slash\\@example.com',
  'zoë.ñandú@exämple.com',
  '用户@例子.公司',
  'emoji-🔐@example.com',
  "robert'); DELETE FROM users WHERE ('1'='1@example.com",
] as const;

/**
 * Registers the user-repository tests in the current `describe`; `repo` returns the repository
 * of the running test. Used by {@link describeUserRepositoryContract} and `describeStoreContract`.
 * `options.listing: false` is for a repository without the optional `list`.
 */
export function defineUserRepositoryTests(
  repo: () => UserRepository,
  options: UserContractOptions = {},
): void {
  defineUserListingTests(repo, options);
  describe('create and find', () => {
    it('starts empty: count() is 0 on a fresh store (no seeded accounts)', async () => {
      expect(await repo().count()).toBe(0);
    });

    it('create returns the stored record and findById/findByEmail/findByUsername return it', async () => {
      const user = buildUserRecord({ username: 'alice', email: 'alice@example.com' });
      const created = await repo().create(user);
      expect(created).toEqual(user);
      expect(await repo().findById(user.id)).toEqual(user);
      expect(await repo().findByEmail('alice@example.com')).toEqual(user);
      expect(await repo().findByUsername('alice')).toEqual(user);
      expect(await repo().count()).toBe(1);
    });

    it('returns null (does not throw) for a missing id, email or username', async () => {
      await repo().create(buildUserRecord());
      expect(await repo().findById(randomUUID())).toBeNull();
      expect(await repo().findByEmail('nobody@example.com')).toBeNull();
      expect(await repo().findByUsername('nobody')).toBeNull();
      expect(await repo().findById('')).toBeNull();
      expect(await repo().findByEmail('')).toBeNull();
      expect(await repo().findByUsername('')).toBeNull();
    });

    it('keeps several users apart', async () => {
      const users = [buildUserRecord(), buildUserRecord(), buildUserRecord({ username: null })];
      for (const user of users) await repo().create(user);
      expect(await repo().count()).toBe(3);
      for (const user of users) {
        expect(await repo().findById(user.id)).toEqual(user);
        expect(await repo().findByEmail(user.email)).toEqual(user);
      }
    });

    it('round-trips dates with millisecond precision', async () => {
      const user = buildUserRecord({
        createdAt: new Date(Date.UTC(2001, 8, 9, 1, 46, 40, 1)),
        updatedAt: new Date(Date.UTC(2038, 0, 19, 3, 14, 7, 999)),
        emailVerifiedAt: new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 123)),
      });
      await repo().create(user);
      const found = await repo().findById(user.id);
      expect(found?.createdAt).toBeInstanceOf(Date);
      expect(found?.createdAt.getTime()).toBe(user.createdAt.getTime());
      expect(found?.updatedAt.getTime()).toBe(user.updatedAt.getTime());
      expect(found?.emailVerifiedAt).toBeInstanceOf(Date);
      expect(found?.emailVerifiedAt?.getTime()).toBe(user.emailVerifiedAt?.getTime());
    });

    it('round-trips booleans as booleans, both ways', async () => {
      const a = buildUserRecord({ isActive: false, passwordChangeRequired: true });
      const b = buildUserRecord({ isActive: true, passwordChangeRequired: false });
      await repo().create(a);
      await repo().create(b);
      const foundA = await repo().findById(a.id);
      const foundB = await repo().findById(b.id);
      expect(foundA?.isActive).toBe(false);
      expect(foundA?.passwordChangeRequired).toBe(true);
      expect(foundB?.isActive).toBe(true);
      expect(foundB?.passwordChangeRequired).toBe(false);
    });

    it('round-trips null fields as null (username, passwordHash, emailVerifiedAt)', async () => {
      const user = buildUserRecord({ username: null, passwordHash: null, emailVerifiedAt: null });
      await repo().create(user);
      const found = await repo().findById(user.id);
      expect(found).toEqual(user);
      expect(found?.username).toBeNull();
      expect(found?.passwordHash).toBeNull();
      expect(found?.emailVerifiedAt).toBeNull();
    });

    it('stores a non-default role and a legacy password hash verbatim', async () => {
      const user = buildUserRecord({
        role: 'ADMIN',
        passwordHash: '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
      });
      await repo().create(user);
      expect(await repo().findById(user.id)).toEqual(user);
    });
  });

  describe('uniqueness', () => {
    it('rejects a second user with the same email with AlreadyRegisteredError and keeps the first', async () => {
      const first = buildUserRecord({ email: 'dup@example.com' });
      await repo().create(first);
      await expectAlreadyRegistered(repo().create(buildUserRecord({ email: 'dup@example.com' })));
      expect(await repo().count()).toBe(1);
      expect(await repo().findByEmail('dup@example.com')).toEqual(first);
    });

    it('rejects a second user with the same username with AlreadyRegisteredError', async () => {
      const first = buildUserRecord({ username: 'taken' });
      await repo().create(first);
      const second = buildUserRecord({ username: 'taken' });
      await expectAlreadyRegistered(repo().create(second));
      expect(await repo().count()).toBe(1);
      expect(await repo().findByUsername('taken')).toEqual(first);
      expect(await repo().findByEmail(second.email)).toBeNull();
    });

    it('rejects a second user with the same id with AlreadyRegisteredError', async () => {
      const first = await repo().create(buildUserRecord());
      await expectAlreadyRegistered(repo().create(buildUserRecord({ id: first.id })));
      expect(await repo().count()).toBe(1);
      expect(await repo().findById(first.id)).toEqual(first);
    });

    it('allows any number of users without a username (null is not a duplicate)', async () => {
      const users = [
        buildUserRecord({ username: null }),
        buildUserRecord({ username: null }),
        buildUserRecord({ username: null }),
      ];
      for (const user of users) await repo().create(user);
      expect(await repo().count()).toBe(3);
    });

    it('of two concurrent creates with one email exactly one wins, the other gets AlreadyRegisteredError', async () => {
      const a = buildUserRecord({ email: 'race@example.com' });
      const b = buildUserRecord({ email: 'race@example.com' });
      const results = await Promise.allSettled([repo().create(a), repo().create(b)]);
      const fulfilled = results.filter((r) => r.status === 'fulfilled');
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      await expectAlreadyRegistered(Promise.reject(rejected[0]?.reason));
      expect(await repo().count()).toBe(1);
      const winner = await repo().findByEmail('race@example.com');
      expect(winner).toEqual(fulfilled[0]?.value);
      expect([a.id, b.id]).toContain(winner?.id);
    });

    it('of ten concurrent creates with one username exactly one wins', async () => {
      const attempts = Array.from({ length: 10 }, () => buildUserRecord({ username: 'popular' }));
      const results = await Promise.allSettled(attempts.map((user) => repo().create(user)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') await expectAlreadyRegistered(Promise.reject(r.reason));
      }
      expect(await repo().count()).toBe(1);
    });
  });

  describe('metacharacters and exact matching', () => {
    it('stores SQL metacharacters, wildcards, backslashes and unicode verbatim and finds them exactly', async () => {
      const users = HOSTILE_EMAILS.map((email, i) =>
        buildUserRecord({ email, username: i % 2 === 0 ? (email.split('@')[0] ?? null) : null }),
      );
      for (const user of users) await repo().create(user);
      expect(await repo().count()).toBe(users.length);
      for (const user of users) {
        expect(await repo().findByEmail(user.email)).toEqual(user);
        expect(await repo().findById(user.id)).toEqual(user);
        if (user.username !== null) expect(await repo().findByUsername(user.username)).toEqual(user);
      }
    });

    it('treats % and _ as literal characters, never as LIKE wildcards', async () => {
      await repo().create(buildUserRecord({ email: 'alice@example.com', username: 'alice' }));
      await repo().create(buildUserRecord({ email: 'a_b@example.com', username: 'a_b' }));
      expect(await repo().findByEmail('%@example.com')).toBeNull();
      expect(await repo().findByEmail('%')).toBeNull();
      expect(await repo().findByEmail('_lice@example.com')).toBeNull();
      expect(await repo().findByEmail('axb@example.com')).toBeNull();
      expect(await repo().findByEmail('alice@example.co_')).toBeNull();
      expect(await repo().findByUsername('%')).toBeNull();
      expect(await repo().findByUsername('ali%')).toBeNull();
      expect(await repo().findByUsername('a%b')).toBeNull();
      expect(await repo().findByUsername('axb')).toBeNull();
      expect((await repo().findByUsername('a_b'))?.email).toBe('a_b@example.com');
    });

    it('does not match on prefixes, suffixes or injected conditions', async () => {
      await repo().create(buildUserRecord({ email: 'bob@example.com', username: 'bob' }));
      expect(await repo().findByEmail('bob@example')).toBeNull();
      expect(await repo().findByEmail('ob@example.com')).toBeNull();
      expect(await repo().findByEmail("' OR '1'='1")).toBeNull();
      expect(await repo().findByEmail("bob@example.com' --")).toBeNull();
      expect(await repo().findByUsername("bob' OR 1=1 --")).toBeNull();
      expect(await repo().findById("' OR ''='")).toBeNull();
    });

    it('a hostile email does not break or drop the table', async () => {
      const hostile = buildUserRecord({ email: `o'brien"; DROP TABLE users;--@example.com` });
      const other = buildUserRecord();
      await repo().create(hostile);
      await repo().create(other);
      expect(await repo().findByEmail(hostile.email)).toEqual(hostile);
      expect(await repo().findById(other.id)).toEqual(other);
      expect(await repo().count()).toBe(2);
    });
  });

  describe('update', () => {
    it('applies the patch, sets updatedAt and returns the updated record', async () => {
      const user = await repo().create(buildUserRecord());
      const at = addMs(CONTRACT_EPOCH, 3_600_123);
      const verifiedAt = addMs(CONTRACT_EPOCH, 1_000_007);
      const updated = await repo().update(
        user.id,
        {
          email: 'new-address@example.com',
          username: 'renamed',
          passwordHash:
            '$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdG5ld3NhbHQ$bmV3aGFzaG5ld2hhc2huZXdoYXNobmV3aGFzaA',
          role: 'ADMIN',
          isActive: false,
          emailVerifiedAt: verifiedAt,
          passwordChangeRequired: true,
        },
        at,
      );
      const expected: UserRecord = {
        ...user,
        email: 'new-address@example.com',
        username: 'renamed',
        passwordHash:
          '$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdG5ld3NhbHQ$bmV3aGFzaG5ld2hhc2huZXdoYXNobmV3aGFzaA',
        role: 'ADMIN',
        isActive: false,
        emailVerifiedAt: verifiedAt,
        passwordChangeRequired: true,
        updatedAt: at,
      };
      expect(updated).toEqual(expected);
      expect(await repo().findById(user.id)).toEqual(expected);
      expect(await repo().findByEmail('new-address@example.com')).toEqual(expected);
      expect(await repo().findByUsername('renamed')).toEqual(expected);
      expect(await repo().findByEmail(user.email)).toBeNull();
      expect(user.username).not.toBeNull();
      expect(await repo().findByUsername(user.username ?? '')).toBeNull();
    });

    it('changes only the patched fields (createdAt and the rest stay as they were)', async () => {
      const user = await repo().create(buildUserRecord({ emailVerifiedAt: CONTRACT_EPOCH }));
      const at = addMs(CONTRACT_EPOCH, 60_000);
      const updated = await repo().update(user.id, { role: 'MODERATOR' }, at);
      expect(updated).toEqual({ ...user, role: 'MODERATOR', updatedAt: at });
      expect(await repo().findById(user.id)).toEqual({ ...user, role: 'MODERATOR', updatedAt: at });
    });

    it('with an empty patch only updatedAt changes', async () => {
      const user = await repo().create(buildUserRecord());
      const at = addMs(CONTRACT_EPOCH, 5);
      expect(await repo().update(user.id, {}, at)).toEqual({ ...user, updatedAt: at });
    });

    it('ignores keys whose value is undefined', async () => {
      const user = await repo().create(buildUserRecord());
      const at = addMs(CONTRACT_EPOCH, 10);
      const updated = await repo().update(
        user.id,
        { email: undefined, username: undefined, role: 'ADMIN' },
        at,
      );
      expect(updated).toEqual({ ...user, role: 'ADMIN', updatedAt: at });
    });

    it('can set nullable fields to null and back', async () => {
      const user = await repo().create(buildUserRecord({ emailVerifiedAt: CONTRACT_EPOCH }));
      const t1 = addMs(CONTRACT_EPOCH, 1);
      const cleared = await repo().update(
        user.id,
        { username: null, passwordHash: null, emailVerifiedAt: null },
        t1,
      );
      expect(cleared).toEqual({
        ...user,
        username: null,
        passwordHash: null,
        emailVerifiedAt: null,
        updatedAt: t1,
      });
      expect(await repo().findById(user.id)).toEqual(cleared);
      const t2 = addMs(CONTRACT_EPOCH, 2);
      const restored = await repo().update(
        user.id,
        { username: user.username, passwordHash: user.passwordHash, emailVerifiedAt: user.emailVerifiedAt },
        t2,
      );
      expect(restored).toEqual({ ...user, updatedAt: t2 });
    });

    it('returns null for an unknown id and creates nothing', async () => {
      const existing = await repo().create(buildUserRecord());
      const result = await repo().update(randomUUID(), { role: 'ADMIN' }, addMs(CONTRACT_EPOCH, 1));
      expect(result).toBeNull();
      expect(await repo().count()).toBe(1);
      expect(await repo().findById(existing.id)).toEqual(existing);
    });

    it('keeping its own email or username is not a uniqueness violation', async () => {
      const user = await repo().create(buildUserRecord());
      const at = addMs(CONTRACT_EPOCH, 1);
      const updated = await repo().update(user.id, { email: user.email, username: user.username }, at);
      expect(updated).toEqual({ ...user, updatedAt: at });
    });

    it('taking another user’s email throws AlreadyRegisteredError and changes nothing', async () => {
      const a = await repo().create(buildUserRecord());
      const b = await repo().create(buildUserRecord());
      await expectAlreadyRegistered(
        repo().update(b.id, { email: a.email, role: 'ADMIN', isActive: false }, addMs(CONTRACT_EPOCH, 1)),
      );
      expect(await repo().findById(a.id)).toEqual(a);
      expect(await repo().findById(b.id)).toEqual(b);
      expect(await repo().findByEmail(a.email)).toEqual(a);
      expect(await repo().findByEmail(b.email)).toEqual(b);
    });

    it('taking another user’s username throws AlreadyRegisteredError and changes nothing', async () => {
      const a = await repo().create(buildUserRecord());
      const b = await repo().create(buildUserRecord());
      await expectAlreadyRegistered(
        repo().update(b.id, { username: a.username, email: 'fresh@example.com' }, addMs(CONTRACT_EPOCH, 1)),
      );
      expect(await repo().findById(b.id)).toEqual(b);
      expect(await repo().findByEmail('fresh@example.com')).toBeNull();
      expect(await repo().findByUsername(a.username ?? '')).toEqual(a);
      expect(await repo().findByUsername(b.username ?? '')).toEqual(b);
    });

    it('frees the old email and username for someone else', async () => {
      const user = await repo().create(buildUserRecord({ email: 'old@example.com', username: 'old' }));
      await repo().update(user.id, { email: 'new@example.com', username: 'new' }, addMs(CONTRACT_EPOCH, 1));
      const other = buildUserRecord({ email: 'old@example.com', username: 'old' });
      expect(await repo().create(other)).toEqual(other);
      expect(await repo().findByEmail('old@example.com')).toEqual(other);
      expect((await repo().findByEmail('new@example.com'))?.id).toBe(user.id);
    });
  });

  describe('delete and count', () => {
    it('deletes a user: true, then false; the record is gone and count drops', async () => {
      const a = await repo().create(buildUserRecord());
      const b = await repo().create(buildUserRecord());
      expect(await repo().count()).toBe(2);
      expect(await repo().delete(a.id)).toBe(true);
      expect(await repo().findById(a.id)).toBeNull();
      expect(await repo().findByEmail(a.email)).toBeNull();
      expect(await repo().findByUsername(a.username ?? '')).toBeNull();
      expect(await repo().count()).toBe(1);
      expect(await repo().delete(a.id)).toBe(false);
      expect(await repo().findById(b.id)).toEqual(b);
    });

    it('returns false for an unknown id', async () => {
      await repo().create(buildUserRecord());
      expect(await repo().delete(randomUUID())).toBe(false);
      expect(await repo().count()).toBe(1);
    });

    it('frees the email and username of a deleted user', async () => {
      const user = await repo().create(buildUserRecord({ email: 'gone@example.com', username: 'gone' }));
      await repo().delete(user.id);
      const again = buildUserRecord({ email: 'gone@example.com', username: 'gone' });
      expect(await repo().create(again)).toEqual(again);
      expect(await repo().findByEmail('gone@example.com')).toEqual(again);
    });

    it('counts every user', async () => {
      for (let i = 0; i < 7; i++) await repo().create(buildUserRecord());
      expect(await repo().count()).toBe(7);
    });
  });
}

/**
 * Declares a vitest `describe(name)` block that checks a {@link UserRepository} against the
 * repository contract of `src/storage/types.ts`. `createRepository` is called before every test
 * and must return an empty repository; if the result has a `close()` method it is called after
 * the test. Pass `{ listing: false }` for a repository that does not implement the optional `list`.
 *
 * @example
 * describeUserRepositoryContract('my users', () => new MyUserRepository(freshDb()));
 */
export function describeUserRepositoryContract(
  name: string,
  createRepository: ContractFactory<UserRepository>,
  options: UserContractOptions = {},
): void {
  describe(name, () => {
    const repo = useFreshSubject(createRepository);
    defineUserRepositoryTests(repo, options);
  });
}
