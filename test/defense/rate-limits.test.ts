/**
 * RL-06: rate limits on registration, refresh, password reset (per IP and per account) and
 * verification resend (per account). Each one: the (N+1)th request in the window is refused with
 * RateLimitedError (429 with an integer Retry-After), and after exactly Retry-After seconds it
 * goes through (fake clock; a second earlier it is still refused, and refused requests don't count).
 *
 * Windows slide: a burst of N at the start of a window of W seconds still weighs in the next
 * window, fading linearly, so with a limit of N the next request is admitted W + ceil(W / N)
 * seconds after the burst (the fake clock starts on a window boundary).
 */
import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../src/errors.js';
import type { RequestContext } from '../../src/index.js';
import { mailGatehouse, settle, signIn, tokenOf, waitForMail } from '../account/support.js';
import { GOOD_PASSWORD, testGatehouse } from '../support/gatehouse.js';

const A: RequestContext = { ip: '203.0.113.1' };
const B: RequestContext = { ip: '203.0.113.2' };

async function limited(promise: Promise<unknown>): Promise<RateLimitedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RateLimitedError);
  const e = error as RateLimitedError;
  expect(e.status).toBe(429);
  expect(Number.isInteger(e.retryAfter)).toBe(true);
  expect(e.retryAfter).toBeGreaterThanOrEqual(1);
  return e;
}

describe('RL-06: registration per IP', () => {
  it('the (N+1)th registration from one IP -> RateLimitedError; other IPs unaffected; the window ends', async () => {
    const gh = testGatehouse({ rateLimits: { registerPerIp: { limit: 3, window: 3600 } } });
    for (let i = 0; i < 3; i++) {
      await gh.auth.register({ email: `user${i}@example.com`, password: GOOD_PASSWORD }, A);
    }
    const error = await limited(gh.auth.register({ email: 'user3@example.com', password: GOOD_PASSWORD }, A));
    expect(error.retryAfter).toBe(3600 + 1200);
    // Invalid input is throttled as well: the limit is checked before any validation.
    await limited(gh.auth.register({ email: 'not-an-email', password: 'x' }, A));
    expect(await gh.store.users.findByEmail('user3@example.com')).toBeNull();

    await gh.auth.register({ email: 'user3@example.com', password: GOOD_PASSWORD }, B);
    // A fixed window would admit a new burst at 3600 s; the sliding one still counts the first.
    gh.clock.advance(3600);
    await limited(gh.auth.register({ email: 'user4@example.com', password: GOOD_PASSWORD }, A));
    gh.clock.advance(1199);
    await limited(gh.auth.register({ email: 'user4@example.com', password: GOOD_PASSWORD }, A));
    gh.clock.advance(1);
    await expect(
      gh.auth.register({ email: 'user4@example.com', password: GOOD_PASSWORD }, A),
    ).resolves.toMatchObject({ email: 'user4@example.com' });
  });
});

