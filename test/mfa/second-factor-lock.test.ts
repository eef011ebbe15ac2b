/**
 * The second-factor lock at the service level (NIST SP 800-63B-4 §3.2.2, OWASP ASVS 5.0 V6.3):
 * its configuration, the count shared by instances on one SQLite file, exactly one lock under
 * concurrent failures, what is (not) counted while locked, no expiry, and removal of the factor.
 * The HTTP flows (lock, and lifting by backup code, password reset, administrator) are in
 * `second-factor-lock.http.test.ts`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../../adapters/sqlite/index.js';
import {
  ConfigError,
  createGatehouse,
  createMemoryMailer,
  createMemoryStore,
  type GatehouseConfig,
  type MfaRequiredLogin,
  type SecurityEvent,
  subscribeJsonLines,
} from '../../src/index.js';
import { InvalidMfaCodeError } from '../../src/mfa/errors.js';
import { totpCode, totpStep } from '../../src/mfa/totp.js';
import { GOOD_PASSWORD, type TestGatehouse, testGatehouse } from '../support/gatehouse.js';

const MFA_KEY = randomBytes(32).toString('base64');
const EMAIL = 'ada@example.com';
const DAY = 86_400;

/** Generous rate limits: these tests are about the lock, not the per-user limit. */
function lockGatehouse(overrides: Partial<GatehouseConfig> = {}): TestGatehouse {
  return testGatehouse({
    ...overrides,
    mfa: { secretKeys: MFA_KEY, ...overrides.mfa },
    rateLimits: { mfaPerUser: { limit: 10_000, window: 300 }, ...overrides.rateLimits },
  });
}

const codeAt = (gh: TestGatehouse, secret: string, offset = 0) =>
  totpCode(secret, totpStep(gh.now()) + offset);

