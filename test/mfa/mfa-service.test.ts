/**
 * MfaService and the login step-up (MF-02 to MF-08, RL-06, RL-07, RV-04, EV-06), against the
 * memory store and, for "what is stored", a real SQLite file.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../../adapters/sqlite/index.js';
import {
  InvalidCredentialsError,
  NotFoundError,
  OneTimeTokenError,
  RateLimitedError,
  ReauthenticationRequiredError,
  TokenInvalidError,
  TokenRevokedError,
} from '../../src/errors.js';
import {
  type AuthenticatedLogin,
  ConfigError,
  createGatehouse,
  createMemoryMailer,
  createMemoryStore,
  type GatehouseConfig,
  isAuthError,
  type MfaRequiredLogin,
  type SecurityEvent,
} from '../../src/index.js';
import { hashBackupCode } from '../../src/mfa/backup-codes.js';
import { InvalidMfaCodeError, MfaAlreadyEnabledError, MfaNotConfiguredError } from '../../src/mfa/errors.js';
import { totpCode, totpStep } from '../../src/mfa/totp.js';
import { GOOD_PASSWORD, type TestGatehouse, testGatehouse } from '../support/gatehouse.js';
import { authenticated, loginTokens } from '../support/login.js';

const MFA_KEY = randomBytes(32).toString('base64');
const EMAIL = 'ada@example.com';
const NEW_PASSWORD = 'amber-heron-77-orchard';

function mfaGatehouse(overrides: Partial<GatehouseConfig> = {}): TestGatehouse {
  return testGatehouse({ ...overrides, mfa: { secretKeys: MFA_KEY, ...overrides.mfa } });
}

/** The code of the step `offset` steps from now, by the gatehouse clock. */
function codeAt(gh: TestGatehouse, secret: string, offset = 0): string {
  return totpCode(secret, totpStep(gh.now()) + offset);
}

interface Enrolled {
  readonly userId: string;
  readonly secret: string;
  readonly backupCodes: readonly string[];
}

/**
 * Registers and enrols a user, then moves the clock three steps on, so the enrolment's step lies
 * behind every code of the current window.
 */
async function enrolled(gh: TestGatehouse, email = EMAIL): Promise<Enrolled> {
  const user = await gh.auth.register({ email, password: GOOD_PASSWORD });
  const { secret } = await gh.mfa.beginTotpEnrolment(user.id, { currentPassword: GOOD_PASSWORD });
  const { backupCodes } = await gh.mfa.confirmTotpEnrolment(user.id, codeAt(gh, secret));
  gh.clock.advance(90);
  return { userId: user.id, secret, backupCodes };
}

async function challengeOf(gh: TestGatehouse, email = EMAIL, password = GOOD_PASSWORD): Promise<string> {
  const result = await gh.auth.login({ identifier: email, password });
  expect(result.status).toBe('mfa_required');
  return (result as MfaRequiredLogin).challenge;
}

const hashOf = (code: string): string => hashBackupCode(code);

const eventsOf = <T extends SecurityEvent['type']>(gh: TestGatehouse, type: T) =>
  gh.seen.filter((e): e is Extract<SecurityEvent, { type: T }> => e.type === type);

