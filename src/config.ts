/**
 * The one configuration object of `createGatehouse`, validated with zod. Every field has a
 * secure default except the store and the signing secret or keys; an invalid configuration
 * throws {@link ConfigError} at start-up, naming each bad field (e.g. `tokens.secret`).
 *
 * @module
 */
import { z } from 'zod';
import { apiKeysConfigSchema } from './apikey/config.js';
import { clientsConfigSchema, deviceConfigSchema } from './clients/config.js';
import { checkAesKeys, checkKey } from './config-secrets.js';
import { ConfigError } from './errors.js';
import type { Mailer, MailTemplates } from './mail/index.js';
import { oauthConfigSchema } from './oauth/config.js';
import type { CheckRequest } from './policy/evaluator.js';
import type { Roles } from './policy/roles.js';
import { resourceServerConfigSchema } from './resource-server/config.js';
import type { Store } from './storage/types.js';
import { JWS_ALGORITHMS, type KeyConfig } from './token/keys.js';
import { recordCacheConfigSchema } from './token/record-cache.js';

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
    /** kid of the key that signs new tokens; defaults to the first key with private material (none: verify-only). */
    signingKeyId: z.string().optional(),
    /** Access token lifetime, seconds. Default 15 minutes. */
    accessTokenTtl: seconds(15 * 60),
    /** Refresh token inactivity lifetime, seconds. Default 30 days. */
    refreshTokenTtl: seconds(30 * DAY),
    /** Absolute lifetime of a login (token family), seconds. Default 30 days. */
    sessionMaxAge: seconds(30 * DAY),
    /**
     * Seconds during which the immediately previous refresh token may be presented again and
     * yields the same successor: two tabs refreshing at once, or a retry after a lost response,
     * are not taken for theft. Default 10; 0 turns it off (any reuse revokes the family). A token
     * presented after the interval, or two rotations back, still revokes the whole family
     * (RFC 9700 §4.14.2; see `token/refresh-rotation.ts` for what the interval gives up).
     */
    refreshReuseInterval: z.number().int().min(0).max(300).default(10),
    /**
     * Key for deriving successors when `refreshReuseInterval > 0` (32+ random bytes, judged like
     * `secret`). Optional: by default the key is derived from `secret` (or the HMAC keys), and with
     * asymmetric keys from the private signing key (see `token/successor-keys.ts`).
     */
    refreshSuccessorSecret: secretSchema.optional(),
    /** Scopes a first-party login (password grant) may request. Default none. */
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be an RFC 6749 scope token'))
      .default([]),
    /** Allowed clock skew when checking `exp`, `nbf` and `iat`, seconds (0..60). Default 5. */
    clockTolerance: z.number().int().min(0).max(60).default(5),
    /**
     * How many verified token strings to remember, so that a token seen before is not re-verified
     * cryptographically (its time claims and revocation are still checked every time). Default
     * 65,536 (about 0.7 KiB each, held only while the tokens are unexpired); 0 = off.
     */
    verifiedCacheSize: z.number().int().min(0).max(1_000_000).default(65_536),
    /**
     * Opt-in per-process cache of token records, for networked stores: a guarded request then
     * skips the store read for a token read less than `maxAge` seconds ago; invalidations travel
     * on `channel`. Off by default: every request reads the store (exact revocation).
     */
    recordCache: recordCacheConfigSchema.optional(),
    /** Tokens longer than this are refused before decoding. Default 8 KiB. */
    maxTokenBytes: z.number().int().min(512).max(65536).default(8192),
    /**
     * `token.rejected` events (a refused access token at the guards): at most `limit` per reason
     * class (error code, check and reason) in any `window` seconds, in each process; the ones over
     * it are only counted, in the next event's `suppressed`. So forged or expired tokens sent by
     * the thousand cost a few log lines a minute. Default 10 per 60 s; `limit: 0` emits none.
     */
    rejectedEvents: z
      .object({ limit: z.number().int().min(0).max(10_000), window: z.number().int().min(1).max(86_400) })
      .strict()
      .default({ limit: 10, window: 60 }),
  })
  .strict()
  .superRefine((tokens, ctx) => checkKey(tokens.refreshSuccessorSecret, ctx, 'refreshSuccessorSecret'));

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

