/**
 * MfaService: TOTP enrolment, backup codes and the second step of a login (RFC 4226 §4 R6; RFC 6238 §5.1 to NIST SP 800-63B-4 §3.1.2, §4.2.1.1; OWASP ASVS 5.0 6.5.1, 6.5.2, 6.5.4,
 * OWASP ASVS 5.0 6.6.3; NIST SP 800-63B-4 §3.2.2, OWASP ASVS 5.0 6.3.5, OWASP ASVS 5.0 7.4.3; RFC 9700 §4.14.2, OWASP ASVS 5.0 6.4.3), built on the primitives of this folder and the stores.
 *
 * - Secrets are generated here (160 bits), sealed with AES-256-GCM under `mfa.secretKeys` with
 *   the user id as associated data, and shown only in the answer to
 *   {@link MfaService.beginTotpEnrolment}.
 * - A factor is active only after a valid first code ({@link MfaService.confirmTotpEnrolment}).
 *   Enrolling, disabling and replacing backup codes need the current password (OWASP ASVS 5.0 7.5.1), and each
 *   change revokes the user's other sessions (OWASP ASVS 5.0 7.4.3; RFC 9700 §4.14.2).
 * - For an account with an active factor, `AuthService.login` issues no tokens but a challenge
 *   ({@link MfaService.challengeLogin}): a one-time token bound to the user and the login attempt,
 *   at most 5 minutes, single use (OWASP ASVS 5.0 2.3.1, 6.6.2; RFC 8725 §3.12). {@link MfaService.completeLogin} checks it, a TOTP code
 *   (server time, window ≤ ±1, replay refused by a compare-and-swap on the last step, RFC 6238 §5.2; OWASP ASVS 5.0 6.5.5, 6.5.8/RFC 6238 §5.2; OWASP ASVS 5.0 6.5.1)
 *   or a backup code (single use, NIST SP 800-63B-4 §3.1.2, §4.2.1.1; OWASP ASVS 5.0 6.5.1, 6.5.2, 6.5.4), and only then issues tokens.
 * - Wrong codes count toward the account lockout and a per-user rate limit (NIST SP 800-63B-4 §3.2.2; RFC 4226 §7.3, OWASP ASVS 5.0 6.6.3; NIST SP 800-63B-4 §3.2.2), emit
 *   `mfa.failed`, and after {@link MFA_SUSPICIOUS_AFTER} in a row `mfa.suspicious` plus a security
 *   notice mail (OWASP ASVS 5.0 6.3.5).
 * - After `mfa.maxFailures` (default 10) in a row, across logins and instances, TOTP is locked for
 *   the account (`mfa.locked`, a notice mail) until a backup code, a password reset or
 *   {@link MfaService.unlockSecondFactor} lifts it (NIST SP 800-63B-4 §3.2.2; OWASP ASVS 5.0
 *   V6.3; see `factor-lock.ts` for the numbers).
 *
 * `MfaService` is the facade: each flow lives in a module of its own (`totp-enrolment.ts`,
 * `backup-code-renewal.ts`, `factor-removal.ts`, `second-factor-login.ts`), the rules every factor
 * change obeys in `factor-change-rules.ts`, the lock in `factor-lock.ts`, and their shared state in
 * `mfa-flow-context.ts`.
 *
 * @module
 */

import type { OneTimeTokens } from '../account/one-time-tokens.js';
import type { AuthenticatedLogin, MfaRequiredLogin } from '../auth/login-result.js';
import { storeCall } from '../auth/session-flows.js';
import type { ResolvedConfig } from '../config.js';
import type { LockoutService } from '../defense/lockout.js';
import type { RateLimiter } from '../defense/rate-limiter.js';
import type { RequestContext, SecurityEvents } from '../events.js';
import type { RedemptionRef } from '../oauth/code-redemption.js';
import type { PasswordService } from '../password/index.js';
import type { Store } from '../storage/types.js';
import type { TokenService } from '../token/token-service.js';
import { regenerateBackupCodes } from './backup-code-renewal.js';
import { isTotpEnabled } from './factor-change-rules.js';
import { liftSecondFactorLock, type SecondFactorLockState, secondFactorLockState } from './factor-lock.js';
import { disableTotp, resetForUser } from './factor-removal.js';
import { createMfaFlowContext, type MfaFlowContext } from './mfa-flow-context.js';
import { challengeLogin, completeLogin, factorLockDeps } from './second-factor-login.js';
import { beginTotpEnrolment, confirmTotpEnrolment } from './totp-enrolment.js';

export { MFA_SUSPICIOUS_AFTER } from './second-factor-login.js';

/** Options of {@link MfaService}, built by `createGatehouse`. */
export interface MfaServiceOptions {
  readonly store: Store;
  readonly passwords: PasswordService;
  readonly tokens: TokenService;
  readonly lockout: LockoutService;
  readonly limiter: RateLimiter;
  readonly events: SecurityEvents;
  readonly clock: () => Date;
  /** Where login challenges are kept (purpose `mfa_challenge`). */
  readonly oneTimeTokens: OneTimeTokens;
  readonly config: Pick<ResolvedConfig, 'mfa' | 'account' | 'mail' | 'rateLimits' | 'lockout'>;
  /** Called with errors of security-notice mails sent in the background. */
  readonly onMailError?: (error: unknown) => void;
}

