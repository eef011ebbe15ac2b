import bcrypt from 'bcryptjs';
import { describe, expect, it, vi } from 'vitest';
import {
  AccountDisabledError,
  AlreadyRegisteredError,
  InputTooLargeError,
  InvalidCredentialsError,
  PasswordChangeRequiredError,
  TokenRevokedError,
  ValidationError,
  WeakPasswordError,
} from '../../src/errors.js';
import { GOOD_PASSWORD, testGatehouse } from '../support/gatehouse.js';
import { loginTokens } from '../support/login.js';

describe('register', () => {
  it('stores a canonical, active USER and returns the public view without the hash', async () => {
    const gh = testGatehouse();
    const user = await gh.auth.register({
      email: '  Ada@Example.COM ',
      password: GOOD_PASSWORD,
      username: 'AdaL',
    });
    expect(user).toMatchObject({
      email: 'ada@example.com',
      username: 'adal',
      role: 'USER',
      isActive: true,
      emailVerified: false,
    });
    expect(Object.keys(user)).not.toContain('passwordHash');
    expect(JSON.stringify(user)).not.toContain('argon2');
    const stored = await gh.store.users.findById(user.id);
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(gh.seen.map((e) => e.type)).toEqual(['user.registered']);
  });

  it('ignores fields a client must not set (mass assignment)', async () => {
    const gh = testGatehouse();
    const user = await gh.auth.register({
      email: 'ada@example.com',
      password: GOOD_PASSWORD,
      role: 'ADMIN',
      isActive: false,
    } as never);
    expect(user.role).toBe('USER');
    expect(user.isActive).toBe(true);
  });

  it('reports every invalid field at once', async () => {
    const gh = testGatehouse();
    const error = await gh.auth
      .register({ email: 'not-an-email', password: 'short', username: 'a!' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const fields = (error as ValidationError).issues.map((i) => `${i.field}:${i.rule}`);
    expect(fields).toEqual(
      expect.arrayContaining([
        'email:invalid_email',
        'username:invalid_username',
        'password:password_too_short',
      ]),
    );
  });

  it('reports a weak password alone as ERR_WEAK_PASSWORD with its rules', async () => {
    const gh = testGatehouse();
    const error = await gh.auth
      .register({ email: 'alice.smith@example.com', password: 'alice.smith-2026!!' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(WeakPasswordError);
    expect((error as WeakPasswordError).issues.map((i) => i.rule)).toContain('password_contains_context');
  });

  it('refuses non-string credentials before any store query (NoSQL-style operators)', async () => {
    const gh = testGatehouse();
    const find = vi.spyOn(gh.store.users, 'findByEmail');
    for (const input of [
      { email: { $ne: null }, password: { $ne: null } },
      { email: 'ada@example.com', password: ['a'] },
      { email: ['ada@example.com'], password: GOOD_PASSWORD },
    ]) {
      await expect(gh.auth.register(input as never)).rejects.toBeInstanceOf(ValidationError);
      await expect(
        gh.auth.login({ identifier: input.email, password: input.password } as never),
      ).rejects.toBeInstanceOf(ValidationError);
    }
    expect(find).not.toHaveBeenCalled();
  });

  it('refuses a duplicate email, case- and whitespace-insensitively', async () => {
    const gh = testGatehouse();
    await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
    const error = await gh.auth
      .register({ email: ' ADA@example.com', password: GOOD_PASSWORD })
      .catch((e) => e);
    expect(error).toBeInstanceOf(AlreadyRegisteredError);
    expect((error as Error).message).not.toContain('ada@example.com');
    expect(await gh.store.users.count()).toBe(1);
  });

  it('lets exactly one of two concurrent registrations of one email win', async () => {
    const gh = testGatehouse();
    const results = await Promise.allSettled([
      gh.auth.register({ email: 'race@example.com', password: GOOD_PASSWORD }),
      gh.auth.register({ email: 'Race@example.com', password: `${GOOD_PASSWORD}x` }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(AlreadyRegisteredError);
    expect(await gh.store.users.count()).toBe(1);
  });

  it('starts with no accounts at all: admin/admin does not log in', async () => {
    const gh = testGatehouse();
    expect(await gh.store.users.count()).toBe(0);
    await expect(gh.auth.login({ identifier: 'admin', password: 'admin' })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
  });
});

describe('login', () => {
  async function withUser() {
    const gh = testGatehouse();
    const user = await gh.auth.register({
      email: 'ada@example.com',
      username: 'ada',
      password: GOOD_PASSWORD,
    });
    return { gh, user };
  }

  it('returns bearer tokens with expiry for an email or a username', async () => {
    const { gh, user } = await withUser();
    for (const identifier of ['ada@example.com', 'ADA@example.com', 'ada', 'ADA']) {
      const result = await loginTokens(gh, { identifier, password: GOOD_PASSWORD });
      expect(result).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { id: user.id } });
      expect(result.refreshTokenExpiresAt.getTime()).toBeGreaterThan(result.accessTokenExpiresAt.getTime());
    }
  });

  it('fails the same way, after one verification each, for unknown user, wrong password and disabled account', async () => {
    const { gh, user } = await withUser();
    const verify = vi.spyOn(gh.passwords, 'verify');
    const dummy = vi.spyOn(gh.passwords, 'dummyVerify');
    const other = await gh.auth.register({ email: 'bob@example.com', password: GOOD_PASSWORD });
    await gh.auth.disableAccount(other.id);
    const attempts = [
      { identifier: 'nobody@example.com', password: GOOD_PASSWORD },
      { identifier: 'ada@example.com', password: 'wrong-password-entirely' },
      { identifier: 'bob@example.com', password: GOOD_PASSWORD },
    ];
    const errors: unknown[] = [];
    for (const attempt of attempts) {
      const before = verify.mock.calls.length + dummy.mock.calls.length;
      errors.push(await gh.auth.login(attempt).catch((e) => e));
      expect(verify.mock.calls.length + dummy.mock.calls.length - before).toBe(1);
    }
    for (const error of errors) {
      expect(error).toBeInstanceOf(InvalidCredentialsError);
      expect(JSON.stringify(error)).toBe(JSON.stringify(errors[0]));
      expect((error as InvalidCredentialsError).status).toBe(401);
    }
    const reasons = gh.seen
      .filter((e) => e.type === 'login.failed')
      .map((e) => e.type === 'login.failed' && [e.reason, e.userId]);
    expect(reasons).toEqual([
      ['unknown_user', null],
      ['wrong_password', user.id],
      ['account_disabled', other.id],
    ]);
  });

  it('verifies the password exactly: no case folding, no trimming', async () => {
    const gh = testGatehouse();
    await gh.auth.register({ email: 'ada@example.com', password: 'Tr0ub4dor horse battery!' });
    for (const password of [
      'tr0ub4dor horse battery!',
      'Tr0ub4dor horse battery! ',
      ' Tr0ub4dor horse battery!',
    ]) {
      await expect(gh.auth.login({ identifier: 'ada@example.com', password })).rejects.toBeInstanceOf(
        InvalidCredentialsError,
      );
    }
  });

  it('treats NFC and NFD spellings of one password as the same password', async () => {
    const gh = testGatehouse();
    await gh.auth.register({
      email: 'ada@example.com',
      password: 'Caf\u00e9 au lait, s\u00f4il vous pla\u00eet',
    });
    await expect(
      gh.auth.login({
        identifier: 'ada@example.com',
        password: 'Cafe\u0301 au lait, so\u0302il vous plai\u0302t',
      }),
    ).resolves.toBeTruthy();
  });

  it('upgrades a bcrypt hash from an older system to argon2id on login', async () => {
    const { gh, user } = await withUser();
    const legacy = await bcrypt.hash('legacy password from 2015', 4);
    await gh.store.users.update(user.id, { passwordHash: legacy }, new Date());
    await gh.auth.login({ identifier: 'ada@example.com', password: 'legacy password from 2015' });
    const stored = await gh.store.users.findById(user.id);
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$/);
    expect(gh.seen.find((e) => e.type === 'password.rehashed')).toMatchObject({
      userId: user.id,
      from: 'bcrypt',
    });
    await expect(
      gh.auth.login({ identifier: 'ada@example.com', password: 'legacy password from 2015' }),
    ).resolves.toBeTruthy();
    expect(gh.seen.filter((e) => e.type === 'password.rehashed')).toHaveLength(1);
  });

  it('refuses a 1 MB password with a typed error before hashing or looking anything up', async () => {
    const { gh } = await withUser();
    const verify = vi.spyOn(gh.passwords, 'verify');
    const dummy = vi.spyOn(gh.passwords, 'dummyVerify');
    const find = vi.spyOn(gh.store.users, 'findByEmail');
    const huge = 'x'.repeat(1024 * 1024);
    await expect(gh.auth.login({ identifier: 'ada@example.com', password: huge })).rejects.toBeInstanceOf(
      InputTooLargeError,
    );
    await expect(gh.auth.register({ email: 'new@example.com', password: huge })).rejects.toBeInstanceOf(
      InputTooLargeError,
    );
    expect(verify).not.toHaveBeenCalled();
    expect(dummy).not.toHaveBeenCalled();
    expect(find).not.toHaveBeenCalled();
  });

  it('does not expire passwords with time', async () => {
    const { gh } = await withUser();
    gh.clock.advance(400 * 24 * 3600);
    await expect(
      gh.auth.login({ identifier: 'ada@example.com', password: GOOD_PASSWORD }),
    ).resolves.toBeTruthy();
  });

  it('requires a password change after the password is marked compromised, and revokes its tokens', async () => {
    const { gh, user } = await withUser();
    const before = await loginTokens(gh, { identifier: 'ada', password: GOOD_PASSWORD });
    await gh.auth.markPasswordCompromised(user.id);
    await expect(gh.tokens.verify(before.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    await expect(gh.auth.login({ identifier: 'ada', password: GOOD_PASSWORD })).rejects.toBeInstanceOf(
      PasswordChangeRequiredError,
    );
  });
});

describe('current user, logout and account state', () => {
  async function session() {
    const gh = testGatehouse();
    const user = await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
    const tokens = await loginTokens(gh, { identifier: 'ada@example.com', password: GOOD_PASSWORD });
    return { gh, user, tokens };
  }

  it('returns the current user from a token', async () => {
    const { gh, user, tokens } = await session();
    await expect(gh.auth.getCurrentUser(tokens.accessToken)).resolves.toMatchObject({
      id: user.id,
      email: 'ada@example.com',
    });
  });

  it('refuses the token after logout, and logout also ends the refresh token', async () => {
    const { gh, tokens } = await session();
    await gh.auth.logout(tokens.accessToken);
    await expect(gh.auth.getCurrentUser(tokens.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    await expect(gh.auth.refresh(tokens.refreshToken)).rejects.toMatchObject({ code: 'ERR_INVALID_GRANT' });
    expect(gh.seen.find((e) => e.type === 'token.revoked')).toMatchObject({
      reason: 'logout',
      scope: 'family',
    });
  });

  it('refuses a token whose user was disabled while holding it, at once', async () => {
    const { gh, user, tokens } = await session();
    await gh.auth.disableAccount(user.id);
    await expect(gh.auth.getCurrentUser(tokens.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    await expect(
      gh.auth.login({ identifier: 'ada@example.com', password: GOOD_PASSWORD }),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    // Even if the token record were still active, the disabled user is refused.
    await gh.auth.enableAccount(user.id);
    const fresh = await loginTokens(gh, { identifier: 'ada@example.com', password: GOOD_PASSWORD });
    await gh.store.users.update(user.id, { isActive: false }, new Date());
    await expect(gh.auth.getCurrentUser(fresh.accessToken)).rejects.toBeInstanceOf(AccountDisabledError);
  });

  it('changes the password only with the current one, and revokes every other session', async () => {
    const { gh, user, tokens } = await session();
    const other = await loginTokens(gh, { identifier: 'ada@example.com', password: GOOD_PASSWORD });
    const hashBefore = (await gh.store.users.findById(user.id))?.passwordHash;
    await expect(
      gh.auth.changePassword(user.id, {
        currentPassword: 'not-the-password',
        newPassword: 'another-fine-passphrase',
      }),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect((await gh.store.users.findById(user.id))?.passwordHash).toBe(hashBefore);
    await expect(
      gh.auth.changePassword(user.id, { currentPassword: GOOD_PASSWORD, newPassword: 'password' }),
    ).rejects.toBeInstanceOf(WeakPasswordError);

    await gh.auth.changePassword(
      user.id,
      { currentPassword: GOOD_PASSWORD, newPassword: 'another-fine-passphrase' },
      { keepFamilyId: tokens.familyId },
    );
    await expect(gh.tokens.verify(tokens.accessToken)).resolves.toBeTruthy();
    await expect(gh.tokens.verify(other.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    await expect(gh.auth.refresh(other.refreshToken)).rejects.toMatchObject({ code: 'ERR_INVALID_GRANT' });
    expect(gh.seen.find((e) => e.type === 'password.changed')).toMatchObject({
      userId: user.id,
      revokedTokens: 2,
    });
    await expect(
      gh.auth.login({ identifier: 'ada@example.com', password: GOOD_PASSWORD }),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    await expect(
      gh.auth.login({ identifier: 'ada@example.com', password: 'another-fine-passphrase' }),
    ).resolves.toBeTruthy();
  });
});

describe('security events', () => {
  it('carry user, IP, user agent, UTC time and outcome, and never a secret', async () => {
    const gh = testGatehouse();
    const ctx = { ip: '203.0.113.7', userAgent: 'test-agent/1.0' };
    const user = await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD }, ctx);
    await gh.auth
      .login({ identifier: 'ada@example.com', password: 'wrong-password-here' }, ctx)
      .catch(() => {});
    const tokens = await loginTokens(gh, { identifier: 'ada@example.com', password: GOOD_PASSWORD }, ctx);
    const next = await gh.auth.refresh(tokens.refreshToken, ctx);
    // Past the reuse interval (10 s by default), a used refresh token is reuse.
    gh.clock.advance(11);
    await gh.auth.refresh(tokens.refreshToken, ctx).catch(() => {});
    await gh.auth.changePassword(
      user.id,
      { currentPassword: GOOD_PASSWORD, newPassword: 'another-fine-passphrase' },
      {},
      ctx,
    );
    await gh.auth.logoutAll(user.id, ctx);
    expect(gh.seen.map((e) => e.type)).toEqual([
      'user.registered',
      'login.failed',
      'login.succeeded',
      'token.refreshed',
      'refresh.reused',
      'token.revoked',
      'password.changed',
      'token.revoked',
      'token.revoked',
    ]);
    for (const event of gh.seen) {
      expect(event).toMatchObject({ ip: '203.0.113.7', userAgent: 'test-agent/1.0' });
      expect(event.at).toBeInstanceOf(Date);
    }
    const dump = JSON.stringify(gh.seen);
    for (const secret of [
      GOOD_PASSWORD,
      'wrong-password-here',
      'another-fine-passphrase',
      tokens.accessToken,
      tokens.refreshToken,
      next.refreshToken,
      'argon2',
    ]) {
      expect(dump).not.toContain(secret);
    }
  });

  it('keeps a flow working when a listener throws', async () => {
    const errors: unknown[] = [];
    const gh = testGatehouse({ onListenerError: (e) => errors.push(e) });
    gh.events.on('user.registered', () => {
      throw new Error('listener bug');
    });
    await expect(
      gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD }),
    ).resolves.toBeTruthy();
    expect(errors).toHaveLength(1);
  });
});

describe('usernames', () => {
  it('canonicalizes width and case before the uniqueness check', async () => {
    const gh = testGatehouse();
    const user = await gh.auth.register({
      email: 'a@example.com',
      username: '\uff21\uff24\uff21',
      password: GOOD_PASSWORD,
    });
    expect(user.username).toBe('ada');
    await expect(
      gh.auth.register({ email: 'b@example.com', username: 'Ada', password: GOOD_PASSWORD }),
    ).rejects.toBeInstanceOf(AlreadyRegisteredError);
    await expect(gh.auth.login({ identifier: 'ADA', password: GOOD_PASSWORD })).resolves.toBeTruthy();
  });

  it('rejects look-alike and non-alphanumeric usernames', async () => {
    const gh = testGatehouse();
    for (const username of ['\u0430da', 'ad a', 'ad', 'a'.repeat(21), 'ada\u200b', 'ad@a']) {
      await expect(
        gh.auth.register({ email: 'x@example.com', username, password: GOOD_PASSWORD }),
      ).rejects.toBeInstanceOf(ValidationError);
    }
  });

  it('can require or forbid usernames', async () => {
    const required = testGatehouse({ users: { usernames: 'required' } });
    await expect(
      required.auth.register({ email: 'x@example.com', password: GOOD_PASSWORD }),
    ).rejects.toBeInstanceOf(ValidationError);
    const off = testGatehouse({ users: { usernames: 'off' } });
    await expect(
      off.auth.register({ email: 'x@example.com', username: 'ada', password: GOOD_PASSWORD }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('minimum password length with MFA enforced', () => {
  it('is 15 code points by default and 8 when MFA is required', async () => {
    const single = testGatehouse();
    await expect(
      single.auth.register({ email: 'x@example.com', password: 'kq8#vZ2!mw' }),
    ).rejects.toBeInstanceOf(WeakPasswordError);
    const mfa = testGatehouse({ mfa: { required: true } });
    await expect(mfa.auth.register({ email: 'x@example.com', password: 'kq8#vZ2!mw' })).resolves.toBeTruthy();
  });
});