describe('configuration', () => {
  it('defaults: window 1, challenge 300 s, 10 backup codes; TOTP off without secretKeys', async () => {
    const gh = testGatehouse();
    expect(gh.config.mfa).toMatchObject({
      required: false,
      window: 1,
      challengeTtl: 300,
      backupCodeCount: 10,
    });
    expect(gh.mfa.configured).toBe(false);
    const user = await gh.auth.register({ email: EMAIL, password: GOOD_PASSWORD });
    const error = await gh.mfa
      .beginTotpEnrolment(user.id, { currentPassword: GOOD_PASSWORD })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MfaNotConfiguredError);
    expect((error as MfaNotConfiguredError).status).toBe(501);
    await expect(gh.mfa.confirmTotpEnrolment(user.id, '123456')).rejects.toBeInstanceOf(
      MfaNotConfiguredError,
    );
    // Login is unaffected.
    expect((await gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD })).status).toBe(
      'authenticated',
    );
  });

  it.each([
    ['a passphrase', 'correct horse battery staple', 'mfa.secretKeys'],
    ['31 bytes', randomBytes(31).toString('base64'), 'mfa.secretKeys'],
    ['33 raw bytes', new Uint8Array(33), 'mfa.secretKeys'],
    ['a bad second key', [MFA_KEY, 'nope'], 'mfa.secretKeys[1]'],
    ['an empty list', [], 'mfa.secretKeys'],
  ])('refuses %s as mfa.secretKeys at start-up, naming the field', (_name, secretKeys, path) => {
    const error = (() => {
      try {
        createGatehouse({
          store: createMemoryStore(),
          tokens: { secret: randomBytes(32).toString('base64') },
          mfa: { secretKeys: secretKeys as string },
        });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.path)).toContain(path);
    expect((error as ConfigError).message).not.toContain(MFA_KEY);
  });

  it('accepts one key, raw bytes, base64url, or a rotation list', () => {
    for (const secretKeys of [
      MFA_KEY,
      randomBytes(32),
      randomBytes(32).toString('base64url'),
      [MFA_KEY, randomBytes(32)],
    ]) {
      expect(() => mfaGatehouse({ mfa: { secretKeys } })).not.toThrow();
    }
  });

  it.each([
    [{ window: 2 }, 'mfa.window'],
    [{ challengeTtl: 301 }, 'mfa.challengeTtl'],
    [{ backupCodeCount: 9 }, 'mfa.backupCodeCount'],
    [{ issuer: 'Acme: Inc' }, 'mfa.issuer'],
  ])('refuses %o', (mfa, path) => {
    const error = (() => {
      try {
        mfaGatehouse({ mfa });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.path)).toContain(path);
  });
});