/** What {@link MfaService.beginTotpEnrolment} shows the user, once. Never log it. */
export interface TotpEnrolment {
  /** The secret, RFC 4648 base32 (for manual entry). */
  readonly secret: string;
  /** The `otpauth://totp/...` URI, holding the secret. */
  readonly uri: string;
  /** The URI as a QR code, an SVG document. */
  readonly qrSvg: string;
}

/** A new set of backup codes, shown once. Only their hashes are stored. */
export interface BackupCodeSet {
  /** `XXXX-XXXX-XXXX-XXXX` codes; case, dashes and spaces do not matter when typed. */
  readonly backupCodes: readonly string[];
}

/** The second factors of a user, for settings pages. */
export interface MfaStatus {
  /** TOTP is confirmed and logins need a second factor. */
  readonly enabled: boolean;
  /** An enrolment was started and awaits its first code. */
  readonly pending: boolean;
  /** Unused backup codes. */
  readonly backupCodesRemaining: number;
  /**
   * TOTP is locked after `mfa.maxFailures` wrong codes in a row: a backup code, a password reset
   * or an administrator ({@link MfaService.unlockSecondFactor}) lifts it.
   */
  readonly locked: boolean;
}

/** The proof that answers a login challenge: a TOTP code or a backup code. */
export type MfaProof = { readonly code: string } | { readonly backupCode: string };

/** Re-authentication input of the factor-changing flows. */
export interface ReauthenticationInput {
  readonly currentPassword: unknown;
}

/** The MFA flows. See the module documentation. */
export class MfaService {
  readonly #ctx: MfaFlowContext;

  /**
   * Checks `mfa.secretKeys` when given: a key that is not exactly 32 bytes throws
   * {@link ConfigError} naming `mfa.secretKeys`, so `createGatehouse` fails at start-up.
   */
  constructor(options: MfaServiceOptions) {
    this.#ctx = createMfaFlowContext(options);
  }

  /** Whether TOTP is available (`mfa.secretKeys` is configured). */
  get configured(): boolean {
    return this.#ctx.keys !== undefined;
  }