const limit = (limit: number, window: number) =>
  z
    .object({ limit: z.number().int().min(1), window: z.number().int().min(1) })
    .strict()
    .default({ limit, window });

const lockoutSchema = z
  .object({
    /** Consecutive failed password checks that lock an account. Default 10 (NIST: at most 100). */
    maxFailures: z.number().int().min(1).max(100).default(10),
    /** Seconds over which failures count as consecutive. Default 24 hours. */
    failureWindow: z.number().int().min(60).default(DAY),
    /** Seconds of the first lock. Default 5 minutes. */
    lockDuration: z.number().int().min(1).default(300),
    /** Each further lock lasts this many times longer. Default 2. */
    backoffFactor: z.number().min(1).max(10).default(2),
    /** Longest temporary lock, seconds. Default 24 hours. */
    maxLockDuration: z.number().int().min(1).default(DAY),
    /** After this many locks in a row, lock until an administrator or a password reset lifts it. 0 (default) = never. */
    escalateAfter: z.number().int().min(0).max(100).default(0),
  })
  .strict();

const rateLimitsSchema = z
  .object({
    /** Failed logins per client IP, across accounts (password spraying, credential stuffing). */
    loginFailuresPerIp: limit(50, 15 * 60),
    /** Registrations per client IP. */
    registerPerIp: limit(10, 60 * 60),
    /** Refresh requests per client IP. */
    refreshPerIp: limit(120, 60),
    /** Password reset requests per client IP and per account. */
    passwordResetPerIp: limit(10, 60 * 60),
    passwordResetPerAccount: limit(3, 60 * 60),
    /** Verification email resends per account. */
    verificationResendPerAccount: limit(3, 60 * 60),
    /** Verification resend requests per client IP (whatever the address). */
    verificationResendPerIp: limit(10, 60 * 60),
    /** Second-factor attempts per login challenge or user. */
    mfaPerUser: limit(5, 5 * 60),
    /** Device user-code entries (look-ups, approvals, denials) per signed-in user and per client IP (RFC 8628 §5.1). */
    deviceCodeEntryPerUser: limit(10, 15 * 60),
    deviceCodeEntryPerIp: limit(30, 15 * 60),
    /**
     * Wrong device user codes per client IP, across all the accounts they were entered from (RFC
     * 8628 §5.1: guessing spread over accounts); over it, every code entry from the IP gets 429.
     */
    deviceCodeFailuresPerIp: limit(10, 15 * 60),
    /** Device authorization requests (`POST /device/authorize`) per client IP. */
    deviceAuthorizePerIp: limit(30, 15 * 60),
    /** Starts of a login with an identity provider (`GET /oauth/<provider>/login`) per client IP. */
    oauthStartPerIp: limit(30, 5 * 60),
    /**
     * When the counter store cannot be reached (e.g. Redis is down): `false` (default) refuses the
     * request with 503; `true` lets it through uncounted and emits `rate.unchecked`. Applies to these
     * rate limits only: the account lockout and every other check still fail closed.
     */
    failOpen: z.boolean().default(false),
  })
  .strict();

const accountSchema = z
  .object({
    /** Shown in mails. */
    appName: z.string().min(1).max(64).default('gatehouse'),
    /**
     * Base URL of the application that serves the pages behind emailed links (e.g.
     * `https://app.example.com`). Links are built from it, never from `Host` or `X-Forwarded-Host`.
     * Required when a mailer is configured.
     */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Pages the emailed links open; the token is added as `?token=`. */
    paths: z
      .object({
        verifyEmail: z.string().startsWith('/').default('/verify-email'),
        passwordReset: z.string().startsWith('/').default('/reset-password'),
        confirmEmailChange: z.string().startsWith('/').default('/confirm-email-change'),
      })
      .strict()
      .prefault({}),
    /**
     * `off`: no verification mails. `optional` (default): verification is mailed and the user is
     * flagged until verified. `required`: login is refused until the email is verified.
     */
    emailVerification: z.enum(['off', 'optional', 'required']).default('optional'),
    /** Lifetimes of emailed tokens, seconds: verification (≤ 24 h), reset (≤ 60 min), email change (≤ 24 h). */
    verifyEmailTtl: z.number().int().min(60).max(DAY).default(DAY),
    passwordResetTtl: z
      .number()
      .int()
      .min(60)
      .max(60 * 60)
      .default(30 * 60),
    emailChangeTtl: z.number().int().min(60).max(DAY).default(DAY),
    /**
     * Called when an account is deleted, after gatehouse removed its own data (user, tokens,
     * second factors, pending state): delete the application's personal data here.
     */
    onDelete: z.custom<(userId: string) => Promise<void> | void>((v) => typeof v === 'function').optional(),
  })
  .strict();

