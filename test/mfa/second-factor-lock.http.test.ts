/**
 * The second-factor lock over real HTTP on one adapter (NIST SP 800-63B-4 §3.2.2, OWASP ASVS 5.0
 * V6.3): with the defaults, 9 wrong TOTP codes in a row (across logins) and then the right one
 * still get in; the 10th wrong one locks TOTP for the account (`mfa.locked`, a notice mail to the
 * stored address), after which even the right code is refused, also once the temporary account
 * lockout has ended, until a backup code, a password reset or the administrator method lifts it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMemoryMailer, type MemoryMailer, type SecurityEvent } from '../../src/index.js';
import { totpCode, totpStep } from '../../src/mfa/totp.js';
import {
  ADAPTERS,
  bearer,
  field,
  get,
  type Harness,
  postJson,
  type Reply,
  registerUser,
  startHarness,
  type TestUser,
} from '../http/conformance/support.js';

const MFA_KEY = randomBytes(32).toString('base64url');
const BASE_URL = 'https://app.example.com';
const NEW_PASSWORD = 'amber-heron-77-orchard';
/** The default `mfa.maxFailures`. */
const N = 10;

const [adapter, start] = ADAPTERS[0] as (typeof ADAPTERS)[number];

describe(`the second-factor lock over HTTP (${adapter})`, () => {
  let h: Harness;
  let mailer: MemoryMailer;

  beforeAll(async () => {
    mailer = createMemoryMailer();
    h = await startHarness(start, {
      mfa: { secretKeys: MFA_KEY },
      mail: { mailer },
      account: { baseUrl: BASE_URL, emailVerification: 'off' },
      // Not about the per-user rate limit (tested elsewhere): let every attempt reach the check.
      rateLimits: { mfaPerUser: { limit: 1000, window: 300 } },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  const now = () => h.gh.now();
  const code = (secret: string) => totpCode(secret, totpStep(now()));
  /** A six-digit code that matches none of the steps the server accepts now. */
  const wrongCode = (secret: string): string => {
    const valid = new Set([-1, 0, 1].map((d) => totpCode(secret, totpStep(now()) + d)));
    for (let n = 0; ; n++) {
      const candidate = String(n).padStart(6, '0');
      if (!valid.has(candidate)) return candidate;
    }
  };
  const eventsOf = <T extends SecurityEvent['type']>(type: T, userId: string) =>
    h.gh.seen.filter(
      (e): e is Extract<SecurityEvent, { type: T }> =>
        e.type === type && (e as { userId?: string }).userId === userId,
    );

  /** A user enrolled over HTTP: their secret and backup codes. */
  async function enrolledUser(tag: string): Promise<TestUser & { secret: string; backupCodes: string[] }> {
    const user = await registerUser(h, tag);
    const login = await postJson(`${h.url}/auth/login`, { email: user.email, password: user.password });
    const access = field(login, 'access_token');
    const enroll = await postJson(
      `${h.url}/auth/mfa/totp/enroll`,
      { current_password: user.password },
      bearer(access),
    );
    const secret = field(enroll, 'secret');
    const confirm = await postJson(`${h.url}/auth/mfa/totp/confirm`, { code: code(secret) }, bearer(access));
    expect(confirm.status, confirm.text).toBe(200);
    h.gh.clock.advance(90);
    return { ...user, secret, backupCodes: confirm.body.backup_codes as string[] };
  }

  async function challenge(user: TestUser, password = user.password): Promise<string> {
    const reply = await postJson(`${h.url}/auth/login`, { email: user.email, password });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.mfa_required).toBe(true);
    return field(reply, 'challenge');
  }

  const verify = (challengeToken: string, proof: { code: string } | { backup_code: string }) =>
    postJson(`${h.url}/auth/mfa/verify`, { challenge: challengeToken, ...proof });

  function expectRefused(reply: Reply): void {
    expect(reply.status, reply.text).toBe(401);
    expect(reply.body.error).toBe('invalid_credentials');
    expect(reply.body).not.toHaveProperty('access_token');
  }

  /** `count` wrong codes, a fresh login (challenge) for every three: failures add up across logins. */
  async function failTimes(user: TestUser & { secret: string }, count: number): Promise<void> {
    let current = '';
    for (let i = 0; i < count; i++) {
      if (i % 3 === 0) current = await challenge(user);
      expectRefused(await verify(current, { code: wrongCode(user.secret) }));
    }
  }

  /** Logs in with the right TOTP code; the access token of the session. */
  async function signInWithTotp(user: TestUser & { secret: string }, password = user.password) {
    h.gh.clock.advance(30); // a later step than any accepted before (replay protection)
    const reply = await verify(await challenge(user, password), { code: code(user.secret) });
    expect(reply.status, reply.text).toBe(200);
    const me = await get(`${h.url}/auth/me`, bearer(field(reply, 'access_token')));
    expect(me.status).toBe(200);
    return reply;
  }

  /** Locks the user's factor with N wrong codes and waits out the temporary account lockout. */
  async function locked(tag: string) {
    const user = await enrolledUser(tag);
    await failTimes(user, N);
    expect(eventsOf('mfa.locked', user.id)).toEqual([
      expect.objectContaining({ userId: user.id, failures: N }),
    ]);
    // The 10th failure also reached the account lockout (lockout.maxFailures, 5 minutes): past it,
    // the password works again, the second factor stays locked.
    h.gh.clock.advance(h.gh.config.lockout.lockDuration + 1);
    return user;
  }

  it('N−1 wrong codes in a row, across logins, then the right one: signed in, and the count starts again', async () => {
    const user = await enrolledUser('lockbelow');
    await failTimes(user, N - 1);
    expect(eventsOf('mfa.failed', user.id).at(-1)).toMatchObject({ consecutiveFailures: N - 1 });
    await signInWithTotp(user);
    expect(eventsOf('mfa.locked', user.id)).toEqual([]);
    // A completed login reset the count: another N−1 failures still do not lock.
    await failTimes(user, N - 1);
    await signInWithTotp(user);
    expect(eventsOf('mfa.locked', user.id)).toEqual([]);
    expect((await h.gh.mfa.status(user.id)).locked).toBe(false);
  });

  it('N wrong codes lock TOTP: the right code is refused, mfa.locked is emitted and the owner is mailed', async () => {
    const user = await locked('locked');
    const refused = await verify(await challenge(user), { code: code(user.secret) });
    expectRefused(refused);
    // Exactly the answer of a wrong code: nothing tells the guesser the factor is locked.
    const wrong = await verify(await challenge(user), { code: wrongCode(user.secret) });
    expect(wrong.text).toBe(refused.text);
    expect(eventsOf('mfa.failed', user.id).slice(-2)).toEqual([
      expect.objectContaining({ method: 'totp', reason: 'factor_locked', consecutiveFailures: N }),
      expect.objectContaining({ method: 'totp', reason: 'factor_locked', consecutiveFailures: N }),
    ]);
    expect(await h.gh.mfa.status(user.id)).toMatchObject({ enabled: true, locked: true });

    const isLockNotice = (text: string) => text.includes('Two-factor sign-in locked');
    await vi.waitFor(() =>
      expect(mailer.messages.some((m) => m.to === user.email && isLockNotice(m.text))).toBe(true),
    );
    const notice = mailer.messages.find((m) => m.to === user.email && isLockNotice(m.text));
    expect(notice?.text).toContain('backup codes');
    expect(notice?.text).toContain('reset your password');
    expect(notice?.text).toContain(`${N} wrong two-factor codes`);
    expect(notice?.text).not.toContain('there is nothing to do');
    // Neither the events nor the mail carry the secret.
    for (const text of [JSON.stringify(h.gh.seen), notice?.text ?? ''])
      expect(text).not.toContain(user.secret);
  });

  it('a backup code lifts the lock and signs in; TOTP works again afterwards', async () => {
    const user = await locked('lockbackup');
    const [backup] = user.backupCodes as [string];
    const reply = await verify(await challenge(user), { backup_code: backup });
    expect(reply.status, reply.text).toBe(200);
    expect((await get(`${h.url}/auth/me`, bearer(field(reply, 'access_token')))).status).toBe(200);
    expect(eventsOf('mfa.unlocked', user.id)).toEqual([
      expect.objectContaining({ userId: user.id, reason: 'backup_code' }),
    ]);
    await signInWithTotp(user);
    expect((await h.gh.mfa.status(user.id)).locked).toBe(false);
  });

  it('a password reset lifts the lock; the next login still asks for the second factor', async () => {
    const user = await locked('lockreset');
    mailer.clear();
    const request = await postJson(`${h.url}/auth/password-reset/request`, { email: user.email });
    expect(request.status, request.text).toBe(202);
    const link = await vi.waitFor(() => {
      const found = mailer.last(user.email)?.text.match(/https:\/\/app\.example\.com\/\S+/)?.[0];
      expect(found).toBeDefined();
      return new URL(found as string);
    });
    const confirm = await postJson(`${h.url}/auth/password-reset/confirm`, {
      token: link.searchParams.get('token'),
      password: NEW_PASSWORD,
    });
    expect(confirm.status, confirm.text).toBe(204);
    expect(eventsOf('mfa.unlocked', user.id)).toEqual([
      expect.objectContaining({ userId: user.id, reason: 'password_reset' }),
    ]);
    await signInWithTotp(user, NEW_PASSWORD);
  });

  it('the administrator method lifts the lock (once); TOTP works again', async () => {
    const user = await locked('lockadmin');
    expectRefused(await verify(await challenge(user), { code: code(user.secret) }));
    expect(await h.gh.mfa.unlockSecondFactor(user.id)).toBe(true);
    expect(await h.gh.mfa.unlockSecondFactor(user.id)).toBe(false);
    expect(eventsOf('mfa.unlocked', user.id)).toEqual([
      expect.objectContaining({ userId: user.id, reason: 'admin' }),
    ]);
    await signInWithTotp(user);
  });
});
