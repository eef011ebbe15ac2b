/**
 * AuthService: the account flows built from PasswordService, TokenService and the repositories.
 *
 * Every flow emits a typed security event; no event carries a secret.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import {
  EmailNotVerifiedError,
  type FieldIssue,
  InputTooLargeError,
  InvalidCredentialsError,
  InvalidGrantError,
  PasswordChangeRequiredError,
  TokenRevokedError,
  ValidationError,
  WeakPasswordError,
} from '../errors.js';
import type { AuthenticationFactor, RequestContext } from '../events.js';
import { DEFAULT_ROLE, type UserRecord } from '../storage/types.js';
import { isClientTokenRecord } from '../token/client-token.js';
import type { IssuedTokens } from '../token/token-service.js';
import type {
  AuthenticatedSubject,
  AuthenticatedUser,
  AuthServiceOptions,
  LoginInput,
  RegisterInput,
} from './auth-types.js';
import { canonicalEmail, canonicalUsername, emailIssues, usernameIssues } from './identity.js';
import type { LoginResult } from './login-result.js';
import { type PublicUser, toPublicUser } from './public-user.js';
import { checkPasswordSize, SessionFlows, storeCall } from './session-flows.js';
import { type ContextSource, TokenAuthentication } from './token-authentication.js';

export type {
  AuthenticatedSubject,
  AuthenticatedUser,
  AuthServiceOptions,
  ClientTokenCheck,
  LoginInput,
  RegisterInput,
} from './auth-types.js';
export type { AuthenticatedLogin, LoginResult, LoginSecondFactor, MfaRequiredLogin } from './login-result.js';

type LoginFailureReason =
  | 'unknown_user'
  | 'wrong_password'
  | 'account_disabled'
  | 'account_locked'
  | 'no_password'
  | 'mfa_required';

/** Longest identifier looked up at login; longer ones are refused before touching the store. */
const MAX_IDENTIFIER_LENGTH = 320;

/** The account flows. */
export class AuthService {
  readonly #o: AuthServiceOptions;
  readonly #sessions: SessionFlows;
  readonly #tokenAuth: TokenAuthentication;
  /** Called after a registration is stored (createGatehouse mails the verification link here). */
  onRegistered: ((userId: string, context: RequestContext | undefined) => void) | undefined;

  constructor(options: AuthServiceOptions) {
    this.#o = options;
    this.#sessions = new SessionFlows(options);
    this.#tokenAuth = new TokenAuthentication(options);
  }

