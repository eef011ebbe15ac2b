/**
 * The `oauth` section of the configuration: identity providers for login (GitHub, any OpenID
 * Connect provider by issuer, or a provider you define), where users may be sent after login,
 * and how accounts are linked. Validated with the rest of the configuration by `parseConfig`;
 * errors name the field, e.g. `oauth.providers.github.clientSecret`.
 *
 * Hardened by default (RFC 9700, RFC 9700 §2.1.2, §2.4, §2.6; RFC 6749 §10.9): every provider URL must be `https:` unless
 * `allowInsecureRequests` is set (tests on loopback only); only the authorization code flow with
 * PKCE S256 exists, so `responseType` other than `code` and grants like `password` are refused.
 *
 * @module
 */
import { z } from 'zod';
import { safeReturnTo } from './return-to.js';

/** What a provider's profile mapping returns: the identity and what it says about the email. */
export interface ProviderProfile {
  /** The user's stable, unique id at the provider (never an email or a renamable login). */
  readonly subject: string;
  /** The email address, or `null`. */
  readonly email: string | null;
  /** Whether the provider vouches that the user controls `email`. */
  readonly emailVerified: boolean;
  /** A display name, when known. */
  readonly name?: string | null;
}

/** What a custom provider's `profile` function gets. */
export interface ProfileContext {
  /** The provider's access token (use it only here; it never reaches the browser). */
  readonly accessToken: string;
  /** The whole token response (e.g. for provider-specific fields). */
  readonly tokenResponse: Readonly<Record<string, unknown>>;
  /**
   * GETs a URL with the access token as a Bearer token and `Accept: application/json`, and returns
   * the JSON body; a non-2xx answer throws.
   */
  fetchJson(url: string): Promise<unknown>;
}

/** Provider names become route paths (`/oauth/<name>/login`): lower-case letters, digits, `-`. */
const providerName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1-32 of a-z, 0-9 and -');

const scopeToken = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be an RFC 6749 scope token');

/** Fields every provider has. */
const common = {
  clientId: z.string().min(1),
  /** The redirect URI registered at the provider, used verbatim in both requests (RFC 6749 §4.1.3; RFC 9700 §2.1, §4.1.3). */
  redirectUri: z.url({ protocol: /^https?$/ }),
  /** Keep the provider's tokens (encrypted with `oauth.tokenKeys`) to call its API for the user. */
  storeTokens: z.boolean().default(false),
  /** Only `code` exists: the implicit flow is not supported (RFC 9700 §2.1.2). */
  responseType: z
    .string()
    .refine((v) => v === 'code', 'only the authorization code flow (code) is supported')
    .default('code'),
  /** Only `authorization_code` exists: no password grant (RFC 9700 §2.4). */
  grantType: z
    .string()
    .refine((v) => v === 'authorization_code', 'only the authorization_code grant is supported for login')
    .default('authorization_code'),
};

const githubSchema = z
  .object({
    type: z.literal('github'),
    ...common,
    clientSecret: z.string().min(1),
    scopes: z.array(scopeToken).default(['read:user', 'user:email']),
    /** Endpoints; change them only to point at a test double or GitHub Enterprise. */
    authorizationEndpoint: z.url().default('https://github.com/login/oauth/authorize'),
    tokenEndpoint: z.url().default('https://github.com/login/oauth/access_token'),
    apiBaseUrl: z.url().default('https://api.github.com'),
    /** The issuer identifier of linked identities (GitHub has none of its own). */
    issuer: z.url().default('https://github.com'),
  })
  .strict();

const oidcSchema = z
  .object({
    type: z.literal('oidc'),
    ...common,
    /** The issuer identifier; its `/.well-known/openid-configuration` must name exactly it (RFC 9207 §2.4; RFC 9700 §4.4.2.1–4.4.2.2). */
    issuer: z.url(),
    /** Omit for a public client (PKCE only). */
    clientSecret: z.string().min(1).optional(),
    /** How the client authenticates at the token endpoint. Default `client_secret_basic` (or `none` without a secret). */
    tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'none']).optional(),
    scopes: z.array(scopeToken).default(['openid', 'email', 'profile']),
    /** Extra authorization request parameters, e.g. `{ prompt: 'select_account' }`. */
    authorizationParams: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const customSchema = z
  .object({
    type: z.literal('oauth2'),
    ...common,
    /** An identifier for linked identities (usually the provider's base URL). */
    issuer: z.url(),
    clientSecret: z.string().min(1),
    authorizationEndpoint: z.url(),
    tokenEndpoint: z.url(),
    scopes: z.array(scopeToken).default([]),
    /** Maps the token response to a profile: fetch the user with `context.fetchJson`. */
    profile: z.custom<(context: ProfileContext) => Promise<ProviderProfile>>((v) => typeof v === 'function', {
      message: 'must be a function (context) => Promise<{ subject, email, emailVerified }>',
    }),
  })
  .strict();

