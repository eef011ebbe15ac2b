/**
 * Typed errors. Every error gatehouse throws on purpose is an {@link AuthError} (or a
 * {@link ConfigError} at start-up) with a stable `code` that callers can switch on, an HTTP
 * `status`, and a `message` that is safe to show a client: no internals, no stack, and nothing
 * that tells whether an account exists where that matters.
 *
 * {@link isAuthError} with a code narrows to the class gatehouse throws with that code (see
 * {@link AuthErrorByCode}), so `isAuthError(e, 'ERR_RATE_LIMITED') && e.retryAfter` needs no cast.
 *
 * @module
 */
import type { AuthErrorByCode } from './errors-by-code.js';
import type { TokenErrorOptions, TokenRejection } from './token/rejection.js';

export type { AuthErrorByCode } from './errors-by-code.js';
export type {
  TokenCheck,
  TokenErrorOptions,
  TokenRejection,
  TokenRejectionReason,
} from './token/rejection.js';

/** Every stable error code gatehouse uses. New codes may be added; existing ones never change meaning. */
export const AUTH_ERROR_CODES = [
  'ERR_INVALID_CREDENTIALS',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_REVOKED',
  'ERR_TOKEN_INVALID',
  'ERR_REFRESH_TOKEN_REUSED',
  'ERR_INVALID_GRANT',
  'ERR_INVALID_SCOPE',
  'ERR_ACCOUNT_DISABLED',
  'ERR_ALREADY_REGISTERED',
  'ERR_VALIDATION',
  'ERR_WEAK_PASSWORD',
  'ERR_INPUT_TOO_LARGE',
  'ERR_PASSWORD_CHANGE_REQUIRED',
  'ERR_NOT_FOUND',
  'ERR_STORE_UNAVAILABLE',
  'ERR_RATE_LIMITED',
  'ERR_INVALID_TOKEN',
  'ERR_REAUTHENTICATION_REQUIRED',
  'ERR_EMAIL_NOT_VERIFIED',
  'ERR_MAIL_NOT_CONFIGURED',
  'ERR_MFA_NOT_CONFIGURED',
  'ERR_MFA_ALREADY_ENABLED',
  // API keys (src/apikey) and tokens of external issuers (src/resource-server).
  'ERR_INSUFFICIENT_SCOPE',
  'ERR_SESSION_REQUIRED',
  'ERR_API_KEY_LIMIT_REACHED',
  'ERR_ISSUER_UNAVAILABLE',
  // Service clients and the device authorization grant (src/clients, src/device).
  'ERR_INVALID_CLIENT',
  'ERR_UNAUTHORIZED_CLIENT',
  'ERR_INVALID_USER_CODE',
  'ERR_AUTHORIZATION_PENDING',
  'ERR_SLOW_DOWN',
  'ERR_ACCESS_DENIED',
  'ERR_DEVICE_CODE_EXPIRED',
  'ERR_DEVICE_FLOW_NOT_CONFIGURED',
  // Login with an identity provider, provider tokens, outbound client credentials (src/oauth).
  'ERR_OAUTH_UNKNOWN_PROVIDER',
  'ERR_OAUTH_INVALID_STATE',
  'ERR_OAUTH_DENIED',
  'ERR_OAUTH_FAILED',
  'ERR_OAUTH_PROVIDER_UNAVAILABLE',
  'ERR_OAUTH_EMAIL_NOT_VERIFIED',
  'ERR_OAUTH_ACCOUNT_EXISTS',
  'ERR_OAUTH_IDENTITY_LINKED',
  'ERR_OAUTH_TOKENS_UNAVAILABLE',
  'ERR_OAUTH_LAST_SIGN_IN_METHOD',
  // A key set of public keys only (a resource server) asked to sign.
  'ERR_SIGNING_NOT_CONFIGURED',
  // The configured store does not implement an optional repository method (e.g. listing users).
  'ERR_UNSUPPORTED_BY_STORE',
] as const;

/** A stable error code of an {@link AuthError}. */
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(AUTH_ERROR_CODES);

