/**
 * The session and account-state flows behind {@link AuthService}: revoking sessions, changing a
 * password, disabling, enabling and flagging an account. `AuthService` delegates to
 * {@link SessionFlows}; its public methods and their documentation stay there.
 *
 * @module
 */

import type { LockoutService } from '../defense/lockout.js';
import { InputTooLargeError, InvalidCredentialsError, NotFoundError, ValidationError } from '../errors.js';
import type { RequestContext, SecurityEvents } from '../events.js';
import type { PasswordService } from '../password/index.js';
import type { UserPatch, UserRecord, UserRepository } from '../storage/types.js';
import type { TokenService } from '../token/token-service.js';

/** What the flows need; a subset of `AuthServiceOptions`. */
export interface SessionFlowOptions {
  readonly users: UserRepository;
  readonly passwords: PasswordService;
  readonly tokens: TokenService;
  readonly events: SecurityEvents;
  readonly clock: () => Date;
  /** Wrong current passwords count toward lockout like failed logins. */
  readonly lockout: LockoutService;
}

import { storeCall } from '../storage/store-call.js';

export { storeCall };

/** Refuses a non-string password or one over the policy's byte cap, before any hashing work. */
export function checkPasswordSize(
  passwords: PasswordService,
  password: unknown,
  field = 'password',
): asserts password is string {
  if (typeof password !== 'string') {
    throw new ValidationError([{ field, rule: 'invalid_type', message: 'Password must be a string' }]);
  }
  if (Buffer.byteLength(password, 'utf8') > passwords.policy.maxBytes) throw new InputTooLargeError(field);
}

/** The flows; see the methods of the same names on `AuthService`. */
export class SessionFlows {
  readonly #o: SessionFlowOptions;

  constructor(options: SessionFlowOptions) {
    this.#o = options;
  }

  async revokeSession(familyId: string, userId: string, context?: RequestContext): Promise<number> {
    const count = await this.#o.tokens.revokeFamily(familyId);
    this.#o.events.emit('token.revoked', context, this.#o.clock(), {
      userId,
      scope: 'family',
      reason: 'logout',
      count,
    });
    return count;
  }

  async logoutAll(userId: string, context?: RequestContext): Promise<number> {
    const count = await this.#o.tokens.revokeAllForUser(userId);
    this.#o.events.emit('token.revoked', context, this.#o.clock(), {
      userId,
      scope: 'user',
      reason: 'logout_all',
      count,
    });
    return count;
  }

  async changePassword(
    userId: string,
    input: { currentPassword: string; newPassword: string },
    options: { keepFamilyId?: string },
    context?: RequestContext,
  ): Promise<void> {
    const { passwords } = this.#o;
    checkPasswordSize(passwords, input?.currentPassword, 'currentPassword');
    checkPasswordSize(passwords, input?.newPassword, 'newPassword');
    const user = await storeCall(() => this.#o.users.findById(userId));
    if (!user?.isActive) throw new NotFoundError('User');
    const lock = await this.#o.lockout.state(userId);
    const current = user.passwordHash
      ? await passwords.verify(input.currentPassword, user.passwordHash)
      : null;
    if (!current?.ok || lock.locked) {
      if (!user.passwordHash) await passwords.dummyVerify(input.currentPassword);
      if (!lock.locked) await this.#o.lockout.recordFailure(userId, context);
      this.#o.events.emit('login.failed', context, this.#o.clock(), {
        userId,
        factor: 'password',
        reason: lock.locked ? 'account_locked' : 'wrong_password',
      });
      throw new InvalidCredentialsError();
    }
    passwords.assertValid(input.newPassword, { email: user.email, username: user.username });
    const passwordHash = await passwords.hash(input.newPassword);
    await this.#update(userId, { passwordHash, passwordChangeRequired: false });
    const revokedTokens = await this.#o.tokens.revokeAllForUser(userId, {
      exceptFamilyId: options.keepFamilyId,
    });
    const now = this.#o.clock();
    this.#o.events.emit('password.changed', context, now, { userId, revokedTokens });
    this.#o.events.emit('token.revoked', context, now, {
      userId,
      scope: 'user',
      reason: 'password_changed',
      count: revokedTokens,
    });
  }

  async #update(userId: string, patch: UserPatch): Promise<UserRecord> {
    const updated = await storeCall(() => this.#o.users.update(userId, patch, this.#o.clock()));
    if (!updated) throw new NotFoundError('User');
    return updated;
  }

  async disableAccount(userId: string, context?: RequestContext): Promise<void> {
    await this.#update(userId, { isActive: false });
    const count = await this.#o.tokens.revokeAllForUser(userId);
    const now = this.#o.clock();
    this.#o.events.emit('account.disabled', context, now, { userId });
    this.#o.events.emit('token.revoked', context, now, {
      userId,
      scope: 'user',
      reason: 'account_disabled',
      count,
    });
  }

  async enableAccount(userId: string, context?: RequestContext): Promise<void> {
    await this.#update(userId, { isActive: true });
    this.#o.events.emit('account.enabled', context, this.#o.clock(), { userId });
  }

  async markPasswordCompromised(userId: string, context?: RequestContext): Promise<void> {
    await this.#update(userId, { passwordChangeRequired: true });
    const count = await this.#o.tokens.revokeAllForUser(userId);
    this.#o.events.emit('token.revoked', context, this.#o.clock(), {
      userId,
      scope: 'user',
      reason: 'admin',
      count,
    });
  }
}
