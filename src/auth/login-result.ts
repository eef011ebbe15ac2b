/**
 * What a login answers: tokens, or a second-factor challenge (OWASP ASVS 5.0 2.3.1, 6.6.2; RFC 8725 §3.12). Shared by `AuthService`
 * and `MfaService`.
 *
 * @module
 */
import type { MfaMethod, RequestContext } from '../events.js';
import type { IssuedTokens } from '../token/token-service.js';
import type { PublicUser } from './public-user.js';

/** What login needs from the second-factor service (`MfaService` implements it). */
export interface LoginSecondFactor {
  /** Whether the user has an active second factor (a confirmed TOTP enrolment). */
  isEnabled(userId: string): Promise<boolean>;
  /** Issues the login challenge of a user whose password was right (OWASP ASVS 5.0 2.3.1, 6.6.2; RFC 8725 §3.12). */
  challengeLogin(
    userId: string,
    context: RequestContext | undefined,
    scope: readonly string[],
  ): Promise<MfaRequiredLogin>;
}

/** A login that issued tokens: the tokens and the public view of the user. */
export interface AuthenticatedLogin extends IssuedTokens {
  readonly status: 'authenticated';
  readonly user: PublicUser;
}

/**
 * A login whose password was right for an account with a second factor. No tokens were issued
 * and nothing here grants access (OWASP ASVS 5.0 2.3.1, 6.6.2; RFC 8725 §3.12): complete the login with `gatehouse.mfa.completeLogin`.
 */
export interface MfaRequiredLogin {
  readonly status: 'mfa_required';
  /**
   * The MFA challenge: an opaque one-time token (256 random bits, stored only as a hash) bound to
   * this user and this login attempt: it carries the requested scope (and records the IP and user
   * agent), is single use, valid for `mfa.challengeTtl` seconds (at most 5 minutes), and a newer
   * login replaces it. It is not a JWT and is never accepted as an access token, nor an access
   * token as a challenge.
   */
  readonly challenge: string;
  /** Seconds until the challenge expires. */
  readonly expiresIn: number;
  /** The factors the challenge can be answered with (`backup_code` only while codes remain). */
  readonly methods: readonly MfaMethod[];
}

/**
 * The result of {@link AuthService.login}: tokens (`status: 'authenticated'`), or, for an account
 * with a second factor, an MFA challenge and no tokens (`status: 'mfa_required'`).
 */
export type LoginResult = AuthenticatedLogin | MfaRequiredLogin;
