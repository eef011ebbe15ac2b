/**
 * The account lifecycle flows of AccountService with a memory mailer (links read from the mails
 * as a user would): email verification, password reset, email change, account deletion, admin
 * unlock. Requirements: EV-01..EV-08, LG-03, RV-03, RV-04, LO-01, LO-02.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../../adapters/sqlite/index.js';
import {
  AlreadyRegisteredError,
  EmailNotVerifiedError,
  InvalidCredentialsError,
  NotFoundError,
  OneTimeTokenError,
  ReauthenticationRequiredError,
  WeakPasswordError,
} from '../../src/errors.js';
import { AuthError, type RequestContext, type SecurityEvent } from '../../src/index.js';
import { GOOD_PASSWORD } from '../support/gatehouse.js';
import {
  BASE_URL,
  type MailGatehouse,
  mailGatehouse,
  settle,
  signIn,
  tokenLink,
  tokenOf,
  waitForMail,
  waitForSubject,
} from './support.js';

const EMAIL = 'ada@example.com';
const NEW_PASSWORD = 'copper-heron-77-meadow-path';
const WRONG = 'not-the-right-password-at-all';
const CTX: RequestContext = { ip: '198.51.100.7', userAgent: 'account-flows-test' };

async function register(gh: MailGatehouse, email = EMAIL): Promise<string> {
  return (await gh.auth.register({ email, password: GOOD_PASSWORD }, CTX)).id;
}

function eventsOf<T extends SecurityEvent['type']>(gh: MailGatehouse, type: T): SecurityEvent<T>[] {
  return gh.seen.filter((e): e is SecurityEvent<T> => e.type === type);
}

async function resetToken(gh: MailGatehouse, email = EMAIL, n = 1): Promise<string> {
  await gh.account.requestPasswordReset(email, CTX);
  return tokenOf(await waitForMail(gh.mailer, email, '/reset-password', n));
}

async function verificationToken(gh: MailGatehouse, email = EMAIL, n = 1): Promise<string> {
  return tokenOf(await waitForMail(gh.mailer, email, '/verify-email', n));
}

describe('email verification', () => {
  it('registration mails a link to the stored address, built from account.baseUrl and the path', async () => {
    const gh = mailGatehouse();
    const userId = (await gh.auth.register({ email: '  Ada@Example.COM ', password: GOOD_PASSWORD }, CTX)).id;
    const mail = await waitForMail(gh.mailer, EMAIL, '/verify-email');
    expect(mail.to).toBe(EMAIL);
    const link = tokenLink(mail);
    expect(link.origin).toBe(BASE_URL);
    expect(link.pathname).toBe('/verify-email');
    expect([...link.searchParams.keys()]).toEqual(['token']);
    expect(link.searchParams.get('token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(eventsOf(gh, 'email.verification_sent')).toMatchObject([{ userId, ip: CTX.ip }]);
  });

  it('uses the configured path and keeps a path prefix of the base URL', async () => {
    const gh = mailGatehouse({
      account: { baseUrl: 'https://apps.example.org/portal/', paths: { verifyEmail: '/account/verify' } },
    });
    await register(gh);
    const link = tokenLink(await waitForMail(gh.mailer, EMAIL, '/portal/account/verify'));
    expect(link.href).toMatch(/^https:\/\/apps\.example\.org\/portal\/account\/verify\?token=[\w-]{43}$/);
  });

  it('verify -> emailVerified; the token is single use', async () => {
    const gh = mailGatehouse();
    const userId = await register(gh);
    const token = await verificationToken(gh);
    expect((await signIn(gh, EMAIL, GOOD_PASSWORD)).accessToken).toBeTruthy();
    expect((await gh.store.users.findById(userId))?.emailVerifiedAt).toBeNull();

    await gh.account.verifyEmail(token, CTX);
    const { accessToken } = await signIn(gh, EMAIL, GOOD_PASSWORD);
    expect((await gh.auth.getCurrentUser(accessToken)).emailVerified).toBe(true);
    expect(eventsOf(gh, 'email.verified')).toMatchObject([{ userId, ip: CTX.ip }]);

    await expect(gh.account.verifyEmail(token, CTX)).rejects.toBeInstanceOf(OneTimeTokenError);
    await expect(gh.account.verifyEmail(token, CTX)).rejects.toMatchObject({ status: 400 });
  });

  it('EV-01: the token works until its lifetime ends and fails one second later', async () => {
    const gh = mailGatehouse();
    const ttl = gh.config.account.verifyEmailTtl;
    expect(ttl).toBeLessThanOrEqual(24 * 3600);
    await register(gh);
    await register(gh, 'grace@example.com');
    const ada = await verificationToken(gh);
    const grace = await verificationToken(gh, 'grace@example.com');
    gh.clock.advance(ttl - 1);
    await gh.account.verifyEmail(grace);
    gh.clock.advance(2);
    await expect(gh.account.verifyEmail(ada)).rejects.toBeInstanceOf(OneTimeTokenError);
  });

  it('EV-04: a second request replaces the first token', async () => {
    const gh = mailGatehouse();
    const userId = await register(gh);
    const first = await verificationToken(gh);
    await gh.account.requestEmailVerification(userId, CTX);
    const second = await verificationToken(gh, EMAIL, 2);
    expect(second).not.toBe(first);
    await expect(gh.account.verifyEmail(first)).rejects.toBeInstanceOf(OneTimeTokenError);
    await gh.account.verifyEmail(second);
    expect((await gh.store.users.findById(userId))?.emailVerifiedAt).not.toBeNull();
  });

  it("emailVerification 'required' refuses login (ERR_EMAIL_NOT_VERIFIED) until the email is verified", async () => {
    const gh = mailGatehouse({ account: { emailVerification: 'required' } });
    await register(gh);
    const token = await verificationToken(gh);
    const refused = gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD }, CTX);
    await expect(refused).rejects.toBeInstanceOf(EmailNotVerifiedError);
    await expect(refused).rejects.toMatchObject({ code: 'ERR_EMAIL_NOT_VERIFIED', status: 403 });
    // A wrong password still gets the generic answer, not the verification hint.
    await expect(gh.auth.login({ identifier: EMAIL, password: WRONG }, CTX)).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    await gh.account.verifyEmail(token);
    expect((await signIn(gh, EMAIL, GOOD_PASSWORD, CTX)).accessToken).toBeTruthy();
  });

  it("emailVerification 'off' sends no verification mail at all", async () => {
    const gh = mailGatehouse({ account: { emailVerification: 'off' } });
    const userId = await register(gh);
    await gh.account.requestEmailVerification(userId, CTX);
    await gh.account.resendEmailVerification(EMAIL, CTX);
    await settle();
    expect(gh.mailer.messages).toHaveLength(0);
    expect(eventsOf(gh, 'email.verification_sent')).toHaveLength(0);
    expect((await signIn(gh, EMAIL, GOOD_PASSWORD)).accessToken).toBeTruthy();
  });

  it('a verification link for an old address does not verify the new one', async () => {
    const gh = mailGatehouse();
    const userId = await register(gh);
    const token = await verificationToken(gh);
    await gh.account.requestEmailChange(userId, {
      currentPassword: GOOD_PASSWORD,
      newEmail: 'new@example.com',
    });
    await gh.account.confirmEmailChange(
      tokenOf(await waitForMail(gh.mailer, 'new@example.com', '/confirm-email-change')),
    );
    await gh.store.users.update(userId, { emailVerifiedAt: null }, gh.clock.now());
    await expect(gh.account.verifyEmail(token)).rejects.toBeInstanceOf(AuthError);
    expect((await gh.store.users.findById(userId))?.emailVerifiedAt).toBeNull();
  });
});

describe('password reset', () => {
  it('LG-03: known and unknown emails get the same answer; only the known one gets mail', async () => {
    const gh = mailGatehouse();
    await register(gh);
    await waitForMail(gh.mailer, EMAIL, '/verify-email');
    gh.mailer.clear();
    const known = await gh.account.requestPasswordReset(EMAIL, CTX);
    const unknown = await gh.account.requestPasswordReset('nobody@example.com', CTX);
    const invalid = await gh.account.requestPasswordReset('not an email', CTX);
    expect(known).toBeUndefined();
    expect(unknown).toBe(known);
    expect(invalid).toBe(known);
    const mail = await waitForMail(gh.mailer, EMAIL, '/reset-password');
    await settle();
    expect(gh.mailer.messages).toEqual([mail]);
    expect(tokenLink(mail).href).toMatch(/^https:\/\/app\.example\.com\/reset-password\?token=[\w-]{43}$/);
  });

  it('EV-07: mail goes to the stored address, not the string the requester typed', async () => {
    const gh = mailGatehouse();
    await register(gh);
    await gh.account.requestPasswordReset(' ADA@Example.com ', CTX);
    const mail = await waitForMail(gh.mailer, EMAIL, '/reset-password');
    expect(mail.to).toBe(EMAIL);
    expect(gh.mailer.messages.every((m) => m.to === EMAIL)).toBe(true);
  });

  it('EV-04: a reset request changes nothing: the old password still logs in', async () => {
    const gh = mailGatehouse();
    await register(gh);
    await resetToken(gh);
    expect((await signIn(gh, EMAIL, GOOD_PASSWORD)).accessToken).toBeTruthy();
  });

  it('EV-04: a second request replaces the first token', async () => {
    const gh = mailGatehouse();
    await register(gh);
    const first = await resetToken(gh);
    const second = await resetToken(gh, EMAIL, 2);
    await expect(gh.account.confirmPasswordReset(first, NEW_PASSWORD)).rejects.toBeInstanceOf(
      OneTimeTokenError,
    );
    await gh.account.confirmPasswordReset(second, NEW_PASSWORD);
    expect((await signIn(gh, EMAIL, NEW_PASSWORD)).accessToken).toBeTruthy();
  });

  it('EV-04: a password change voids an outstanding reset token', async () => {
    const gh = mailGatehouse();
    const userId = await register(gh);
    const token = await resetToken(gh);
    await gh.auth.changePassword(userId, { currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD });
    await expect(
      gh.account.confirmPasswordReset(token, 'amber-falcon-19-harbor-lane'),
    ).rejects.toBeInstanceOf(OneTimeTokenError);
    expect((await signIn(gh, EMAIL, NEW_PASSWORD)).accessToken).toBeTruthy();
  });

  it('a weak new password is refused and does not use up the token', async () => {
    const gh = mailGatehouse();
    await register(gh);
    const token = await resetToken(gh);
    await expect(gh.account.confirmPasswordReset(token, 'short')).rejects.toBeInstanceOf(WeakPasswordError);
    await expect(gh.account.confirmPasswordReset(token, 'x'.repeat(14))).rejects.toBeInstanceOf(
      WeakPasswordError,
    );
    await expect(gh.account.confirmPasswordReset(token, 'ada@example.com-2026')).rejects.toBeInstanceOf(
      WeakPasswordError,
    );
    await gh.account.confirmPasswordReset(token, NEW_PASSWORD);
    expect((await signIn(gh, EMAIL, NEW_PASSWORD)).accessToken).toBeTruthy();
    await expect(gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
  });

  it('EV-01: single use, and expired one second after passwordResetTtl', async () => {
    const gh = mailGatehouse();
    const ttl = gh.config.account.passwordResetTtl;
    expect(ttl).toBeLessThanOrEqual(60 * 60);
    await register(gh);
    const token = await resetToken(gh);
    await gh.account.confirmPasswordReset(token, NEW_PASSWORD);
    await expect(
      gh.account.confirmPasswordReset(token, 'amber-falcon-19-harbor-lane'),
    ).rejects.toBeInstanceOf(OneTimeTokenError);

    const late = await resetToken(gh, EMAIL, 2);
    gh.clock.advance(ttl + 1);
    await expect(gh.account.confirmPasswordReset(late, 'amber-falcon-19-harbor-lane')).rejects.toBeInstanceOf(
      OneTimeTokenError,
    );
    expect((await signIn(gh, EMAIL, NEW_PASSWORD)).accessToken).toBeTruthy();
  });

  it('RV-04: confirm revokes every earlier access and refresh token, and starts no session', async () => {
    const gh = mailGatehouse();
    const userId = await register(gh);
    const otherId = await register(gh, 'grace@example.com');
    const laptop = await signIn(gh, EMAIL, GOOD_PASSWORD, CTX);
    const phone = await signIn(gh, EMAIL, GOOD_PASSWORD, { ip: '203.0.113.50' });
    const other = await signIn(gh, 'grace@example.com', GOOD_PASSWORD);
    const token = await resetToken(gh);
    const succeededBefore = eventsOf(gh, 'login.succeeded').length;

    await expect(gh.account.confirmPasswordReset(token, NEW_PASSWORD, CTX)).resolves.toBeUndefined();

    for (const session of [laptop, phone]) {
      await expect(gh.auth.authenticate(session.accessToken)).rejects.toMatchObject({ status: 401 });
      await expect(gh.auth.refresh(session.refreshToken)).rejects.toBeInstanceOf(AuthError);
    }
    expect(await gh.store.tokens.listActiveForUser(userId, gh.clock.now())).toEqual([]);
    expect(eventsOf(gh, 'login.succeeded')).toHaveLength(succeededBefore);
    expect(eventsOf(gh, 'password.reset')).toMatchObject([{ userId, revokedTokens: 4, ip: CTX.ip }]);
    expect(eventsOf(gh, 'token.revoked').at(-1)).toMatchObject({ userId, scope: 'user', count: 4 });
    // Another user's session is untouched.
    expect((await gh.auth.authenticate(other.accessToken)).user.id).toBe(otherId);
    // The owner is told.
    await waitForSubject(gh.mailer, EMAIL, 'password was changed');
  });

  it('EV-03: a token of one purpose is refused by every other flow, and still works for its own', async () => {
    const gh = mailGatehouse();
    const userId = await register(gh);
    const verify = await verificationToken(gh);
    const reset = await resetToken(gh);
    await gh.account.requestEmailChange(userId, {
      currentPassword: GOOD_PASSWORD,
      newEmail: 'new@example.com',
    });
    const change = tokenOf(await waitForMail(gh.mailer, 'new@example.com', '/confirm-email-change'));

    for (const foreign of [verify, change]) {
      await expect(gh.account.confirmPasswordReset(foreign, NEW_PASSWORD)).rejects.toBeInstanceOf(
        OneTimeTokenError,
      );
    }
    for (const foreign of [reset, change]) {
      await expect(gh.account.verifyEmail(foreign)).rejects.toBeInstanceOf(OneTimeTokenError);
    }
    for (const foreign of [verify, reset]) {
      await expect(gh.account.confirmEmailChange(foreign)).rejects.toBeInstanceOf(OneTimeTokenError);
    }
    expect((await signIn(gh, EMAIL, GOOD_PASSWORD)).accessToken).toBeTruthy();

    await gh.account.verifyEmail(verify);
    await gh.account.confirmEmailChange(change);
    await gh.account.confirmPasswordReset(reset, NEW_PASSWORD);
    expect((await signIn(gh, 'new@example.com', NEW_PASSWORD)).accessToken).toBeTruthy();
  });

  it('malformed tokens of any type are refused as invalid tokens', async () => {
    const gh = mailGatehouse();
    await register(gh);
    for (const bad of [
      undefined,
      null,
      42,
      '',
      'x'.repeat(43),
      `${'A'.repeat(42)}=`,
      { token: 'x' },
      ['a'],
    ]) {
      await expect(gh.account.confirmPasswordReset(bad, NEW_PASSWORD)).rejects.toBeInstanceOf(
        OneTimeTokenError,
      );
      await expect(gh.account.verifyEmail(bad)).rejects.toBeInstanceOf(OneTimeTokenError);
    }
  });
});

describe('EV-02: no raw one-time token at rest (SQLite)', () => {
  const stores: SqliteStore[] = [];
  afterEach(() => {
    for (const store of stores.splice(0)) store.close();
  });

  /** Every value of every row of every table, as text. */
  function dump(store: SqliteStore): string {
    const tables = store.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[];
    expect(tables.map((t) => t.name)).toContain('gatehouse_state');
    return tables
      .map(({ name }) => JSON.stringify(store.db.prepare(`SELECT * FROM "${name}"`).all()))
      .join('\n');
  }

  it('verification, reset and email-change tokens are stored only as SHA-256 hashes', async () => {
    const store = createSqliteStore();
    stores.push(store);
    const gh = mailGatehouse({ store });
    const userId = await register(gh);
    const verify = await verificationToken(gh);
    const reset = await resetToken(gh);
    await gh.account.requestEmailChange(userId, {
      currentPassword: GOOD_PASSWORD,
      newEmail: 'new@example.com',
    });
    const change = tokenOf(await waitForMail(gh.mailer, 'new@example.com', '/confirm-email-change'));

    const contents = dump(store);
    for (const token of [verify, reset, change]) {
      expect(contents).not.toContain(token);
      expect(contents).not.toContain(token.slice(0, 16));
      // What is there instead: the hash (so the scan does look at the right rows).
      expect(contents).toContain(createHash('sha256').update(token).digest('base64url'));
    }
    // The stored tokens work (the rows scanned are the real ones).
    await gh.account.verifyEmail(verify);
    await gh.account.confirmEmailChange(change);
    await gh.account.confirmPasswordReset(reset, NEW_PASSWORD);
    expect(dump(store)).not.toContain(reset);
  });
});