/** A six-digit code accepted at none of the current steps. */
function wrongCode(gh: TestGatehouse, secret: string): string {
  const valid = new Set([-1, 0, 1].map((d) => codeAt(gh, secret, d)));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

async function enrolled(gh: TestGatehouse, email = EMAIL) {
  const user = await gh.auth.register({ email, password: GOOD_PASSWORD });
  const { secret } = await gh.mfa.beginTotpEnrolment(user.id, { currentPassword: GOOD_PASSWORD });
  const { backupCodes } = await gh.mfa.confirmTotpEnrolment(user.id, codeAt(gh, secret));
  gh.clock.advance(90);
  return { userId: user.id, secret, backupCodes };
}

async function challengeOf(gh: TestGatehouse, email = EMAIL): Promise<string> {
  const result = await gh.auth.login({ identifier: email, password: GOOD_PASSWORD });
  expect(result.status).toBe('mfa_required');
  return (result as MfaRequiredLogin).challenge;
}

async function fail(gh: TestGatehouse, secret: string, times: number, email = EMAIL): Promise<void> {
  const challenge = await challengeOf(gh, email);
  for (let i = 0; i < times; i++) {
    await expect(gh.mfa.completeLogin(challenge, { code: wrongCode(gh, secret) })).rejects.toBeInstanceOf(
      InvalidMfaCodeError,
    );
  }
}

const eventsOf = <T extends SecurityEvent['type']>(gh: TestGatehouse, type: T) =>
  gh.seen.filter((e): e is Extract<SecurityEvent, { type: T }> => e.type === type);

describe('configuration', () => {
  it('defaults: 10 failures over 30 days', () => {
    expect(lockGatehouse().config.mfa).toMatchObject({ maxFailures: 10, failureWindow: 30 * DAY });
  });

  it.each([
    [{ maxFailures: 0 }, 'mfa.maxFailures'],
    [{ maxFailures: 101 }, 'mfa.maxFailures'],
    [{ maxFailures: 2.5 }, 'mfa.maxFailures'],
    [{ failureWindow: DAY - 1 }, 'mfa.failureWindow'],
  ])('refuses %o, naming the field', (mfa, path) => {
    let error: unknown;
    try {
      createGatehouse({
        store: createMemoryStore(),
        tokens: { secret: randomBytes(32).toString('base64') },
        mfa,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.path)).toContain(path);
  });

  it('honours a lower mfa.maxFailures', async () => {
    const gh = lockGatehouse({ mfa: { maxFailures: 3 } });
    const { userId, secret } = await enrolled(gh);
    await fail(gh, secret, 2);
    expect((await gh.mfa.lockState(userId)).locked).toBe(false);
    await fail(gh, secret, 1);
    expect(await gh.mfa.lockState(userId)).toEqual({ locked: true, since: gh.now(), failures: 3 });
  });
});

describe('the count and the lock live in the store', () => {
  const dirs: string[] = [];
  const stores: SqliteStore[] = [];
  afterEach(() => {
    for (const store of stores.splice(0)) store.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('two instances on one SQLite file: failures on either add up, and the lock holds on both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-mfa-lock-'));
    dirs.push(dir);
    const filename = join(dir, 'auth.sqlite');
    const [storeA, storeB] = [createSqliteStore({ filename }), createSqliteStore({ filename })];
    stores.push(storeA, storeB);
    const a = lockGatehouse({ store: storeA });
    const b = lockGatehouse({ store: storeB });
    const { userId, secret } = await enrolled(a);
    await fail(a, secret, 5);
    await fail(b, secret, 4);
    expect((await a.mfa.lockState(userId)).locked).toBe(false);
    await fail(b, secret, 1);
    expect(eventsOf(b, 'mfa.locked')).toEqual([expect.objectContaining({ userId, failures: 10 })]);
    expect((await a.mfa.lockState(userId)).locked).toBe(true);

    // Past the temporary account lockout the password works, but the right code does not, on A.
    a.clock.advance(a.config.lockout.lockDuration + 1);
    await expect(
      a.mfa.completeLogin(await challengeOf(a), { code: codeAt(a, secret) }),
    ).rejects.toBeInstanceOf(InvalidMfaCodeError);
    expect(eventsOf(a, 'mfa.failed').at(-1)).toMatchObject({ reason: 'factor_locked' });
    // Lifted on B, it is lifted on A.
    expect(await b.mfa.unlockSecondFactor(userId)).toBe(true);
    const done = await a.mfa.completeLogin(await challengeOf(a), { code: codeAt(a, secret) });
    expect(done.status).toBe('authenticated');
  });
});

describe('locking', () => {
  it('of concurrent failures crossing the limit exactly one locks: one mfa.locked, one notice mail', async () => {
    const mailer = createMemoryMailer();
    const gh = lockGatehouse({
      mail: { mailer },
      account: { baseUrl: 'https://app.example.com', emailVerification: 'off' },
      lockout: { maxFailures: 100 },
    });
    const { userId, secret } = await enrolled(gh);
    await fail(gh, secret, 7);
    const challenge = await challengeOf(gh);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => gh.mfa.completeLogin(challenge, { code: wrongCode(gh, secret) })),
    );
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect(eventsOf(gh, 'mfa.locked')).toEqual([expect.objectContaining({ userId, failures: 10 })]);
    const isLockNotice = (text: string) => text.includes('Two-factor sign-in locked');
    await vi.waitFor(() => expect(mailer.messages.filter((m) => isLockNotice(m.text))).toHaveLength(1));
    expect(mailer.messages.find((m) => isLockNotice(m.text))?.to).toBe(EMAIL);
  });

  it('while locked, TOTP codes are neither checked nor counted; a wrong backup code still counts', async () => {
    // One more counted failure than the lock needs would lock the account.
    const gh = lockGatehouse({ lockout: { maxFailures: 11 } });
    const { userId, secret } = await enrolled(gh);
    await fail(gh, secret, 10);
    const challenge = await challengeOf(gh);
    for (const code of [codeAt(gh, secret), wrongCode(gh, secret), codeAt(gh, secret, 1)]) {
      await expect(gh.mfa.completeLogin(challenge, { code })).rejects.toBeInstanceOf(InvalidMfaCodeError);
    }
    expect(eventsOf(gh, 'mfa.failed').slice(-3)).toEqual(
      Array.from({ length: 3 }, () =>
        expect.objectContaining({ reason: 'factor_locked', consecutiveFailures: 10 }),
      ),
    );
    expect((await gh.lockout.state(userId)).locked).toBe(false);
    await expect(
      gh.mfa.completeLogin(challenge, { backupCode: 'AAAA-AAAA-AAAA-AAAA' }),
    ).rejects.toBeInstanceOf(InvalidMfaCodeError);
    expect(eventsOf(gh, 'mfa.failed').at(-1)).toMatchObject({
      method: 'backup_code',
      reason: 'wrong_code',
      consecutiveFailures: 11,
    });
    expect((await gh.lockout.state(userId)).locked).toBe(true);
    expect(eventsOf(gh, 'mfa.locked')).toHaveLength(1);
  });

  it('does not expire: a year later the right code is still refused', async () => {
    const gh = lockGatehouse();
    const { userId, secret } = await enrolled(gh);
    await fail(gh, secret, 10);
    gh.clock.advance(365 * DAY);
    await expect(
      gh.mfa.completeLogin(await challengeOf(gh), { code: codeAt(gh, secret) }),
    ).rejects.toBeInstanceOf(InvalidMfaCodeError);
    expect((await gh.mfa.status(userId)).locked).toBe(true);
  });

  it('is logged at warn by subscribeJsonLines, the lift at info', async () => {
    const gh = lockGatehouse({ mfa: { maxFailures: 2 } });
    const warned: string[] = [];
    const informed: string[] = [];
    subscribeJsonLines(gh.events, {
      warn: (_record, message) => warned.push(message ?? ''),
      info: (_record, message) => informed.push(message ?? ''),
    });
    const { userId, secret } = await enrolled(gh);
    await fail(gh, secret, 2);
    await gh.mfa.unlockSecondFactor(userId);
    expect(warned).toContain('mfa.locked');
    expect(informed).toContain('mfa.unlocked');
  });
});

describe('removing the factor', () => {
  it('takes the lock and the count with it: a new enrolment starts unlocked', async () => {
    const gh = lockGatehouse();
    const { userId, secret } = await enrolled(gh);
    await fail(gh, secret, 10);
    gh.clock.advance(gh.config.lockout.lockDuration + 1);
    expect(await gh.mfa.resetForUser(userId)).toBe(true);
    expect((await gh.mfa.lockState(userId)).locked).toBe(false);
    // Removal is not a lift: no mfa.unlocked (mfa.disabled says what happened).
    expect(eventsOf(gh, 'mfa.unlocked')).toEqual([]);

    const { secret: fresh } = await gh.mfa.beginTotpEnrolment(userId, { currentPassword: GOOD_PASSWORD });
    await gh.mfa.confirmTotpEnrolment(userId, codeAt(gh, fresh));
    gh.clock.advance(90);
    await fail(gh, fresh, 9);
    expect((await gh.mfa.lockState(userId)).locked).toBe(false);
  });

  it('deleting the account takes the lock (which never expires) with it', async () => {
    const gh = lockGatehouse();
    const { userId, secret } = await enrolled(gh);
    await fail(gh, secret, 10);
    expect((await gh.mfa.lockState(userId)).locked).toBe(true);
    gh.clock.advance(gh.config.lockout.lockDuration + 1);
    await gh.account.deleteAccount(userId, {});
    expect((await gh.mfa.lockState(userId)).locked).toBe(false);
  });
});
