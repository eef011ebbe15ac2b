/**
 * `isAuthError(e, code)` narrows to the class gatehouse throws with that code, through a plain map
 * (`AuthErrorByCode`): fields such as `retryAfter` are reachable without a cast. The type
 * assertions here are checked by `tsc`; the run-time ones check that the map tells the truth.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { InvalidClientError, UnauthorizedClientError } from '../../src/clients/errors.js';
import {
  AccessDeniedError,
  AuthorizationPendingError,
  DeviceCodeExpiredError,
  DeviceFlowNotConfiguredError,
  InvalidUserCodeError,
  SlowDownError,
} from '../../src/device/errors.js';
import {
  AccountDisabledError,
  AlreadyRegisteredError,
  ApiKeyLimitReachedError,
  AUTH_ERROR_CODES,
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
} from '../../src/errors.js';
import {
  type AuthError,
  type AuthErrorByCode,
  type AuthErrorCode,
  type AuthErrorOf,
  isAuthError,
} from '../../src/index.js';
import { InvalidMfaCodeError, MfaAlreadyEnabledError, MfaNotConfiguredError } from '../../src/mfa/errors.js';
import {
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
} from '../../src/oauth/errors.js';
import { UnsupportedByStoreError } from '../../src/storage/store-errors.js';
import type { TokenRejection } from '../../src/token/rejection.js';

/** One instance of every class, by the code it carries: the map's claims, checked at run time. */
const INSTANCES: { readonly [C in AuthErrorCode]: readonly AuthErrorByCode[C][] } = {
  ERR_INVALID_CREDENTIALS: [new InvalidCredentialsError(), new InvalidMfaCodeError()],
  ERR_TOKEN_EXPIRED: [new TokenExpiredError()],
  ERR_TOKEN_REVOKED: [new TokenRevokedError()],
  ERR_TOKEN_INVALID: [new TokenInvalidError()],
  ERR_REFRESH_TOKEN_REUSED: [new RefreshTokenReusedError()],
  ERR_INVALID_GRANT: [new InvalidGrantError()],
  ERR_INVALID_SCOPE: [new InvalidScopeError()],
  ERR_ACCOUNT_DISABLED: [new AccountDisabledError()],
  ERR_ALREADY_REGISTERED: [new AlreadyRegisteredError()],
  ERR_VALIDATION: [new ValidationError([])],
  ERR_WEAK_PASSWORD: [new WeakPasswordError([])],
  ERR_INPUT_TOO_LARGE: [new InputTooLargeError('password')],
  ERR_PASSWORD_CHANGE_REQUIRED: [new PasswordChangeRequiredError()],
  ERR_NOT_FOUND: [new NotFoundError()],
  ERR_STORE_UNAVAILABLE: [new StoreUnavailableError()],
  ERR_RATE_LIMITED: [new RateLimitedError(3)],
  ERR_INVALID_TOKEN: [new OneTimeTokenError()],
  ERR_REAUTHENTICATION_REQUIRED: [new ReauthenticationRequiredError()],
  ERR_EMAIL_NOT_VERIFIED: [new EmailNotVerifiedError()],
  ERR_MAIL_NOT_CONFIGURED: [new MailNotConfiguredError()],
  ERR_MFA_NOT_CONFIGURED: [new MfaNotConfiguredError()],
  ERR_MFA_ALREADY_ENABLED: [new MfaAlreadyEnabledError()],
  ERR_INSUFFICIENT_SCOPE: [new InsufficientScopeError(['read'])],
  ERR_SESSION_REQUIRED: [new SessionRequiredError()],
  ERR_API_KEY_LIMIT_REACHED: [new ApiKeyLimitReachedError()],
  ERR_ISSUER_UNAVAILABLE: [new IssuerUnavailableError()],
  ERR_INVALID_CLIENT: [new InvalidClientError()],
  ERR_UNAUTHORIZED_CLIENT: [new UnauthorizedClientError()],
  ERR_INVALID_USER_CODE: [new InvalidUserCodeError()],
  ERR_AUTHORIZATION_PENDING: [new AuthorizationPendingError()],
  ERR_SLOW_DOWN: [new SlowDownError(10)],
  ERR_ACCESS_DENIED: [new AccessDeniedError()],
  ERR_DEVICE_CODE_EXPIRED: [new DeviceCodeExpiredError()],
  ERR_DEVICE_FLOW_NOT_CONFIGURED: [new DeviceFlowNotConfiguredError()],
  ERR_OAUTH_UNKNOWN_PROVIDER: [new UnknownProviderError()],
  ERR_OAUTH_INVALID_STATE: [new InvalidOAuthStateError()],
  ERR_OAUTH_DENIED: [new OAuthDeniedError('access_denied')],
  ERR_OAUTH_FAILED: [new OAuthFailedError()],
  ERR_OAUTH_PROVIDER_UNAVAILABLE: [new ProviderUnavailableError()],
  ERR_OAUTH_EMAIL_NOT_VERIFIED: [new ProviderEmailNotVerifiedError()],
  ERR_OAUTH_ACCOUNT_EXISTS: [new AccountExistsError()],
  ERR_OAUTH_IDENTITY_LINKED: [new IdentityAlreadyLinkedError()],
  ERR_OAUTH_TOKENS_UNAVAILABLE: [new ProviderTokensUnavailableError()],
  ERR_OAUTH_LAST_SIGN_IN_METHOD: [new LastSignInMethodError()],
  ERR_SIGNING_NOT_CONFIGURED: [new SigningNotConfiguredError()],
  ERR_UNSUPPORTED_BY_STORE: [new UnsupportedByStoreError('users.list')],
};