const mailSchema = z
  .object({
    /** Sends the mails (verification, reset, notices): `createSmtpMailer(...)`, or your own `Mailer`. */
    mailer: z
      .custom<Mailer>(
        (v) => typeof v === 'object' && v !== null && typeof (v as Mailer).send === 'function',
        {
          message: 'must be a Mailer ({ send(message) })',
        },
      )
      .optional(),
    /** Replacements for any of the mail templates. */
    templates: z.custom<Partial<MailTemplates>>((v) => typeof v === 'object' && v !== null).optional(),
    /** Mail the owner when their account is locked. Default true. */
    notifyOnLock: z.boolean().default(true),
  })
  .strict();

/** What the `authorize` guard asks: a `PolicyEvaluator`, or a client of a decision service. */
export interface PolicyDecider {
  /**
   * Decides one request. The guards pass `{ explain: false }`: they need only `allowed`, so a
   * `PolicyEvaluator` skips building the explanation tree; other deciders may ignore the option.
   */
  check(
    request: CheckRequest,
    options?: { readonly explain?: boolean },
  ): Promise<{ readonly allowed: boolean; readonly code: string }>;
}

const authorizationSchema = z
  .object({
    /** Role hierarchy (`defineRoles`): `requireRole('MODERATOR')` then also admits roles inheriting from it. */
    roles: z
      .custom<Roles>((v) => typeof (v as Roles | undefined)?.inheritsFrom === 'function', {
        message: 'must be the result of defineRoles(...)',
      })
      .optional(),
    /** The policy decision point of the `authorize` guard: a `PolicyEvaluator` or a decision-service client. */
    decider: z
      .custom<PolicyDecider>((v) => typeof (v as PolicyDecider | undefined)?.check === 'function', {
        message: 'must have a check(request) method (a PolicyEvaluator or a decision client)',
      })
      .optional(),
    /**
     * Answer a denied `authorize` with 404 instead of 403, so that a forbidden object looks exactly
     * like a missing one (RFC 9110 §15.5.4). Default false.
     */
    hideForbidden: z.boolean().default(false),
    /**
     * The policy model's type for users (`user:<id>`): deleting an account deletes every tuple of
     * the store's relationships whose subject or object is `<userType>:<id>`. Default `user`.
     */
    userType: z.string().min(1).default('user'),
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

const secretBoxKeySchema = z.union([
  z.string().min(1),
  z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'must be a string or Uint8Array' }),
]);

