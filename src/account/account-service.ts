/**
 * AccountService: the account lifecycle flows around login — email verification, password
 * reset, email change, account deletion, administrator unlock — with their mails.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { canonicalEmail, emailIssues } from '../auth/identity.js';
import type { ResolvedConfig } from '../config.js';
import type { LockoutService } from '../defense/lockout.js';
import type { RateLimiter } from '../defense/rate-limiter.js';
import {
  AlreadyRegisteredError,
  InvalidCredentialsError,
  MailNotConfiguredError,
  NotFoundError,
  OneTimeTokenError,
  RateLimitedError,
  ReauthenticationRequiredError,
  ValidationError,
} from '../errors.js';
import type { RequestContext, SecurityEvents } from '../events.js';
import {
  defaultMailTemplates,
  type MailContent,
  type MailTemplates,
  mergeMailTemplates,
} from '../mail/index.js';
import type { PasswordService } from '../password/index.js';
import { storeCall } from '../storage/store-call.js';
import type { Store, UserRecord } from '../storage/types.js';
import type { TokenService } from '../token/token-service.js';
import { OneTimeTokens } from './one-time-tokens.js';

/**
 * A fingerprint of the user's current password hash. Reset and email-change tokens carry the one
 * of the moment they were issued and are refused once the password has changed (EV-04: a password
 * change voids outstanding reset tokens; a stolen password cannot complete an email change after
 * the owner reset it), whichever flow changed it. A rehash on login also changes it.
 */
function passwordFingerprint(passwordHash: string | null): string {
  return createHash('sha256')
    .update('gatehouse password fingerprint\0', 'utf8')
    .update(passwordHash ?? '', 'utf8')
    .digest('base64url');
}

