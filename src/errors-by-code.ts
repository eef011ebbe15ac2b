/**
 * The map from each stable error code to the class gatehouse throws it with, which
 * {@link isAuthError} narrows to. Types only: nothing here exists at run time.
 *
 * @module
 */
import type { InvalidClientError, UnauthorizedClientError } from './clients/errors.js';
import type {
  AccessDeniedError,
  AuthorizationPendingError,
  DeviceCodeExpiredError,
  DeviceFlowNotConfiguredError,
  InvalidUserCodeError,
  SlowDownError,
} from './device/errors.js';
import type {
  AccountDisabledError,
  AlreadyRegisteredError,
  ApiKeyLimitReachedError,
  EmailNotVerifiedError,
  InputTooLargeError,
  InsufficientScopeError,
  InvalidCredentialsError,
  InvalidGrantError,
  InvalidScopeError,
  IssuerUnavailableError,
  MailNotConfiguredError,
  NotFoundError,
  OneTimeTokenError,
  PasswordChangeRequiredError,
  RateLimitedError,
  ReauthenticationRequiredError,
  RefreshTokenReusedError,
  SessionRequiredError,
  SigningNotConfiguredError,
  StoreUnavailableError,
  TokenExpiredError,
  TokenInvalidError,
  TokenRevokedError,
  ValidationError,
  WeakPasswordError,
} from './errors.js';
import type { InvalidMfaCodeError, MfaAlreadyEnabledError, MfaNotConfiguredError } from './mfa/errors.js';
import type {
  AccountExistsError,
  IdentityAlreadyLinkedError,
  InvalidOAuthStateError,
  LastSignInMethodError,
  OAuthDeniedError,
  OAuthFailedError,
  ProviderEmailNotVerifiedError,
  ProviderTokensUnavailableError,
  ProviderUnavailableError,
  UnknownProviderError,
} from './oauth/errors.js';
import type { UnsupportedByStoreError } from './storage/store-errors.js';

/**
 * The class gatehouse throws each code with, so that {@link isAuthError} narrows to it: with
 * `isAuthError(e, 'ERR_RATE_LIMITED')`, `e.retryAfter` is a number. A plain map, looked up by key:
 * checking a code costs the compiler one property access.
 */
export interface AuthErrorByCode {
  ERR_INVALID_CREDENTIALS: InvalidCredentialsError | InvalidMfaCodeError;
  ERR_TOKEN_EXPIRED: TokenExpiredError;
  ERR_TOKEN_REVOKED: TokenRevokedError;
  ERR_TOKEN_INVALID: TokenInvalidError;
  ERR_REFRESH_TOKEN_REUSED: RefreshTokenReusedError;
  ERR_INVALID_GRANT: InvalidGrantError;
  ERR_INVALID_SCOPE: InvalidScopeError;
  ERR_ACCOUNT_DISABLED: AccountDisabledError;
  ERR_ALREADY_REGISTERED: AlreadyRegisteredError;
  ERR_VALIDATION: ValidationError;
  ERR_WEAK_PASSWORD: WeakPasswordError;
  ERR_INPUT_TOO_LARGE: InputTooLargeError;
  ERR_PASSWORD_CHANGE_REQUIRED: PasswordChangeRequiredError;
  ERR_NOT_FOUND: NotFoundError;
  ERR_STORE_UNAVAILABLE: StoreUnavailableError;
  ERR_RATE_LIMITED: RateLimitedError;
  ERR_INVALID_TOKEN: OneTimeTokenError;
  ERR_REAUTHENTICATION_REQUIRED: ReauthenticationRequiredError;
  ERR_EMAIL_NOT_VERIFIED: EmailNotVerifiedError;
  ERR_MAIL_NOT_CONFIGURED: MailNotConfiguredError;
  ERR_MFA_NOT_CONFIGURED: MfaNotConfiguredError;
  ERR_MFA_ALREADY_ENABLED: MfaAlreadyEnabledError;
  ERR_INSUFFICIENT_SCOPE: InsufficientScopeError;
  ERR_SESSION_REQUIRED: SessionRequiredError;
  ERR_API_KEY_LIMIT_REACHED: ApiKeyLimitReachedError;
  ERR_ISSUER_UNAVAILABLE: IssuerUnavailableError;
  ERR_INVALID_CLIENT: InvalidClientError;
  ERR_UNAUTHORIZED_CLIENT: UnauthorizedClientError;
  ERR_INVALID_USER_CODE: InvalidUserCodeError;
  ERR_AUTHORIZATION_PENDING: AuthorizationPendingError;
  ERR_SLOW_DOWN: SlowDownError;
  ERR_ACCESS_DENIED: AccessDeniedError;
  ERR_DEVICE_CODE_EXPIRED: DeviceCodeExpiredError;
  ERR_DEVICE_FLOW_NOT_CONFIGURED: DeviceFlowNotConfiguredError;
  ERR_OAUTH_UNKNOWN_PROVIDER: UnknownProviderError;
  ERR_OAUTH_INVALID_STATE: InvalidOAuthStateError;
  ERR_OAUTH_DENIED: OAuthDeniedError;
  ERR_OAUTH_FAILED: OAuthFailedError;
  ERR_OAUTH_PROVIDER_UNAVAILABLE: ProviderUnavailableError;
  ERR_OAUTH_EMAIL_NOT_VERIFIED: ProviderEmailNotVerifiedError;
  ERR_OAUTH_ACCOUNT_EXISTS: AccountExistsError;
  ERR_OAUTH_IDENTITY_LINKED: IdentityAlreadyLinkedError;
  ERR_OAUTH_TOKENS_UNAVAILABLE: ProviderTokensUnavailableError;
  ERR_OAUTH_LAST_SIGN_IN_METHOD: LastSignInMethodError;
  ERR_SIGNING_NOT_CONFIGURED: SigningNotConfiguredError;
  ERR_UNSUPPORTED_BY_STORE: UnsupportedByStoreError;
}
