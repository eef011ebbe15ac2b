/**
 * `createGatehouse(config)`: the composition root. It validates the configuration, loads the
 * keys, and wires PasswordService, TokenService and AuthService to the store.
 *
 * @module
 */
import { AccountService } from './account/account-service.js';
import { ApiKeyService } from './apikey/api-key-service.js';
import { AuthService } from './auth/auth-service.js';
import { ClientService } from './clients/client-service.js';
import { deviceVerificationUri } from './clients/config.js';
import { type GatehouseConfig, parseConfig, type ResolvedConfig } from './config.js';
import { LockoutService } from './defense/lockout.js';
import { RateLimiter } from './defense/rate-limiter.js';
import { DeviceService } from './device/device-service.js';
import { ConfigError } from './errors.js';
import { SecurityEvents } from './events.js';
import { MfaService } from './mfa/mfa-service.js';
import { OAuthService } from './oauth/oauth-service.js';
import { PasswordService } from './password/index.js';
import { ExternalTokenVerifier } from './resource-server/external-token.js';
import { withInvalidation } from './storage/invalidating-store.js';
import type { Store } from './storage/types.js';
import { loadKeySet } from './token/keys.js';
import { TokenRecordCache } from './token/record-cache.js';
import { successorKeys } from './token/successor-keys.js';
import { TokenService } from './token/token-service.js';

/** Everything `createGatehouse` wires together. */
export interface Gatehouse {
  /** The account flows: register, login, authenticate, logout, refresh, change password, ... */
  readonly auth: AuthService;
  /** Account lifecycle: email verification, password reset, email change, deletion, unlock. */
  readonly account: AccountService;
  /** Second factors: TOTP enrolment, backup codes, completing a login that answered `mfa_required`. */
  readonly mfa: MfaService;
  /** Token issue, verification, rotation and revocation. */
  readonly tokens: TokenService;
  /** Password hashing, verification and policy. */
  readonly passwords: PasswordService;
  /** Account lockout: state, unlock. */
  readonly lockout: LockoutService;
  /** Rate limits on a counter store; use it for your own routes too. */
  readonly limiter: RateLimiter;
  /** Subscribe to security events here. */
  readonly events: SecurityEvents;
  /** API keys of users: create (shown once), list, revoke, authenticate. */
  readonly apiKeys: ApiKeyService;
  /** Verification of access tokens from the trusted external issuers (`resourceServer.issuers`). */
  readonly externalTokens: ExternalTokenVerifier;
  /** Registered service clients: register (secret shown once), rotate, disable, delete; client credentials. */
  readonly clients: ClientService;
  /** The device authorization grant (RFC 8628): codes, approval by a signed-in user, polling. */
  readonly device: DeviceService;
  /** Login with identity providers, linked identities, kept provider tokens (`config.oauth`). */
  readonly oauth: OAuthService;
  /**
   * The store passed in the configuration; with `tokens.recordCache`, wrapped so that its
   * revocations and user changes also invalidate the caches of every instance.
   */
  readonly store: Store;
  /**
   * Ends what this instance holds open: the record cache's subscription. The store is yours to
   * close. Idempotent.
   */
  close(): Promise<void>;
  /** The validated configuration with defaults applied. */
  readonly config: ResolvedConfig;
  /** The current time by the clock every service uses (the configured one, or the system clock). */
  readonly now: () => Date;
}

/**
 * Creates a gatehouse instance from one configuration object. Validation happens here, at
 * start-up: an invalid configuration (for instance an HS256 secret under 32 bytes or a
 * password-like one, HMAC and RSA keys mixed, an unknown field) throws {@link ConfigError}
 * naming every bad field.
 *
 * @example
 * ```ts
 * import { createGatehouse, createMemoryStore } from 'gatehouse';
 * const gatehouse = createGatehouse({
 *   store: createMemoryStore(),
 *   tokens: { secret: process.env.GATEHOUSE_SECRET! },
 * });
 * const user = await gatehouse.auth.register({ email: 'ada@example.com', password: 'a long passphrase here' });
 * ```
 */