function sameFingerprint(stored: unknown, user: UserRecord): boolean {
  if (typeof stored !== 'string') return false;
  const a = Buffer.from(stored, 'utf8');
  const b = Buffer.from(passwordFingerprint(user.passwordHash), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Options of {@link AccountService}, built by `createGatehouse`. */
export interface AccountServiceOptions {
  readonly store: Store;
  readonly passwords: PasswordService;
  readonly tokens: TokenService;
  readonly lockout: LockoutService;
  readonly limiter: RateLimiter;
  readonly events: SecurityEvents;
  readonly clock: () => Date;
  readonly config: Pick<ResolvedConfig, 'account' | 'mail' | 'rateLimits' | 'authorization'>;
  /** Called with errors of mails sent in the background (the flow has already answered). */
  readonly onMailError?: (error: unknown) => void;
}

/** The account lifecycle flows. Every flow emits a typed security event. */
export class AccountService {
  readonly #o: AccountServiceOptions;
  readonly #oneTime: OneTimeTokens;
  readonly #templates: MailTemplates;

  constructor(options: AccountServiceOptions) {
    this.#o = options;
    this.#oneTime = new OneTimeTokens(options.store.state, options.clock);
    this.#templates = mergeMailTemplates(options.config.mail.templates ?? {}, defaultMailTemplates);
  }

  /** The one-time token service (also used for MFA challenges). */
  get oneTimeTokens(): OneTimeTokens {
    return this.#oneTime;
  }

  /**
   * The link of an emailed token: `account.baseUrl` (never a request's Host) with the configured
   * path appended to its own path, so an app served under a prefix (`https://x.example/app`) keeps it.
   */
  #link(path: string, token: string): string {
    const { baseUrl } = this.#o.config.account;
    if (!baseUrl) throw new MailNotConfiguredError();
    const url = new URL(baseUrl);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
    url.search = '';
    url.hash = '';
    url.searchParams.set('token', token);
    return url.href;
  }

  /** Sends a mail to a stored address; awaited, so delivery errors reach the caller. */
  async #send(to: string, content: MailContent): Promise<void> {
    const { mailer } = this.#o.config.mail;
    if (!mailer) throw new MailNotConfiguredError();
    await mailer.send({ to, ...content });
  }

  /** Sends a mail without making the caller wait (uniform timing for enumeration-sensitive flows). */
  #sendInBackground(to: string, content: () => MailContent): void {
    const { mailer } = this.#o.config.mail;
    if (!mailer) return;
    this.#inBackground(() => mailer.send({ to, ...content() }));
  }

  /** Runs `task` after the caller got its answer; its errors go to `onMailError`. */
  #inBackground(task: () => Promise<void>): void {
    void Promise.resolve()
      .then(task)
      .catch((error) => (this.#o.onMailError ?? ((e) => console.error('gatehouse: mail failed', e)))(error));
  }

  get #appName(): string {
    return this.#o.config.account.appName;
  }

  /**
   * Mails the user a verification link (single use, `account.verifyEmailTtl`), replacing any
   * earlier one. Rate limited per account. Goes to the stored address.
   */
  async requestEmailVerification(userId: string, context?: RequestContext): Promise<void> {
    if (this.#o.config.account.emailVerification === 'off') return;
    const user = await storeCall(() => this.#o.store.users.findById(userId));
    if (!user?.isActive || user.emailVerifiedAt !== null) return;
    await this.#o.limiter.hit(
      'verify-resend-user',
      user.id,
      this.#o.config.rateLimits.verificationResendPerAccount,
    );
    const ttl = this.#o.config.account.verifyEmailTtl;
    const token = await this.#oneTime.issue('verify_email', user.id, ttl, { email: user.email });
    const link = this.#link(this.#o.config.account.paths.verifyEmail, token);
    await this.#send(
      user.email,
      this.#templates.verifyEmail({ appName: this.#appName, link, expiresInMinutes: ttl / 60 }),
    );
    this.#o.events.emit('email.verification_sent', context, this.#o.clock(), { userId: user.id });
  }

  /**
   * Resend by email address: answers the same whether or not an account exists (the mail, if
   * any, goes out in the background). Over the per-account limit nothing is sent, silently.
   */
  async resendEmailVerification(email: unknown, context?: RequestContext): Promise<void> {
    if (this.#o.config.account.emailVerification === 'off') return;
    await this.#o.limiter.hit(
      'verify-resend-ip',
      context?.ip,
      this.#o.config.rateLimits.verificationResendPerIp,
    );
    if (emailIssues(email).length > 0) return;
    const user = await storeCall(() => this.#o.store.users.findByEmail(canonicalEmail(email as string)));
    if (!user) return;
    this.#inBackground(async () => {
      try {
        await this.requestEmailVerification(user.id, context);
      } catch (error) {
        if (!(error instanceof RateLimitedError)) throw error;
      }
    });
  }

  /** Confirms an email address with a verification token (single use, purpose-bound). */
  async verifyEmail(token: unknown, context?: RequestContext): Promise<void> {
    const { userId, data } = await this.#oneTime.redeem<{ email: string }>('verify_email', token);
    const user = await storeCall(() => this.#o.store.users.findById(userId));
    // The token verifies the address it was sent to; a changed email needs a new one.
    if (!user || user.email !== data.email) throw new NotFoundError('User');
    await storeCall(() =>
      this.#o.store.users.update(userId, { emailVerifiedAt: this.#o.clock() }, this.#o.clock()),
    );
    this.#o.events.emit('email.verified', context, this.#o.clock(), { userId });
  }

  /**
   * Starts a password reset. Always resolves the same way whether or not the account exists: the
   * per-account work (limit, token, mail) happens after the answer, so timing does not tell
   * either. No account state changes (the old password keeps working until a reset is
   * confirmed). Rate limited per client IP and per account; never counts toward lockout. The
   * token is bound to the current password: any password change voids it.
   */
  async requestPasswordReset(email: unknown, context?: RequestContext): Promise<void> {
    if (!this.#o.config.mail.mailer) throw new MailNotConfiguredError();
    await this.#o.limiter.hit('reset-ip', context?.ip, this.#o.config.rateLimits.passwordResetPerIp);
    if (emailIssues(email).length > 0) return;
    const user = await storeCall(() => this.#o.store.users.findByEmail(canonicalEmail(email as string)));
    this.#o.events.emit('password.reset_requested', context, this.#o.clock(), { userId: user?.id ?? null });
    if (!user?.isActive) return;
    this.#inBackground(async () => {
      try {
        await this.#o.limiter.hit('reset-user', user.id, this.#o.config.rateLimits.passwordResetPerAccount);
      } catch (error) {
        if (error instanceof RateLimitedError) return; // Over the per-account limit: send nothing.
        throw error;
      }
      const ttl = this.#o.config.account.passwordResetTtl;
      const token = await this.#oneTime.issue('password_reset', user.id, ttl, {
        password: passwordFingerprint(user.passwordHash),
      });
      const link = this.#link(this.#o.config.account.paths.passwordReset, token);
      await this.#send(
        user.email,
        this.#templates.passwordReset({ appName: this.#appName, link, expiresInMinutes: ttl / 60 }),
      );
    });
  }

  /**
   * Completes a reset: checks the new password against the policy first (a weak one does not
   * burn the token), redeems the token, stores the new hash, revokes every token of the user,
   * lifts a lockout, and notifies the owner. It does not log the user in and does not touch MFA.
   */
  async confirmPasswordReset(token: unknown, newPassword: unknown, context?: RequestContext): Promise<void> {
    const { userId, data } = await this.#oneTime.peek<{ password?: string }>('password_reset', token);
    const user = await storeCall(() => this.#o.store.users.findById(userId));
    if (!user?.isActive) throw new NotFoundError('User');
    // The password changed since the link was sent: the link is void.
    if (!sameFingerprint(data?.password, user)) {
      await this.#oneTime.revoke('password_reset', userId);
      throw new OneTimeTokenError();
    }
    this.#o.passwords.assertValid(newPassword as string, { email: user.email, username: user.username });
    await this.#oneTime.redeem('password_reset', token);
    const passwordHash = await this.#o.passwords.hash(newPassword as string);
    await storeCall(() =>
      this.#o.store.users.update(userId, { passwordHash, passwordChangeRequired: false }, this.#o.clock()),
    );
    const revoked = await this.#o.tokens.revokeAllForUser(userId);
    await this.#o.lockout.unlock(userId, 'password_reset', context);
    const now = this.#o.clock();
    this.#o.events.emit('password.reset', context, now, { userId, revokedTokens: revoked });
    this.#o.events.emit('token.revoked', context, now, {
      userId,
      scope: 'user',
      reason: 'password_changed',
      count: revoked,
    });
    this.#sendInBackground(user.email, () =>
      this.#templates.passwordChanged({ appName: this.#appName, at: now }),
    );
  }

  /**
   * Checks the current password of a signed-in user before a sensitive change. It is a password
   * check like a login (LG-06): the per-IP failure throttle applies, a wrong password counts
   * toward the account lockout and emits `login.failed`, and a locked account is refused even
   * with the right password. A missing password is refused without counting.
   */
  async #reauthenticate(user: UserRecord, password: unknown, context?: RequestContext): Promise<void> {
    if (typeof password !== 'string') throw new ReauthenticationRequiredError();
    const ip = context?.ip;
    const ipLimit = this.#o.config.rateLimits.loginFailuresPerIp;
    await this.#o.limiter.check('login-failures-ip', ip, ipLimit);
    const lock = await this.#o.lockout.state(user.id);
    let ok = false;
    if (user.passwordHash) ({ ok } = await this.#o.passwords.verify(password, user.passwordHash));
    else await this.#o.passwords.dummyVerify(password);
    if (ok && !lock.locked) {
      await this.#o.lockout.recordSuccess(user.id);
      return;
    }
    if (!lock.locked && user.passwordHash) await this.#o.lockout.recordFailure(user.id, context);
    await this.#o.limiter.record('login-failures-ip', ip, ipLimit);
    const reason = lock.locked ? 'account_locked' : user.passwordHash ? 'wrong_password' : 'no_password';
    this.#o.events.emit('login.failed', context, this.#o.clock(), {
      userId: user.id,
      factor: 'password',
      reason,
    });
    throw new ReauthenticationRequiredError();
  }

  /**
   * Checks the current password of a signed-in user before a sensitive change made by another
   * service (e.g. unlinking an identity provider), with the same rules as the account's own
   * changes: the per-IP failure throttle, lockout counting, `login.failed`, a locked account
   * refused. Throws {@link ReauthenticationRequiredError} (403) when it is missing or wrong, and
   * always for an account without a password.
   */
  reauthenticate(user: UserRecord, password: unknown, context?: RequestContext): Promise<void> {
    return this.#reauthenticate(user, password, context);
  }

  /**
   * Starts an email change: needs the current password, mails a confirmation link to the NEW
   * address and a notice to the old one. Nothing changes until the link is used.
   */
  async requestEmailChange(
    userId: string,
    input: { currentPassword: unknown; newEmail: unknown },
    context?: RequestContext,
  ): Promise<void> {
    const user = await storeCall(() => this.#o.store.users.findById(userId));
    if (!user?.isActive) throw new NotFoundError('User');
    await this.#reauthenticate(user, input.currentPassword, context);
    const issues = emailIssues(input.newEmail, 'newEmail');
    if (issues.length > 0) throw new ValidationError(issues);
    const newEmail = canonicalEmail(input.newEmail as string);
    if (await storeCall(() => this.#o.store.users.findByEmail(newEmail))) throw new AlreadyRegisteredError();
    const ttl = this.#o.config.account.emailChangeTtl;
    const token = await this.#oneTime.issue('email_change', user.id, ttl, {
      newEmail,
      oldEmail: user.email,
      password: passwordFingerprint(user.passwordHash),
    });
    const link = this.#link(this.#o.config.account.paths.confirmEmailChange, token);
    await this.#send(
      newEmail,
      this.#templates.emailChangeRequested({
        appName: this.#appName,
        link,
        expiresInMinutes: ttl / 60,
        newEmail,
      }),
    );
    const now = this.#o.clock();
    this.#o.events.emit('email.change_requested', context, now, { userId });
    // Tell the current address right away, so its owner can react before the link is used.
    this.#sendInBackground(user.email, () =>
      this.#templates.securityNotice({
        appName: this.#appName,
        event: 'Email change requested',
        at: now,
        ...(context?.ip ? { ipAddress: context.ip } : {}),
        ...(context?.userAgent ? { userAgent: context.userAgent } : {}),
      }),
    );
  }

  /**
   * Confirms an email change with the link's token: the new address becomes the verified email.
   * A password change (or reset) since the request voids the token.
   */
  async confirmEmailChange(token: unknown, context?: RequestContext): Promise<void> {
    const { userId, data } = await this.#oneTime.redeem<{
      newEmail: string;
      oldEmail: string;
      password?: string;
    }>('email_change', token);
    const user = await storeCall(() => this.#o.store.users.findById(userId));
    if (!user?.isActive || !sameFingerprint(data.password, user)) throw new OneTimeTokenError();
    const now = this.#o.clock();
    const updated = await storeCall(() =>
      this.#o.store.users.update(userId, { email: data.newEmail, emailVerifiedAt: now }, now),
    );
    if (!updated) throw new NotFoundError('User');
    this.#o.events.emit('email.changed', context, now, { userId });
    this.#sendInBackground(data.oldEmail, () =>
      this.#templates.emailChanged({ appName: this.#appName, at: now }),
    );
  }

  /** Deletes every relationship tuple naming the user as subject or as object. */
  async #deleteRelationships(userId: string): Promise<void> {
    const { relationships } = this.#o.store;
    const type = this.#o.config.authorization.userType;
    const tuples = [
      ...(await relationships.read({ subject: { type, id: userId } })),
      ...(await relationships.read({ object: { type, id: userId } })),
    ];
    if (tuples.length > 0) await relationships.delete(tuples);
  }

  /**
   * Deletes an account and everything gatehouse keeps about it: tokens, API keys, second factors, pending
   * one-time tokens, lockout state and relationship tuples, then the user; then calls `account.onDelete` for the
   * application's own data. With `currentPassword` (self-service) the password is checked first.
   */
  async deleteAccount(
    userId: string,
    options: { currentPassword?: unknown; requirePassword?: boolean } = {},
    context?: RequestContext,
  ): Promise<void> {
    const user = await storeCall(() => this.#o.store.users.findById(userId));
    if (!user) throw new NotFoundError('User');
    if (options.requirePassword || options.currentPassword !== undefined) {
      try {
        await this.#reauthenticate(user, options.currentPassword, context);
      } catch (error) {
        if (error instanceof ReauthenticationRequiredError) throw new InvalidCredentialsError();
        throw error;
      }
    }
    const { store } = this.#o;
    await this.#o.tokens.revokeAllForUser(userId);
    await storeCall(async () => {
      await store.tokens.deleteAllForUser(userId);
      await store.mfa.deleteAllForUser(userId);
      await store.identities.deleteAllForUser(userId);
      await store.apiKeys.deleteAllForUser(userId);
      for (const purpose of ['verify_email', 'password_reset', 'email_change', 'mfa_challenge'] as const) {
        await this.#oneTime.revoke(purpose, userId);
      }
      await store.state.delete(`lock:${userId}`);
      await this.#deleteRelationships(userId);
      await store.users.delete(userId);
    });
    await this.#o.config.account.onDelete?.(userId);
    this.#o.events.emit('account.deleted', context, this.#o.clock(), { userId });
  }

  /**
   * Whether registration answers uniformly (LG-03): on when a mailer is configured and email
   * verification is not off, so new and taken addresses get the same answer and the owner of a
   * taken address learns about the attempt by mail.
   */
  get uniformRegistration(): boolean {
    return Boolean(this.#o.config.mail.mailer) && this.#o.config.account.emailVerification !== 'off';
  }

  /**
   * Tells the owner of an already registered address that someone tried to register with it
   * (in the background, so the answer to the registration does not wait for it).
   */
  notifyRegistrationAttempt(email: unknown, context?: RequestContext): void {
    if (!this.#o.config.mail.mailer || emailIssues(email).length > 0) return;
    const address = canonicalEmail(email as string);
    this.#inBackground(async () => {
      const user = await storeCall(() => this.#o.store.users.findByEmail(address));
      if (!user) return;
      await this.#send(
        user.email,
        this.#templates.securityNotice({
          appName: this.#appName,
          event: 'Someone tried to create an account with your address',
          at: this.#o.clock(),
          ...(context?.ip ? { ipAddress: context.ip } : {}),
        }),
      );
    });
  }

  /** Mails the owner that their account was locked (from the `account.locked` event). */
  async notifyLocked(userId: string, until: Date | null): Promise<void> {
    const user = await storeCall(() => this.#o.store.users.findById(userId));
    if (!user || !this.#o.config.mail.mailer) return;
    const content = until
      ? this.#templates.accountLocked({ appName: this.#appName, until })
      : this.#templates.securityNotice({
          appName: this.#appName,
          event: 'Account locked',
          at: this.#o.clock(),
        });
    await this.#send(user.email, content);
  }

  /** Lifts a lockout (administrator action). `true` when the account was locked. */
  async unlockAccount(userId: string, context?: RequestContext): Promise<boolean> {
    return this.#o.lockout.unlock(userId, 'admin', context);
  }
}