/** One problem with one input field, as reported by `ValidationError` and `WeakPasswordError`. */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `email` or `password`. */
  readonly field: string;
  /** Stable rule identifier, e.g. `password_too_short`, `password_blocklisted`, `invalid_email`. */
  readonly rule: string;
  /** Human-readable explanation, safe to show the user. */
  readonly message: string;
}

/**
 * Base class of every error gatehouse throws for a client-caused or expected condition.
 * `code` is stable across versions; `status` is the HTTP status the HTTP layer answers with;
 * `message` never contains secrets, stack traces or store internals.
 */
export class AuthError extends Error {
  /** Stable, machine-readable error code. */
  readonly code: AuthErrorCode;
  /** HTTP status that best describes this error. */
  readonly status: number;

  constructor(code: AuthErrorCode, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }

  /** A JSON shape safe to send to a client. */
  toJSON(): { code: AuthErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/**
 * Wrong identifier or password. Also thrown for unknown users and disabled accounts at login so
 * that the response cannot be used to enumerate accounts.
 */
export class InvalidCredentialsError extends AuthError {
  constructor() {
    super('ERR_INVALID_CREDENTIALS', 401, 'Invalid credentials');
  }
}

/**
 * The access token's `exp` lies in the past (beyond the configured clock tolerance), or it was
 * issued longer ago than the longest access-token lifetime. `detail` says which, for logs only.
 */
export class TokenExpiredError extends AuthError {
  /**
   * Which check refused the token (`{ check: 'exp', reason: 'expired' }`), for server-side logs.
   * Never sent to a client: `toJSON()` leaves it out and the HTTP layer answers `invalid_token`.
   */
  readonly detail: TokenRejection | undefined;

  constructor(options?: TokenErrorOptions) {
    super('ERR_TOKEN_EXPIRED', 401, 'Token expired', options);
    this.detail = options?.detail;
  }
}

/**
 * The token's record in the token table is no longer active (logout, revocation, disabled
 * account) or is not there. `detail` may say which, for logs only.
 */
export class TokenRevokedError extends AuthError {
  /** Which check refused the token (`jti` unknown or revoked), for server-side logs; never sent to a client. */
  readonly detail: TokenRejection | undefined;

  constructor(options?: TokenErrorOptions) {
    super('ERR_TOKEN_REVOKED', 401, 'Token revoked', options);
    this.detail = options?.detail;
  }
}

/**
 * The token is malformed, too large, wrongly signed, or fails a claim check (`iss`, `aud`, `typ`,
 * `nbf`, ...). The message is the same whatever failed; `detail` says which check, for logs only.
 */
export class TokenInvalidError extends AuthError {
  /**
   * Which check refused the token, e.g. `{ check: 'aud', reason: 'mismatch' }`, for server-side
   * logs. Never sent to a client: `toJSON()` leaves it out and the HTTP layer answers every token
   * failure alike. `undefined` when the thrower did not say (API keys, external issuers).
   */
  readonly detail: TokenRejection | undefined;

  constructor(options?: TokenErrorOptions) {
    super('ERR_TOKEN_INVALID', 401, 'Invalid token', options);
    this.detail = options?.detail;
  }
}

/**
 * A refresh token that was already rotated was presented again. The whole token family has been
 * revoked (RFC 9700 §4.14.2). Maps to OAuth `invalid_grant`.
 */
export class RefreshTokenReusedError extends AuthError {
  constructor() {
    super('ERR_REFRESH_TOKEN_REUSED', 400, 'Invalid refresh token');
  }
}

/**
 * A refresh token (or other grant) is unknown, expired, revoked, or bound to another client.
 * Maps to OAuth `invalid_grant` (RFC 6749 §5.2).
 */
export class InvalidGrantError extends AuthError {
  constructor() {
    super('ERR_INVALID_GRANT', 400, 'Invalid grant');
  }
}

/** A refresh asked for a scope that was not originally granted (RFC 6749 §6). Maps to `invalid_scope`. */
export class InvalidScopeError extends AuthError {
  constructor() {
    super('ERR_INVALID_SCOPE', 400, 'Invalid scope');
  }
}

/** The account is disabled. Only raised where revealing that is safe (an authenticated request). */
export class AccountDisabledError extends AuthError {
  constructor() {
    super('ERR_ACCOUNT_DISABLED', 403, 'Account disabled');
  }
}

/**
 * The email (or username) is already registered. The message does not say which account exists;
 * the HTTP layer can answer registration uniformly when enumeration matters.
 */
export class AlreadyRegisteredError extends AuthError {
  constructor(options?: { cause?: unknown }) {
    super('ERR_ALREADY_REGISTERED', 409, 'Registration could not be completed', options);
  }
}

/** Input failed validation; `issues` lists every failed field rule. */
export class ValidationError extends AuthError {
  /** Every problem found, not just the first. */
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[], message = 'Invalid input') {
    super('ERR_VALIDATION', 400, message);
    this.issues = issues;
  }

  override toJSON(): { code: AuthErrorCode; message: string; issues: readonly FieldIssue[] } {
    return { code: this.code, message: this.message, issues: this.issues };
  }
}

/** The password fails the password policy; `issues` lists every failed rule. */
export class WeakPasswordError extends AuthError {
  /** Every failed rule, not just the first. */
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[]) {
    super('ERR_WEAK_PASSWORD', 400, 'Password does not meet the policy');
    this.issues = issues;
  }

