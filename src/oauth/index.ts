/**
 * OAuth 2.0 / OpenID Connect as a client, on oauth4webapi: login with identity providers (GitHub,
 * any OpenID Connect provider, your own definition), linked identities, kept provider tokens, and
 * outbound client credentials.
 *
 * @module
 */
export {
  type ClientCredentials,
  type ClientCredentialsOptions,
  createClientCredentials,
} from './client-credentials.js';
export type { OAuthConfig, ProfileContext, ProviderConfig, ProviderProfile } from './config.js';
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
} from './errors.js';
export {
  type CompletedLogin,
  type OAuthSecondFactor,
  OAuthService,
  type OAuthServiceOptions,
  type StartedLogin,
  type UnlinkOptions,
} from './oauth-service.js';
export type { ProviderAccessToken } from './provider-tokens.js';
export { safeReturnTo } from './return-to.js';