export function createGatehouse(input: GatehouseConfig): Gatehouse {
  const config = parseConfig(input);
  const keys = loadKeySet({
    secret: config.tokens.secret,
    keys: config.tokens.keys,
    signingKeyId: config.tokens.signingKeyId,
    path: 'tokens',
  });
  if (Array.isArray(keys)) throw new ConfigError(keys);
  const clock = config.clock ?? (() => new Date());
  const events = new SecurityEvents(config.onListenerError);
  const recordCache = config.tokens.recordCache && new TokenRecordCache(config.tokens.recordCache);
  const store = recordCache
    ? withInvalidation(config.store, (message) => recordCache.publish(message))
    : config.store;
  const { argon2, pepper, minLength, ...policy } = config.password;
  const passwords = new PasswordService({
    argon2,
    pepper,
    policy: { ...policy, minLength: minLength ?? (config.mfa.required ? 8 : 15) },
  });
  // Compute the dummy hash now, so the first unknown-user login costs the same as any other.
  void passwords.dummyVerify('');
  const tokens = new TokenService({
    keys,
    repository: store.tokens,
    users: store.users,
    recordCache,
    issuer: config.issuer,
    audience: config.audience,
    clientId: config.clientId,
    maxLifetime: config.tokens.accessTokenTtl,
    clockTolerance: config.tokens.clockTolerance,
    maxTokenBytes: config.tokens.maxTokenBytes,
    verifiedCacheSize: config.tokens.verifiedCacheSize,
    accessTokenTtl: config.tokens.accessTokenTtl,
    refreshTokenTtl: config.tokens.refreshTokenTtl,
    sessionMaxAge: config.tokens.sessionMaxAge,
    refreshReuseInterval: config.tokens.refreshReuseInterval,
    // From the successor secret, the HMAC secrets, or else the private signing keys (see
    // `successor-keys.ts`): the default reuse interval needs no new secret, whatever the key set.
    successorKeys: successorKeys(config.tokens),
    clock,
    events,
  });
  const lockout = new LockoutService(store, config.lockout, clock, events);
  const limiter = new RateLimiter(store.counters, clock, events, { failOpen: config.rateLimits.failOpen });
  const account = new AccountService({
    store,
    passwords,
    tokens,
    lockout,
    limiter,
    events,
    clock,
    config,
  });
  const mfa = new MfaService({
    store,
    passwords,
    tokens,
    lockout,
    limiter,
    events,
    clock,
    oneTimeTokens: account.oneTimeTokens,
    config,
  });
  const clients = new ClientService({
    clients: store.clients,
    tokens,
    events,
    clock,
    limiter,
    failuresPerIp: config.rateLimits.loginFailuresPerIp,
    role: config.clients.role,
  });
  const device = new DeviceService({
    state: store.state,
    users: store.users,
    clients,
    tokens,
    events,
    clock,
    limiter,
    rateLimits: config.rateLimits,
    verificationUri: deviceVerificationUri(config.device, config.account.baseUrl),
    expiresIn: config.device.expiresIn,
    interval: config.device.interval,
  });
  const auth = new AuthService({
    clients,
    lockout,
    limiter,
    rateLimits: config.rateLimits,
    users: store.users,
    passwords,
    tokens,
    events,
    clock,
    usernames: config.users.usernames,
    requireVerifiedEmail: config.account.emailVerification === 'required',
    mfa,
    rejectedEvents: config.tokens.rejectedEvents,
  });
  auth.onRegistered = (userId, context) => {
    if (config.account.emailVerification === 'off' || !config.mail.mailer) return;
    void account
      .requestEmailVerification(userId, context)
      .catch((error) => console.error('gatehouse: mail failed', error));
  };
  if (config.mail.mailer && config.mail.notifyOnLock) {
    events.on('account.locked', (event) => {
      void account
        .notifyLocked(event.userId, event.until)
        .catch((error) => console.error('gatehouse: mail failed', error));
    });
  }
  const apiKeys = new ApiKeyService({
    store,
    limiter,
    loginFailuresPerIp: config.rateLimits.loginFailuresPerIp,
    events,
    clock,
    config: config.apiKeys,
  });
  const externalTokens = new ExternalTokenVerifier(config.resourceServer, {
    ownIssuer: config.issuer,
    maxTokenBytes: config.tokens.maxTokenBytes,
    clock,
  });
  const oauth = new OAuthService({
    store,
    tokens,
    reauthenticate: (user, password, context) => account.reauthenticate(user, password, context),
    mfa,
    lockout,
    limiter,
    events,
    clock,
    config,
  });
  return {
    oauth,
    apiKeys,
    externalTokens,
    clients,
    device,
    auth,
    account,
    mfa,
    tokens,
    passwords,
    lockout,
    limiter,
    events,
    store,
    config,
    now: clock,
    close: async () => {
      await recordCache?.close();
    },
  };
}
