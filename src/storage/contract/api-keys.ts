/**
 * The {@link ApiKeyRepository} contract suite: every implementation (memory, SQLite, a user's own)
 * must pass it unchanged. The per-user cap of `create` and the single-revocation of `revoke` are
 * compare-and-swaps, so their concurrent calls are the important tests.
 *
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord, ApiKeyRepository } from '../types.js';
import { addMs, CONTRACT_EPOCH, randomTokenHash } from './fixtures.js';
import { type ContractFactory, useFreshSubject } from './lifecycle.js';

const DAY_MS = 86_400_000;

/**
 * A complete {@link ApiKeyRecord}: a fresh public id and user id, a SHA-256-shaped secret hash,
 * scopes `read write`, created at {@link CONTRACT_EPOCH}, expiring 90 days later, never used, not
 * revoked; `overrides` replace any field.
 */
export function buildApiKeyRecord(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: randomBytes(9).toString('base64url'),
    userId: randomUUID(),
    name: 'CI deploys',
    secretHash: randomTokenHash(),
    scopes: ['read', 'write'],
    createdAt: CONTRACT_EPOCH,
    expiresAt: addMs(CONTRACT_EPOCH, 90 * DAY_MS),
    lastUsedAt: null,
    revokedAt: null,
    ...overrides,
  };
}

/**
 * Registers the API-key repository tests in the current `describe`; `repo` returns the repository
 * of the running test. Used by {@link describeApiKeyRepositoryContract} and `describeStoreContract`.
 */
