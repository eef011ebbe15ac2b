/**
 * Access-token authentication behind `AuthService.authenticate` and `authenticateSubject` (the
 * guards' path): the token's checks and record, then its subject, and a `token.rejected` event for
 * every token refused.
 *
 * Why an event: a forged token, `alg: none`, an expired or a revoked token is an attempt on the
 * system or a symptom of one, and went unrecorded (OWASP ASVS 5.0 V16.3.1–16.3.3: log failed
 * authentication; OWASP Logging Cheat Sheet, "Authentication failures"). The event carries the
 * error code and the token error's `detail` (`{ check, reason }`, a fixed vocabulary, never a
 * value read from the token) and the request context. Such failures cost an attacker nothing, so
 * the events are capped per reason class and process ({@link EventSampler}, `tokens.rejectedEvents`)
 * and the dropped ones counted in the next event's `suppressed`.
 *
 * @module
 */
import { EventSampler } from '../defense/event-sampler.js';
import type { RateLimit } from '../defense/rate-limiter.js';
import { AccountDisabledError, TokenExpiredError, TokenInvalidError, TokenRevokedError } from '../errors.js';
import type { RequestContext, SecurityEventMap, SecurityEvents } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import type { UserRecord, UserRepository } from '../storage/types.js';
import { isClientTokenRecord } from '../token/client-token.js';
import type { TokenService, VerifiedAccessToken } from '../token/token-service.js';
import type { AuthenticatedSubject, AuthenticatedUser, ClientTokenCheck } from './auth-service.js';
import { toPublicUser } from './public-user.js';

/** What {@link TokenAuthentication} needs; a subset of `AuthServiceOptions`. */
export interface TokenAuthenticationOptions {
  readonly users: UserRepository;
  readonly tokens: TokenService;
  readonly events: SecurityEvents;
  readonly clock: () => Date;
  readonly clients?: ClientTokenCheck;
  /** The cap on `token.rejected` events per reason class (default 10 per 60 s). */
  readonly rejectedEvents?: RateLimit;
}

/** The fields of a `token.rejected` event, without `suppressed`. */
type Rejection = Omit<SecurityEventMap['token.rejected'], 'suppressed'>;

/** The rejection an error stands for, or `null` for failures that are not a refused token (store down). */
export function rejectionOf(error: unknown): Rejection | null {
  if (error instanceof AccountDisabledError) {
    return { code: 'ERR_ACCOUNT_DISABLED', check: 'sub', reason: 'revoked' };
  }
  if (
    error instanceof TokenInvalidError ||
    error instanceof TokenExpiredError ||
    error instanceof TokenRevokedError
  ) {
    const code = error.code as Rejection['code'];
    return { code, check: error.detail?.check ?? null, reason: error.detail?.reason ?? null };
  }
  return null;
}

/**
 * The request context of a `token.rejected` event, or a function that builds it: the guards pass a
 * function, so that a request whose token is accepted never reads its IP or user agent.
 */
export type ContextSource = RequestContext | (() => RequestContext) | undefined;

/** A user's token, authenticated. */
type UserSubject = AuthenticatedUser & { readonly kind: 'user' };

/** Authenticates access tokens and reports the refused ones. See the module documentation. */
export class TokenAuthentication {
  readonly #o: TokenAuthenticationOptions;
  readonly #sampler: EventSampler;

  constructor(options: TokenAuthenticationOptions) {
    this.#o = options;
    this.#sampler = new EventSampler(options.rejectedEvents ?? { limit: 10, window: 60 });
  }

  /** See `AuthService.authenticate`. */
  async authenticate(accessToken: unknown, context?: RequestContext): Promise<AuthenticatedUser> {
    try {
      return await this.#userOf(await this.#o.tokens.verifyMaybeSync(accessToken));
    } catch (error) {
      this.#report(error, context);
      throw error;
    }
  }

  /** See `AuthService.authenticateSubject`. */
  async authenticateSubject(accessToken: unknown, context?: RequestContext): Promise<AuthenticatedSubject> {
    return this.authenticateSubjectMaybeSync(accessToken, context);
  }

  /**
   * `authenticateSubject` without a promise when none is needed: the same checks, in the same
   * order, with the same `token.rejected` events. When the token service answers at once (a store
   * with synchronous reads, or the record cache) and the token is a user's, the subject is
   * returned, or the refusal thrown, without a promise; otherwise a promise. The guards call it
   * once per request.
   */
  authenticateSubjectMaybeSync(
    accessToken: unknown,
    context?: ContextSource,
  ): AuthenticatedSubject | Promise<AuthenticatedSubject> {
    let subject: AuthenticatedSubject | Promise<AuthenticatedSubject>;
    try {
      const verified = this.#o.tokens.verifyMaybeSync(accessToken);
      subject =
        verified instanceof Promise ? verified.then((v) => this.#subjectOf(v)) : this.#subjectOf(verified);
    } catch (error) {
      this.#report(error, context);
      throw error;
    }
    if (!(subject instanceof Promise)) return subject;
    return subject.catch((error: unknown) => {
      this.#report(error, context);
      throw error;
    });
  }

  /** The subject of a verified token: a registered client's (refused without `clients`) or a user's. */
  #subjectOf(verified: VerifiedAccessToken): AuthenticatedSubject | Promise<AuthenticatedSubject> {
    if (!isClientTokenRecord(verified.record)) return this.#userOf(verified);
    const { clients } = this.#o;
    if (!clients) throw new TokenRevokedError({ detail: { check: 'client_id', reason: 'not_allowed' } });
    return clients.authenticateToken(verified).then((client) => ({ kind: 'client' as const, ...client }));
  }

  /** The user of a verified token (shaped as a `user` subject, which `authenticate` returns as is). */
  #userOf({ claims, record, user: read }: VerifiedAccessToken): UserSubject | Promise<UserSubject> {
    if (isClientTokenRecord(record)) {
      throw new TokenRevokedError({ detail: { check: 'client_id', reason: 'not_allowed' } });
    }
    // Read with the record (one query, or the record cache) when the token service has the users.
    if (read !== undefined) return userSubject(claims, record, read);
    return storeCall(() => this.#o.users.findById(claims.sub)).then((user) =>
      userSubject(claims, record, user),
    );
  }

  /** Emits `token.rejected` for a refused token, unless its class is over the cap (then counts it). */
  #report(error: unknown, context: ContextSource): void {
    const rejection = rejectionOf(error);
    if (rejection === null) return;
    const now = this.#o.clock();
    const decision = this.#sampler.admit(`${rejection.code}:${rejection.check}:${rejection.reason}`, now);
    if (!decision.emit) return;
    const request = typeof context === 'function' ? context() : context;
    this.#o.events.emit('token.rejected', request, now, { ...rejection, suppressed: decision.suppressed });
  }
}

/** The `user` subject of a token whose user was read: refused when the user is gone or disabled. */
function userSubject(
  claims: VerifiedAccessToken['claims'],
  record: VerifiedAccessToken['record'],
  user: UserRecord | null,
): UserSubject {
  if (!user) throw new TokenRevokedError({ detail: { check: 'sub', reason: 'unknown' } });
  if (!user.isActive) throw new AccountDisabledError();
  return { kind: 'user', user: toPublicUser(user), claims, familyId: record.familyId };
}
