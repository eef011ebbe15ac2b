/**
 * Errors of the device authorization grant (RFC 8628). The four polling answers of §3.5 are
 * typed errors with stable codes, so the token endpoint maps each to its RFC error string.
 *
 * @module
 */
import { AuthError } from '../errors.js';

/** §3.5 `authorization_pending`: the user has not approved or denied the request yet. Keep polling. */
export class AuthorizationPendingError extends AuthError {
  constructor() {
    super('ERR_AUTHORIZATION_PENDING', 400, 'Authorization pending');
  }
}

/**
 * §3.5 `slow_down`: the client polled faster than its interval. The interval has been increased
 * by 5 seconds for this and every later request; `interval` is the new value (seconds).
 */
export class SlowDownError extends AuthError {
  /** The interval the client must now wait between polls, seconds. */
  readonly interval: number;

  constructor(interval: number) {
    super('ERR_SLOW_DOWN', 400, 'Polling too fast');
    this.interval = interval;
  }
}

/** §3.5 `access_denied`: the user denied the request. Terminal: stop polling. */
export class AccessDeniedError extends AuthError {
  constructor() {
    super('ERR_ACCESS_DENIED', 400, 'The user denied the request');
  }
}

/** §3.5 `expired_token`: the device code expired before it was approved. Terminal. */
export class DeviceCodeExpiredError extends AuthError {
  constructor() {
    super('ERR_DEVICE_CODE_EXPIRED', 400, 'The device code has expired');
  }
}

/**
 * A user code typed on the verification page is malformed, unknown, already used or expired —
 * one answer for all. The attempt counts toward the rate limit (RFC 8628 §5.1).
 */
export class InvalidUserCodeError extends AuthError {
  constructor() {
    super('ERR_INVALID_USER_CODE', 400, 'Invalid or expired code');
  }
}

/**
 * The device flow was used without a verification URI (`device.verificationUri`, or
 * `account.baseUrl` to build it from). 501: the deployment lacks the feature.
 */
export class DeviceFlowNotConfiguredError extends AuthError {
  constructor() {
    super('ERR_DEVICE_FLOW_NOT_CONFIGURED', 501, 'This feature is not available');
  }
}
