/**
 * What the OAuth flow modules share, built once by `OAuthService`: its options, the configured
 * providers, the flow-cookie signer and the vault of provider tokens.
 *
 * @module
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.js';
import type { SecretBoxKeys } from '../mfa/secret-box.js';
import { FlowCookies } from './flow-cookie.js';
import type { OAuthServiceOptions } from './oauth-service.js';
import { ProviderTokenVault } from './provider-tokens.js';
import { ProviderRegistry } from './providers.js';

/** The shared state of the OAuth flows. */
export interface OAuthFlowContext {
  readonly options: OAuthServiceOptions;
  /** The configured providers. */
  readonly providers: ProviderRegistry;
  /** Signs and checks the flow cookie. */
  readonly flowCookies: FlowCookies;
  /** Seals, opens and refreshes the provider tokens kept for users. */
  readonly vault: ProviderTokenVault;
}

/**
 * The key of the flow cookie, derived from `oauth.flowSecret`, else the token secret. Without
 * either, {@link ConfigError} naming `oauth.flowSecret`.
 */
function flowKeyMaterial(config: OAuthServiceOptions['config']): Uint8Array {
  const material =
    config.oauth.flowSecret ?? config.tokens.secret ?? config.tokens.keys?.find((k) => k.secret)?.secret;
  if (material === undefined) {
    throw new ConfigError([
      {
        path: 'oauth.flowSecret',
        message: 'required when providers are configured and tokens use no secret',
      },
    ]);
  }
  const bytes = typeof material === 'string' ? Buffer.from(material, 'utf8') : material;
  return new Uint8Array(hkdfSync('sha256', bytes, new Uint8Array(0), 'gatehouse oauth flow cookie', 32));
}

/** Builds the context: the provider registry, the flow-cookie key (when providers are configured) and the vault. */
export function createOAuthFlowContext(options: OAuthServiceOptions): OAuthFlowContext {
  const { oauth } = options.config;
  const providers = new ProviderRegistry(oauth, {
    allowInsecureRequests: oauth.allowInsecureRequests,
    timeoutMs: oauth.timeoutMs,
    clock: options.clock,
  });
  const hasProviders = providers.names.length > 0;
  const flowCookies = new FlowCookies(
    hasProviders ? flowKeyMaterial(options.config) : randomBytes(32),
    options.config.http.cookies.secure,
  );
  const vault = new ProviderTokenVault({
    store: options.store,
    keys: oauth.tokenKeys as SecretBoxKeys | undefined,
    clock: options.clock,
    events: options.events,
    refreshSkew: oauth.refreshSkew,
  });
  return { options, providers, flowCookies, vault };
}