  override toJSON(): { code: AuthErrorCode; message: string; issues: readonly FieldIssue[] } {
    return { code: this.code, message: this.message, issues: this.issues };
  }
}

/** An input (token, password, body field) is over its hard size limit; refused before any work. */
export class InputTooLargeError extends AuthError {
  /** Which input was too large, e.g. `password` or `token`. */
  readonly field: string;

  constructor(field: string) {
    super('ERR_INPUT_TOO_LARGE', 400, `The ${field} is too large`);
    this.field = field;
  }
}

/** The password must be changed before the account can be used (it was marked compromised). */
export class PasswordChangeRequiredError extends AuthError {
  constructor() {
    super('ERR_PASSWORD_CHANGE_REQUIRED', 403, 'Password change required');
  }
}

/** A referenced record (user, token) does not exist. */
export class NotFoundError extends AuthError {
  constructor(what = 'Resource') {
    super('ERR_NOT_FOUND', 404, `${what} not found`);
  }
}

/**
 * The store failed. Authentication fails closed: callers answer 503, never success. The
 * original error is kept as `cause` for server-side logs and never shown to a client.
 */
export class StoreUnavailableError extends AuthError {
  constructor(options?: { cause?: unknown }) {
    super('ERR_STORE_UNAVAILABLE', 503, 'Service temporarily unavailable', options);
  }
}

/**
 * Too many requests: a rate limit or throttle was hit. `retryAfter` (whole seconds) becomes the
 * `Retry-After` header of the 429 response (RFC 6585 §4). The message is generic.
 */
export class RateLimitedError extends AuthError {
  /** Seconds until a retry may succeed (at least 1). */
  readonly retryAfter: number;

  constructor(retryAfter: number) {
    super('ERR_RATE_LIMITED', 429, 'Too many requests');
    this.retryAfter = Math.max(1, Math.ceil(retryAfter));
  }
}

/**
 * A one-time token (email verification, password reset, email change, MFA challenge) is unknown,
 * used, expired, or meant for another purpose. Maps to 400 `invalid_token`.
 */
export class OneTimeTokenError extends AuthError {
  constructor() {
    super('ERR_INVALID_TOKEN', 400, 'Invalid or expired token');
  }
}

/** The operation needs a fresh proof of identity (current password or a second factor). */
export class ReauthenticationRequiredError extends AuthError {
  constructor() {
    super('ERR_REAUTHENTICATION_REQUIRED', 403, 'Re-authentication required');
  }
}

/** Login refused because the email is not verified yet (`account.emailVerification: 'required'`). */
export class EmailNotVerifiedError extends AuthError {
  constructor() {
    super('ERR_EMAIL_NOT_VERIFIED', 403, 'Email address not verified');
  }
}

