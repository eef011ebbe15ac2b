/**
 * The one configuration object of `createGatehouse`, validated with zod. Every field has a
 * secure default except the store and the signing secret or keys; an invalid configuration
 * throws {@link ConfigError} at start-up, naming each bad field (e.g. `tokens.secret`).
 *
 * @module
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';
import type { Store } from './storage/types.js';
import { JWS_ALGORITHMS, type KeyConfig } from './token/keys.js';

const seconds = (def: number) => z.number().int().positive().default(def);

const DAY = 24 * 60 * 60;

const storeSchema = z.custom<Store>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Store).users?.findByEmail === 'function' &&
    typeof (value as Store).tokens?.findById === 'function',
  {
    message:
      'must be a Store ({ users, tokens } repositories), e.g. createMemoryStore() or createSqliteStore()',
  },
);

const secretSchema = z.union([
  z.string(),
  z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'must be a string or Uint8Array' }),
]);

const keySchema = z.object({
  kid: z.string().min(1).max(128),
  alg: z.enum(JWS_ALGORITHMS),
  secret: secretSchema.optional(),
  privateKey: z.any().optional(),
  publicKey: z.any().optional(),
});

const tokensSchema = z
  .object({
    /** HS256 shorthand: a secret of at least 32 random bytes. */
    secret: secretSchema.optional(),
    /** General form: one or more keys of one algorithm family; several for rotation. */
    keys: z.array(keySchema).optional(),
    /** kid of the key that signs new tokens; defaults to the first key with private material. */
    signingKeyId: z.string().optional(),
    /** Access token lifetime, seconds. Default 15 minutes. */
    accessTokenTtl: seconds(15 * 60),
    /** Refresh token inactivity lifetime, seconds. Default 30 days. */
    refreshTokenTtl: seconds(30 * DAY),
    /** Absolute lifetime of a login (token family), seconds. Default 30 days. */
    sessionMaxAge: seconds(30 * DAY),
    /**
     * Seconds during which the immediately previous refresh token may be presented again and
     * yields the same successor (for clients with several tabs). Default 0: off, any reuse
     * revokes the family.
     */
    refreshReuseInterval: z.number().int().min(0).max(300).default(0),
    /** Key for deriving successors when `refreshReuseInterval > 0`; defaults to one derived from `secret`. */
    refreshSuccessorSecret: secretSchema.optional(),
    /** Scopes a first-party login (password grant) may request. Default none. */
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be an RFC 6749 scope token'))
      .default([]),
    /** Allowed clock skew when checking `exp`, `nbf` and `iat`, seconds (0..60). Default 5. */
    clockTolerance: z.number().int().min(0).max(60).default(5),
    /** Tokens longer than this are refused before decoding. Default 8 KiB. */
    maxTokenBytes: z.number().int().min(512).max(65536).default(8192),
  })
  .strict();

const passwordSchema = z
  .object({
    /** Minimum length in code points. Default 15, or 8 when `mfa.required` (NIST SP 800-63B-4). */
    minLength: z.number().int().min(8).max(256).optional(),
    /** Maximum length in code points. Default 64; at least 64 (NIST SP 800-63B-4). */
    maxLength: z.number().int().min(64).max(1024).default(64),
    /** Hard cap on the raw input in UTF-8 bytes, checked before any work. Default 1024. */
    maxBytes: z.number().int().min(64).max(4096).default(1024),
    requireDigit: z.boolean().default(false),
    requireUppercase: z.boolean().default(false),
    requireLowercase: z.boolean().default(false),
    /** Reject common passwords (whole-string, case-insensitive). Default true. */
    blocklist: z.boolean().default(true),
    extraBlocklist: z.array(z.string()).default([]),
    /** Reject passwords containing the username, the email local part or the app name. Default true. */
    forbidContext: z.boolean().default(true),
    appName: z.string().optional(),
    /** argon2id parameters; default OWASP (19 MiB, 2 iterations, parallelism 1). */
    argon2: z
      .object({
        memoryCost: z.number().int().min(1024).optional(),
        timeCost: z.number().int().min(1).optional(),
        parallelism: z.number().int().min(1).max(16).optional(),
      })
      .strict()
      .prefault({}),
    /** Server-side secret (at least 16 bytes) mixed into password hashes with HMAC; keep it outside the database. */
    pepper: secretSchema.optional(),
  })
  .strict();

const httpSchema = z
  .object({
    /** `realm` of `WWW-Authenticate` challenges. */
    realm: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII')
      .default('gatehouse'),
    /** Largest request body the auth routes read, bytes. Default 16 KiB. */
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(16 * 1024),
    /**
     * Cookie mode for browser apps: tokens in `HttpOnly` cookies instead of response bodies, with
     * CSRF protection. Off by default (bearer tokens only; cookies are ignored).
     */
    cookies: z
      .object({
        enabled: z.boolean().default(false),
        /**
         * `Secure` cookies with `__Host-`/`__Secure-` prefixes. Default true; set false only for
         * plain-http local development (the prefixes then fall away).
         */
        secure: z.boolean().default(true),
        sameSite: z.enum(['lax', 'strict']).default('lax'),
        /**
         * Origins (e.g. `https://app.example.com`) allowed to send cookie-authenticated unsafe
         * requests. Default: only the request's own host.
         */
        origins: z.array(z.url()).default([]),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** The zod schema of the configuration (exported for tooling; use {@link parseConfig}). */
export const configSchema = z
  .object({
    /** Where users and tokens are kept. */
    store: storeSchema,
    /** `iss` of issued tokens, compared exactly on verification. */
    issuer: z.string().min(1).default('gatehouse'),
    /** This API's identifier: the `aud` of issued tokens, required on verification. */
    audience: z.string().min(1).default('gatehouse-api'),
    /** `client_id` of first-party tokens (RFC 9068). */
    clientId: z.string().min(1).default('gatehouse'),
    tokens: tokensSchema,
    password: passwordSchema.prefault({}),
    mfa: z
      .object({ required: z.boolean().default(false) })
      .strict()
      .prefault({}),
    users: z
      .object({
        /** Whether registration takes a username (3–20 ASCII letters and digits). Default optional. */
        usernames: z.enum(['off', 'optional', 'required']).default('optional'),
      })
      .strict()
      .prefault({}),
    /** HTTP layer: realm, body limit, cookie mode. */
    http: httpSchema.prefault({}),
    /** Clock, for tests. Default `() => new Date()`. */
    clock: z
      .custom<() => Date>((v) => typeof v === 'function', { message: 'must be a function returning a Date' })
      .optional(),
    /** Called when a security event listener throws. */
    onListenerError: z.custom<(error: unknown) => void>((v) => typeof v === 'function').optional(),
  })
  .strict();

/** The configuration `createGatehouse` accepts (defaults may be omitted). */
export type GatehouseConfig = Omit<z.input<typeof configSchema>, 'tokens'> & {
  tokens: Omit<z.input<typeof tokensSchema>, 'keys'> & { keys?: KeyConfig[] };
};

/** The configuration after validation and defaults. */
export type ResolvedConfig = z.output<typeof configSchema>;

/**
 * Validates `input` and fills in defaults. Throws {@link ConfigError} listing every problem with
 * its field path.
 */
export function parseConfig(input: GatehouseConfig): ResolvedConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.'),
        message: issue.message,
      })),
    );
  }
  return result.data;
}