  /** Whether the user has an active (confirmed) TOTP factor. */
  async isEnabled(userId: string): Promise<boolean> {
    return isTotpEnabled(this.#ctx, userId);
  }

  /** The user's second factors, for a settings page. */
  async status(userId: string): Promise<MfaStatus> {
    const { mfa } = this.#ctx.options.store;
    const record = await storeCall(() => mfa.getTotp(userId));
    const backupCodesRemaining = await storeCall(() => mfa.countBackupCodes(userId));
    const { locked } = await secondFactorLockState(factorLockDeps(this.#ctx), userId);
    return {
      enabled: record?.enabled === true,
      pending: record !== null && !record.enabled,
      backupCodesRemaining,
      locked,
    };
  }

  /**
   * Whether the user's TOTP factor is locked after `mfa.maxFailures` consecutive failed
   * second-factor attempts, since when, and after how many (NIST SP 800-63B-4 §3.2.2).
   */
  async lockState(userId: string): Promise<SecondFactorLockState> {
    return secondFactorLockState(factorLockDeps(this.#ctx), userId);
  }

  /**
   * Administrator action: lifts the second-factor lock of a user and starts the failure count
   * again. `true` (and an `mfa.unlocked` event with reason `admin`) when the factor was locked.
   * Check that the request really comes from the account's owner first: the lock means someone
   * who knows the password has been guessing codes. A login with a backup code and a completed
   * password reset lift the lock too.
   */
  async unlockSecondFactor(userId: string, context?: RequestContext): Promise<boolean> {
    return liftSecondFactorLock(factorLockDeps(this.#ctx), userId, 'admin', context);
  }

  /**
   * Starts TOTP enrolment: checks the current password (`ReauthenticationRequiredError`,
   * 403, when wrong or missing), refuses when TOTP is already enabled
   * (`MfaAlreadyEnabledError`, 409: disable it first), generates a 160-bit secret and stores
   * it sealed and inactive, replacing an unconfirmed earlier one. Returns the secret, its otpauth
   * URI and a QR code: the only time they are shown.
   *
   * Needs `mfa.secretKeys` (`MfaNotConfiguredError`, 501, otherwise).
   */
  async beginTotpEnrolment(
    userId: string,
    input: ReauthenticationInput,
    context?: RequestContext,
  ): Promise<TotpEnrolment> {
    return beginTotpEnrolment(this.#ctx, userId, input, context);
  }

  /**
   * Confirms TOTP enrolment with a first code from the app (OWASP ASVS 5.0 7.5.1): checked against the pending
   * secret with server time and the configured window, its step recorded (so the same code cannot
   * be used again to log in). Then TOTP is enabled, a new set of `mfa.backupCodeCount` backup
   * codes replaces any old one (only hashes are stored; the codes are returned once), every other
   * session of the user is revoked (OWASP ASVS 5.0 7.4.3; RFC 9700 §4.14.2; `keepFamilyId`, the caller's session, survives), and
   * `mfa.enabled` is emitted.
   *
   * Throws `NotFoundError` without a pending enrolment, `MfaAlreadyEnabledError` when
   * already enabled, `InvalidMfaCodeError` (401) for a wrong code, and
   * `RateLimitedError` past `rateLimits.mfaPerUser`.
   */
  async confirmTotpEnrolment(
    userId: string,
    code: unknown,
    context?: RequestContext,
    options: { keepFamilyId?: string } = {},
  ): Promise<BackupCodeSet> {
    return confirmTotpEnrolment(this.#ctx, userId, code, context, options);
  }

  /**
   * Turns TOTP off (OWASP ASVS 5.0 7.5.1: the current password is required, `ReauthenticationRequiredError`
   * otherwise): deletes the factor and every backup code, voids a pending login challenge, revokes
   * every other session of the user (OWASP ASVS 5.0 7.4.3; RFC 9700 §4.14.2) and emits `mfa.disabled`. Works without
   * `mfa.secretKeys`. `NotFoundError` when the user has no factor.
   */
  async disableTotp(
    userId: string,
    input: ReauthenticationInput,
    context?: RequestContext,
    options: { keepFamilyId?: string } = {},
  ): Promise<void> {
    return disableTotp(this.#ctx, userId, input, context, options);
  }

  /**
   * Administrator action for a user who lost both the device and the backup codes: removes every
   * second factor without a password and revokes all of the user's sessions. `true` when there was
   * a factor. Check the user's identity by other means first.
   */
  async resetForUser(userId: string, context?: RequestContext): Promise<boolean> {
    return resetForUser(this.#ctx, userId, context);
  }

  /**
   * Replaces the user's backup codes with a new set (the old set stops working at once, NIST SP 800-63B-4 §3.1.2, §4.2.1.1; OWASP ASVS 5.0 6.5.1, 6.5.2, 6.5.4).
   * Needs the current password and an enabled factor (`NotFoundError` otherwise); revokes
   * the user's other sessions (OWASP ASVS 5.0 7.4.3; RFC 9700 §4.14.2).
   */
  async regenerateBackupCodes(
    userId: string,
    input: ReauthenticationInput,
    context?: RequestContext,
    options: { keepFamilyId?: string } = {},
  ): Promise<BackupCodeSet> {
    return regenerateBackupCodes(this.#ctx, userId, input, context, options);
  }

  /**
   * Issues the challenge of a login whose password was right for an account with an active
   * factor (called by `AuthService.login`; OWASP ASVS 5.0 2.3.1, 6.6.2; RFC 8725 §3.12). The challenge is a one-time token of purpose
   * `mfa_challenge`, valid `mfa.challengeTtl` seconds, that remembers the requested scope and the
   * request's IP and user agent. A newer login replaces it. Emits `mfa.challenged`.
   *
   * `redemption` (from `OAuthService.exchangeLoginCode`) ties the challenge to the OAuth login code
   * it was issued for: if that code is presented again, completing the challenge is refused, or
   * the tokens it issued are revoked (RFC 6749 §10.5).
   */
  async challengeLogin(
    userId: string,
    context: RequestContext | undefined,
    scope: readonly string[],
    options: { readonly redemption?: RedemptionRef } = {},
  ): Promise<MfaRequiredLogin> {
    return challengeLogin(this.#ctx, userId, context, scope, options);
  }

  /**
   * Completes a login with the second factor and issues tokens as a login does, with the scope
   * requested at login.
   *
   * In order: the proof must be exactly one of `{ code }` and `{ backupCode }`
   * (`ValidationError`); the challenge must be valid (`OneTimeTokenError`, 400, when
   * unknown, expired, used, replaced by a newer login, or of another kind, e.g. an access token);
   * the user's attempts are rate limited (`rateLimits.mfaPerUser`, `RateLimitedError` 429).
   * Then a TOTP code is checked against server time (window `mfa.window`) and its step recorded
   * with a compare-and-swap, so a code whose step is not after the last accepted one is refused,
   * also under concurrency (RFC 6238 §5.2; OWASP ASVS 5.0 6.5.1); or a backup code is consumed (single use). Only then is the
   * challenge redeemed, atomically: of concurrent completions exactly one gets tokens.
   *
   * A wrong, replayed or unusable code throws `InvalidMfaCodeError` (401), counts toward the
   * account lockout and the second-factor lock, and emits `mfa.failed`; the challenge stays usable
   * until it expires. A locked account, and a TOTP code while the second factor is locked (even the
   * right one), are refused the same way without counting; a backup code still completes the login
   * and lifts the lock (`mfa.unlocked`, reason `backup_code`).
   */
  async completeLogin(
    challenge: unknown,
    proof: MfaProof,
    context?: RequestContext,
  ): Promise<AuthenticatedLogin> {
    return completeLogin(this.#ctx, challenge, proof, context);
  }
}
