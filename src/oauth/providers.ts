/**
 * The configured identity providers at run time: their authorization server metadata (built from
 * configuration for GitHub and custom providers, discovered for OpenID Connect), the oauth4webapi
 * client and client authentication, and the request options (timeout, the test-only
 * `allowInsecureRequests`, the clock).
 *
 * @module
 */
import * as oauth from 'oauth4webapi';
import { ConfigError } from '../errors.js';
import type { OAuthConfig, ProviderConfig } from './config.js';
import { ProviderUnavailableError, UnknownProviderError } from './errors.js';

/** Options every oauth4webapi request of a provider gets. */
export interface ProviderRequestOptions {
  [oauth.allowInsecureRequests]?: boolean;
  signal: AbortSignal;
}

/** One provider, ready for the flows. */
export interface Provider {
  /** The configured name (the route segment). */
  readonly name: string;
  readonly config: ProviderConfig;
  /** The oauth4webapi client; `clockSkew` follows gatehouse's clock. */
  client(): oauth.Client;
  readonly clientAuth: oauth.ClientAuth;
  /** Authorization server metadata: discovered once for OIDC (a failure is retried next time). */
  metadata(): Promise<oauth.AuthorizationServer>;
  /** Fresh request options (a new timeout signal each call). */
  requestOptions(): ProviderRequestOptions;
}

/** The request options of one provider registry. */
export interface ProviderSettings {
  readonly allowInsecureRequests: boolean;
  readonly timeoutMs: number;
  readonly clock: () => Date;
}

function clientAuthFor(config: ProviderConfig): oauth.ClientAuth {
  if (config.type === 'oidc') {
    const method = config.tokenEndpointAuthMethod ?? (config.clientSecret ? 'client_secret_basic' : 'none');
    if (method === 'none') return oauth.None();
    if (method === 'client_secret_post') return oauth.ClientSecretPost(config.clientSecret as string);
    return oauth.ClientSecretBasic(config.clientSecret as string);
  }
  // GitHub and most plain OAuth 2.0 providers take the secret in the form body.
  return oauth.ClientSecretPost(config.clientSecret);
}

/**
 * Discovers an OpenID Connect issuer (OIDC Discovery 1.0 §4). The document's `issuer` must equal
 * the configured one exactly (RFC 9207 §2.4; RFC 9700 §4.4.2.1–4.4.2.2, RFC 8414 §3.3), and so must every `iss` later.
 *
 * @throws ConfigError when the document names another issuer (a misconfiguration or a mix-up attack).
 * @throws ProviderUnavailableError when the issuer cannot be reached or answers something else.
 */
export async function discoverIssuer(
  issuer: string,
  options: ProviderRequestOptions,
  path = 'oauth.providers',
): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  let response: Response;
  try {
    response = await oauth.discoveryRequest(url, { ...options, algorithm: 'oidc' });
  } catch (error) {
    throw new ProviderUnavailableError({ cause: error });
  }
  try {
    return await oauth.processDiscoveryResponse(url, response);
  } catch (error) {
    if (error instanceof oauth.OperationProcessingError && error.code === oauth.JSON_ATTRIBUTE_COMPARISON) {
      throw new ConfigError([
        { path: `${path}.issuer`, message: 'the discovery document names a different issuer' },
      ]);
    }
    throw new ProviderUnavailableError({ cause: error });
  }
}

function staticMetadata(config: Exclude<ProviderConfig, { type: 'oidc' }>): oauth.AuthorizationServer {
  return {
    issuer: config.issuer,
    authorization_endpoint: config.authorizationEndpoint,
    token_endpoint: config.tokenEndpoint,
    code_challenge_methods_supported: ['S256'],
  };
}

/** Builds the {@link Provider}s of `config.oauth`. */
export class ProviderRegistry {
  readonly #providers = new Map<string, Provider>();

  constructor(config: OAuthConfig, settings: ProviderSettings) {
    for (const [name, providerConfig] of Object.entries(config.providers)) {
      this.#providers.set(name, createProvider(name, providerConfig, settings));
    }
  }

  /** Configured provider names. */
  get names(): string[] {
    return [...this.#providers.keys()];
  }

  /** The provider, or {@link UnknownProviderError}. */
  get(name: string): Provider {
    const provider = this.#providers.get(name);
    if (!provider) throw new UnknownProviderError();
    return provider;
  }
}

function createProvider(name: string, config: ProviderConfig, settings: ProviderSettings): Provider {
  let discovered: Promise<oauth.AuthorizationServer> | undefined;
  const requestOptions = (): ProviderRequestOptions => ({
    ...(settings.allowInsecureRequests ? { [oauth.allowInsecureRequests]: true } : {}),
    signal: AbortSignal.timeout(settings.timeoutMs),
  });
  const fixed = config.type === 'oidc' ? undefined : staticMetadata(config);
  return {
    name,
    config,
    clientAuth: clientAuthFor(config),
    client: () => ({
      client_id: config.clientId,
      [oauth.clockSkew]: Math.round((settings.clock().getTime() - Date.now()) / 1000),
    }),
    requestOptions,
    metadata() {
      if (fixed) return Promise.resolve(fixed);
      if (!discovered) {
        discovered = discoverIssuer(config.issuer, requestOptions(), `oauth.providers.${name}`);
        discovered.catch(() => {
          discovered = undefined;
        });
      }
      return discovered;
    },
  };
}
