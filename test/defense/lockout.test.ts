/**
 * Account lockout and login throttling through the real login flow (memory store, fake clock):
 * RL-01 (lock at 10 consecutive failures per account, from any IP), RL-02 (success resets, the
 * lock is temporary, doubles, is capped, and escalates only when configured), RL-03 (reset still
 * works on a locked account, reset requests never lock), LG-01 (a locked account answers like a
 * wrong password), LG-06 / BA-04 (form login and HTTP Basic share one lockout), RL-04 (per-IP
 * failure throttle against spraying).
 */
import { describe, expect, it } from 'vitest';
import { InvalidCredentialsError, RateLimitedError } from '../../src/errors.js';
import type { AuthError, RequestContext, SecurityEvent } from '../../src/index.js';
import { mailGatehouse, tokenOf, waitForMail } from '../account/support.js';
import { GOOD_PASSWORD, type TestGatehouse, testGatehouse } from '../support/gatehouse.js';

const EMAIL = 'ada@example.com';
const WRONG = 'not-the-right-password-at-all';
const NEW_PASSWORD = 'copper-heron-77-meadow-path';

const ipNo = (n: number): RequestContext => ({ ip: `203.0.113.${n}`, userAgent: 'lockout-test' });

function eventsOf<T extends SecurityEvent['type']>(gh: TestGatehouse, type: T): SecurityEvent<T>[] {
  return gh.seen.filter((e): e is SecurityEvent<T> => e.type === type);
}

async function register(gh: TestGatehouse, email = EMAIL): Promise<string> {
  return (await gh.auth.register({ email, password: GOOD_PASSWORD })).id;
}

/** `n` wrong passwords for `email`, each from its own IP, each answered as invalid credentials. */
async function fail(gh: TestGatehouse, n: number, email = EMAIL, firstIp = 1): Promise<void> {
  for (let i = 0; i < n; i++) {
    await expect(
      gh.auth.login({ identifier: email, password: WRONG }, ipNo(firstIp + i)),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
  }
}

/** Whether the right password is accepted now (from a fresh IP). */
async function canLogIn(gh: TestGatehouse, password = GOOD_PASSWORD, email = EMAIL): Promise<boolean> {
  try {
    await gh.auth.login({ identifier: email, password }, ipNo(250));
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    return false;
  }
}

describe('RL-01: consecutive failures per account lock it', () => {
  it('10 bad passwords from 10 IPs -> even the right password fails generically; account.locked fires once', async () => {
    const gh = testGatehouse();
    const userId = await register(gh);
    await fail(gh, 9);
    expect(eventsOf(gh, 'account.locked')).toHaveLength(0);
    await fail(gh, 1, EMAIL, 10);

    const locked = eventsOf(gh, 'account.locked');
    expect(locked).toHaveLength(1);
    expect(locked[0]).toMatchObject({ userId, failures: 10, ip: '203.0.113.10' });
    expect(locked[0]?.until?.getTime()).toBe(gh.clock.now().getTime() + 300_000);

    await expect(
      gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD }, ipNo(11)),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect(eventsOf(gh, 'login.failed').at(-1)).toMatchObject({ userId, reason: 'account_locked' });
    expect(eventsOf(gh, 'login.succeeded')).toHaveLength(0);
    // Attempts on a locked account neither lock again nor extend the lock.
    await fail(gh, 5, EMAIL, 20);
    expect(eventsOf(gh, 'account.locked')).toHaveLength(1);
    expect(await gh.lockout.state(userId)).toEqual({ locked: true, until: locked[0]?.until });
  });

  it('counts per account: failures on another account do not lock this one', async () => {
    const gh = testGatehouse();
    await register(gh);
    await register(gh, 'grace@example.com');
    await fail(gh, 9);
    await fail(gh, 9, 'grace@example.com');
    expect(await canLogIn(gh)).toBe(true);
    expect(await canLogIn(gh, GOOD_PASSWORD, 'grace@example.com')).toBe(true);
    expect(eventsOf(gh, 'account.locked')).toHaveLength(0);
  });

  it('a burst of parallel wrong passwords locks the account once, for the first lock duration', async () => {
    const gh = testGatehouse();
    const userId = await register(gh);
    const attempts = Array.from({ length: 16 }, (_, i) =>
      gh.auth.login({ identifier: EMAIL, password: WRONG }, ipNo(i + 1)),
    );
    for (const outcome of await Promise.allSettled(attempts)) {
      expect(outcome.status).toBe('rejected');
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(InvalidCredentialsError);
    }
    const locked = eventsOf(gh, 'account.locked');
    expect(locked).toHaveLength(1);
    expect((await gh.lockout.state(userId)).until?.getTime()).toBe(gh.clock.now().getTime() + 300_000);
  });
});