const providerSchema = z.discriminatedUnion('type', [githubSchema, oidcSchema, customSchema]);

/** One configured provider after validation. */
export type ProviderConfig = z.output<typeof providerSchema>;

const secretBoxKey = z.union([
  z.string().min(1),
  z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'must be a string or Uint8Array' }),
]);

/** The zod schema of `config.oauth`. */
export const oauthConfigSchema = z
  .object({
    /** Providers by name (the name is the route segment: `/oauth/<name>/login`). */
    providers: z.record(providerName, providerSchema).default({}),
    /**
     * Allow `http:` provider URLs. For tests against servers on loopback only: never in
     * production (RFC 9700 §2.1.2, §2.4, §2.6; RFC 6749 §10.9). Default false.
     */
    allowInsecureRequests: z.boolean().default(false),
    /** Lifetime of a login attempt (state, PKCE verifier, nonce), seconds; at most 10 minutes (RFC 6749 §10.12; RFC 9700 §2.1, §2.1.1, §4.7.1). */
    flowTtl: z.number().int().min(30).max(600).default(600),
    /** Lifetime of the one-time login code of token mode, seconds. Default 60. */
    loginCodeTtl: z.number().int().min(10).max(300).default(60),
    /**
     * Where users may be sent after login (OWASP ASVS 5.0 3.7.2; RFC 9700 §4.11.1): same-origin relative paths always; absolute
     * URLs only on these origins (e.g. `https://app.example.com`). Anything else becomes `defaultReturnTo`.
     */
    allowedReturnOrigins: z.array(z.url({ protocol: /^https?$/ })).default([]),
    /** The path used when no (or no allowed) `return_to` was given. Default `/`. */
    defaultReturnTo: z
      .string()
      .refine((path) => safeReturnTo(path, [], '\u0000') === path, {
        message: 'must be a plain same-origin path (the same check as return_to), e.g. /',
      })
      .default('/'),
    /**
     * Link a provider login to an existing local account with the same email when the provider
     * says the email is verified. Default false (OWASP ASVS 5.0 6.8.1, 10.5.2, 10.3.3): the user signs in and links explicitly.
     */
    linkByEmail: z.boolean().default(false),
    /** Create a local account at the first login through a provider. Default true. */
    createUsers: z.boolean().default(true),
    /**
     * Key of the flow cookie's HMAC (at least 32 bytes). Default: derived from `tokens.secret`
     * (required when tokens are signed with asymmetric keys only).
     */
    flowSecret: z
      .union([z.string().min(32), z.custom<Uint8Array>((v) => v instanceof Uint8Array)])
      .optional(),
    /**
     * AES-256 keys (32 bytes, raw or base64/base64url; newest first) that encrypt kept provider
     * tokens at rest. Required when a provider has `storeTokens`.
     */
    tokenKeys: z.union([secretBoxKey, z.array(secretBoxKey).min(1)]).optional(),
    /** Refresh kept provider tokens this many seconds before they expire. Default 60. */
    refreshSkew: z.number().int().min(0).max(3600).default(60),
    /** Timeout of each request to a provider, milliseconds. Default 10 s. */
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
  })
  .strict()
  .superRefine((oauth, ctx) => {
    for (const [name, provider] of Object.entries(oauth.providers)) {
      const urls: [string, string][] = [
        ['issuer', provider.issuer],
        ['redirectUri', provider.redirectUri],
      ];
      if (provider.type !== 'oidc') {
        urls.push(['authorizationEndpoint', provider.authorizationEndpoint]);
        urls.push(['tokenEndpoint', provider.tokenEndpoint]);
      }
      if (provider.type === 'github') urls.push(['apiBaseUrl', provider.apiBaseUrl]);
      for (const [field, url] of urls) {
        if (!oauth.allowInsecureRequests && !url.startsWith('https://')) {
          ctx.addIssue({
            code: 'custom',
            path: ['providers', name, field],
            message: 'must be an https URL (allowInsecureRequests is for tests on loopback only)',
          });
        }
      }
      if (provider.storeTokens && oauth.tokenKeys === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['tokenKeys'],
          message: `required when providers.${name}.storeTokens is true (tokens are kept encrypted)`,
        });
      }
      if (provider.type === 'oidc' && provider.tokenEndpointAuthMethod !== undefined) {
        const secretless = provider.tokenEndpointAuthMethod === 'none';
        if (secretless === (provider.clientSecret !== undefined)) {
          ctx.addIssue({
            code: 'custom',
            path: ['providers', name, 'tokenEndpointAuthMethod'],
            message: secretless ? 'none cannot be used with a clientSecret' : 'needs a clientSecret',
          });
        }
      }
    }
  });

/** `config.oauth` after validation and defaults. */
export type OAuthConfig = z.output<typeof oauthConfigSchema>;