describe('email change', () => {
  it('EV-08: without the current password -> ReauthenticationRequiredError (403); nothing is sent', async () => {
    const gh = mailGatehouse();
    const userId = await register(gh);
    await waitForMail(gh.mailer, EMAIL, '/verify-email');
    for (const currentPassword of [undefined, '', WRONG, 42]) {
      const attempt = gh.account.requestEmailChange(
        userId,
        { currentPassword, newEmail: 'new@example.com' },
        CTX,
      );
      await expect(attempt).rejects.toBeInstanceOf(ReauthenticationRequiredError);
      await expect(attempt).rejects.toMatchObject({ status: 403 });
    }
    await settle();
    expect(gh.mailer.messages.filter((m) => m.to === 'new@example.com')).toHaveLength(0);
    expect((await gh.store.users.findById(userId))?.email).toBe(EMAIL);
  });

  it('with it: a link to the NEW address; after confirming, the old address is told and the new email logs in', async () => {
    const gh = mailGatehouse();
    const userId = await register(gh);
    await gh.account.requestEmailChange(
      userId,
      { currentPassword: GOOD_PASSWORD, newEmail: ' New@Example.com ' },
      CTX,
    );
    const mail = await waitForMail(gh.mailer, 'new@example.com', '/confirm-email-change');
    expect(tokenLink(mail).origin).toBe(BASE_URL);
    // Nothing changes until the link is used.
    expect((await gh.store.users.findById(userId))?.email).toBe(EMAIL);
    expect((await signIn(gh, EMAIL, GOOD_PASSWORD)).accessToken).toBeTruthy();
    await expect(
      gh.auth.login({ identifier: 'new@example.com', password: GOOD_PASSWORD }),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);

    await gh.account.confirmEmailChange(tokenOf(mail), CTX);
    await waitForSubject(gh.mailer, EMAIL, 'email address of your');
    const user = await gh.store.users.findById(userId);
    expect(user?.email).toBe('new@example.com');
    expect(user?.emailVerifiedAt).not.toBeNull();
    expect((await signIn(gh, 'new@example.com', GOOD_PASSWORD)).accessToken).toBeTruthy();
    await expect(gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    await expect(gh.account.confirmEmailChange(tokenOf(mail))).rejects.toBeInstanceOf(OneTimeTokenError);
    expect(eventsOf(gh, 'email.change_requested')).toMatchObject([{ userId, ip: CTX.ip }]);
    expect(eventsOf(gh, 'email.changed')).toMatchObject([{ userId, ip: CTX.ip }]);
  });

  it('the old address is warned as soon as a change is requested', async () => {
    const gh = mailGatehouse();
    const userId = await register(gh);
    await waitForMail(gh.mailer, EMAIL, '/verify-email');
    await gh.account.requestEmailChange(userId, {
      currentPassword: GOOD_PASSWORD,
      newEmail: 'new@example.com',
    });
    const notice = await waitForSubject(gh.mailer, EMAIL, 'Security notice');
    expect(notice.text).not.toContain('token=');
  });

  it('a password reset or change voids a pending email change (a stolen password cannot finish it)', async () => {
    const gh = mailGatehouse();
    const userId = await register(gh);
    // Someone with the password asks to move the account to their own address...
    await gh.account.requestEmailChange(userId, {
      currentPassword: GOOD_PASSWORD,
      newEmail: 'thief@example.com',
    });
    const stolen = tokenOf(await waitForMail(gh.mailer, 'thief@example.com', '/confirm-email-change'));
    // ...the owner is warned and resets the password.
    await gh.account.confirmPasswordReset(await resetToken(gh), NEW_PASSWORD);
    await expect(gh.account.confirmEmailChange(stolen)).rejects.toBeInstanceOf(OneTimeTokenError);
    expect((await gh.store.users.findById(userId))?.email).toBe(EMAIL);

    await gh.account.requestEmailChange(userId, {
      currentPassword: NEW_PASSWORD,
      newEmail: 'thief@example.com',
    });
    const again = tokenOf(await waitForMail(gh.mailer, 'thief@example.com', '/confirm-email-change', 2));
    await gh.auth.changePassword(userId, {
      currentPassword: NEW_PASSWORD,
      newPassword: 'amber-falcon-19-harbor-lane',
    });
    await expect(gh.account.confirmEmailChange(again)).rejects.toBeInstanceOf(OneTimeTokenError);
    expect((await gh.store.users.findById(userId))?.email).toBe(EMAIL);
  });

  it('a new email that is already taken -> AlreadyRegisteredError, nothing sent', async () => {
    const gh = mailGatehouse();
    const userId = await register(gh);
    await register(gh, 'grace@example.com');
    await settle();
    const before = gh.mailer.messages.length;
    await expect(
      gh.account.requestEmailChange(userId, {
        currentPassword: GOOD_PASSWORD,
        newEmail: 'GRACE@example.com',
      }),
    ).rejects.toBeInstanceOf(AlreadyRegisteredError);
    await settle();
    expect(gh.mailer.messages).toHaveLength(before);
  });

  it('wrong current passwords count toward the lockout, and a locked account cannot re-authenticate', async () => {
    const gh = mailGatehouse();
    const userId = await register(gh);
    const { accessToken } = await signIn(gh, EMAIL, GOOD_PASSWORD);
    for (let i = 0; i < 10; i++) {
      await expect(
        gh.account.requestEmailChange(userId, { currentPassword: WRONG, newEmail: 'new@example.com' }, CTX),
      ).rejects.toBeInstanceOf(ReauthenticationRequiredError);
    }
    expect(eventsOf(gh, 'account.locked')).toMatchObject([{ userId }]);
    await expect(
      gh.account.requestEmailChange(userId, { currentPassword: GOOD_PASSWORD, newEmail: 'new@example.com' }),
    ).rejects.toBeInstanceOf(ReauthenticationRequiredError);
    await expect(gh.account.deleteAccount(userId, { currentPassword: GOOD_PASSWORD })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    await expect(gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    // The existing session is not what is locked.
    expect((await gh.auth.authenticate(accessToken)).user.id).toBe(userId);
  });
});

describe('account deletion', () => {
  it('needs the current password', async () => {
    const gh = mailGatehouse();
    const userId = await register(gh);
    await expect(gh.account.deleteAccount(userId, { currentPassword: WRONG })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    await expect(gh.account.deleteAccount(userId, { requirePassword: true })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    expect(await gh.store.users.findById(userId)).not.toBeNull();
    expect(eventsOf(gh, 'account.deleted')).toHaveLength(0);
  });

  it('deletes the user, its tokens, API keys, second factors and pending one-time tokens; calls onDelete; emits account.deleted', async () => {
    const deleted: string[] = [];
    const gh = mailGatehouse({ account: { onDelete: (id) => void deleted.push(id) } });
    const userId = await register(gh);
    const otherId = await register(gh, 'grace@example.com');
    const session = await signIn(gh, EMAIL, GOOD_PASSWORD);
    const other = await signIn(gh, 'grace@example.com', GOOD_PASSWORD);
    const now = gh.clock.now();
    for (const id of [userId, otherId]) {
      await gh.store.mfa.saveTotp({
        userId: id,
        secret: 'sealed-secret',
        enabled: true,
        lastUsedStep: null,
        createdAt: now,
        updatedAt: now,
      });
      await gh.store.mfa.replaceBackupCodes(id, ['hash-a', 'hash-b'], now);
    }
    const verify = await verificationToken(gh);
    const reset = await resetToken(gh);
    const apiKey = await gh.apiKeys.create(userId, { name: 'deploys' });
    const otherApiKey = await gh.apiKeys.create(otherId, { name: 'deploys' });
    const tuples = {
      asSubject: {
        object: { type: 'team', id: 'eng' },
        relation: 'member',
        subject: { type: 'user', id: userId },
      },
      asObject: {
        object: { type: 'user', id: userId },
        relation: 'manager',
        subject: { type: 'user', id: otherId },
      },
      other: {
        object: { type: 'team', id: 'eng' },
        relation: 'member',
        subject: { type: 'user', id: otherId },
      },
    };
    await gh.store.relationships.write(Object.values(tuples));
    const identity = (id: string, provider: string, subject: string) => ({
      id: `${id}-${provider}`,
      userId: id,
      provider,
      issuer: `https://${provider}.example`,
      subject,
      email: null,
      emailVerified: false,
      tokens: 'v1.sealed',
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
    });
    await gh.store.identities.create(identity(userId, 'github', '1'));
    await gh.store.identities.create(identity(userId, 'corp', 'sub-1'));
    await gh.store.identities.create(identity(otherId, 'github', '2'));

    await gh.account.deleteAccount(userId, { currentPassword: GOOD_PASSWORD, requirePassword: true }, CTX);

    expect(await gh.store.users.findById(userId)).toBeNull();
    expect(await gh.store.users.findByEmail(EMAIL)).toBeNull();
    await expect(gh.auth.authenticate(session.accessToken)).rejects.toMatchObject({ status: 401 });
    await expect(gh.auth.refresh(session.refreshToken)).rejects.toBeInstanceOf(AuthError);
    expect(await gh.store.tokens.listActiveForUser(userId, gh.clock.now())).toEqual([]);
    expect(await gh.store.tokens.deleteAllForUser(userId)).toBe(0);
    expect(await gh.store.mfa.getTotp(userId)).toBeNull();
    expect(await gh.store.mfa.countBackupCodes(userId)).toBe(0);
    expect(await gh.store.apiKeys.listForUser(userId)).toEqual([]);
    // Linked identities (GitHub, OIDC) go with the account, so they can log in as nobody.
    expect(await gh.store.identities.listForUser(userId)).toEqual([]);
    expect(await gh.store.identities.findBySubject('https://github.example', '1')).toBeNull();
    expect(await gh.store.identities.listForUser(otherId)).toHaveLength(1);
    await expect(gh.apiKeys.authenticate(apiKey.key)).rejects.toMatchObject({ status: 401 });
    // Tuples naming the user, as subject or as object, are gone; others stay.
    expect(await gh.store.relationships.read({ object: { type: 'team', id: 'eng' } })).toEqual([
      tuples.other,
    ]);
    expect(await gh.store.relationships.read({ object: { type: 'user', id: userId } })).toEqual([]);
    await expect(gh.account.verifyEmail(verify)).rejects.toBeInstanceOf(OneTimeTokenError);
    await expect(gh.account.confirmPasswordReset(reset, NEW_PASSWORD)).rejects.toBeInstanceOf(
      OneTimeTokenError,
    );
    expect(deleted).toEqual([userId]);
    expect(eventsOf(gh, 'account.deleted')).toMatchObject([{ userId, ip: CTX.ip }]);
    await expect(gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    // Nobody else is touched.
    expect((await gh.auth.authenticate(other.accessToken)).user.id).toBe(otherId);
    expect(await gh.store.mfa.getTotp(otherId)).not.toBeNull();
    expect(await gh.store.mfa.countBackupCodes(otherId)).toBe(2);
    expect((await gh.apiKeys.authenticate(otherApiKey.key)).user.id).toBe(otherId);
    // The address is free again.
    await expect(gh.auth.register({ email: EMAIL, password: GOOD_PASSWORD })).resolves.toMatchObject({
      email: EMAIL,
    });
  });

  it('an unknown user -> NotFoundError', async () => {
    const gh = mailGatehouse();
    await expect(gh.account.deleteAccount('no-such-user')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('LO-01 / LO-02: the events of a full account lifecycle', () => {
  it('each has type, user id, IP, user agent and a UTC time from the clock; none carries a secret', async () => {
    const gh = mailGatehouse();
    const start = gh.clock.now().getTime();
    const secrets: string[] = [GOOD_PASSWORD, NEW_PASSWORD, WRONG];
    const step = () => gh.clock.advance(7);

    const userId = await register(gh);
    const verifyMail = await waitForMail(gh.mailer, EMAIL, '/verify-email');
    secrets.push(tokenOf(verifyMail), tokenLink(verifyMail).href);
    step();
    await gh.account.verifyEmail(tokenOf(verifyMail), CTX);
    await expect(gh.auth.login({ identifier: EMAIL, password: WRONG }, CTX)).rejects.toThrow();
    await expect(gh.auth.login({ identifier: 'nobody@example.com', password: WRONG }, CTX)).rejects.toThrow();
    step();
    const session = await signIn(gh, EMAIL, GOOD_PASSWORD, CTX);
    const rotated = await gh.auth.refresh(session.refreshToken, CTX);
    secrets.push(session.accessToken, session.refreshToken, rotated.accessToken, rotated.refreshToken);
    await gh.auth.verifyCredentials({ identifier: EMAIL, password: GOOD_PASSWORD }, CTX, 'basic');
    step();
    await gh.account.requestPasswordReset(EMAIL, CTX);
    await gh.account.requestPasswordReset('nobody@example.com', CTX);
    const resetMail = await waitForMail(gh.mailer, EMAIL, '/reset-password');
    secrets.push(tokenOf(resetMail), tokenLink(resetMail).href);
    await gh.account.confirmPasswordReset(tokenOf(resetMail), NEW_PASSWORD, CTX);
    step();
    await gh.account.requestEmailChange(
      userId,
      { currentPassword: NEW_PASSWORD, newEmail: 'new@example.com' },
      CTX,
    );
    const changeMail = await waitForMail(gh.mailer, 'new@example.com', '/confirm-email-change');
    secrets.push(tokenOf(changeMail), tokenLink(changeMail).href);
    await gh.account.confirmEmailChange(tokenOf(changeMail), CTX);
    step();
    for (let i = 0; i < 10; i++) {
      await expect(gh.auth.login({ identifier: 'new@example.com', password: WRONG }, CTX)).rejects.toThrow();
    }
    await gh.account.unlockAccount(userId, CTX);
    step();
    const last = await signIn(gh, 'new@example.com', NEW_PASSWORD, CTX);
    secrets.push(last.accessToken, last.refreshToken);
    await gh.auth.logoutAll(userId, CTX);
    await gh.account.deleteAccount(userId, { currentPassword: NEW_PASSWORD }, CTX);
    const end = gh.clock.now().getTime();
    await settle();

    const types = new Set(gh.seen.map((e) => e.type));
    for (const type of [
      'user.registered',
      'email.verification_sent',
      'email.verified',
      'login.failed',
      'login.succeeded',
      'token.refreshed',
      'password.reset_requested',
      'password.reset',
      'token.revoked',
      'email.change_requested',
      'email.changed',
      'account.locked',
      'account.unlocked',
      'account.deleted',
    ] as const) {
      expect(types, type).toContain(type);
    }
    for (const event of gh.seen) {
      const where = JSON.stringify(event);
      expect(typeof event.type, where).toBe('string');
      expect(event.at, where).toBeInstanceOf(Date);
      expect(event.at.getTime(), where).toBeGreaterThanOrEqual(start);
      expect(event.at.getTime(), where).toBeLessThanOrEqual(end);
      expect(event.at.toISOString(), where).toMatch(/Z$/);
      expect(event.ip, where).toBe(CTX.ip);
      expect(event.userAgent, where).toBe(CTX.userAgent);
      expect('userId' in event, where).toBe(true);
      const unknownAccount =
        (event.type === 'login.failed' && event.reason === 'unknown_user') ||
        (event.type === 'password.reset_requested' && event.userId === null);
      if (!unknownAccount) expect((event as { userId: unknown }).userId, where).toBe(userId);
    }
    const log = JSON.stringify(gh.seen);
    for (const secret of secrets) expect(log).not.toContain(secret);
    expect(log).not.toMatch(/\$argon2|token=|https?:\/\//);
    // The mails did carry the links (so the scan above looked for real values).
    expect(secrets.filter((s) => s.startsWith('https://'))).toHaveLength(3);
  });
});