describe('TOTP enrolment', () => {
  it('needs the current password (MF-06) and shows a 160-bit secret, its URI and a QR code once', async () => {
    const gh = mfaGatehouse({ account: { appName: 'Acme' } });
    const user = await gh.auth.register({ email: EMAIL, password: GOOD_PASSWORD });
    for (const currentPassword of [undefined, '', 'wrong-password-here', 42]) {
      const error = await gh.mfa.beginTotpEnrolment(user.id, { currentPassword }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReauthenticationRequiredError);
      expect((error as ReauthenticationRequiredError).status).toBe(403);
    }
    expect(await gh.store.mfa.getTotp(user.id)).toBeNull();

    const enrolment = await gh.mfa.beginTotpEnrolment(user.id, { currentPassword: GOOD_PASSWORD });
    expect(enrolment.secret).toMatch(/^[A-Z2-7]{32}$/); // 32 base32 characters = 20 bytes
    const uri = new URL(enrolment.uri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('secret')).toBe(enrolment.secret);
    expect(uri.searchParams.get('issuer')).toBe('Acme');
    expect(decodeURIComponent(uri.pathname)).toContain(EMAIL);
    expect(enrolment.qrSvg).toMatch(/<svg[\s\S]*<\/svg>\s*$/);

    const stored = await gh.store.mfa.getTotp(user.id);
    expect(stored).toMatchObject({ enabled: false, lastUsedStep: null });
    expect(stored?.secret).toMatch(/^v1\./);
    expect(stored?.secret).not.toContain(enrolment.secret);
    expect(eventsOf(gh, 'mfa.enrolment_started')).toHaveLength(1);
    expect(JSON.stringify(gh.seen)).not.toContain(enrolment.secret);

    // Pending is not active: login still issues tokens.
    expect((await gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD })).status).toBe(
      'authenticated',
    );
    expect((await gh.mfa.status(user.id)).pending).toBe(true);
  });

  it('becomes active only with a valid code, then returns backup codes once and revokes other sessions (RV-04)', async () => {
    const gh = mfaGatehouse();
    const user = await gh.auth.register({ email: EMAIL, password: GOOD_PASSWORD });
    const mine = await loginTokens(gh, { identifier: EMAIL, password: GOOD_PASSWORD });
    const other = await loginTokens(gh, { identifier: EMAIL, password: GOOD_PASSWORD });
    const { secret } = await gh.mfa.beginTotpEnrolment(user.id, { currentPassword: GOOD_PASSWORD });

    for (const code of ['000000', codeAt(gh, secret, 2), 'abcdef', '']) {
      await expect(gh.mfa.confirmTotpEnrolment(user.id, code)).rejects.toBeInstanceOf(InvalidMfaCodeError);
    }
    expect(await gh.mfa.isEnabled(user.id)).toBe(false);

    const { backupCodes } = await gh.mfa.confirmTotpEnrolment(user.id, codeAt(gh, secret), undefined, {
      keepFamilyId: mine.familyId,
    });
    expect(backupCodes).toHaveLength(10);
    for (const code of backupCodes)
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(new Set(backupCodes).size).toBe(10);
    expect(await gh.mfa.status(user.id)).toEqual({
      enabled: true,
      pending: false,
      backupCodesRemaining: 10,
      locked: false,
    });

    await expect(gh.auth.authenticate(mine.accessToken)).resolves.toBeTruthy();
    await expect(gh.auth.authenticate(other.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    await expect(gh.auth.refresh(other.refreshToken)).rejects.toBeTruthy();
    expect(eventsOf(gh, 'mfa.enabled')).toEqual([
      expect.objectContaining({ userId: user.id, method: 'totp', revokedTokens: 2 }),
    ]);
    expect(eventsOf(gh, 'token.revoked').at(-1)).toMatchObject({ reason: 'mfa_changed', count: 2 });

    // The confirming code's step is used: the same code cannot log in.
    const challenge = await challengeOf(gh);
    await expect(gh.mfa.completeLogin(challenge, { code: codeAt(gh, secret) })).rejects.toBeInstanceOf(
      InvalidMfaCodeError,
    );
    expect(eventsOf(gh, 'mfa.failed').at(-1)).toMatchObject({ reason: 'replayed' });
  });

  it('refuses to enrol again while enabled (disable first) and a confirm without a pending enrolment', async () => {
    const gh = mfaGatehouse();
    const { userId, secret } = await enrolled(gh);
    const error = await gh.mfa
      .beginTotpEnrolment(userId, { currentPassword: GOOD_PASSWORD })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MfaAlreadyEnabledError);
    expect((error as MfaAlreadyEnabledError).status).toBe(409);
    await expect(gh.mfa.confirmTotpEnrolment(userId, codeAt(gh, secret))).rejects.toBeInstanceOf(
      MfaAlreadyEnabledError,
    );
    const other = await gh.auth.register({ email: 'bob@example.com', password: GOOD_PASSWORD });
    await expect(gh.mfa.confirmTotpEnrolment(other.id, '123456')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('login step-up (MF-07)', () => {
  it('issues a challenge and no tokens; completing it with a TOTP code issues tokens', async () => {
    const gh = mfaGatehouse({ tokens: { scopes: ['read'] } });
    const { userId, secret } = await enrolled(gh);
    const before = await gh.store.tokens.listActiveForUser(userId, gh.now());
    gh.seen.length = 0;

    const context = { ip: '198.51.100.7', userAgent: 'test-agent' };
    const result = await gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD }, context, {
      scope: ['read'],
    });
    expect(result).toEqual({
      status: 'mfa_required',
      challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresIn: 300,
      methods: ['totp', 'backup_code'],
    });
    expect(result).not.toHaveProperty('accessToken');
    expect(await gh.store.tokens.listActiveForUser(userId, gh.now())).toHaveLength(before.length);
    expect(eventsOf(gh, 'login.succeeded')).toHaveLength(0);
    expect(eventsOf(gh, 'mfa.challenged')).toEqual([expect.objectContaining({ userId, ip: '198.51.100.7' })]);

    const done = await gh.mfa.completeLogin(
      (result as MfaRequiredLogin).challenge,
      { code: codeAt(gh, secret) },
      context,
    );
    expect(done.status).toBe('authenticated');
    expect(done.user).toMatchObject({ id: userId, email: EMAIL });
    expect(done.scope).toEqual(['read']);
    expect((await gh.auth.authenticate(done.accessToken)).user.id).toBe(userId);
    expect(eventsOf(gh, 'login.succeeded')).toEqual([
      expect.objectContaining({ userId, factor: 'totp', familyId: done.familyId }),
    ]);
  });

  it('partial authentication gives no access: a challenge is not an access token, nor the reverse', async () => {
    const gh = mfaGatehouse();
    const { secret } = await enrolled(gh);
    const challenge = await challengeOf(gh);
    await expect(gh.tokens.verify(challenge)).rejects.toBeInstanceOf(TokenInvalidError);
    await expect(gh.auth.authenticate(challenge)).rejects.toBeInstanceOf(TokenInvalidError);
    await expect(gh.auth.refresh(challenge)).rejects.toBeTruthy();

    const done = await gh.mfa.completeLogin(challenge, { code: codeAt(gh, secret) });
    gh.clock.advance(30);
    const next = await challengeOf(gh);
    for (const notAChallenge of [done.accessToken, done.refreshToken]) {
      await expect(gh.mfa.completeLogin(notAChallenge, { code: codeAt(gh, secret) })).rejects.toBeInstanceOf(
        OneTimeTokenError,
      );
    }
    // A one-time token of another purpose is no challenge either (EV-03).
    const other = await gh.account.oneTimeTokens.issue('password_reset', 'someone', 60, {});
    await expect(gh.mfa.completeLogin(other, { code: codeAt(gh, secret) })).rejects.toBeInstanceOf(
      OneTimeTokenError,
    );
    await expect(gh.mfa.completeLogin(next, { code: codeAt(gh, secret) })).resolves.toMatchObject({
      status: 'authenticated',
    });
  });

  it('a challenge is single use, expires after 5 minutes, and a newer login replaces it', async () => {
    const gh = mfaGatehouse();
    const { secret } = await enrolled(gh);
    const used = await challengeOf(gh);
    await gh.mfa.completeLogin(used, { code: codeAt(gh, secret) });
    gh.clock.advance(30);
    await expect(gh.mfa.completeLogin(used, { code: codeAt(gh, secret) })).rejects.toBeInstanceOf(
      OneTimeTokenError,
    );

    const expiring = await challengeOf(gh);
    gh.clock.advance(301);
    await expect(gh.mfa.completeLogin(expiring, { code: codeAt(gh, secret) })).rejects.toBeInstanceOf(
      OneTimeTokenError,
    );

    const first = await challengeOf(gh);
    const second = await challengeOf(gh);
    await expect(gh.mfa.completeLogin(first, { code: codeAt(gh, secret) })).rejects.toBeInstanceOf(
      OneTimeTokenError,
    );
    await expect(gh.mfa.completeLogin(second, { code: codeAt(gh, secret) })).resolves.toBeTruthy();
  });

  it('honours a shorter mfa.challengeTtl', async () => {
    const gh = mfaGatehouse({ mfa: { challengeTtl: 60 } });
    const { secret } = await enrolled(gh);
    const result = await gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD });
    expect(result).toMatchObject({ status: 'mfa_required', expiresIn: 60 });
    gh.clock.advance(61);
    await expect(
      gh.mfa.completeLogin((result as MfaRequiredLogin).challenge, { code: codeAt(gh, secret) }),
    ).rejects.toBeInstanceOf(OneTimeTokenError);
  });

  it('needs exactly one of code and backupCode', async () => {
    const gh = mfaGatehouse();
    const { secret, backupCodes } = await enrolled(gh);
    const challenge = await challengeOf(gh);
    for (const proof of [{}, { code: codeAt(gh, secret), backupCode: backupCodes[0] }, { code: 123456 }]) {
      const error = await gh.mfa.completeLogin(challenge, proof as never).catch((e: unknown) => e);
      expect(isAuthError(error, 'ERR_VALIDATION')).toBe(true);
    }
  });
});