/** A flow that sends mail was used without `mail.mailer` configured. */
export class MailNotConfiguredError extends AuthError {
  constructor() {
    super('ERR_MAIL_NOT_CONFIGURED', 501, 'This feature is not available');
  }
}

/**
 * The credential is valid but lacks a scope the request needs (RFC 6750 §3.1 `insufficient_scope`,
 * 403). `scopes` lists what was required, never what the token carried.
 */
export class InsufficientScopeError extends AuthError {
  /** The scopes the request needs. */
  readonly scopes: readonly string[];

  constructor(scopes: readonly string[]) {
    super('ERR_INSUFFICIENT_SCOPE', 403, 'Insufficient scope');
    this.scopes = scopes;
  }
}

/**
 * The operation needs a signed-in user (a session or access token of this gatehouse), and the
 * request authenticated otherwise, e.g. with an API key: an API key cannot create API keys.
 */
export class SessionRequiredError extends AuthError {
  constructor() {
    super('ERR_SESSION_REQUIRED', 403, 'This operation needs a signed-in user');
  }
}

/** The user already has as many active API keys as `apiKeys.maxKeysPerUser` allows (409). */
export class ApiKeyLimitReachedError extends AuthError {
  constructor() {
    super('ERR_API_KEY_LIMIT_REACHED', 409, 'Too many active API keys');
  }
}

/**
 * The keys (or discovery document) of an external issuer could not be fetched in time: the token
 * can be neither accepted nor refused, so the request is answered 503 (fail closed, never a hang).
 */
export class IssuerUnavailableError extends AuthError {
  constructor(options?: { cause?: unknown }) {
    super('ERR_ISSUER_UNAVAILABLE', 503, 'Service temporarily unavailable', options);
  }
}

/**
 * A token was to be signed, but the key set holds public keys only: a resource server configured to
 * verify tokens (`tokens.keys` with `publicKey` and no `privateKey`) cannot issue them. Thrown at
 * issue time (login, refresh, client credentials); answers 501 like the other features that are not
 * configured. Give a key its `privateKey` to issue tokens.
 */
export class SigningNotConfiguredError extends AuthError {
  constructor() {
    super('ERR_SIGNING_NOT_CONFIGURED', 501, 'This feature is not available');
  }
}

/**
 * Invalid configuration, thrown by `createGatehouse` at start-up. The message names the field,
 * e.g. `tokens.secret: must be at least 32 bytes`.
 */
export class ConfigError extends Error {
  /** Always `ERR_CONFIG`. */
  readonly code = 'ERR_CONFIG' as const;
  /** Every problem found, each naming its field path. */
  readonly issues: readonly { path: string; message: string }[];

  constructor(issues: readonly { path: string; message: string }[]) {
    super(
      `Invalid gatehouse configuration: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * The error type {@link isAuthError} narrows to for `code`: the class from {@link AuthErrorByCode}
 * with `code` itself narrowed, so that a failed check never narrows a variable to `never` (several
 * classes look alike to the compiler).
 */
export type AuthErrorOf<C extends AuthErrorCode> = AuthErrorByCode[C] & { readonly code: C };

/**
 * True when `error` is an {@link AuthError} with the given code, narrowed to the class gatehouse
 * throws it with ({@link AuthErrorByCode}): `if (isAuthError(e, 'ERR_RATE_LIMITED')) e.retryAfter`.
 * Also recognises an AuthError from another copy of this package (ESM and CJS loaded side by side),
 * by its shape.
 */
export function isAuthError<C extends AuthErrorCode>(error: unknown, code: C): error is AuthErrorOf<C>;
/** True when `error` is an {@link AuthError} (of any code, or of `code` when given). */
export function isAuthError(error: unknown, code?: AuthErrorCode): error is AuthError;
export function isAuthError(error: unknown, code?: AuthErrorCode): error is AuthError {
  const looksLike =
    error instanceof AuthError ||
    (error instanceof Error &&
      KNOWN_CODES.has((error as AuthError).code) &&
      typeof (error as AuthError).status === 'number');
  return looksLike && (code === undefined || (error as AuthError).code === code);
}
