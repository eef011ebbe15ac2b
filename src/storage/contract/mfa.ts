/**
 * The {@link MfaRepository} contract suite: every implementation (memory, SQLite, a user's own)
 * must pass it unchanged. TOTP replay protection and single-use backup codes rest on
 * `useTotpStep` and `consumeBackupCode` being compare-and-swaps, so the concurrent calls are the
 * important tests.
 *
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { MfaRepository, TotpRecord } from '../types.js';
import { addMs, CONTRACT_EPOCH, randomTokenHash } from './fixtures.js';
import { type ContractFactory, useFreshSubject } from './lifecycle.js';

/** The RFC 6238 time step of {@link CONTRACT_EPOCH} (30-second steps since the Unix epoch). */
const EPOCH_STEP = Math.floor(CONTRACT_EPOCH.getTime() / 30_000);

/**
 * A complete {@link TotpRecord} for a fresh user id: an enabled factor with an opaque,
 * encrypted-looking secret, no step used yet, created at {@link CONTRACT_EPOCH}; `overrides`
 * replace any field.
 */
export function buildTotpRecord(overrides: Partial<TotpRecord> = {}): TotpRecord {
  return {
    userId: randomUUID(),
    secret: `v1.${randomBytes(12).toString('base64url')}.${randomBytes(36).toString('base64url')}`,
    enabled: true,
    lastUsedStep: null,
    createdAt: CONTRACT_EPOCH,
    updatedAt: CONTRACT_EPOCH,
    ...overrides,
  };
}

/**
 * Registers the MFA-repository tests in the current `describe`; `repo` returns the repository of
 * the running test. Used by {@link describeMfaRepositoryContract} and `describeStoreContract`.
 */