describe('TOTP verification', () => {
  it('accepts the codes of T-1 and T+1 and refuses T-2 and T+2 (MF-03, server time only)', async () => {
    const gh = mfaGatehouse();
    const { secret } = await enrolled(gh);
    for (const offset of [-2, 2]) {
      const challenge = await challengeOf(gh);
      await expect(
        gh.mfa.completeLogin(challenge, { code: codeAt(gh, secret, offset) }),
      ).rejects.toBeInstanceOf(InvalidMfaCodeError);
    }
    expect(eventsOf(gh, 'mfa.failed').map((e) => e.reason)).toEqual(['wrong_code', 'wrong_code']);
    for (const offset of [-1, 1]) {
      const challenge = await challengeOf(gh);
      await expect(
        gh.mfa.completeLogin(challenge, { code: codeAt(gh, secret, offset) }),
      ).resolves.toMatchObject({
        status: 'authenticated',
      });
    }
  });

  it('with mfa.window 0 accepts only the current step', async () => {
    const gh = mfaGatehouse({ mfa: { window: 0 } });
    const { secret } = await enrolled(gh);
    for (const offset of [-1, 1]) {
      await expect(
        gh.mfa.completeLogin(await challengeOf(gh), { code: codeAt(gh, secret, offset) }),
      ).rejects.toBeInstanceOf(InvalidMfaCodeError);
    }
    await expect(
      gh.mfa.completeLogin(await challengeOf(gh), { code: codeAt(gh, secret) }),
    ).resolves.toBeTruthy();
  });

  it('refuses a replayed code, and any code of a step not after the last accepted one (MF-04)', async () => {
    const gh = mfaGatehouse();
    const { secret } = await enrolled(gh);
    const code = codeAt(gh, secret, 1);
    await gh.mfa.completeLogin(await challengeOf(gh), { code });
    for (const replay of [code, codeAt(gh, secret), codeAt(gh, secret, -1)]) {
      await expect(gh.mfa.completeLogin(await challengeOf(gh), { code: replay })).rejects.toBeInstanceOf(
        InvalidMfaCodeError,
      );
    }
    expect(eventsOf(gh, 'mfa.failed').map((e) => e.reason)).toEqual(['replayed', 'replayed', 'replayed']);
  });

  it('of 10 concurrent completions with one valid code exactly one gets tokens', async () => {
    const gh = mfaGatehouse({ rateLimits: { mfaPerUser: { limit: 1000, window: 300 } } });
    const { secret } = await enrolled(gh);
    const challenge = await challengeOf(gh);
    const code = codeAt(gh, secret);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => gh.mfa.completeLogin(challenge, { code })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(InvalidMfaCodeError);
    }
    expect(eventsOf(gh, 'login.succeeded')).toHaveLength(1);
  });

  it('of concurrent completions with different valid codes exactly one gets tokens (atomic redemption)', async () => {
    const gh = mfaGatehouse({ rateLimits: { mfaPerUser: { limit: 1000, window: 300 } } });
    const { secret } = await enrolled(gh);
    const challenge = await challengeOf(gh);
    const results = await Promise.allSettled(
      [-1, 0, 1].map((offset) => gh.mfa.completeLogin(challenge, { code: codeAt(gh, secret, offset) })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(OneTimeTokenError);
    }
  });
});

