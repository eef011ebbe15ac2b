/**
 * The `resourceServer` section of the configuration (part of the one schema in `src/config.ts`):
 * the external issuers whose access tokens `authenticate` accepts.
 *
 * @module
 */
import { z } from 'zod';

/**
 * Signature algorithms an external issuer may use. Asymmetric only: a JWKS publishes public keys,
 * and a public key must never become an HMAC secret (RFC 8725 §3.1, key confusion), so `HS*` and
 * `none` are refused at start-up.
 */
export const EXTERNAL_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** An algorithm accepted from an external issuer. */
export type ExternalAlgorithm = (typeof EXTERNAL_ALGORITHMS)[number];

function algorithmMessage(input: unknown): string {
  const value = String(input);
  if (/^hs\d+$/i.test(value))
    return `${value}: HMAC algorithms are never accepted for tokens verified with an issuer's public keys`;
  if (/^none$/i.test(value)) return 'none: unsigned tokens are never accepted';
  return `${value} is not one of ${EXTERNAL_ALGORITHMS.join(', ')}`;
}

const algorithm = z.enum(EXTERNAL_ALGORITHMS, { error: (issue) => algorithmMessage(issue.input) });

const scopeToken = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be an RFC 6749 scope token');

const externalIssuerSchema = z
  .object({
    /** The issuer identifier, compared exactly with the token's `iss` (and the discovery document's `issuer`). */
    issuer: z.url(),
    /** This API's identifier at that issuer: the token's `aud` must be it or contain it. */
    audience: z.string().min(1),
    /**
     * Where the issuer's public keys are. When omitted they are found through discovery
     * (`/.well-known/openid-configuration`, or `oauth-authorization-server` with `discovery: 'oauth2'`).
     */
    jwksUri: z.url().optional(),
    /** Which discovery document to read when `jwksUri` is omitted. Default `oidc`. */
    discovery: z.enum(['oidc', 'oauth2']).default('oidc'),
    /** The algorithms accepted from this issuer (asymmetric only). Default `['RS256']`. */
    algorithms: z.array(algorithm).min(1).default(['RS256']),
    /** Scopes every token must carry (else 403 `insufficient_scope`). Default none. */
    requiredScopes: z.array(scopeToken).default([]),
    /** Allowed clock skew for `exp`, `nbf` and `iat`, seconds (0..60). Default 5. */
    clockTolerance: z.number().int().min(0).max(60).default(5),
    /**
     * Required `typ` header. Default `at+jwt` (RFC 9068), which keeps ID tokens and other JWTs of
     * that issuer out. `null` accepts any `typ`: only for issuers that do not follow RFC 9068, whose
     * other JWTs then differ from access tokens by `aud` alone.
     */
    typ: z.string().min(1).nullable().default('at+jwt'),
    /** Tokens issued longer ago than this (`iat`), seconds, are refused. Optional. */
    maxTokenAge: z.number().int().positive().optional(),
    /**
     * The policy type this issuer's subjects are asked about in `authorize`: the decider sees
     * `<subjectType>:<sub>` with the issuer among its attributes. Default `external_user`, so a rule
     * written for your own users (`user:*`, `user:<id>`) never admits another issuer's subject whose
     * `sub` happens to equal one of your user ids (identity is `iss` + `sub`, OWASP ASVS 5.0 10.3.2, 10.3.3). Give each
     * issuer its own type when several are trusted; use `user` only when this issuer's `sub` values
     * are your own user ids (e.g. another service on the same user store).
     */
    subjectType: z.string().min(1).default('external_user'),
  })
  .strict();

/** Verification of access tokens issued by other authorization servers. */
export const resourceServerConfigSchema = z
  .object({
    /** Trusted issuers. A token is verified by the one whose `issuer` equals its `iss`, and by no other. */
    issuers: z.array(externalIssuerSchema).default([]),
    /** How long fetching keys or discovery may take, milliseconds. Default 2000. */
    fetchTimeout: z.number().int().min(50).max(30_000).default(2000),
    /** After a fetch of the keys, no refetch for an unknown `kid` before this many ms. Default 30 s. */
    jwksCooldown: z.number().int().min(0).max(3_600_000).default(30_000),
    /** Keys are refetched at the latest after this many ms. Default 10 min. */
    jwksCacheMaxAge: z.number().int().min(1000).max(86_400_000).default(600_000),
    /**
     * Allow `http:` issuer, discovery and JWKS URLs. **Unsafe**: keys fetched in clear can be
     * replaced in transit. Only for tests against a loopback server. Default false.
     */
    allowInsecureHttp: z.boolean().default(false),
  })
  .strict()
  .superRefine((value, ctx) => {
    const seen = new Set<string>();
    value.issuers.forEach((entry, index) => {
      if (seen.has(entry.issuer)) {
        ctx.addIssue({ code: 'custom', path: ['issuers', index, 'issuer'], message: 'listed twice' });
      }
      seen.add(entry.issuer);
      if (value.allowInsecureHttp) return;
      for (const field of ['issuer', 'jwksUri'] as const) {
        const url = entry[field];
        if (url !== undefined && new URL(url).protocol !== 'https:') {
          ctx.addIssue({
            code: 'custom',
            path: ['issuers', index, field],
            message: 'must be an https URL (allowInsecureHttp is for tests only)',
          });
        }
      }
    });
  });

/** The resolved `resourceServer` configuration. */
export type ResourceServerConfig = z.output<typeof resourceServerConfigSchema>;
/** One resolved trusted issuer. */
export type ExternalIssuerConfig = ResourceServerConfig['issuers'][number];