  /**
   * Registers a user: validates every field (reporting all problems at once), checks the password
   * against the policy (including not containing the email or username), hashes it with argon2id
   * and stores the user with role `USER`, active. A taken email or username throws
   * `AlreadyRegisteredError`, decided atomically by the store's unique index.
   */
  async register(input: RegisterInput, context?: RequestContext): Promise<PublicUser> {
    const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
    await this.#o.limiter.hit('register-ip', context?.ip, this.#o.rateLimits.registerPerIp);
    checkPasswordSize(this.#o.passwords, raw.password);
    const issues: FieldIssue[] = [...emailIssues(raw.email)];
    const wantsUsername = raw.username !== undefined && raw.username !== null && raw.username !== '';
    if (this.#o.usernames === 'required' && !wantsUsername) {
      issues.push({ field: 'username', rule: 'required', message: 'Username is required' });
    } else if (this.#o.usernames === 'off' && wantsUsername) {
      issues.push({ field: 'username', rule: 'not_allowed', message: 'Usernames are not used' });
    } else if (wantsUsername) {
      issues.push(...usernameIssues(raw.username));
    }
    const email = typeof raw.email === 'string' ? canonicalEmail(raw.email) : null;
    const username =
      wantsUsername && typeof raw.username === 'string' ? canonicalUsername(raw.username) : null;
    const passwordIssues = this.#o.passwords.validate(raw.password, { email, username });
    if (issues.length > 0) throw new ValidationError([...issues, ...passwordIssues]);
    if (passwordIssues.length > 0) throw new WeakPasswordError(passwordIssues);

    const passwordHash = await this.#o.passwords.hash(raw.password);
    const now = this.#o.clock();
    const user = await storeCall(() =>
      this.#o.users.create({
        id: randomUUID(),
        email: email as string,
        username,
        passwordHash,
        role: DEFAULT_ROLE,
        isActive: true,
        emailVerifiedAt: null,
        passwordChangeRequired: false,
        createdAt: now,
        updatedAt: now,
      }),
    );
    this.#o.events.emit('user.registered', context, now, { userId: user.id });
    this.onRegistered?.(user.id, context);
    return toPublicUser(user);
  }

  async #findByIdentifier(identifier: string): Promise<UserRecord | null> {
    if (identifier.includes('@')) {
      if (emailIssues(identifier).length > 0) return null;
      return storeCall(() => this.#o.users.findByEmail(canonicalEmail(identifier)));
    }
    if (this.#o.usernames === 'off' || usernameIssues(identifier).length > 0) return null;
    return storeCall(() => this.#o.users.findByUsername(canonicalUsername(identifier)));
  }

  /**
   * Password login. Every failure — unknown user, wrong password, disabled account, account
   * without a password — throws the same {@link InvalidCredentialsError} after the same hashing
   * work (an unknown user costs a dummy argon2 verification). A legacy or outdated hash is
   * upgraded to current argon2id on success. A password marked compromised throws
   * {@link PasswordChangeRequiredError} instead of issuing tokens.
   *
   * For an account with a second factor the right password issues no tokens: the result is
   * `{ status: 'mfa_required', challenge, expiresIn, methods }` (OWASP ASVS 5.0 2.3.1, 6.6.2; RFC 8725 §3.12), and the login is completed
   * with `gatehouse.mfa.completeLogin(challenge, { code } | { backupCode })`. Until then the
   * account's lockout count is not reset, so failed second-factor attempts add up (NIST SP 800-63B-4 §3.2.2; RFC 4226 §7.3).
   * Otherwise the result is `{ status: 'authenticated', ...tokens, user }`.
   */
  async login(
    input: LoginInput,
    context?: RequestContext,
    options: { scope?: readonly string[] } = {},
  ): Promise<LoginResult> {
    const { user, secondFactor } = await this.#checkCredentials(input, context, 'password');
    if (secondFactor) return this.#o.mfa.challengeLogin(user.id, context, options.scope ?? []);
    const tokens = await this.#o.tokens.issue({ id: user.id, role: user.role }, context, options);
    this.#o.events.emit('login.succeeded', context, this.#o.clock(), {
      userId: user.id,
      factor: 'password',
      familyId: tokens.familyId,
    });
    return { status: 'authenticated', ...tokens, user: toPublicUser(user) };
  }

  /**
   * Checks an identifier and password exactly as {@link AuthService.login} does (same uniform
   * failures, same hashing work, same rehash and events) without issuing tokens: for HTTP Basic
   * and other per-request password checks. Emits `login.succeeded` with `familyId: null`.
   *
   * An account with a second factor is refused here like a wrong password (`login.failed` with
   * reason `mfa_required`): a password alone must not open it.
   */
  async verifyCredentials(
    input: LoginInput,
    context?: RequestContext,
    factor: AuthenticationFactor = 'basic',
  ): Promise<PublicUser> {
    const { user, secondFactor } = await this.#checkCredentials(input, context, factor);
    if (secondFactor) {
      await this.#o.limiter.record('login-failures-ip', context?.ip, this.#o.rateLimits.loginFailuresPerIp);
      this.#o.events.emit('login.failed', context, this.#o.clock(), {
        userId: user.id,
        factor,
        reason: 'mfa_required',
      });
      throw new InvalidCredentialsError();
    }
    this.#o.events.emit('login.succeeded', context, this.#o.clock(), {
      userId: user.id,
      factor,
      familyId: null,
    });
    return toPublicUser(user);
  }

  /**
   * The password check shared by login and Basic. On success it resets the lockout count, except
   * for an account with a second factor (`secondFactor: true`), whose count is reset only once
   * the second factor succeeds.
   */
  async #checkCredentials(
    input: LoginInput,
    context: RequestContext | undefined,
    factor: AuthenticationFactor,
  ): Promise<{ user: UserRecord; secondFactor: boolean }> {
    const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
    const { identifier, password } = raw;
    if (typeof identifier !== 'string') {
      throw new ValidationError([
        { field: 'identifier', rule: 'invalid_type', message: 'Identifier must be a string' },
      ]);
    }
    checkPasswordSize(this.#o.passwords, password);
    if (identifier.length > MAX_IDENTIFIER_LENGTH) throw new InputTooLargeError('identifier');
    const ip = context?.ip;
    const ipLimit = this.#o.rateLimits.loginFailuresPerIp;
    await this.#o.limiter.check('login-failures-ip', ip, ipLimit);
    const now = this.#o.clock();
    const user = await this.#findByIdentifier(identifier);
    const fail = async (reason: LoginFailureReason): Promise<never> => {
      await this.#o.limiter.record('login-failures-ip', ip, ipLimit);
      this.#o.events.emit('login.failed', context, now, { userId: user?.id ?? null, factor, reason });
      throw new InvalidCredentialsError();
    };
    if (!user?.passwordHash) {
      await this.#o.passwords.dummyVerify(password);
      return fail(user ? 'no_password' : 'unknown_user');
    }
    const lock = await this.#o.lockout.state(user.id);
    // A locked account costs the same hashing work and answers exactly like a wrong password.
    const { ok, needsRehash } = await this.#o.passwords.verify(password, user.passwordHash);
    if (lock.locked) return fail('account_locked');
    if (!ok) {
      await this.#o.lockout.recordFailure(user.id, context);
      return fail('wrong_password');
    }
    if (!user.isActive) return fail('account_disabled');
    const secondFactor = await this.#o.mfa.isEnabled(user.id);
    if (!secondFactor) await this.#o.lockout.recordSuccess(user.id);
    if (needsRehash) await this.#rehash(user, password, context);
    if (user.passwordChangeRequired) throw new PasswordChangeRequiredError();
    if (this.#o.requireVerifiedEmail && user.emailVerifiedAt === null) throw new EmailNotVerifiedError();
    return { user, secondFactor };
  }

  async #rehash(user: UserRecord, password: string, context?: RequestContext): Promise<void> {
    const previous = user.passwordHash ?? '';
    const from = previous.startsWith('$argon2')
      ? 'argon2'
      : /^\$2[aby]\$/.test(previous)
        ? 'bcrypt'
        : previous.includes(':')
          ? 'scrypt'
          : 'unknown';
    const passwordHash = await this.#o.passwords.hash(password);
    await storeCall(() => this.#o.users.update(user.id, { passwordHash }, this.#o.clock()));
    this.#o.events.emit('password.rehashed', context, this.#o.clock(), { userId: user.id, from });
  }

  /**
   * Authenticates an access token: signature and claims, an active token record (revocation),
   * and an existing, active user. The role returned is the user's current one. A token issued to
   * a client (client credentials) is refused with {@link TokenRevokedError}: only
   * {@link AuthService.authenticateSubject} accepts those. A refused token emits `token.rejected`
   * with `context` (capped per reason class, see `token-authentication.ts`).
   */
  authenticate(accessToken: unknown, context?: RequestContext): Promise<AuthenticatedUser> {
    return this.#tokenAuth.authenticate(accessToken, context);
  }

  /**
   * Authenticates an access token of any subject: a user's (as {@link AuthService.authenticate})
   * or a registered client's (the client must still exist and be enabled). Which one is decided
   * by the token's record in the token table (see `client-token.ts`), written by the server at
   * issue, so a user token is never taken for a client's or the other way round, even when a
   * client id equals a user id. A refused token emits `token.rejected` as `authenticate` does.
   */
  authenticateSubject(accessToken: unknown, context?: RequestContext): Promise<AuthenticatedSubject> {
    return this.#tokenAuth.authenticateSubject(accessToken, context);
  }

  /**
   * {@link AuthService.authenticateSubject} for the guards: the same checks and events, answered
   * without a promise when the store reads synchronously (see `token-authentication.ts`);
   * `context` may be a function, called only to report a refused token.
   */
  authenticateSubjectMaybeSync(
    accessToken: unknown,
    context?: ContextSource,
  ): AuthenticatedSubject | Promise<AuthenticatedSubject> {
    return this.#tokenAuth.authenticateSubjectMaybeSync(accessToken, context);
  }

  /** The user an access token belongs to (see {@link AuthService.authenticate} for the checks). */
  async getCurrentUser(accessToken: unknown): Promise<PublicUser> {
    return (await this.authenticate(accessToken)).user;
  }

  /** Logs out one session: revokes the presented access token's whole family (its refresh chain too). */
  async logout(accessToken: unknown, context?: RequestContext): Promise<void> {
    const { claims, record } = await this.#o.tokens.verify(accessToken);
    if (isClientTokenRecord(record)) throw new TokenRevokedError();
    await this.revokeSession(record.familyId, claims.sub, context);
  }

  /** Revokes one session (token family) of a user, e.g. from a "where am I logged in" list. */
  revokeSession(familyId: string, userId: string, context?: RequestContext): Promise<number> {
    return this.#sessions.revokeSession(familyId, userId, context);
  }

  /** Logs a user out everywhere: revokes every access and refresh token of the user. */
  logoutAll(userId: string, context?: RequestContext): Promise<number> {
    return this.#sessions.logoutAll(userId, context);
  }

  /**
   * Exchanges a refresh token for new tokens (rotation with reuse detection, see
   * `TokenService.refresh`). The user must still exist, be active and not be required to change
   * their password; the new access token carries the user's current role. A refresh token issued
   * to a registered client (device grant) also needs that client to be enabled.
   */
  async refresh(
    refreshToken: unknown,
    context?: RequestContext,
    options: { clientId?: string; scope?: readonly string[] } = {},
  ): Promise<IssuedTokens> {
    await this.#o.limiter.hit('refresh-ip', context?.ip, this.#o.rateLimits.refreshPerIp);
    return this.#o.tokens.refresh(refreshToken, context, {
      ...options,
      authorize: async (record) => {
        const user = await storeCall(() => this.#o.users.findById(record.userId));
        if (!user?.isActive || user.passwordChangeRequired) throw new InvalidGrantError();
        await this.#o.clients?.assertMayRefresh?.(record.clientId);
        return { id: user.id, role: user.role };
      },
    });
  }

  /**
   * Changes a password. The current password is required (wrong -> {@link InvalidCredentialsError},
   * nothing changed); the new one must pass the policy. Every other token of the user is revoked;
   * the family in `keepFamilyId` (the caller's own session) survives.
   */
  changePassword(
    userId: string,
    input: { currentPassword: string; newPassword: string },
    options: { keepFamilyId?: string } = {},
    context?: RequestContext,
  ): Promise<void> {
    return this.#sessions.changePassword(userId, input, options, context);
  }

  /** Disables an account and revokes all its tokens: no login, no refresh, no token use from now on. */
  disableAccount(userId: string, context?: RequestContext): Promise<void> {
    return this.#sessions.disableAccount(userId, context);
  }

  /** Re-enables a disabled account. Tokens revoked when it was disabled stay revoked. */
  enableAccount(userId: string, context?: RequestContext): Promise<void> {
    return this.#sessions.enableAccount(userId, context);
  }

  /**
   * Marks a user's password as compromised (NIST: force a change only on evidence of compromise):
   * all tokens are revoked and login refuses with {@link PasswordChangeRequiredError} until the
   * password is changed (through password reset).
   */
  markPasswordCompromised(userId: string, context?: RequestContext): Promise<void> {
    return this.#sessions.markPasswordCompromised(userId, context);
  }
}