describe('failed second factors (MF-05, RL-06, RL-07)', () => {
  it('a wrong code emits mfa.failed with the user id; 3 in a row emit mfa.suspicious and mail the stored address', async () => {
    const mailer = createMemoryMailer();
    const gh = mfaGatehouse({
      mail: { mailer },
      account: { baseUrl: 'https://app.example.com', emailVerification: 'off' },
    });
    const { userId } = await enrolled(gh, 'Ada@Example.com');
    const context = { ip: '203.0.113.9', userAgent: 'attacker-agent' };
    const challenge = await challengeOf(gh, 'ADA@example.com');
    for (let i = 0; i < 3; i++) {
      const error = await gh.mfa
        .completeLogin(challenge, { code: '000000' }, context)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidMfaCodeError);
      expect((error as InvalidMfaCodeError).status).toBe(401);
    }
    expect(eventsOf(gh, 'mfa.failed')).toEqual(
      [1, 2, 3].map((n) =>
        expect.objectContaining({
          userId,
          method: 'totp',
          reason: 'wrong_code',
          consecutiveFailures: n,
          ip: '203.0.113.9',
        }),
      ),
    );
    expect(eventsOf(gh, 'mfa.suspicious')).toEqual([
      expect.objectContaining({ userId, consecutiveFailures: 3 }),
    ]);
    const isNotice = (text: string) => text.includes('Failed two-factor sign-in attempts');
    await vi.waitFor(() => expect(mailer.messages.some((m) => isNotice(m.text))).toBe(true));
    const notice = mailer.messages.find((m) => isNotice(m.text));
    expect(notice?.to).toBe('ada@example.com');
    expect(notice?.text).toContain('203.0.113.9');
    expect(JSON.stringify(gh.seen)).not.toContain('000000');
  });

  it('rate limits attempts per user: past rateLimits.mfaPerUser, 429 even with the right code', async () => {
    const gh = mfaGatehouse();
    const { secret } = await enrolled(gh);
    const challenge = await challengeOf(gh);
    const { limit } = gh.config.rateLimits.mfaPerUser;
    for (let i = 0; i < limit; i++) {
      await expect(gh.mfa.completeLogin(challenge, { code: '000000' })).rejects.toBeInstanceOf(
        InvalidMfaCodeError,
      );
    }
    const error = await gh.mfa
      .completeLogin(challenge, { code: codeAt(gh, secret) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).status).toBe(429);
    expect((error as RateLimitedError).retryAfter).toBeGreaterThan(0);
  });

  it('rate limits enrolment confirmations too, in their own bucket (logins stay possible)', async () => {
    const gh = mfaGatehouse({ rateLimits: { mfaPerUser: { limit: 2, window: 300 } } });
    const user = await gh.auth.register({ email: EMAIL, password: GOOD_PASSWORD });
    const { secret } = await gh.mfa.beginTotpEnrolment(user.id, { currentPassword: GOOD_PASSWORD });
    for (let i = 0; i < 2; i++) {
      await expect(gh.mfa.confirmTotpEnrolment(user.id, '000000')).rejects.toBeInstanceOf(
        InvalidMfaCodeError,
      );
    }
    await expect(gh.mfa.confirmTotpEnrolment(user.id, codeAt(gh, secret))).rejects.toBeInstanceOf(
      RateLimitedError,
    );
    // Sliding window: 2 hits at the start of a 300 s window fade out by 300 + 150 s.
    gh.clock.advance(449);
    await expect(gh.mfa.confirmTotpEnrolment(user.id, codeAt(gh, secret))).rejects.toBeInstanceOf(
      RateLimitedError,
    );
    gh.clock.advance(1);
    await gh.mfa.confirmTotpEnrolment(user.id, codeAt(gh, secret));
    gh.clock.advance(90);
    await expect(
      gh.mfa.completeLogin(await challengeOf(gh), { code: codeAt(gh, secret) }),
    ).resolves.toBeTruthy();
  });

  it('wrong codes count toward the account lockout; a locked account cannot complete or log in', async () => {
    const gh = mfaGatehouse({
      rateLimits: { mfaPerUser: { limit: 1000, window: 300 } },
      lockout: { maxFailures: 4 },
    });
    const { userId, secret } = await enrolled(gh);
    const challenge = await challengeOf(gh);
    for (let i = 0; i < 4; i++) {
      await expect(gh.mfa.completeLogin(challenge, { code: '000000' })).rejects.toBeInstanceOf(
        InvalidMfaCodeError,
      );
    }
    expect(eventsOf(gh, 'account.locked')).toEqual([expect.objectContaining({ userId })]);
    await expect(gh.mfa.completeLogin(challenge, { code: codeAt(gh, secret) })).rejects.toBeInstanceOf(
      InvalidMfaCodeError,
    );
    expect(eventsOf(gh, 'mfa.failed').at(-1)).toMatchObject({ reason: 'account_locked' });
    await expect(gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
  });

  it('a right password does not reset the lockout count of an MFA account; a completed login does', async () => {
    const config = {
      rateLimits: { mfaPerUser: { limit: 1000, window: 300 } },
      lockout: { maxFailures: 3 },
    } satisfies Partial<GatehouseConfig>;
    // Right password, wrong code, three times: the failures add up to a lock.
    const gh = mfaGatehouse(config);
    const a = await enrolled(gh);
    for (let i = 0; i < 3; i++) {
      await expect(gh.mfa.completeLogin(await challengeOf(gh), { code: '000000' })).rejects.toBeInstanceOf(
        InvalidMfaCodeError,
      );
    }
    expect((await gh.lockout.state(a.userId)).locked).toBe(true);

    // A completed login in between resets the count.
    const other = mfaGatehouse(config);
    const b = await enrolled(other);
    for (let round = 0; round < 3; round++) {
      await expect(
        other.mfa.completeLogin(await challengeOf(other), { code: '000000' }),
      ).rejects.toBeInstanceOf(InvalidMfaCodeError);
      other.clock.advance(30);
      await other.mfa.completeLogin(await challengeOf(other), { code: codeAt(other, b.secret) });
    }
    expect((await other.lockout.state(b.userId)).locked).toBe(false);
  });

  it('HTTP Basic (a password alone) is refused for an account with a second factor', async () => {
    const gh = mfaGatehouse();
    const { userId } = await enrolled(gh);
    await expect(
      gh.auth.verifyCredentials({ identifier: EMAIL, password: GOOD_PASSWORD }),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect(eventsOf(gh, 'login.failed').at(-1)).toMatchObject({
      userId,
      factor: 'basic',
      reason: 'mfa_required',
    });
  });
});

describe('backup codes (MF-08)', () => {
  it('complete a login once each, typed in any case and grouping', async () => {
    const gh = mfaGatehouse();
    const { userId, backupCodes } = await enrolled(gh);
    const [first, second] = backupCodes as [string, string];
    const done = await gh.mfa.completeLogin(await challengeOf(gh), { backupCode: first });
    expect(done.status).toBe('authenticated');
    expect(eventsOf(gh, 'login.succeeded').at(-1)).toMatchObject({ userId, factor: 'backup_code' });
    expect(eventsOf(gh, 'mfa.backup_code_used')).toEqual([expect.objectContaining({ userId, remaining: 9 })]);

    await expect(gh.mfa.completeLogin(await challengeOf(gh), { backupCode: first })).rejects.toBeInstanceOf(
      InvalidMfaCodeError,
    );
    expect(eventsOf(gh, 'mfa.failed').at(-1)).toMatchObject({ method: 'backup_code', reason: 'wrong_code' });
    const typed = ` ${second.replaceAll('-', ' ').toLowerCase()} `;
    await expect(gh.mfa.completeLogin(await challengeOf(gh), { backupCode: typed })).resolves.toBeTruthy();
    expect((await gh.mfa.status(userId)).backupCodesRemaining).toBe(8);
  });

  it('regenerating needs the password and voids the old set', async () => {
    const gh = mfaGatehouse({ mfa: { backupCodeCount: 12 } });
    const { userId, backupCodes: old } = await enrolled(gh);
    for (const currentPassword of [undefined, 'wrong-password-here']) {
      await expect(gh.mfa.regenerateBackupCodes(userId, { currentPassword })).rejects.toBeInstanceOf(
        ReauthenticationRequiredError,
      );
    }
    const { backupCodes } = await gh.mfa.regenerateBackupCodes(userId, { currentPassword: GOOD_PASSWORD });
    expect(backupCodes).toHaveLength(12);
    expect(backupCodes.some((c) => old.includes(c))).toBe(false);
    expect(eventsOf(gh, 'mfa.backup_codes_regenerated')).toHaveLength(1);
    await expect(
      gh.mfa.completeLogin(await challengeOf(gh), { backupCode: old[0] as string }),
    ).rejects.toBeInstanceOf(InvalidMfaCodeError);
    await expect(
      gh.mfa.completeLogin(await challengeOf(gh), { backupCode: backupCodes[0] as string }),
    ).resolves.toBeTruthy();
  });

  it('the challenge lists backup_code only while codes remain', async () => {
    const gh = mfaGatehouse();
    const { userId, backupCodes } = await enrolled(gh);
    for (const code of backupCodes) await gh.store.mfa.consumeBackupCode(userId, hashOf(code));
    const result = await gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD });
    expect(result).toMatchObject({ status: 'mfa_required', methods: ['totp'] });
  });
});

