/**
 * AccountService: the account lifecycle flows around login — email verification, password
 * reset, email change, account deletion, administrator unlock — with their mails.
 *
 * @module
 */
import { canonicalEmail, emailIssues } from '../auth/identity.js';
import type { ResolvedConfig } from '../config.js';
import type { LockoutService } from '../defense/lockout.js';
import type { RateLimiter } from '../defense/rate-limiter.js';
import {
  AlreadyRegisteredError,
  InvalidCredentialsError,
  MailNotConfiguredError,
  NotFoundError,
  ReauthenticationRequiredError,
  StoreUnavailableError,
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
import type { Store, UserRecord } from '../storage/types.js';
import type { TokenService } from '../token/token-service.js';
import { OneTimeTokens } from './one-time-tokens.js';

/** Options of {@link AccountService}, built by `createGatehouse`. */
export interface AccountServiceOptions {
  readonly store: Store;
  readonly passwords: PasswordService;
  readonly tokens: TokenService;
  readonly lockout: LockoutService;
  readonly limiter: RateLimiter;
  readonly events: SecurityEvents;
  readonly clock: () => Date;
  readonly config: Pick<ResolvedConfig, 'account' | 'mail' | 'rateLimits'>;
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

  async #store<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof AlreadyRegisteredError) throw error;
      throw new StoreUnavailableError({ cause: error });
    }
  }

  #link(path: string, token: string): string {
    const { baseUrl } = this.#o.config.account;
    if (!baseUrl) throw new MailNotConfiguredError();
    const url = new URL(path, baseUrl);
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
    void Promise.resolve()
      .then(() => mailer.send({ to, ...content() }))
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
    const user = await this.#store(() => this.#o.store.users.findById(userId));
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
   * any, goes out in the background).
   */
  async resendEmailVerification(email: unknown, context?: RequestContext): Promise<void> {
    if (emailIssues(email).length > 0) return;
    const user = await this.#store(() => this.#o.store.users.findByEmail(canonicalEmail(email as string)));
    if (!user) return;
    void this.requestEmailVerification(user.id, context).catch((error) =>
      (this.#o.onMailError ?? ((e) => console.error('gatehouse: mail failed', e)))(error),
    );
  }

  /** Confirms an email address with a verification token (single use, purpose-bound). */
  async verifyEmail(token: unknown, context?: RequestContext): Promise<void> {
    const { userId, data } = await this.#oneTime.redeem<{ email: string }>('verify_email', token);
    const user = await this.#store(() => this.#o.store.users.findById(userId));
    // The token verifies the address it was sent to; a changed email needs a new one.
    if (!user || user.email !== data.email) throw new NotFoundError('User');
    await this.#store(() =>
      this.#o.store.users.update(userId, { emailVerifiedAt: this.#o.clock() }, this.#o.clock()),
    );
    this.#o.events.emit('email.verified', context, this.#o.clock(), { userId });
  }

  /**
   * Starts a password reset. Always resolves the same way whether or not the account exists; no
   * account state changes (the old password keeps working until a reset is confirmed). Rate
   * limited per client IP and per account; never counts toward lockout.
   */
  async requestPasswordReset(email: unknown, context?: RequestContext): Promise<void> {
    if (!this.#o.config.mail.mailer) throw new MailNotConfiguredError();
    await this.#o.limiter.hit('reset-ip', context?.ip, this.#o.config.rateLimits.passwordResetPerIp);
    if (emailIssues(email).length > 0) return;
    const user = await this.#store(() => this.#o.store.users.findByEmail(canonicalEmail(email as string)));
    this.#o.events.emit('password.reset_requested', context, this.#o.clock(), { userId: user?.id ?? null });
    if (!user?.isActive) return;
    try {
      await this.#o.limiter.hit('reset-user', user.id, this.#o.config.rateLimits.passwordResetPerAccount);
    } catch {
      return; // Over the per-account limit: answer as usual, send nothing.
    }
    const ttl = this.#o.config.account.passwordResetTtl;
    const token = await this.#oneTime.issue('password_reset', user.id, ttl, {});
    const link = this.#link(this.#o.config.account.paths.passwordReset, token);
    this.#sendInBackground(user.email, () =>
      this.#templates.passwordReset({ appName: this.#appName, link, expiresInMinutes: ttl / 60 }),
    );
  }

  /**
   * Completes a reset: checks the new password against the policy first (a weak one does not
   * burn the token), redeems the token, stores the new hash, revokes every token of the user,
   * lifts a lockout, and notifies the owner. It does not log the user in and does not touch MFA.
   */
  async confirmPasswordReset(token: unknown, newPassword: unknown, context?: RequestContext): Promise<void> {
    const { userId } = await this.#oneTime.peek('password_reset', token);
    const user = await this.#store(() => this.#o.store.users.findById(userId));
    if (!user?.isActive) throw new NotFoundError('User');
    this.#o.passwords.assertValid(newPassword as string, { email: user.email, username: user.username });
    await this.#oneTime.redeem('password_reset', token);
    const passwordHash = await this.#o.passwords.hash(newPassword as string);
    await this.#store(() =>
      this.#o.store.users.update(userId, { passwordHash, passwordChangeRequired: false }, this.#o.clock()),
    );
    const revoked = await this.#o.tokens.revokeAllForUser(userId);
    await this.#o.lockout.unlock(userId, 'password_reset', context);
    const now = this.#o.clock();
    this.#o.events.emit('password.reset', context, now, { userId, revokedTokens: revoked });
    this.#sendInBackground(user.email, () =>
      this.#templates.passwordChanged({ appName: this.#appName, at: now }),
    );
  }

  async #reauthenticate(user: UserRecord, password: unknown): Promise<void> {
    if (typeof password !== 'string' || !user.passwordHash) throw new ReauthenticationRequiredError();
    const { ok } = await this.#o.passwords.verify(password, user.passwordHash);
    if (!ok) throw new ReauthenticationRequiredError();
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
    const user = await this.#store(() => this.#o.store.users.findById(userId));
    if (!user?.isActive) throw new NotFoundError('User');
    await this.#reauthenticate(user, input.currentPassword);
    const issues = emailIssues(input.newEmail, 'newEmail');
    if (issues.length > 0) throw new ValidationError(issues);
    const newEmail = canonicalEmail(input.newEmail as string);
    if (await this.#store(() => this.#o.store.users.findByEmail(newEmail)))
      throw new AlreadyRegisteredError();
    const ttl = this.#o.config.account.emailChangeTtl;
    const token = await this.#oneTime.issue('email_change', user.id, ttl, { newEmail, oldEmail: user.email });
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
    this.#o.events.emit('email.change_requested', context, this.#o.clock(), { userId });
  }

  /** Confirms an email change with the link's token: the new address becomes the verified email. */
  async confirmEmailChange(token: unknown, context?: RequestContext): Promise<void> {
    const { userId, data } = await this.#oneTime.redeem<{ newEmail: string; oldEmail: string }>(
      'email_change',
      token,
    );
    const now = this.#o.clock();
    const updated = await this.#store(() =>
      this.#o.store.users.update(userId, { email: data.newEmail, emailVerifiedAt: now }, now),
    );
    if (!updated) throw new NotFoundError('User');
    this.#o.events.emit('email.changed', context, now, { userId });
    this.#sendInBackground(data.oldEmail, () =>
      this.#templates.emailChanged({ appName: this.#appName, at: now }),
    );
  }

  /**
   * Deletes an account and everything gatehouse keeps about it: tokens, second factors, pending
   * one-time tokens and lockout state, then the user; then calls `account.onDelete` for the
   * application's own data. With `currentPassword` (self-service) the password is checked first.
   */
  async deleteAccount(
    userId: string,
    options: { currentPassword?: unknown; requirePassword?: boolean } = {},
    context?: RequestContext,
  ): Promise<void> {
    const user = await this.#store(() => this.#o.store.users.findById(userId));
    if (!user) throw new NotFoundError('User');
    if (options.requirePassword || options.currentPassword !== undefined) {
      try {
        await this.#reauthenticate(user, options.currentPassword);
      } catch {
        throw new InvalidCredentialsError();
      }
    }
    const { store } = this.#o;
    await this.#o.tokens.revokeAllForUser(userId);
    await this.#store(async () => {
      await store.tokens.deleteAllForUser(userId);
      await store.mfa.deleteAllForUser(userId);
      for (const purpose of ['verify_email', 'password_reset', 'email_change', 'mfa_challenge'] as const) {
        await this.#oneTime.revoke(purpose, userId);
      }
      await store.state.delete(`lock:${userId}`);
      await store.users.delete(userId);
    });
    await this.#o.config.account.onDelete?.(userId);
    this.#o.events.emit('account.deleted', context, this.#o.clock(), { userId });
  }

  /** Mails the owner that their account was locked (from the `account.locked` event). */
  async notifyLocked(userId: string, until: Date | null): Promise<void> {
    const user = await this.#store(() => this.#o.store.users.findById(userId));
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
