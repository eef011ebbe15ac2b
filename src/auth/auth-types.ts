/**
 * The public types of `AuthService`: its options, inputs and what it answers with.
 *
 * @module
 */
import type { AuthenticatedClient } from '../clients/client-service.js';
import type { LockoutService } from '../defense/lockout.js';
import type { RateLimit, RateLimiter } from '../defense/rate-limiter.js';
import type { SecurityEvents } from '../events.js';
import type { PasswordService } from '../password/index.js';
import type { UserRepository } from '../storage/types.js';
import type { AccessTokenClaims } from '../token/access-token.js';
import type { TokenService, VerifiedAccessToken } from '../token/token-service.js';
import type { LoginSecondFactor } from './login-result.js';
import type { PublicUser } from './public-user.js';

/** Options of `AuthService`, normally built by `createGatehouse`. */
export interface AuthServiceOptions {
  readonly users: UserRepository;
  readonly passwords: PasswordService;
  readonly tokens: TokenService;
  readonly events: SecurityEvents;
  readonly clock: () => Date;
  /** Whether registration takes a username. */
  readonly usernames: 'off' | 'optional' | 'required';
  /** Refuse login until the email is verified. */
  readonly requireVerifiedEmail?: boolean;
  /** Account lockout after consecutive failures. */
  readonly lockout: LockoutService;
  /** Rate limits per client IP and account. */
  readonly limiter: RateLimiter;
  readonly rateLimits: {
    readonly loginFailuresPerIp: RateLimit;
    readonly registerPerIp: RateLimit;
    readonly refreshPerIp: RateLimit;
  };
  /** Second factors: login answers with a challenge instead of tokens for users who have one. */
  readonly mfa: LoginSecondFactor;
  /** Checks the client behind a client's access token (`ClientService`); without it they are refused. */
  readonly clients?: ClientTokenCheck;
  /** The cap on `token.rejected` events per reason class and process (`tokens.rejectedEvents`). */
  readonly rejectedEvents?: RateLimit;
}

/** The part of `ClientService` that `AuthService.authenticateSubject` needs. */
export interface ClientTokenCheck {
  authenticateToken(verified: VerifiedAccessToken): Promise<AuthenticatedClient>;
  /** Throws `InvalidGrantError` when the registered client a refresh token was issued to is disabled. */
  assertMayRefresh?(clientId: string | null): Promise<void>;
}

/** The subject of an access token of this gatehouse: a user, or a registered client. */
export type AuthenticatedSubject =
  | ({ readonly kind: 'user' } & AuthenticatedUser)
  | ({ readonly kind: 'client' } & AuthenticatedClient);

/** Input of `AuthService.register`. Unknown fields (e.g. `role`) are ignored, never stored. */
export interface RegisterInput {
  readonly email: string;
  readonly password: string;
  readonly username?: string | null;
}

/** Input of `AuthService.login`: `identifier` is an email, or a username when usernames are on. */
export interface LoginInput {
  readonly identifier: string;
  readonly password: string;
}

/** An authenticated request's principal: the user and the verified token. */
export interface AuthenticatedUser {
  readonly user: PublicUser;
  readonly claims: AccessTokenClaims;
  /** The token family (login session) of the token. */
  readonly familyId: string;
}