describe('RL-02: success resets the count; locks are temporary and back off', () => {
  it('3 failures, a success, then 9 failures -> not locked', async () => {
    const gh = testGatehouse();
    const userId = await register(gh);
    await fail(gh, 3);
    expect(await canLogIn(gh)).toBe(true);
    await fail(gh, 9, EMAIL, 4);
    expect(await gh.lockout.state(userId)).toEqual({ locked: false, until: null });
    expect(await canLogIn(gh)).toBe(true);
    expect(eventsOf(gh, 'account.locked')).toHaveLength(0);
  });

  it('a lock ends after lockDuration; each next lock lasts twice as long, capped at maxLockDuration', async () => {
    const gh = testGatehouse({ lockout: { lockDuration: 300, maxLockDuration: 1000 } });
    const userId = await register(gh);
    const expected = [300, 600, 1000, 1000];
    for (const [i, seconds] of expected.entries()) {
      await fail(gh, 10);
      const event = eventsOf(gh, 'account.locked')[i];
      expect(event?.until?.getTime(), `lock #${i + 1}`).toBe(gh.clock.now().getTime() + seconds * 1000);
      gh.clock.advance(seconds - 1);
      expect(await canLogIn(gh), `lock #${i + 1} one second before its end`).toBe(false);
      gh.clock.advance(1);
      expect(await gh.lockout.state(userId)).toEqual({ locked: false, until: null });
      expect(await canLogIn(gh), `lock #${i + 1} at its end`).toBe(true);
    }
    expect(eventsOf(gh, 'account.locked')).toHaveLength(4);
  });

  it('the back-off is forgotten a day after the first lock (maxLockDuration ≤ 12 h)', async () => {
    const gh = testGatehouse({ lockout: { lockDuration: 300, maxLockDuration: 3600 } });
    await register(gh);
    await fail(gh, 10);
    gh.clock.advance(86_400);
    await fail(gh, 10);
    const [, second] = eventsOf(gh, 'account.locked');
    expect(second?.until?.getTime()).toBe(gh.clock.now().getTime() + 300_000);
  });

  it('escalateAfter: 2 -> the second lock has no end; only an admin unlock lifts it', async () => {
    const gh = testGatehouse({ lockout: { escalateAfter: 2, lockDuration: 60 } });
    const userId = await register(gh);
    await fail(gh, 10);
    expect(eventsOf(gh, 'account.locked')[0]?.until).toBeInstanceOf(Date);
    gh.clock.advance(60);
    expect(await canLogIn(gh)).toBe(true);

    await fail(gh, 10);
    const second = eventsOf(gh, 'account.locked')[1];
    expect(second).toMatchObject({ userId, until: null });
    gh.clock.advance(30 * 86_400);
    expect(await gh.lockout.state(userId)).toEqual({ locked: true, until: null });
    expect(await canLogIn(gh)).toBe(false);

    expect(await gh.account.unlockAccount(userId, { ip: '192.0.2.1' })).toBe(true);
    expect(eventsOf(gh, 'account.unlocked').at(-1)).toMatchObject({
      userId,
      reason: 'admin',
      ip: '192.0.2.1',
    });
    expect(await canLogIn(gh)).toBe(true);
    // The unlock forgot the back-off: the next lock is a first one again.
    await fail(gh, 10);
    expect(eventsOf(gh, 'account.locked')[2]?.until).toBeInstanceOf(Date);
  });

  it('escalateAfter: 2 -> a completed password reset lifts the permanent lock', async () => {
    const gh = mailGatehouse({ lockout: { escalateAfter: 2, lockDuration: 60 } });
    const userId = await register(gh);
    await fail(gh, 10);
    gh.clock.advance(60);
    await fail(gh, 10);
    expect(await gh.lockout.state(userId)).toEqual({ locked: true, until: null });

    await gh.account.requestPasswordReset(EMAIL, ipNo(100));
    const token = tokenOf(await waitForMail(gh.mailer, EMAIL, '/reset-password'));
    await gh.account.confirmPasswordReset(token, NEW_PASSWORD, ipNo(100));
    expect(eventsOf(gh, 'account.unlocked').at(-1)).toMatchObject({ userId, reason: 'password_reset' });
    expect(await canLogIn(gh, NEW_PASSWORD)).toBe(true);
  });

  it('an admin unlock of an account that is not locked (or no longer) reports false, without an event', async () => {
    const gh = testGatehouse();
    const userId = await register(gh);
    expect(await gh.account.unlockAccount(userId)).toBe(false);
    await fail(gh, 10);
    gh.clock.advance(300);
    expect(await gh.account.unlockAccount(userId)).toBe(false);
    expect(eventsOf(gh, 'account.unlocked')).toHaveLength(0);
  });
});

