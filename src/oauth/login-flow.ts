/**
 * The protocol half of a login with an identity provider, on oauth4webapi: the authorization URL
 * (state, PKCE S256 always, nonce for OpenID Connect) and the callback (RFC 9207 `iss`, the
 * provider's error, the code exchange with the stored verifier and the configured redirect URI,
 * ID token validation, the profile). Which local user it becomes is decided elsewhere.
 *
 * @module
 */
import * as oauth from 'oauth4webapi';
import type { ProviderProfile } from './config.js';
import { OAuthDeniedError, OAuthFailedError, ProviderUnavailableError } from './errors.js';
import { fetchGithubProfile, getJson } from './github.js';
import type { Provider } from './providers.js';

/** What a login attempt keeps server-side (in the StateStore) between start and callback. */
export interface FlowRecord {
  readonly provider: string;
  /** The issuer the attempt was started with; `iss` and the ID token must name it (RFC 9207 §2.4; RFC 9700 §4.4.2.1–4.4.2.2). */
  readonly issuer: string;
  readonly redirectUri: string;
  /** PKCE code verifier (RFC 7636): 256 random bits, 43 characters. */
  readonly verifier: string;
  /** OpenID Connect nonce; `null` for plain OAuth 2.0 providers. */
  readonly nonce: string | null;
  /** The checked post-login target. */
  readonly returnTo: string;
  /** SHA-256 of the flow cookie's binding. */
  readonly bindingHash: string;
  /** Set when a signed-in user links this provider to their account. */
  readonly linkUserId: string | null;
}

/** The secrets of a new login attempt. */
export interface FlowSecrets {
  readonly state: string;
  readonly verifier: string;
  readonly nonce: string | null;
}

/** RFC 6749 §4.1.2.1 error codes: the only provider errors passed on (as codes, never descriptions). */
const AUTHORIZATION_ERRORS = new Set([
  'access_denied',
  'invalid_request',
  'unauthorized_client',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
  'login_required',
  'consent_required',
  'interaction_required',
  'account_selection_required',
]);

/** Fresh state (256 bits), PKCE verifier (256 bits) and, for OIDC, nonce (256 bits). */
export function newFlowSecrets(provider: Provider): FlowSecrets {
  return {
    state: oauth.generateRandomState(),
    verifier: oauth.generateRandomCodeVerifier(),
    nonce: provider.config.type === 'oidc' ? oauth.generateRandomNonce() : null,
  };
}

