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
import type { UserRepository } from '../storage/types.js';
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
      return await this.#userOf(await this.#o.tokens.verify(accessToken));
    } catch (error) {
      this.#report(error, context);
      throw error;
    }
  }

  /** See `AuthService.authenticateSubject`. */
  async authenticateSubject(accessToken: unknown, context?: RequestContext): Promise<AuthenticatedSubject> {
    try {
      const verified = await this.#o.tokens.verify(accessToken);
      if (isClientTokenRecord(verified.record)) {
        if (!this.#o.clients) {
          throw new TokenRevokedError({ detail: { check: 'client_id', reason: 'not_allowed' } });
        }
        return { kind: 'client', ...(await this.#o.clients.authenticateToken(verified)) };
      }
      return await this.#userOf(verified);
    } catch (error) {
      this.#report(error, context);
      throw error;
    }
  }

  /** The user of a verified token (shaped as a `user` subject, which `authenticate` returns as is). */
  async #userOf({
    claims,
    record,
    user: read,
  }: VerifiedAccessToken): Promise<AuthenticatedUser & { readonly kind: 'user' }> {
    if (isClientTokenRecord(record)) {
      throw new TokenRevokedError({ detail: { check: 'client_id', reason: 'not_allowed' } });
    }
    // Read with the record (one query, or the record cache) when the token service has the users.
    const user = read !== undefined ? read : await storeCall(() => this.#o.users.findById(claims.sub));
    if (!user) throw new TokenRevokedError({ detail: { check: 'sub', reason: 'unknown' } });
    if (!user.isActive) throw new AccountDisabledError();
    return { kind: 'user', user: toPublicUser(user), claims, familyId: record.familyId };
  }

  /** Emits `token.rejected` for a refused token, unless its class is over the cap (then counts it). */
  #report(error: unknown, context: RequestContext | undefined): void {
    const rejection = rejectionOf(error);
    if (rejection === null) return;
    const now = this.#o.clock();
    const decision = this.#sampler.admit(`${rejection.code}:${rejection.check}:${rejection.reason}`, now);
    if (!decision.emit) return;
    this.#o.events.emit('token.rejected', context, now, { ...rejection, suppressed: decision.suppressed });
  }
}