const mfaSchema = z
  .object({
    /**
     * MFA is enforced for every user: lowers the minimum password length to 8 (NIST SP 800-63B-4
     * §3.1.1.2). Default false.
     */
    required: z.boolean().default(false),
    /**
     * AES-256 keys that encrypt TOTP secrets at rest: one key, or a rotation list with the newest
     * (sealing) key first. Each is exactly 32 random bytes, raw or base64/base64url (hand-made keys
     * are refused like a weak `tokens.secret`). Without it, TOTP enrolment and verification answer
     * 501 (`ERR_MFA_NOT_CONFIGURED`); gatehouse still starts.
     */
    secretKeys: z.union([secretBoxKeySchema, z.array(secretBoxKeySchema).min(1)]).optional(),
    /** Issuer shown in authenticator apps. Default: `account.appName`. */
    issuer: z
      .string()
      .min(1)
      .max(64)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
      .regex(/^[^:\u0000-\u001f\u007f]+$/, "must not contain ':' or control characters")
      .optional(),
    /** TOTP steps accepted either side of the current one: 0 or 1 (RFC 6238 §5.2). Default 1. */
    window: z.number().int().min(0).max(1).default(1),
    /** Lifetime of a login's MFA challenge, seconds (at most 5 minutes, OWASP ASVS 5.0 2.3.1, 6.6.2; RFC 8725 §3.12). Default 300. */
    challengeTtl: z.number().int().min(30).max(300).default(300),
    /** Backup codes per set (at least 10, NIST SP 800-63B-4 §3.1.2, §4.2.1.1; OWASP ASVS 5.0 6.5.1, 6.5.2, 6.5.4). Default 10. */
    backupCodeCount: z.number().int().min(10).max(100).default(10),
    /**
     * Consecutive failed second-factor attempts (across logins, sessions and instances) that lock
     * TOTP for the account until a backup code, a password reset or an administrator lifts it
     * (NIST SP 800-63B-4 §3.2.2: at most 100; OWASP ASVS 5.0 V6.3). A completed login resets the
     * count. Default 10.
     */
    maxFailures: z.number().int().min(1).max(100).default(10),
    /**
     * Seconds over which failed second-factor attempts add up toward `maxFailures` (a window
     * starts with the first failure after a completed login). Default 30 days; at least 1 day.
     */
    failureWindow: z
      .number()
      .int()
      .min(DAY)
      .max(365 * DAY)
      .default(30 * DAY),
  })
  .strict()
  .superRefine((mfa, ctx) => checkAesKeys(mfa.secretKeys, ctx, 'secretKeys'));

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
    /** Second factors: TOTP and backup codes. */
    mfa: mfaSchema.prefault({}),
    users: z
      .object({
        /** Whether registration takes a username (3–20 ASCII letters and digits). Default optional. */
        usernames: z.enum(['off', 'optional', 'required']).default('optional'),
      })
      .strict()
      .prefault({}),
    /** Account flows: links, email verification, token lifetimes, deletion hook. */
    account: accountSchema.prefault({}),
    /** Mail delivery and templates. */
    mail: mailSchema.prefault({}),
    /** Account lockout after consecutive failed password checks. */
    lockout: lockoutSchema.prefault({}),
    /** Rate limits (`{ limit, window }` in seconds) per client IP or account; over them: 429 with Retry-After. */
    rateLimits: rateLimitsSchema.prefault({}),
    /** Authorization: role hierarchy, the policy decision point, 403 or 404. */
    authorization: authorizationSchema.prefault({}),
    /** HTTP layer: realm, body limit, cookie mode. */
    http: httpSchema.prefault({}),
    /** Registered service clients (client credentials): the role of their principals. */
    clients: clientsConfigSchema.prefault({}),
    /** The device authorization grant (RFC 8628): verification page, code lifetime, polling interval. */
    device: deviceConfigSchema.prefault({}),
    /** API keys for machine clients: scopes allowed, lifetimes, per-user cap, header. Off by default. */
    apiKeys: apiKeysConfigSchema.prefault({}),
    /** Access tokens of other authorization servers accepted by `authenticate` (trusted issuers). */
    resourceServer: resourceServerConfigSchema.prefault({}),
    /**
     * Login with identity providers (GitHub, OpenID Connect, your own), account linking, return
     * paths. `flowSecret` and `tokenKeys` are keys: hand-made ones are refused like a weak `tokens.secret`.
     */
    oauth: oauthConfigSchema
      .superRefine((oauth, ctx) => {
        checkKey(oauth.flowSecret, ctx, 'flowSecret');
        checkAesKeys(oauth.tokenKeys, ctx, 'tokenKeys');
      })
      .prefault({}),
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
  if (result.success && result.data.mail.mailer && !result.data.account.baseUrl) {
    throw new ConfigError([
      {
        path: 'account.baseUrl',
        message: 'required when mail.mailer is configured (links are built from it)',
      },
    ]);
  }
  if (result.success && result.data.account.emailVerification === 'required' && !result.data.mail.mailer) {
    throw new ConfigError([
      { path: 'mail.mailer', message: "required when account.emailVerification is 'required'" },
    ]);
  }
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