export function defineApiKeyRepositoryTests(repo: () => ApiKeyRepository): void {
  it('create stores the key and findById returns it; unknown ids give null', async () => {
    const key = buildApiKeyRecord();
    expect(await repo().create(key, 10)).toBe(true);
    expect(await repo().findById(key.id)).toEqual(key);
    expect(await repo().findById('missing')).toBeNull();
    expect(await repo().findById('')).toBeNull();
  });

  it('round-trips every field: dates to the millisecond, empty and odd scopes, metacharacters', async () => {
    const used = buildApiKeyRecord({
      name: `it's "a" key \\ 🔑 %_ ; DROP TABLE api_keys; --`,
      scopes: [],
      createdAt: new Date(Date.UTC(2001, 8, 9, 1, 46, 40, 7)),
      expiresAt: new Date(Date.UTC(2038, 0, 19, 3, 14, 7, 999)),
      lastUsedAt: addMs(CONTRACT_EPOCH, 1),
      revokedAt: addMs(CONTRACT_EPOCH, 2),
    });
    const scoped = buildApiKeyRecord({ scopes: ['generate:text', 'admin/read', 'x'] });
    expect(await repo().create(used, 10)).toBe(true);
    expect(await repo().create(scoped, 10)).toBe(true);
    expect(await repo().findById(used.id)).toEqual(used);
    expect(await repo().findById(scoped.id)).toEqual(scoped);
  });

  it('a duplicate id is refused and the first key is unchanged', async () => {
    const key = buildApiKeyRecord();
    await repo().create(key, 10);
    await expect(repo().create(buildApiKeyRecord({ id: key.id }), 10)).rejects.toThrow();
    expect(await repo().findById(key.id)).toEqual(key);
  });

  it('listForUser returns only that user’s keys, newest first, revoked and expired included', async () => {
    const userId = randomUUID();
    const older = buildApiKeyRecord({ userId, createdAt: CONTRACT_EPOCH });
    const newer = buildApiKeyRecord({ userId, createdAt: addMs(CONTRACT_EPOCH, 1000) });
    const revoked = buildApiKeyRecord({
      userId,
      createdAt: addMs(CONTRACT_EPOCH, 500),
      revokedAt: CONTRACT_EPOCH,
    });
    const other = buildApiKeyRecord();
    for (const key of [older, newer, revoked, other]) await repo().create(key, 10);
    expect(await repo().listForUser(userId)).toEqual([newer, revoked, older]);
    expect(await repo().listForUser(randomUUID())).toEqual([]);
  });

  describe('the per-user cap of create', () => {
    it('refuses a key once the user has maxActive active keys; other users are not affected', async () => {
      const userId = randomUUID();
      expect(await repo().create(buildApiKeyRecord({ userId }), 2)).toBe(true);
      expect(await repo().create(buildApiKeyRecord({ userId }), 2)).toBe(true);
      const third = buildApiKeyRecord({ userId });
      expect(await repo().create(third, 2)).toBe(false);
      expect(await repo().findById(third.id)).toBeNull();
      expect(await repo().create(buildApiKeyRecord(), 2)).toBe(true);
    });

    it('revoked and expired keys do not count', async () => {
      const userId = randomUUID();
      const now = addMs(CONTRACT_EPOCH, 10 * DAY_MS);
      await repo().create(buildApiKeyRecord({ userId, revokedAt: CONTRACT_EPOCH }), 2);
      await repo().create(buildApiKeyRecord({ userId, expiresAt: now }), 2);
      await repo().create(buildApiKeyRecord({ userId, expiresAt: addMs(now, -1) }), 2);
      expect(await repo().create(buildApiKeyRecord({ userId, createdAt: now }), 2)).toBe(true);
      expect(await repo().create(buildApiKeyRecord({ userId, createdAt: now }), 2)).toBe(true);
      expect(await repo().create(buildApiKeyRecord({ userId, createdAt: now }), 2)).toBe(false);
    });

    it('holds under concurrent creates: at most maxActive succeed', async () => {
      const userId = randomUUID();
      const results = await Promise.all(
        Array.from({ length: 12 }, () => repo().create(buildApiKeyRecord({ userId }), 5)),
      );
      expect(results.filter(Boolean)).toHaveLength(5);
      expect(await repo().listForUser(userId)).toHaveLength(5);
    });
  });

  describe('revoke', () => {
    it('revokes the owner’s key once, keeping every other field', async () => {
      const key = buildApiKeyRecord();
      await repo().create(key, 10);
      const at = addMs(CONTRACT_EPOCH, 5000);
      expect(await repo().revoke(key.id, key.userId, at)).toBe(true);
      expect(await repo().findById(key.id)).toEqual({ ...key, revokedAt: at });
      expect(await repo().revoke(key.id, key.userId, addMs(at, 1))).toBe(false);
      expect((await repo().findById(key.id))?.revokedAt).toEqual(at);
    });

    it('refuses another user’s key and unknown ids', async () => {
      const key = buildApiKeyRecord();
      await repo().create(key, 10);
      expect(await repo().revoke(key.id, randomUUID(), CONTRACT_EPOCH)).toBe(false);
      expect(await repo().revoke('missing', key.userId, CONTRACT_EPOCH)).toBe(false);
      expect((await repo().findById(key.id))?.revokedAt).toBeNull();
    });

    it('of concurrent revocations exactly one reports true', async () => {
      const key = buildApiKeyRecord();
      await repo().create(key, 10);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => repo().revoke(key.id, key.userId, addMs(CONTRACT_EPOCH, i))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  it('touch moves lastUsedAt forward only', async () => {
    const key = buildApiKeyRecord();
    await repo().create(key, 10);
    const later = addMs(CONTRACT_EPOCH, 120_000);
    await repo().touch(key.id, later);
    expect((await repo().findById(key.id))?.lastUsedAt).toEqual(later);
    await repo().touch(key.id, addMs(CONTRACT_EPOCH, 60_000));
    expect((await repo().findById(key.id))?.lastUsedAt).toEqual(later);
    await repo().touch('missing', later);
    expect(await repo().findById('missing')).toBeNull();
  });

  it('deleteAllForUser deletes that user’s keys only and counts them', async () => {
    const userId = randomUUID();
    await repo().create(buildApiKeyRecord({ userId }), 10);
    await repo().create(buildApiKeyRecord({ userId, revokedAt: CONTRACT_EPOCH }), 10);
    const other = buildApiKeyRecord();
    await repo().create(other, 10);
    expect(await repo().deleteAllForUser(userId)).toBe(2);
    expect(await repo().listForUser(userId)).toEqual([]);
    expect(await repo().findById(other.id)).toEqual(other);
    expect(await repo().deleteAllForUser(userId)).toBe(0);
  });
}

/**
 * Declares a vitest `describe(name)` block that runs the {@link ApiKeyRepository} contract against
 * the repository `create` returns (called before every test; it must be empty).
 */
export function describeApiKeyRepositoryContract(
  name: string,
  create: ContractFactory<ApiKeyRepository>,
): void {
  describe(name, () => {
    const repo = useFreshSubject(create);
    defineApiKeyRepositoryTests(repo);
  });
}
