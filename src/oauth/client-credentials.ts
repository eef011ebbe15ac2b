/**
 * Client credentials as a client of another issuer (RFC 6749 §4.4): a small helper that obtains
 * an access token for outbound calls, caches it, and fetches a new one shortly before it
 * expires. Built on oauth4webapi: `client_secret_basic` form-urlencodes the id and secret before
 * base64 (RFC 6749 §2.3.1, RFC 6749 §2.3.1, §4.4.3; RFC 9700 §2.5), the issuer's metadata is discovered and its `issuer` compared
 * exactly, and `https:` is required unless `allowInsecureRequests` is set for tests.
 *
 * @example
 * ```ts
 * import { createClientCredentials } from 'gatehouse';
 *
 * const billing = createClientCredentials({
 *   issuer: 'https://auth.example.com',
 *   clientId: 'genai-service',
 *   clientSecret: process.env.BILLING_CLIENT_SECRET!,
 *   scope: ['billing:write'],
 * });
 * await fetch('https://billing.example.com/usage', {
 *   method: 'POST',
 *   headers: { authorization: `Bearer ${await billing.accessToken()}` },
 * });
 * ```
 *
 * @module
 */
import * as oauth from 'oauth4webapi';
import { ConfigError } from '../errors.js';
import { OAuthFailedError, ProviderUnavailableError } from './errors.js';
import { discoverIssuer, type ProviderRequestOptions } from './providers.js';

/** Options of {@link createClientCredentials}. Give `issuer` (discovery) or `tokenEndpoint`. */
export interface ClientCredentialsOptions {
  /** The authorization server's issuer identifier; its metadata is discovered (OpenID Connect Discovery). */
  readonly issuer?: string;
  /** The token endpoint, when the server publishes no metadata. */
  readonly tokenEndpoint?: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** How the client authenticates. Default `client_secret_basic`. */
  readonly authMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Scopes to request. Default none (the server's default). */
  readonly scope?: readonly string[];
  /** RFC 8707 resource indicator(s), e.g. the API's URL. */
  readonly resource?: string | readonly string[];
  /** Fetch a new token this many seconds before the cached one expires. Default 60. */
  readonly refreshSkew?: number;
  /** Timeout of each request, milliseconds. Default 10 s. */
  readonly timeoutMs?: number;
  /** Allow `http:` URLs: for tests against servers on loopback only. */
  readonly allowInsecureRequests?: boolean;
  /** Clock, for tests. */
  readonly clock?: () => Date;
}

/** A cached client-credentials token source. */
export interface ClientCredentials {
  /** A valid access token: the cached one, or a new one when it is missing or about to expire. */
  accessToken(): Promise<string>;
  /** The cached token's expiry (or `null` when none is cached or the server gave no `expires_in`). */
  readonly expiresAt: Date | null;
  /** Drops the cached token, e.g. after a resource server answered 401 with it. */
  invalidate(): void;
}

/**
 * Creates a {@link ClientCredentials} token source. Concurrent callers share one token request;
 * a failed request is not cached (the next call tries again). Errors: `ERR_OAUTH_FAILED` when the
 * server refuses (`invalid_client`, `invalid_scope`, ...), `ERR_OAUTH_PROVIDER_UNAVAILABLE` when
 * it cannot be reached.
 *
 * @throws ConfigError for missing or contradictory options, or an `http:` URL without `allowInsecureRequests`.
 */
export function createClientCredentials(options: ClientCredentialsOptions): ClientCredentials {
  const issues: { path: string; message: string }[] = [];
  if ((options.issuer === undefined) === (options.tokenEndpoint === undefined)) {
    issues.push({ path: 'issuer', message: 'give either issuer or tokenEndpoint' });
  }
  for (const field of ['issuer', 'tokenEndpoint'] as const) {
    const url = options[field];
    if (url !== undefined && !options.allowInsecureRequests && !url.startsWith('https://')) {
      issues.push({ path: field, message: 'must be an https URL' });
    }
  }
  if (!options.clientId) issues.push({ path: 'clientId', message: 'required' });
  if (!options.clientSecret) issues.push({ path: 'clientSecret', message: 'required' });
  if (issues.length > 0) throw new ConfigError(issues);

  const clock = options.clock ?? (() => new Date());
  const skew = options.refreshSkew ?? 60;
  const requestOptions = (): ProviderRequestOptions => ({
    ...(options.allowInsecureRequests ? { [oauth.allowInsecureRequests]: true } : {}),
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const clientAuth =
    options.authMethod === 'client_secret_post'
      ? oauth.ClientSecretPost(options.clientSecret)
      : oauth.ClientSecretBasic(options.clientSecret);
  let metadata: Promise<oauth.AuthorizationServer> | undefined;
  const as = (): Promise<oauth.AuthorizationServer> => {
    if (!metadata) {
      metadata =
        options.issuer !== undefined
          ? discoverIssuer(options.issuer, requestOptions(), 'clientCredentials')
          : Promise.resolve({
              issuer: new URL(options.tokenEndpoint as string).origin,
              token_endpoint: options.tokenEndpoint,
            });
      metadata.catch(() => {
        metadata = undefined;
      });
    }
    return metadata;
  };

  let cached: { token: string; expiresAt: number | null } | undefined;
  let pending: Promise<string> | undefined;

  const request = async (): Promise<string> => {
    const server = await as();
    const client: oauth.Client = {
      client_id: options.clientId,
      [oauth.clockSkew]: Math.round((clock().getTime() - Date.now()) / 1000),
    };
    const parameters = new URLSearchParams();
    if (options.scope?.length) parameters.set('scope', options.scope.join(' '));
    const resources = typeof options.resource === 'string' ? [options.resource] : (options.resource ?? []);
    for (const resource of resources) parameters.append('resource', resource);
    let result: oauth.TokenEndpointResponse;
    try {
      const response = await oauth.clientCredentialsGrantRequest(
        server,
        client,
        clientAuth,
        parameters,
        requestOptions(),
      );
      result = await oauth.processClientCredentialsResponse(server, client, response);
    } catch (error) {
      if (
        error instanceof oauth.ResponseBodyError ||
        error instanceof oauth.WWWAuthenticateChallengeError ||
        error instanceof oauth.OperationProcessingError
      ) {
        throw new OAuthFailedError({ cause: error });
      }
      throw new ProviderUnavailableError({ cause: error });
    }
    cached = {
      token: result.access_token,
      expiresAt: typeof result.expires_in === 'number' ? clock().getTime() + result.expires_in * 1000 : null,
    };
    return result.access_token;
  };

  return {
    async accessToken() {
      const now = clock().getTime();
      if (cached && (cached.expiresAt === null || cached.expiresAt - skew * 1000 > now)) return cached.token;
      if (!pending) {
        pending = request().finally(() => {
          pending = undefined;
        });
      }
      return pending;
    },
    get expiresAt() {
      return cached?.expiresAt == null ? null : new Date(cached.expiresAt);
    },
    invalidate() {
      cached = undefined;
    },
  };
}
