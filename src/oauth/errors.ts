/**
 * Errors of the OAuth/OIDC client flows. Each is an {@link AuthError} with a stable code, so the
 * HTTP layer maps it like any other. Messages are generic: nothing the provider sent (an
 * `error_description`, a claim value) is ever part of a message (RFC 9207 §2.4; OWASP ASVS 5.0 1.2.1).
 *
 * @module
 */
import { AuthError } from '../errors.js';

/** No provider of that name is configured. 404, like an unknown route. */
export class UnknownProviderError extends AuthError {
  constructor() {
    super('ERR_OAUTH_UNKNOWN_PROVIDER', 404, 'Not found');
  }
}

/**
 * The callback's `state` is missing, unknown, expired, already used, bound to another browser
 * (no or another flow cookie) or to another provider (RFC 6749 §10.12, RFC 6749 §10.12; RFC 9700 §2.1, §2.1.1, §4.7.1). Nothing was created.
 */
export class InvalidOAuthStateError extends AuthError {
  constructor() {
    super('ERR_OAUTH_INVALID_STATE', 400, 'Invalid or expired login attempt');
  }
}

/**
 * The provider answered the authorization request with an error (`access_denied`, ...). The
 * state was valid. `reason` is the RFC 6749 §4.1.2.1 error code when it is one of those, else
 * `server_error`; the provider's `error_description` is never kept.
 */
export class OAuthDeniedError extends AuthError {
  /** An RFC 6749 §4.1.2.1 error code. */
  readonly reason: string;

  constructor(reason: string) {
    super('ERR_OAUTH_DENIED', 400, 'The login was cancelled or refused by the provider');
    this.reason = reason;
  }
}

/**
 * The login with the provider failed after a valid state: a wrong `iss`, a code the token
 * endpoint refused (also as an HTTP 200 `error` body, as GitHub answers), an ID token whose
 * signature, `iss`, `aud`, `nonce` or expiry is wrong, or a profile without a stable id.
 */
export class OAuthFailedError extends AuthError {
  constructor(options?: { cause?: unknown }) {
    super('ERR_OAUTH_FAILED', 400, 'Login with the provider failed', options);
  }
}

/** The provider could not be reached or answered nonsense (discovery, network, timeout). */
export class ProviderUnavailableError extends AuthError {
  constructor(options?: { cause?: unknown }) {
    super('ERR_OAUTH_PROVIDER_UNAVAILABLE', 502, 'The identity provider is not available', options);
  }
}

/**
 * The provider did not vouch for the email address (unverified or missing), so no account is
 * created from it: an unverified address would let anyone pre-claim someone else's account.
 */
export class ProviderEmailNotVerifiedError extends AuthError {
  constructor() {
    super('ERR_OAUTH_EMAIL_NOT_VERIFIED', 403, 'The provider did not confirm an email address');
  }
}

/**
 * A local account already uses the provider's email and linking by email is off (the default,
 * OWASP ASVS 5.0 6.8.1, 10.5.2, 10.3.3): sign in to that account and link the provider from there.
 */
export class AccountExistsError extends AuthError {
  constructor() {
    super('ERR_OAUTH_ACCOUNT_EXISTS', 409, 'Sign in to your account to connect this provider');
  }
}

/** The identity is already linked to another local user, or the user already has one at this provider. */
export class IdentityAlreadyLinkedError extends AuthError {
  constructor() {
    super('ERR_OAUTH_IDENTITY_LINKED', 409, 'This provider account is already connected');
  }
}

/**
 * Unlinking this identity would leave the account without a way to sign in: the user has no
 * password and no other identity at a configured provider. Set a password (password reset) or
 * link another provider first.
 */
export class LastSignInMethodError extends AuthError {
  constructor() {
    super(
      'ERR_OAUTH_LAST_SIGN_IN_METHOD',
      409,
      'This is the only way to sign in to the account; set a password or connect another provider first',
    );
  }
}

/**
 * No usable provider tokens for the user: not kept (`storeTokens` off), never linked, or the
 * provider refused the refresh token (the user has to log in with the provider again).
 */
export class ProviderTokensUnavailableError extends AuthError {
  constructor(options?: { cause?: unknown }) {
    super('ERR_OAUTH_TOKENS_UNAVAILABLE', 409, 'Provider authorization is not available', options);
  }
}