export function defineMfaRepositoryTests(repo: () => MfaRepository): void {
  const now = addMs(CONTRACT_EPOCH, 60_000);

  describe('TOTP factor', () => {
    it('saveTotp stores the factor and getTotp returns it; unknown users give null', async () => {
      const record = buildTotpRecord();
      await repo().saveTotp(record);
      expect(await repo().getTotp(record.userId)).toEqual(record);
      expect(await repo().getTotp(randomUUID())).toBeNull();
      expect(await repo().getTotp('')).toBeNull();
    });

    it('round-trips every field: dates to the millisecond, booleans, a used step', async () => {
      const pending = buildTotpRecord({
        enabled: false,
        createdAt: new Date(Date.UTC(2001, 8, 9, 1, 46, 40, 7)),
        updatedAt: new Date(Date.UTC(2038, 0, 19, 3, 14, 7, 999)),
      });
      const used = buildTotpRecord({ lastUsedStep: EPOCH_STEP, secret: `it's "opaque" \\ 🔐 %_` });
      await repo().saveTotp(pending);
      await repo().saveTotp(used);
      expect(await repo().getTotp(pending.userId)).toEqual(pending);
      expect(await repo().getTotp(used.userId)).toEqual(used);
    });

    it('saveTotp replaces the factor of the same user entirely', async () => {
      const first = buildTotpRecord({ enabled: false });
      await repo().saveTotp(first);
      const second = buildTotpRecord({
        userId: first.userId,
        enabled: true,
        lastUsedStep: EPOCH_STEP,
        createdAt: addMs(CONTRACT_EPOCH, 1),
        updatedAt: addMs(CONTRACT_EPOCH, 2),
      });
      await repo().saveTotp(second);
      expect(await repo().getTotp(first.userId)).toEqual(second);
      const third = buildTotpRecord({ userId: first.userId, lastUsedStep: null });
      await repo().saveTotp(third);
      expect(await repo().getTotp(first.userId)).toEqual(third);
    });

    it('deleteTotp: true, then false; other users keep theirs', async () => {
      const a = buildTotpRecord();
      const b = buildTotpRecord();
      await repo().saveTotp(a);
      await repo().saveTotp(b);
      expect(await repo().deleteTotp(a.userId)).toBe(true);
      expect(await repo().getTotp(a.userId)).toBeNull();
      expect(await repo().deleteTotp(a.userId)).toBe(false);
      expect(await repo().deleteTotp(randomUUID())).toBe(false);
      expect(await repo().getTotp(b.userId)).toEqual(b);
    });

    it('matches user ids exactly', async () => {
      const record = buildTotpRecord({ userId: 'user_1' });
      await repo().saveTotp(record);
      expect(await repo().getTotp('user%')).toBeNull();
      expect(await repo().getTotp('user11')).toBeNull();
      expect(await repo().getTotp("user_1' OR '1'='1")).toBeNull();
      expect(await repo().useTotpStep('user%', EPOCH_STEP, now)).toBe(false);
      expect(await repo().getTotp('user_1')).toEqual(record);
    });
  });

  describe('useTotpStep (compare-and-swap)', () => {
    it('advances only to a larger step: first true, same false, smaller false, larger true', async () => {
      const record = buildTotpRecord();
      await repo().saveTotp(record);
      expect(await repo().useTotpStep(record.userId, EPOCH_STEP, now)).toBe(true);
      expect((await repo().getTotp(record.userId))?.lastUsedStep).toBe(EPOCH_STEP);
      expect(await repo().useTotpStep(record.userId, EPOCH_STEP, now)).toBe(false);
      expect(await repo().useTotpStep(record.userId, EPOCH_STEP - 1, now)).toBe(false);
      expect((await repo().getTotp(record.userId))?.lastUsedStep).toBe(EPOCH_STEP);
      expect(await repo().useTotpStep(record.userId, EPOCH_STEP + 1, now)).toBe(true);
      expect(await repo().useTotpStep(record.userId, EPOCH_STEP + 5, now)).toBe(true);
      expect(await repo().useTotpStep(record.userId, EPOCH_STEP + 3, now)).toBe(false);
      const after = await repo().getTotp(record.userId);
      expect(after).toMatchObject({
        userId: record.userId,
        secret: record.secret,
        enabled: record.enabled,
        lastUsedStep: EPOCH_STEP + 5,
        createdAt: record.createdAt,
      });
    });

    it('compares with a saved lastUsedStep', async () => {
      const record = buildTotpRecord({ lastUsedStep: 100 });
      await repo().saveTotp(record);
      expect(await repo().useTotpStep(record.userId, 99, now)).toBe(false);
      expect(await repo().useTotpStep(record.userId, 100, now)).toBe(false);
      expect(await repo().useTotpStep(record.userId, 101, now)).toBe(true);
      expect((await repo().getTotp(record.userId))?.lastUsedStep).toBe(101);
    });

    it('returns false when the user has no factor, and creates none', async () => {
      const userId = randomUUID();
      expect(await repo().useTotpStep(userId, EPOCH_STEP, now)).toBe(false);
      expect(await repo().getTotp(userId)).toBeNull();
    });

    it('touches only the given user', async () => {
      const a = buildTotpRecord();
      const b = buildTotpRecord();
      await repo().saveTotp(a);
      await repo().saveTotp(b);
      expect(await repo().useTotpStep(a.userId, EPOCH_STEP, now)).toBe(true);
      expect(await repo().getTotp(b.userId)).toEqual(b);
      expect(await repo().useTotpStep(b.userId, EPOCH_STEP, now)).toBe(true);
    });

    it('of 20 concurrent calls with one step exactly one returns true', async () => {
      const record = buildTotpRecord();
      await repo().saveTotp(record);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => repo().useTotpStep(record.userId, EPOCH_STEP, now)),
      );
      expect(results.filter((r) => r)).toHaveLength(1);
      expect((await repo().getTotp(record.userId))?.lastUsedStep).toBe(EPOCH_STEP);
    });

    it('concurrent calls with different steps end at the largest step', async () => {
      const record = buildTotpRecord();
      await repo().saveTotp(record);
      const steps = [3, 7, 1, 9, 0, 5, 8, 2, 6, 4].map((d) => EPOCH_STEP + d);
      const results = await Promise.all(steps.map((step) => repo().useTotpStep(record.userId, step, now)));
      expect(results.filter((r) => r).length).toBeGreaterThanOrEqual(1);
      expect((await repo().getTotp(record.userId))?.lastUsedStep).toBe(EPOCH_STEP + 9);
    });
  });

  describe('backup codes', () => {
    it('replaceBackupCodes stores the set; countBackupCodes counts it; unknown users have 0', async () => {
      const userId = randomUUID();
      const codes = Array.from({ length: 10 }, () => randomTokenHash());
      await repo().replaceBackupCodes(userId, codes, now);
      expect(await repo().countBackupCodes(userId)).toBe(10);
      expect(await repo().countBackupCodes(randomUUID())).toBe(0);
    });

    it('a code can be consumed once: true, then false; the count drops', async () => {
      const userId = randomUUID();
      const codes = [randomTokenHash(), randomTokenHash(), randomTokenHash()];
      await repo().replaceBackupCodes(userId, codes, now);
      expect(await repo().consumeBackupCode(userId, codes[1] ?? '')).toBe(true);
      expect(await repo().consumeBackupCode(userId, codes[1] ?? '')).toBe(false);
      expect(await repo().countBackupCodes(userId)).toBe(2);
      expect(await repo().consumeBackupCode(userId, codes[0] ?? '')).toBe(true);
      expect(await repo().consumeBackupCode(userId, codes[2] ?? '')).toBe(true);
      expect(await repo().countBackupCodes(userId)).toBe(0);
    });

    it('unknown codes, and other users’ codes, are not consumed', async () => {
      const alice = randomUUID();
      const bob = randomUUID();
      const aliceCode = randomTokenHash();
      await repo().replaceBackupCodes(alice, [aliceCode], now);
      await repo().replaceBackupCodes(bob, [randomTokenHash()], now);
      expect(await repo().consumeBackupCode(alice, randomTokenHash())).toBe(false);
      expect(await repo().consumeBackupCode(bob, aliceCode)).toBe(false);
      expect(await repo().consumeBackupCode(alice, '%')).toBe(false);
      expect(await repo().consumeBackupCode(alice, aliceCode.slice(0, -1))).toBe(false);
      expect(await repo().consumeBackupCode(randomUUID(), aliceCode)).toBe(false);
      expect(await repo().countBackupCodes(alice)).toBe(1);
      expect(await repo().countBackupCodes(bob)).toBe(1);
      expect(await repo().consumeBackupCode(alice, aliceCode)).toBe(true);
    });

    it('replaceBackupCodes voids the old set', async () => {
      const userId = randomUUID();
      const old = [randomTokenHash(), randomTokenHash()];
      const fresh = [randomTokenHash(), randomTokenHash(), randomTokenHash()];
      await repo().replaceBackupCodes(userId, old, now);
      await repo().consumeBackupCode(userId, old[0] ?? '');
      await repo().replaceBackupCodes(userId, fresh, addMs(now, 1));
      expect(await repo().countBackupCodes(userId)).toBe(3);
      for (const code of old) expect(await repo().consumeBackupCode(userId, code)).toBe(false);
      for (const code of fresh) expect(await repo().consumeBackupCode(userId, code)).toBe(true);
    });

    it('replacing with an empty set removes every code; other users keep theirs', async () => {
      const a = randomUUID();
      const b = randomUUID();
      const codeA = randomTokenHash();
      await repo().replaceBackupCodes(a, [codeA], now);
      await repo().replaceBackupCodes(b, [randomTokenHash(), randomTokenHash()], now);
      await repo().replaceBackupCodes(a, [], now);
      expect(await repo().countBackupCodes(a)).toBe(0);
      expect(await repo().consumeBackupCode(a, codeA)).toBe(false);
      expect(await repo().countBackupCodes(b)).toBe(2);
    });

    it('two users may hold the same hash independently', async () => {
      const code = randomTokenHash();
      const a = randomUUID();
      const b = randomUUID();
      await repo().replaceBackupCodes(a, [code], now);
      await repo().replaceBackupCodes(b, [code], now);
      expect(await repo().consumeBackupCode(a, code)).toBe(true);
      expect(await repo().countBackupCodes(b)).toBe(1);
      expect(await repo().consumeBackupCode(b, code)).toBe(true);
    });

    it('of 20 concurrent consumes of one code exactly one returns true', async () => {
      const userId = randomUUID();
      const code = randomTokenHash();
      await repo().replaceBackupCodes(userId, [code, randomTokenHash()], now);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => repo().consumeBackupCode(userId, code)),
      );
      expect(results.filter((r) => r)).toHaveLength(1);
      expect(await repo().countBackupCodes(userId)).toBe(1);
    });
  });

  describe('deleteAllForUser', () => {
    it('removes the factor and every backup code of the user and leaves other users alone', async () => {
      const a = buildTotpRecord();
      const b = buildTotpRecord();
      const codeA = randomTokenHash();
      const codeB = randomTokenHash();
      await repo().saveTotp(a);
      await repo().saveTotp(b);
      await repo().replaceBackupCodes(a.userId, [codeA, randomTokenHash()], now);
      await repo().replaceBackupCodes(b.userId, [codeB], now);
      await repo().deleteAllForUser(a.userId);
      expect(await repo().getTotp(a.userId)).toBeNull();
      expect(await repo().countBackupCodes(a.userId)).toBe(0);
      expect(await repo().consumeBackupCode(a.userId, codeA)).toBe(false);
      expect(await repo().useTotpStep(a.userId, EPOCH_STEP, now)).toBe(false);
      expect(await repo().getTotp(b.userId)).toEqual(b);
      expect(await repo().countBackupCodes(b.userId)).toBe(1);
      expect(await repo().consumeBackupCode(b.userId, codeB)).toBe(true);
    });

    it('works for a user with only codes, only a factor, or nothing at all', async () => {
      const codesOnly = randomUUID();
      await repo().replaceBackupCodes(codesOnly, [randomTokenHash()], now);
      await repo().deleteAllForUser(codesOnly);
      expect(await repo().countBackupCodes(codesOnly)).toBe(0);
      const factorOnly = buildTotpRecord();
      await repo().saveTotp(factorOnly);
      await repo().deleteAllForUser(factorOnly.userId);
      expect(await repo().getTotp(factorOnly.userId)).toBeNull();
      await repo().deleteAllForUser(randomUUID());
    });
  });
}

/**
 * Declares a vitest `describe(name)` block that checks an {@link MfaRepository} against the
 * contract of `src/storage/types.ts`, including 20 concurrent `useTotpStep` calls with one step
 * and 20 concurrent consumes of one backup code. `createRepository` is called before every test
 * and must return an empty repository; if the result has a `close()` method it is called after
 * the test.
 *
 * @example
 * describeMfaRepositoryContract('my mfa', () => new MyMfaRepository(freshDb()));
 */
export function describeMfaRepositoryContract(
  name: string,
  createRepository: ContractFactory<MfaRepository>,
): void {
  describe(name, () => {
    const repo = useFreshSubject(createRepository);
    defineMfaRepositoryTests(repo);
  });
}
