/**
 * The {@link AccountRepository} (linked identities) contract suite: every implementation
 * (memory, SQLite, a user's own) must pass it unchanged. Login through a provider rests on
 * `(issuer, subject)` being unique and on lookups matching it exactly (OWASP ASVS 5.0 6.8.1, 10.5.2, 10.3.3), so those are the
 * important tests.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AccountRepository, LinkedIdentity } from '../types.js';
import { addMs, CONTRACT_EPOCH } from './fixtures.js';
import { type ContractFactory, expectAlreadyRegistered, useFreshSubject } from './lifecycle.js';

/**
 * A complete {@link LinkedIdentity}: a GitHub-style identity of a fresh user with a numeric
 * subject, created at {@link CONTRACT_EPOCH}, no tokens; `overrides` replace any field.
 */
export function buildLinkedIdentity(overrides: Partial<LinkedIdentity> = {}): LinkedIdentity {
  return {
    id: randomUUID(),
    userId: randomUUID(),
    provider: 'github',
    issuer: 'https://github.com',
    subject: String(Math.floor(Math.random() * 1e9) + 1),
    email: `octo-${randomUUID().slice(0, 8)}@example.com`,
    emailVerified: true,
    tokens: null,
    createdAt: CONTRACT_EPOCH,
    updatedAt: CONTRACT_EPOCH,
    lastLoginAt: null,
    ...overrides,
  };
}

/**
 * Registers the linked-identity tests in the current `describe`; `repo` returns the repository of
 * the running test. Used by {@link describeAccountRepositoryContract} and `describeStoreContract`.
 */
