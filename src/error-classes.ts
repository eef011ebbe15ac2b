/**
 * `gatehouse/errors`: every error class gatehouse throws at you, and the list of codes.
 *
 * Each `AuthError` has a stable `code` (`ERR_TOKEN_EXPIRED`, ...), an HTTP `status` and a message
 * safe to show a client. Switching on `code` needs nothing from here: `isAuthError(e, code)` from
 * `gatehouse` narrows to the class of that code. Import these classes to use `instanceof`, to throw
 * gatehouse's own errors from a custom store or decider (e.g. `AlreadyRegisteredError` for a
 * uniqueness violation), or to read a class-specific field.
 *
 * @module gatehouse/errors
 */
export { UnknownRoleError } from './auth/role-change.js';
export { InvalidClientError, UnauthorizedClientError } from './clients/errors.js';
export {
  AccessDeniedError,
  AuthorizationPendingError,
  DeviceCodeExpiredError,
  DeviceFlowNotConfiguredError,
  InvalidUserCodeError,
  SlowDownError,
} from './device/errors.js';
export {
  AccountDisabledError,
  AlreadyRegisteredError,
  ApiKeyLimitReachedError,
  AUTH_ERROR_CODES,
  AuthError,
  type AuthErrorByCode,
  type AuthErrorCode,
  type AuthErrorOf,
  ConfigError,
  EmailNotVerifiedError,
  type FieldIssue,
  InputTooLargeError,
  InsufficientScopeError,
  InvalidCredentialsError,
  InvalidGrantError,
  InvalidScopeError,
  IssuerUnavailableError,
  isAuthError,
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
export { PrincipalMissingError } from './http/principal.js';
export { InvalidMailMessageError, MailDeliveryError, MailError, UnsafeLinkError } from './mail/errors.js';
export { InvalidMfaCodeError, MfaAlreadyEnabledError, MfaNotConfiguredError } from './mfa/errors.js';
export {
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
export { InvalidCursorError } from './policy/cursor.js';
export { FieldAccessError, FieldPolicyError } from './policy/fields.js';
export { PolicyModelError } from './policy/model.js';
export { TupleValidationError } from './policy/relationship-store.js';
export { ListQueryError, type ListQueryErrorCode } from './policy/reverse-types.js';
export { RoleDefinitionError } from './policy/roles.js';
export { UnsupportedByStoreError } from './storage/store-errors.js';
export type {
  TokenCheck,
  TokenErrorOptions,
  TokenRejection,
  TokenRejectionReason,
} from './token/rejection.js';