describe('RL-06: refresh per IP', () => {
  it('the (N+1)th refresh from one IP -> RateLimitedError without using up the refresh token', async () => {
    const gh = testGatehouse({ rateLimits: { refreshPerIp: { limit: 3, window: 60 } } });
    await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
    let { refreshToken } = await signIn(gh, 'ada@example.com', GOOD_PASSWORD, A);
    for (let i = 0; i < 3; i++) refreshToken = (await gh.auth.refresh(refreshToken, A)).refreshToken;
    const error = await limited(gh.auth.refresh(refreshToken, A));
    expect(error.retryAfter).toBe(60 + 20);
    // Garbage counts too (and is refused as throttled, not parsed).
    await limited(gh.auth.refresh('garbage', A));

    refreshToken = (await gh.auth.refresh(refreshToken, B)).refreshToken;
    await limited(gh.auth.refresh(refreshToken, A));
    gh.clock.advance(79);
    await limited(gh.auth.refresh(refreshToken, A));
    gh.clock.advance(1);
    await expect(gh.auth.refresh(refreshToken, A)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });
});

describe('RL-06: password reset per IP and per account', () => {
  it('the (N+1)th reset request from one IP -> RateLimitedError, for known and unknown emails alike', async () => {
    const gh = mailGatehouse({ rateLimits: { passwordResetPerIp: { limit: 3, window: 3600 } } });
    await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
    await gh.account.requestPasswordReset('ada@example.com', A);
    await gh.account.requestPasswordReset('nobody@example.com', A);
    await gh.account.requestPasswordReset('nobody2@example.com', A);
    const known = await limited(gh.account.requestPasswordReset('ada@example.com', A));
    const unknown = await limited(gh.account.requestPasswordReset('nobody3@example.com', A));
    expect(unknown.retryAfter).toBe(known.retryAfter);
    expect(JSON.stringify(unknown)).toBe(JSON.stringify(known));

    await expect(gh.account.requestPasswordReset('nobody@example.com', B)).resolves.toBeUndefined();
    gh.clock.advance(known.retryAfter - 1);
    await limited(gh.account.requestPasswordReset('nobody@example.com', A));
    gh.clock.advance(1);
    await expect(gh.account.requestPasswordReset('nobody@example.com', A)).resolves.toBeUndefined();
  });

  it('over the per-account limit: the same answer, but no mail; the window ends', async () => {
    const gh = mailGatehouse({ rateLimits: { passwordResetPerAccount: { limit: 2, window: 3600 } } });
    await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
    for (let i = 0; i < 5; i++) {
      await expect(
        gh.account.requestPasswordReset('ada@example.com', { ip: `198.51.100.${i}` }),
      ).resolves.toBeUndefined();
    }
    await waitForMail(gh.mailer, 'ada@example.com', '/reset-password', 2);
    await settle();
    const resetMails = () => gh.mailer.messages.filter((m) => m.subject.includes('Reset your'));
    expect(resetMails()).toHaveLength(2);

    // The tokens of the mails that were sent: only the latest works (a new request replaces older ones).
    // 2 per 3600 s: the third is admitted 3600 + 1800 s after the first two.
    gh.clock.advance(5399);
    await gh.account.requestPasswordReset('ada@example.com', { ip: '198.51.100.98' });
    await settle();
    expect(resetMails()).toHaveLength(2);
    gh.clock.advance(1);
    await gh.account.requestPasswordReset('ada@example.com', { ip: '198.51.100.99' });
    const third = await waitForMail(gh.mailer, 'ada@example.com', '/reset-password', 3);
    expect(resetMails()).toHaveLength(3);
    await gh.account.confirmPasswordReset(tokenOf(third), 'copper-heron-77-meadow-path');
  });
});

describe('RL-06: verification resend per account', () => {
  it('the (N+1)th verification mail for one account -> RateLimitedError; the window ends', async () => {
    const gh = mailGatehouse({
      rateLimits: { verificationResendPerAccount: { limit: 3, window: 3600 } },
    });
    const user = await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD }, A);
    // The registration mail is the first of the window.
    await waitForMail(gh.mailer, 'ada@example.com', '/verify-email', 1);
    await gh.account.requestEmailVerification(user.id, A);
    await gh.account.requestEmailVerification(user.id, B);
    const error = await limited(gh.account.requestEmailVerification(user.id, { ip: '192.0.2.9' }));
    expect(error.retryAfter).toBe(3600 + 1200);
    expect(gh.mailer.messages).toHaveLength(3);

    // Resend by address answers the same way over the limit (no enumeration), and sends nothing.
    await expect(gh.account.resendEmailVerification('ada@example.com', A)).resolves.toBeUndefined();
    await settle();
    expect(gh.mailer.messages).toHaveLength(3);

    gh.clock.advance(error.retryAfter);
    await gh.account.resendEmailVerification('ada@example.com', A);
    const fourth = await waitForMail(gh.mailer, 'ada@example.com', '/verify-email', 4);
    await gh.account.verifyEmail(tokenOf(fourth));
    expect((await gh.store.users.findById(user.id))?.emailVerifiedAt).toEqual(gh.clock.now());
  });
});

describe('verification resend per IP and the rate.limited event', () => {
  it('answers 429 after the per-IP limit whatever the addresses, and emits rate.limited', async () => {
    const gh = testGatehouse({ rateLimits: { verificationResendPerIp: { limit: 2, window: 60 } } });
    const context = { ip: '203.0.113.99' };
    await gh.account.resendEmailVerification('a@example.com', context);
    await gh.account.resendEmailVerification('b@example.com', context);
    await expect(gh.account.resendEmailVerification('c@example.com', context)).rejects.toMatchObject({
      code: 'ERR_RATE_LIMITED',
    });
    await expect(
      gh.account.resendEmailVerification('c@example.com', { ip: '203.0.113.100' }),
    ).resolves.toBeUndefined();
    expect(gh.seen.filter((e) => e.type === 'rate.limited')).toEqual([
      expect.objectContaining({ bucket: 'verify-resend-ip', retryAfter: 60 + 30 }),
    ]);
  });
});