describe('RL-03: lockout cannot be turned into a weapon', () => {
  it('a locked account completes a password reset and then logs in with the new password', async () => {
    const gh = mailGatehouse();
    const userId = await register(gh);
    await fail(gh, 10);
    expect(await canLogIn(gh)).toBe(false);

    await gh.account.requestPasswordReset(EMAIL, ipNo(100));
    const mail = await waitForMail(gh.mailer, EMAIL, '/reset-password');
    await gh.account.confirmPasswordReset(tokenOf(mail), NEW_PASSWORD, ipNo(100));

    expect(await gh.lockout.state(userId)).toEqual({ locked: false, until: null });
    expect(await canLogIn(gh, NEW_PASSWORD)).toBe(true);
    expect(await canLogIn(gh, GOOD_PASSWORD)).toBe(false);
  });

  it('50 reset requests never lock the account', async () => {
    const gh = mailGatehouse();
    const userId = await register(gh);
    for (let i = 0; i < 50; i++) {
      await expect(gh.account.requestPasswordReset(EMAIL, ipNo(i + 1))).resolves.toBeUndefined();
    }
    expect(await gh.lockout.state(userId)).toEqual({ locked: false, until: null });
    expect(eventsOf(gh, 'account.locked')).toHaveLength(0);
    expect(await canLogIn(gh)).toBe(true);
  });
});

describe('LG-01: a locked account answers exactly like a wrong password', () => {
  const shape = (error: unknown) => {
    const e = error as AuthError;
    return { class: e.constructor, name: e.name, code: e.code, status: e.status, json: JSON.stringify(e) };
  };
  const errorOf = async (promise: Promise<unknown>): Promise<unknown> => {
    try {
      await promise;
    } catch (error) {
      return error;
    }
    throw new Error('expected a rejection');
  };

  it('locked + right password, wrong password and unknown user give identical errors', async () => {
    const gh = testGatehouse();
    await register(gh);
    await register(gh, 'grace@example.com');
    await fail(gh, 10);
    const locked = await errorOf(gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD }, ipNo(60)));
    const wrong = await errorOf(
      gh.auth.login({ identifier: 'grace@example.com', password: WRONG }, ipNo(61)),
    );
    const unknown = await errorOf(
      gh.auth.login({ identifier: 'nobody@example.com', password: GOOD_PASSWORD }, ipNo(62)),
    );
    expect(shape(locked)).toEqual(shape(wrong));
    expect(shape(unknown)).toEqual(shape(wrong));
    expect(shape(wrong).code).toBe('ERR_INVALID_CREDENTIALS');
  });
});