/** The authorization request URL (RFC 6749 §4.1.1 with RFC 7636 S256 and the OIDC nonce). */
export async function authorizationUrl(provider: Provider, secrets: FlowSecrets): Promise<URL> {
  const as = await provider.metadata();
  if (!as.authorization_endpoint) throw new ProviderUnavailableError();
  const { config } = provider;
  const url = new URL(as.authorization_endpoint);
  if (config.type === 'oidc') {
    for (const [name, value] of Object.entries(config.authorizationParams)) url.searchParams.set(name, value);
  }
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', config.redirectUri);
  url.searchParams.set('response_type', 'code');
  if (config.scopes.length > 0) url.searchParams.set('scope', config.scopes.join(' '));
  url.searchParams.set('state', secrets.state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(secrets.verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  if (secrets.nonce !== null) url.searchParams.set('nonce', secrets.nonce);
  return url;
}

/** A completed provider login: who the provider says the user is, and its token response. */
export interface ProviderLogin {
  readonly issuer: string;
  readonly profile: ProviderProfile;
  readonly tokens: oauth.TokenEndpointResponse;
}

/**
 * Checks the authorization response against the attempt: `state` (exactly, once), `iss` when the
 * provider sends it or advertises it (RFC 9207), then a provider error. Throws
 * {@link OAuthDeniedError} for an error response and {@link OAuthFailedError} for the rest.
 */
export async function checkAuthorizationResponse(
  provider: Provider,
  params: URLSearchParams,
  state: string,
): Promise<URLSearchParams> {
  const as = await provider.metadata();
  try {
    return oauth.validateAuthResponse(as, provider.client(), params, state);
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) {
      throw new OAuthDeniedError(AUTHORIZATION_ERRORS.has(error.error) ? error.error : 'server_error');
    }
    throw new OAuthFailedError({ cause: error });
  }
}

/** Refuses a token response that carries `error`, even at HTTP 200 (GitHub answers that way, RFC 9207 §2.4; OWASP ASVS 5.0 1.2.1). */
async function refuseErrorBody(response: Response): Promise<void> {
  if (response.status !== 200) return;
  const body: unknown = await response
    .clone()
    .json()
    .catch(() => undefined);
  if (typeof body === 'object' && body !== null && 'error' in body) {
    throw new OAuthFailedError({ cause: new Error('token endpoint answered with an error body') });
  }
}

/**
 * Exchanges the code (with the stored PKCE verifier and the configured redirect URI, RFC 6749 §4.1.3; RFC 9700 §2.1, §4.1.3),
 * validates the ID token for OpenID Connect (signature against the issuer's JWKS, `iss`, `aud`,
 * `azp`, `exp`, `iat`, and `nonce`, OIDC Core §3.1.3.7; RFC 9700 §4.5.3.2), and reads the profile.
 */
export async function exchangeCode(
  provider: Provider,
  callbackParams: URLSearchParams,
  flow: FlowRecord,
): Promise<ProviderLogin> {
  const as = await provider.metadata();
  const client = provider.client();
  const { config } = provider;
  let tokens: oauth.TokenEndpointResponse;
  try {
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      provider.clientAuth,
      callbackParams,
      flow.redirectUri,
      flow.verifier,
      provider.requestOptions(),
    );
    await refuseErrorBody(response);
    const isOidc = config.type === 'oidc';
    tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: flow.nonce ?? oauth.expectNoNonce,
      requireIdToken: isOidc,
    });
    if (isOidc) await oauth.validateApplicationLevelSignature(as, response, provider.requestOptions());
  } catch (error) {
    if (error instanceof OAuthFailedError) throw error;
    if (error instanceof TypeError && !(error instanceof oauth.OperationProcessingError)) {
      throw new ProviderUnavailableError({ cause: error });
    }
    throw new OAuthFailedError({ cause: error });
  }
  return { issuer: as.issuer, profile: await readProfile(provider, as, tokens), tokens };
}

async function readProfile(
  provider: Provider,
  as: oauth.AuthorizationServer,
  tokens: oauth.TokenEndpointResponse,
): Promise<ProviderProfile> {
  const { config } = provider;
  if (config.type === 'github') {
    return fetchGithubProfile(tokens.access_token, config.apiBaseUrl, () => provider.requestOptions());
  }
  if (config.type === 'oauth2') {
    let profile: ProviderProfile;
    try {
      profile = await config.profile({
        accessToken: tokens.access_token,
        tokenResponse: tokens,
        fetchJson: (url) => getJson(tokens.access_token, url, provider.requestOptions()),
      });
    } catch (error) {
      throw new OAuthFailedError({ cause: error });
    }
    if (typeof profile?.subject !== 'string' || profile.subject === '') throw new OAuthFailedError();
    return {
      subject: profile.subject,
      email: typeof profile.email === 'string' ? profile.email : null,
      emailVerified: profile.emailVerified === true,
      name: profile.name ?? null,
    };
  }
  const claims = oauth.getValidatedIdTokenClaims(tokens);
  if (!claims) throw new OAuthFailedError();
  let source: Record<string, unknown> = claims;
  if (typeof claims.email !== 'string' && as.userinfo_endpoint) {
    try {
      const response = await oauth.userInfoRequest(
        as,
        provider.client(),
        tokens.access_token,
        provider.requestOptions(),
      );
      // The UserInfo `sub` must equal the ID token's (OIDC Core §5.3.2).
      source = { ...(await oauth.processUserInfoResponse(as, provider.client(), claims.sub, response)) };
    } catch (error) {
      throw new OAuthFailedError({ cause: error });
    }
  }
  return {
    subject: claims.sub,
    email: typeof source.email === 'string' ? source.email : null,
    emailVerified: source.email_verified === true,
    name: typeof source.name === 'string' ? source.name : null,
  };
}
