/**
 * Errors of the MFA flows. Each is an {@link AuthError}, so the HTTP layer maps it like any other
 * (status, `{ error, message }`).
 *
 * @module
 */
import { AuthError } from '../errors.js';

/**
 * A TOTP feature was used but `mfa.secretKeys` is not configured, so secrets can be neither
 * stored nor read. 501, like a missing mailer: the deployment lacks the feature. Backup codes and
 * disabling a factor still work.
 */
export class MfaNotConfiguredError extends AuthError {
  constructor() {
    // ERR_MFA_NOT_CONFIGURED is not yet in AUTH_ERROR_CODES (src/errors.ts), hence the cast.
    super('ERR_MFA_NOT_CONFIGURED', 501, 'This feature is not available');
  }
}

/** TOTP is already enabled for the user: disable it first (with the password) to enrol again. */
export class MfaAlreadyEnabledError extends AuthError {
  constructor() {
    // ERR_MFA_ALREADY_ENABLED is not yet in AUTH_ERROR_CODES (src/errors.ts), hence the cast.
    super('ERR_MFA_ALREADY_ENABLED', 409, 'Two-factor authentication is already enabled');
  }
}

/**
 * A second-factor code was wrong, already used (replay), or the account is locked. One answer for
 * all, 401 `invalid_credentials`, so that the response says nothing about which. The challenge
 * stays usable until it expires or the attempt limit is reached.
 */
export class InvalidMfaCodeError extends AuthError {
  constructor() {
    super('ERR_INVALID_CREDENTIALS', 401, 'Invalid verification code');
  }
}