describe('LG-06 / BA-04: HTTP Basic and form login share one lockout', () => {
  it('after a lockout through login, Basic with the right password is refused too', async () => {
    const gh = testGatehouse();
    const userId = await register(gh);
    await fail(gh, 10);
    await expect(
      gh.auth.verifyCredentials({ identifier: EMAIL, password: GOOD_PASSWORD }, ipNo(70), 'basic'),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect(eventsOf(gh, 'login.failed').at(-1)).toMatchObject({
      userId,
      factor: 'basic',
      reason: 'account_locked',
    });
  });

  it('10 bad Basic attempts lock the account for form login and Basic alike', async () => {
    const gh = testGatehouse();
    const userId = await register(gh);
    for (let i = 0; i < 10; i++) {
      await expect(
        gh.auth.verifyCredentials({ identifier: EMAIL, password: WRONG }, ipNo(i + 1), 'basic'),
      ).rejects.toBeInstanceOf(InvalidCredentialsError);
    }
    expect(eventsOf(gh, 'account.locked')).toHaveLength(1);
    expect(eventsOf(gh, 'account.locked')[0]).toMatchObject({ userId });
    expect(await canLogIn(gh)).toBe(false);
    await expect(
      gh.auth.verifyCredentials({ identifier: EMAIL, password: GOOD_PASSWORD }, ipNo(80), 'basic'),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
  });

  it('Basic and form failures add up on one counter', async () => {
    const gh = testGatehouse();
    await register(gh);
    await fail(gh, 5);
    for (let i = 0; i < 5; i++) {
      await expect(
        gh.auth.verifyCredentials({ identifier: EMAIL, password: WRONG }, ipNo(i + 30), 'basic'),
      ).rejects.toBeInstanceOf(InvalidCredentialsError);
    }
    expect(eventsOf(gh, 'account.locked')).toHaveLength(1);
    expect(await canLogIn(gh)).toBe(false);
  });
});

describe('RL-04: per-IP throttle against password spraying and credential stuffing', () => {
  const SPRAY = 'Summer2026-spray-password';

  it('one IP, one password, 200 usernames -> 429 with an integer Retry-After after the limit', async () => {
    const gh = testGatehouse();
    const limit = gh.config.rateLimits.loginFailuresPerIp.limit;
    expect(limit).toBe(50);
    await register(gh);
    const attacker: RequestContext = { ip: '198.51.100.66' };
    const outcomes: string[] = [];
    let firstLimited: RateLimitedError | undefined;
    for (let i = 0; i < 200; i++) {
      try {
        await gh.auth.login({ identifier: `victim${i}@example.com`, password: SPRAY }, attacker);
        outcomes.push('ok');
      } catch (error) {
        if (error instanceof RateLimitedError) {
          firstLimited ??= error;
          outcomes.push('429');
        } else {
          expect(error).toBeInstanceOf(InvalidCredentialsError);
          outcomes.push('401');
        }
      }
    }
    expect(outcomes.slice(0, limit).every((o) => o === '401')).toBe(true);
    expect(outcomes.slice(limit).every((o) => o === '429')).toBe(true);
    expect(firstLimited?.status).toBe(429);
    expect(Number.isInteger(firstLimited?.retryAfter)).toBe(true);
    expect(firstLimited?.retryAfter).toBeGreaterThanOrEqual(1);
    // A sliding window: a burst fades over the next window, so the wait is at most two windows.
    expect(firstLimited?.retryAfter).toBeLessThanOrEqual(2 * gh.config.rateLimits.loginFailuresPerIp.window);
    expect(firstLimited?.message).toBe('Too many requests');

    // Throttled before any password check: even the right password of a real account.
    await expect(
      gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD }, attacker),
    ).rejects.toBeInstanceOf(RateLimitedError);
    // Another IP is not affected, for real and unknown accounts alike.
    await expect(
      gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD }, ipNo(1)),
    ).resolves.toBeTruthy();
    await expect(
      gh.auth.login({ identifier: 'victim1@example.com', password: SPRAY }, ipNo(2)),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);

    // Retry-After counts down, and the window ends when it says.
    gh.clock.advance(100);
    const later = await gh.auth
      .login({ identifier: 'x@example.com', password: SPRAY }, attacker)
      .catch((e) => e);
    expect(later).toBeInstanceOf(RateLimitedError);
    expect((later as RateLimitedError).retryAfter).toBe((firstLimited?.retryAfter ?? 0) - 100);
    gh.clock.advance((later as RateLimitedError).retryAfter);
    await expect(
      gh.auth.login({ identifier: 'victim1@example.com', password: SPRAY }, attacker),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
  });

  it('successful logins do not count toward the per-IP failure limit', async () => {
    const gh = testGatehouse({ rateLimits: { loginFailuresPerIp: { limit: 5, window: 900 } } });
    await register(gh);
    const office: RequestContext = { ip: '192.0.2.10' };
    for (let i = 0; i < 4; i++) {
      await expect(
        gh.auth.login({ identifier: `someone${i}@example.com`, password: WRONG }, office),
      ).rejects.toBeInstanceOf(InvalidCredentialsError);
    }
    for (let i = 0; i < 20; i++) {
      await expect(
        gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD }, office),
      ).resolves.toBeTruthy();
    }
    await expect(
      gh.auth.login({ identifier: 'someone9@example.com', password: WRONG }, office),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    await expect(
      gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD }, office),
    ).rejects.toBeInstanceOf(RateLimitedError);
  });
});

describe('password change and lockout', () => {
  it('counts wrong current passwords toward lockout and refuses a locked account', async () => {
    const gh = testGatehouse({ lockout: { maxFailures: 3 } });
    const user = await gh.auth.register({ email: 'pc@example.com', password: GOOD_PASSWORD });
    for (let i = 0; i < 3; i++) {
      await expect(
        gh.auth.changePassword(user.id, {
          currentPassword: `wrong-password-${i}`,
          newPassword: 'another-fine-passphrase',
        }),
      ).rejects.toMatchObject({ code: 'ERR_INVALID_CREDENTIALS' });
    }
    expect(gh.seen.filter((e) => e.type === 'account.locked')).toHaveLength(1);
    await expect(
      gh.auth.changePassword(user.id, {
        currentPassword: GOOD_PASSWORD,
        newPassword: 'another-fine-passphrase',
      }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_CREDENTIALS' });
    expect(
      gh.seen.filter((e) => e.type === 'login.failed').map((e) => e.type === 'login.failed' && e.reason),
    ).toEqual(['wrong_password', 'wrong_password', 'wrong_password', 'account_locked']);
  });
});
