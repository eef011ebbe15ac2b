/**
 * AccountService: the account lifecycle flows around login — email verification, password
 * reset, email change, account deletion, and the administrator's unlock, role changes and user
 * listing — with their mails.
 *
 * `AccountService` is the facade: each flow lives in a module of its own (`email-verification.ts`,
 * `password-reset.ts`, `email-change.ts`, `account-deletion.ts`, `account-notices.ts`; the role
 * change in `../auth/role-change.ts`, shared with the `gatehouse set-role` command), with the
 * password check in `reauthentication.ts` and their shared state in `account-flow-context.ts`.
 *
 * @module
 */
import { changeRole, type RoleChange, type SetRoleOptions } from '../auth/role-change.js';
import type { ResolvedConfig } from '../config.js';
import type { LockoutService } from '../defense/lockout.js';
import type { RateLimiter } from '../defense/rate-limiter.js';
import type { RequestContext, SecurityEvents } from '../events.js';
import type { PasswordService } from '../password/index.js';
import type { Store, UserRecord } from '../storage/types.js';
import type { TokenService } from '../token/token-service.js';
import { deleteAccount } from './account-deletion.js';
import { type AccountFlowContext, createAccountFlowContext } from './account-flow-context.js';
import { notifyLocked, notifyRegistrationAttempt } from './account-notices.js';
import { confirmEmailChange, requestEmailChange } from './email-change.js';
import { requestEmailVerification, resendEmailVerification, verifyEmail } from './email-verification.js';
import type { OneTimeTokens } from './one-time-tokens.js';
import { confirmPasswordReset, requestPasswordReset } from './password-reset.js';
import { reauthenticate } from './reauthentication.js';
import { type ListUsersOptions, listUsers, type UserPage } from './user-listing.js';

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
  readonly #ctx: AccountFlowContext;

  constructor(options: AccountServiceOptions) {
    this.#ctx = createAccountFlowContext(options);
  }

  /** The one-time token service (also used for MFA challenges). */
  get oneTimeTokens(): OneTimeTokens {
    return this.#ctx.oneTime;
  }

  /**
   * Mails the user a verification link (single use, `account.verifyEmailTtl`), replacing any
   * earlier one. Rate limited per account. Goes to the stored address.
   */
  async requestEmailVerification(userId: string, context?: RequestContext): Promise<void> {
    return requestEmailVerification(this.#ctx, userId, context);
  }

  /**
   * Resend by email address: answers the same whether or not an account exists (the mail, if
   * any, goes out in the background). Over the per-account limit nothing is sent, silently.
   */
  async resendEmailVerification(email: unknown, context?: RequestContext): Promise<void> {
    return resendEmailVerification(this.#ctx, email, context);
  }

  /** Confirms an email address with a verification token (single use, purpose-bound). */
  async verifyEmail(token: unknown, context?: RequestContext): Promise<void> {
    return verifyEmail(this.#ctx, token, context);
  }

  /**
   * Starts a password reset. Always resolves the same way whether or not the account exists: the
   * per-account work (limit, token, mail) happens after the answer, so timing does not tell
   * either. No account state changes (the old password keeps working until a reset is
   * confirmed). Rate limited per client IP and per account; never counts toward lockout. The
   * token is bound to the current password: any password change voids it.
   */
  async requestPasswordReset(email: unknown, context?: RequestContext): Promise<void> {
    return requestPasswordReset(this.#ctx, email, context);
  }

  /**
   * Completes a reset: checks the new password against the policy first (a weak one does not
   * burn the token), redeems the token, stores the new hash, revokes every token of the user,
   * lifts a lockout, and notifies the owner. It does not log the user in and does not touch MFA.
   */
  async confirmPasswordReset(token: unknown, newPassword: unknown, context?: RequestContext): Promise<void> {
    return confirmPasswordReset(this.#ctx, token, newPassword, context);
  }

  /**
   * Checks the current password of a signed-in user before a sensitive change made by another
   * service (e.g. unlinking an identity provider), with the same rules as the account's own
   * changes: the per-IP failure throttle, lockout counting, `login.failed`, a locked account
   * refused. Throws `ReauthenticationRequiredError` (403) when it is missing or wrong, and
   * always for an account without a password.
   */
  reauthenticate(user: UserRecord, password: unknown, context?: RequestContext): Promise<void> {
    return reauthenticate(this.#ctx, user, password, context);
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
    return requestEmailChange(this.#ctx, userId, input, context);
  }

  /**
   * Confirms an email change with the link's token: the new address becomes the verified email.
   * A password change (or reset) since the request voids the token.
   */
  async confirmEmailChange(token: unknown, context?: RequestContext): Promise<void> {
    return confirmEmailChange(this.#ctx, token, context);
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
    return deleteAccount(this.#ctx, userId, options, context);
  }

  /**
   * Whether registration answers uniformly (OWASP ASVS 5.0 6.3.8): on when a mailer is configured and email
   * verification is not off, so new and taken addresses get the same answer and the owner of a
   * taken address learns about the attempt by mail.
   */
  get uniformRegistration(): boolean {
    return (
      Boolean(this.#ctx.options.config.mail.mailer) &&
      this.#ctx.options.config.account.emailVerification !== 'off'
    );
  }

  /**
   * Tells the owner of an already registered address that someone tried to register with it
   * (in the background, so the answer to the registration does not wait for it).
   */
  notifyRegistrationAttempt(email: unknown, context?: RequestContext): void {
    notifyRegistrationAttempt(this.#ctx, email, context);
  }

  /** Mails the owner that their account was locked (from the `account.locked` event). */
  async notifyLocked(userId: string, until: Date | null): Promise<void> {
    return notifyLocked(this.#ctx, userId, until);
  }

  /**
   * Sets a user's role (administrator action; it checks nobody's permission, so call it behind your
   * own check, e.g. `requireRole('ADMIN')`). With `authorization.roles` configured, a role it does
   * not define (other than `USER`, the registration default) throws `UnknownRoleError`; a
   * malformed name, `ValidationError`; an unknown user, `NotFoundError`. Emits `user.role_changed`.
   * Guards use the new role from the next request on, on every session: the role is read from the
   * user per request, never from the token's `role` claim (the role at issue). `revokeSessions:
   * true` also ends every session (`token.revoked`), e.g. for a demotion after a compromise. See
   * `src/auth/role-change.ts`.
   */
  async setRole(
    userId: string,
    role: string,
    options: SetRoleOptions = {},
    context?: RequestContext,
  ): Promise<RoleChange> {
    const { store, tokens, events, clock, config } = this.#ctx.options;
    const revokeAllForUser = (id: string) => tokens.revokeAllForUser(id);
    const deps = { users: store.users, revokeAllForUser, events, clock, roles: config.authorization.roles };
    return changeRole(deps, userId, role, options, context);
  }

  /**
   * One page of users for an administration view (administrator action; it checks nobody's
   * permission, so call it behind your own check, e.g. `requireRole('ADMIN')`): at most `limit`
   * users (1 to 100, default 50) in creation order, then id, as `PublicUser`s (never a
   * password hash), and the `cursor` of the next page (`null` on the last). Keyset pagination:
   * pages stay consistent while users register or are deleted. A bad `limit` or a cursor this
   * method did not return throws `ValidationError`; a store without `UserRepository.list`,
   * `UnsupportedByStoreError`. See `./user-listing.ts`.
   *
   * @example
   * let page = await gatehouse.account.listUsers({ limit: 100 });
   * while (page.cursor) page = await gatehouse.account.listUsers({ limit: 100, cursor: page.cursor });
   */
  async listUsers(options: ListUsersOptions = {}): Promise<UserPage> {
    return listUsers(this.#ctx.options.store.users, options);
  }

  /** Lifts a lockout (administrator action). `true` when the account was locked. */
  async unlockAccount(userId: string, context?: RequestContext): Promise<boolean> {
    return this.#ctx.options.lockout.unlock(userId, 'admin', context);
  }
}