export function defineAccountRepositoryTests(repo: () => AccountRepository): void {
  it('create stores the identity; findBySubject and findByUserAndProvider return it', async () => {
    const identity = buildLinkedIdentity();
    expect(await repo().create(identity)).toEqual(identity);
    expect(await repo().findBySubject(identity.issuer, identity.subject)).toEqual(identity);
    expect(await repo().findByUserAndProvider(identity.userId, identity.provider)).toEqual(identity);
  });

  it('round-trips every field: dates to the millisecond, nulls, sealed tokens, odd characters', async () => {
    const identity = buildLinkedIdentity({
      provider: 'corp-oidc',
      issuer: 'https://id.example.com/realms/a%20b',
      subject: `it's "odd" \\ 🔐 %_`,
      email: null,
      emailVerified: false,
      tokens: 'v1.aXY.Y2lwaGVy.dGFn',
      createdAt: new Date(Date.UTC(2001, 8, 9, 1, 46, 40, 7)),
      updatedAt: new Date(Date.UTC(2038, 0, 19, 3, 14, 7, 999)),
      lastLoginAt: addMs(CONTRACT_EPOCH, 1),
    });
    await repo().create(identity);
    expect(await repo().findBySubject(identity.issuer, identity.subject)).toEqual(identity);
  });

  it('lookups match exactly: another issuer, case or a prefix of the subject find nothing', async () => {
    const identity = buildLinkedIdentity({ issuer: 'https://accounts.example.com', subject: '12345' });
    await repo().create(identity);
    expect(await repo().findBySubject('https://accounts.example.com/', '12345')).toBeNull();
    expect(await repo().findBySubject('https://ACCOUNTS.example.com', '12345')).toBeNull();
    expect(await repo().findBySubject('https://accounts.example.com', '1234')).toBeNull();
    expect(await repo().findBySubject('https://evil.example', '12345')).toBeNull();
    expect(await repo().findBySubject('https://accounts.example.com', "12345' OR '1'='1")).toBeNull();
    expect(await repo().findByUserAndProvider(identity.userId, 'GitHub')).toBeNull();
    expect(await repo().findByUserAndProvider(randomUUID(), identity.provider)).toBeNull();
  });

  it('the same (issuer, subject) cannot be linked twice, not even to another user', async () => {
    const identity = buildLinkedIdentity();
    await repo().create(identity);
    await expectAlreadyRegistered(
      repo().create(buildLinkedIdentity({ issuer: identity.issuer, subject: identity.subject })),
    );
    expect(await repo().findBySubject(identity.issuer, identity.subject)).toEqual(identity);
  });

  it('a user has at most one identity per provider; the same subject at another issuer is another identity', async () => {
    const identity = buildLinkedIdentity();
    await repo().create(identity);
    await expectAlreadyRegistered(repo().create(buildLinkedIdentity({ userId: identity.userId })));
    const other = buildLinkedIdentity({
      userId: identity.userId,
      provider: 'google',
      issuer: 'https://accounts.google.com',
      subject: identity.subject,
      createdAt: addMs(CONTRACT_EPOCH, 1),
    });
    await repo().create(other);
    expect((await repo().listForUser(identity.userId)).map((i) => i.id)).toEqual([identity.id, other.id]);
  });

  it('of concurrent creates of one (issuer, subject) exactly one succeeds', async () => {
    const template = buildLinkedIdentity();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () =>
        repo().create(buildLinkedIdentity({ issuer: template.issuer, subject: template.subject })),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected')
        expect(result.reason).toMatchObject({ code: 'ERR_ALREADY_REGISTERED' });
    }
  });

  it('listForUser returns the user’s identities oldest first, and nothing of other users', async () => {
    const userId = randomUUID();
    const later = buildLinkedIdentity({ userId, provider: 'b', createdAt: addMs(CONTRACT_EPOCH, 5) });
    const earlier = buildLinkedIdentity({ userId, provider: 'a', createdAt: CONTRACT_EPOCH });
    await repo().create(later);
    await repo().create(earlier);
    await repo().create(buildLinkedIdentity());
    expect(await repo().listForUser(userId)).toEqual([earlier, later]);
    expect(await repo().listForUser(randomUUID())).toEqual([]);
  });

  it('update changes only the patched fields and updatedAt; unknown ids give null', async () => {
    const identity = buildLinkedIdentity();
    await repo().create(identity);
    const at = addMs(CONTRACT_EPOCH, 60_000);
    const updated = await repo().update(identity.id, { tokens: 'v1.sealed', lastLoginAt: at }, at);
    expect(updated).toEqual({ ...identity, tokens: 'v1.sealed', lastLoginAt: at, updatedAt: at });
    expect(await repo().findBySubject(identity.issuer, identity.subject)).toEqual(updated);
    const cleared = await repo().update(identity.id, { tokens: null, email: null, emailVerified: false }, at);
    expect(cleared).toEqual({
      ...identity,
      tokens: null,
      email: null,
      emailVerified: false,
      lastLoginAt: at,
      updatedAt: at,
    });
    expect(await repo().update(randomUUID(), { tokens: null }, at)).toBeNull();
  });

  it('delete removes one identity, which can then be linked again', async () => {
    const identity = buildLinkedIdentity();
    await repo().create(identity);
    expect(await repo().delete(identity.id)).toBe(true);
    expect(await repo().delete(identity.id)).toBe(false);
    expect(await repo().findBySubject(identity.issuer, identity.subject)).toBeNull();
    expect(await repo().findByUserAndProvider(identity.userId, identity.provider)).toBeNull();
    await repo().create({ ...identity, id: randomUUID() });
    expect(await repo().listForUser(identity.userId)).toHaveLength(1);
  });

  it('deleteAllForUser removes every identity of the user and no other', async () => {
    const userId = randomUUID();
    await repo().create(buildLinkedIdentity({ userId, provider: 'github' }));
    await repo().create(
      buildLinkedIdentity({ userId, provider: 'google', issuer: 'https://accounts.google.com' }),
    );
    const other = buildLinkedIdentity();
    await repo().create(other);
    expect(await repo().deleteAllForUser(userId)).toBe(2);
    expect(await repo().deleteAllForUser(userId)).toBe(0);
    expect(await repo().listForUser(userId)).toEqual([]);
    expect(await repo().findBySubject(other.issuer, other.subject)).toEqual(other);
  });
}

/**
 * Declares a vitest `describe(name)` block that runs the {@link AccountRepository} contract;
 * `createRepository` is called before every test and must return an empty repository.
 */
export function describeAccountRepositoryContract(
  name: string,
  createRepository: ContractFactory<AccountRepository>,
): void {
  describe(name, () => {
    const repo = useFreshSubject(createRepository);
    defineAccountRepositoryTests(repo);
  });
}