describe('disabling (MF-06, RV-04)', () => {
  it('needs the password, removes the factor and codes, revokes other sessions; login is single-step again', async () => {
    const gh = mfaGatehouse();
    const { userId, secret } = await enrolled(gh);
    const mine = await gh.mfa.completeLogin(await challengeOf(gh), { code: codeAt(gh, secret) });
    gh.clock.advance(30);
    const other = await gh.mfa.completeLogin(await challengeOf(gh), { code: codeAt(gh, secret) });
    const pending = await challengeOf(gh);

    for (const currentPassword of [undefined, 'wrong-password-here']) {
      const error = await gh.mfa.disableTotp(userId, { currentPassword }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReauthenticationRequiredError);
      expect((error as ReauthenticationRequiredError).status).toBe(403);
    }
    expect(await gh.mfa.isEnabled(userId)).toBe(true);

    await gh.mfa.disableTotp(userId, { currentPassword: GOOD_PASSWORD }, undefined, {
      keepFamilyId: mine.familyId,
    });
    expect(await gh.store.mfa.getTotp(userId)).toBeNull();
    expect(await gh.store.mfa.countBackupCodes(userId)).toBe(0);
    await expect(gh.auth.authenticate(mine.accessToken)).resolves.toBeTruthy();
    await expect(gh.auth.authenticate(other.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    await expect(gh.mfa.completeLogin(pending, { code: codeAt(gh, secret, 1) })).rejects.toBeInstanceOf(
      OneTimeTokenError,
    );
    expect(eventsOf(gh, 'mfa.disabled')).toEqual([expect.objectContaining({ userId, by: 'user' })]);
    expect((await gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD })).status).toBe(
      'authenticated',
    );
    await expect(gh.mfa.disableTotp(userId, { currentPassword: GOOD_PASSWORD })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('an administrator reset removes every factor and every session', async () => {
    const gh = mfaGatehouse();
    const { userId, secret } = await enrolled(gh);
    const session = await gh.mfa.completeLogin(await challengeOf(gh), { code: codeAt(gh, secret) });
    expect(await gh.mfa.resetForUser(userId)).toBe(true);
    await expect(gh.auth.authenticate(session.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    expect(eventsOf(gh, 'mfa.disabled')).toEqual([expect.objectContaining({ userId, by: 'admin' })]);
    expect(await gh.mfa.resetForUser(userId)).toBe(false);
  });
});

describe('password reset does not bypass MFA (EV-06)', () => {
  it('after a reset, login still answers mfa_required and the factor still works', async () => {
    const mailer = createMemoryMailer();
    const gh = mfaGatehouse({ mail: { mailer }, account: { baseUrl: 'https://app.example.com' } });
    const { userId, secret } = await enrolled(gh);
    const session = await gh.mfa.completeLogin(await challengeOf(gh), { code: codeAt(gh, secret) });
    mailer.clear();

    await gh.account.requestPasswordReset(EMAIL);
    await vi.waitFor(() => expect(mailer.last(EMAIL)?.text).toMatch(/https:\/\/app\.example\.com\/\S+/));
    const link = new URL(mailer.last(EMAIL)?.text.match(/https:\/\/app\.example\.com\/\S+/)?.[0] as string);
    await gh.account.confirmPasswordReset(link.searchParams.get('token'), NEW_PASSWORD);

    await expect(gh.auth.authenticate(session.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    expect(await gh.mfa.isEnabled(userId)).toBe(true);
    const result = await gh.auth.login({ identifier: EMAIL, password: NEW_PASSWORD });
    expect(result.status).toBe('mfa_required');
    expect(result).not.toHaveProperty('accessToken');
    gh.clock.advance(30);
    const done = await gh.mfa.completeLogin((result as MfaRequiredLogin).challenge, {
      code: codeAt(gh, secret),
    });
    expect(authenticated(done).user.id).toBe(userId);
  });
});

describe('what is stored (MF-02, MF-08), on a SQLite file', () => {
  const dirs: string[] = [];
  const stores: SqliteStore[] = [];
  afterEach(() => {
    for (const store of stores.splice(0)) store.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('holds the secret only sealed and the backup codes only as hashes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-mfa-'));
    dirs.push(dir);
    const store = createSqliteStore({ filename: join(dir, 'auth.sqlite') });
    stores.push(store);
    const gh = mfaGatehouse({ store });
    const { userId, secret, backupCodes } = await enrolled(gh);
    const done: AuthenticatedLogin = await gh.mfa.completeLogin(await challengeOf(gh), {
      code: codeAt(gh, secret),
    });
    expect(done.status).toBe('authenticated');

    const stored = await gh.store.mfa.getTotp(userId);
    expect(stored?.secret).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(stored?.secret).not.toContain(secret);

    const tables = store.db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((t) => t.name);
    const dump = JSON.stringify(tables.map((name) => store.db.prepare(`SELECT * FROM "${name}"`).all()));
    expect(dump).not.toContain(secret);
    expect(dump.toLowerCase()).not.toContain(secret.toLowerCase());
    for (const code of backupCodes) {
      expect(dump).not.toContain(code);
      expect(dump).not.toContain(code.replaceAll('-', ''));
      expect(dump).toContain(hashOf(code));
    }
    expect(dump).not.toContain(GOOD_PASSWORD);
  });
});