describe('isAuthError narrows by code', () => {
  it('maps every code, and each class throws the code it is mapped from', () => {
    expectTypeOf<keyof AuthErrorByCode>().toEqualTypeOf<AuthErrorCode>();
    expect(Object.keys(INSTANCES).sort()).toEqual([...AUTH_ERROR_CODES].sort());
    for (const code of AUTH_ERROR_CODES) {
      for (const error of INSTANCES[code]) {
        expect(error.code).toBe(code);
        expect(isAuthError(error, code)).toBe(true);
        expect(AUTH_ERROR_CODES.filter((other) => isAuthError(error, other))).toEqual([code]);
      }
    }
  });

  it('reaches the fields of the matching class without a cast', () => {
    const caught: unknown = new RateLimitedError(2.2);
    if (!isAuthError(caught, 'ERR_RATE_LIMITED')) throw new Error('expected a rate limit');
    expectTypeOf(caught).toEqualTypeOf<AuthErrorOf<'ERR_RATE_LIMITED'>>();
    expectTypeOf(caught.retryAfter).toEqualTypeOf<number>();
    expectTypeOf(caught.code).toEqualTypeOf<'ERR_RATE_LIMITED'>();
    expect(caught.retryAfter).toBe(3);

    const fields = (error: unknown): unknown[] => {
      const found: unknown[] = [];
      if (isAuthError(error, 'ERR_INSUFFICIENT_SCOPE')) found.push(error.scopes);
      if (isAuthError(error, 'ERR_VALIDATION')) found.push(error.issues);
      if (isAuthError(error, 'ERR_SLOW_DOWN')) found.push(error.interval);
      if (isAuthError(error, 'ERR_OAUTH_DENIED')) found.push(error.reason);
      if (isAuthError(error, 'ERR_INPUT_TOO_LARGE')) found.push(error.field);
      if (isAuthError(error, 'ERR_TOKEN_INVALID')) {
        expectTypeOf(error.detail).toEqualTypeOf<TokenRejection | undefined>();
        found.push(error.detail);
      }
      return found;
    };
    expect(fields(new InsufficientScopeError(['read']))).toEqual([['read']]);
    expect(fields(new SlowDownError(15))).toEqual([15]);
    expect(fields(new OAuthDeniedError('access_denied'))).toEqual(['access_denied']);
    expect(fields(new InputTooLargeError('token'))).toEqual(['token']);
    expect(fields(new TokenInvalidError({ detail: { check: 'aud', reason: 'mismatch' } }))).toEqual([
      { check: 'aud', reason: 'mismatch' },
    ]);
  });

  it('leaves a failed check alone: the variable stays an AuthError, never `never`', () => {
    const describeError = (error: AuthError): string => {
      if (isAuthError(error, 'ERR_TOKEN_REVOKED')) return 'revoked';
      expectTypeOf(error).toEqualTypeOf<AuthError>();
      if (isAuthError(error, 'ERR_TOKEN_EXPIRED')) return 'expired';
      return error.code;
    };
    expect(describeError(new TokenRevokedError())).toBe('revoked');
    expect(describeError(new TokenExpiredError())).toBe('expired');
    expect(describeError(new InvalidGrantError())).toBe('ERR_INVALID_GRANT');
  });

  it('narrows to the union for a union of codes, and to AuthError without a code', () => {
    const unavailable = (error: unknown) => {
      if (isAuthError(error, Math.random() < 2 ? 'ERR_STORE_UNAVAILABLE' : 'ERR_ISSUER_UNAVAILABLE')) {
        expectTypeOf(error).toEqualTypeOf<AuthErrorOf<'ERR_STORE_UNAVAILABLE' | 'ERR_ISSUER_UNAVAILABLE'>>();
        return error.status;
      }
      return null;
    };
    expect(unavailable(new StoreUnavailableError())).toBe(503);
    const optional: AuthErrorCode | undefined = undefined;
    const error: unknown = new InvalidGrantError();
    if (isAuthError(error, optional)) expectTypeOf(error).toEqualTypeOf<AuthError>();
    expect(isAuthError(error, optional)).toBe(true);
    expect(isAuthError(new Error('plain'))).toBe(false);
  });

  it('narrows an AuthError from another copy of the package (ESM and CJS side by side) by its shape', () => {
    const foreign = Object.assign(new Error('Too many requests'), {
      code: 'ERR_RATE_LIMITED',
      status: 429,
      retryAfter: 7,
    });
    expect(isAuthError(foreign, 'ERR_RATE_LIMITED') && foreign.retryAfter).toBe(7);
  });
});
