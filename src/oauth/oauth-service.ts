/**
 * OAuthService: login with an identity provider (authorization code flow with PKCE), linking
 * identities, and the provider tokens kept for the user. `gatehouse.oauth`.
 *
 * - {@link OAuthService.startLogin} rate-limits per IP (RL-06), keeps the attempt server-side
 *   (state as a SHA-256 key, PKCE verifier, nonce, issuer, redirect URI, return target; at most
 *   10 minutes, OA-01) and returns the provider URL and the signed flow cookie that binds the
 *   attempt to this browser.
 * - {@link OAuthService.completeLogin} takes the attempt by `state` (single use), checks the
 *   flow cookie, `iss`, the provider's error, exchanges the code, validates the ID token, and
 *   resolves the local user. Its result says whether a session may be issued now (cookie mode) or
 *   a one-time login code goes back to the app, to be exchanged with
 *   {@link OAuthService.exchangeLoginCode} (token mode, and any account with a second factor).
 * - The provider's tokens never leave the server (OA-07); gatehouse issues its own.
 *
 * @module
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import type { LoginResult, LoginSecondFactor } from '../auth/login-result.js';
import { toPublicUser } from '../auth/public-user.js';
import type { ResolvedConfig } from '../config.js';
import type { LockoutService } from '../defense/lockout.js';
import type { RateLimiter } from '../defense/rate-limiter.js';
import { type AuthError, ConfigError, isAuthError, ReauthenticationRequiredError } from '../errors.js';
import type { RequestContext, SecurityEvents } from '../events.js';
import type { SecretBoxKeys } from '../mfa/secret-box.js';
import { storeCall } from '../storage/store-call.js';
import type { LinkedIdentity, Store, UserRecord } from '../storage/types.js';
import type { IssuedTokens, TokenService } from '../token/token-service.js';
import {
  InvalidOAuthStateError,
  LastSignInMethodError,
  OAuthFailedError,
  ProviderTokensUnavailableError,
} from './errors.js';
import { FlowCookies, sameHash, sha256 } from './flow-cookie.js';
import { resolveLogin } from './identity-linking.js';
import {
  authorizationUrl,
  checkAuthorizationResponse,
  exchangeCode,
  type FlowRecord,
  newFlowSecrets,
} from './login-flow.js';
import { type ProviderAccessToken, ProviderTokenVault } from './provider-tokens.js';
import { ProviderRegistry } from './providers.js';
import { safeReturnTo } from './return-to.js';

/** Options of {@link OAuthService}, built by `createGatehouse`. */
export interface OAuthServiceOptions {
  readonly store: Store;
  readonly tokens: TokenService;
  /**
   * Checks a signed-in user's current password before {@link OAuthService.unlink} with
   * `requirePassword` (`AccountService.reauthenticate`); throws `ReauthenticationRequiredError`.
   */
  readonly reauthenticate?: (user: UserRecord, password: unknown, context?: RequestContext) => Promise<void>;
  readonly mfa: LoginSecondFactor;
  readonly lockout: LockoutService;
  readonly limiter: RateLimiter;
  readonly events: SecurityEvents;
  readonly clock: () => Date;
  readonly config: Pick<ResolvedConfig, 'oauth' | 'rateLimits' | 'tokens' | 'http'>;
}

/** Options of {@link OAuthService.unlink}. */
export interface UnlinkOptions {
  /**
   * Self-service (the HTTP route): a user who has a password must confirm it in
   * `currentPassword` (else `ReauthenticationRequiredError`, 403, counted like a failed login).
   * A user without a password is not asked (there is nothing to confirm).
   */
  readonly requirePassword?: boolean;
  /** The current password, checked when `requirePassword` and the user has one. */
  readonly currentPassword?: unknown;
  /**
   * Administrators only: remove the identity even when it is the account's last way to sign in
   * (no password, no other identity at a configured provider). Default `false`.
   */
  readonly allowLastSignInMethod?: boolean;
}

/** A started login: send the browser to `url` with the flow cookie set. */
export interface StartedLogin {
  readonly url: string;
  /** The flow cookie: its value, the path to scope it to (the callback's) and its lifetime. */
  readonly cookie: { readonly value: string; readonly path: string; readonly maxAge: number };
}

/** How a callback ended once its state was valid. */
export type CompletedLogin =
  /** Tokens were issued (`issueSession` was true and no second factor is due). */
  | {
      readonly status: 'session';
      readonly tokens: IssuedTokens;
      readonly user: UserRecord;
      readonly returnTo: string;
    }
  /** A one-time code for {@link OAuthService.exchangeLoginCode} (token mode, or a second factor is due). */
  | {
      readonly status: 'login_code';
      readonly code: string;
      readonly expiresIn: number;
      readonly returnTo: string;
    }
  /** An identity was linked to the signed-in user who started the flow. */
  | { readonly status: 'linked'; readonly userId: string; readonly returnTo: string }
  /** The provider refused, or the login could not complete; nothing was issued. */
  | { readonly status: 'failed'; readonly error: AuthError; readonly returnTo: string };

/**
 * The account behind a provider login is disabled or locked. Answered like any failed login
 * (`ERR_OAUTH_FAILED`), so the response does not tell the account's state; the event does.
 */
class AccountUnavailableError extends OAuthFailedError {
  readonly reason: 'account_disabled' | 'account_locked';

  constructor(reason: 'account_disabled' | 'account_locked') {
    super();
    this.reason = reason;
  }
}

const flowKey = (state: string): string => `oauth:flow:${sha256(state)}`;
const loginCodeKey = (code: string): string => `oauth:login:${sha256(code)}`;

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

/** The OAuth client flows. See the module documentation. */
export class OAuthService {
  readonly #o: OAuthServiceOptions;
  /** The configured providers. */
  readonly providers: ProviderRegistry;
  /** Signs and checks the flow cookie. */
  readonly flowCookies: FlowCookies;
  readonly #vault: ProviderTokenVault;

  constructor(options: OAuthServiceOptions) {
    this.#o = options;
    const { oauth } = options.config;
    this.providers = new ProviderRegistry(oauth, {
      allowInsecureRequests: oauth.allowInsecureRequests,
      timeoutMs: oauth.timeoutMs,
      clock: options.clock,
    });
    const hasProviders = this.providers.names.length > 0;
    this.flowCookies = new FlowCookies(
      hasProviders ? flowKeyMaterial(options.config) : randomBytes(32),
      options.config.http.cookies.secure,
    );
    this.#vault = new ProviderTokenVault({
      store: options.store,
      keys: oauth.tokenKeys as SecretBoxKeys | undefined,
      clock: options.clock,
      events: options.events,
      refreshSkew: oauth.refreshSkew,
    });
  }

  /**
   * Discovers every OpenID Connect provider now (otherwise it happens at the first login), so a
   * misconfiguration shows at start-up: a discovery document naming another issuer throws
   * {@link ConfigError} (OA-03); an unreachable issuer throws `ProviderUnavailableError`.
   */
  async discover(): Promise<void> {
    for (const name of this.providers.names) await this.providers.get(name).metadata();
  }

  /**
   * Starts a login (or, with `linkUserId`, links a provider to that signed-in user). `returnTo`
   * is checked now (RD-01); an unsafe one becomes `oauth.defaultReturnTo`.
   */
  async startLogin(
    providerName: string,
    options: { returnTo?: unknown; linkUserId?: string } = {},
    context?: RequestContext,
  ): Promise<StartedLogin> {
    const provider = this.providers.get(providerName);
    const { oauth } = this.#o.config;
    await this.#o.limiter.hit('oauth-start-ip', context?.ip, this.#o.config.rateLimits.oauthStartPerIp);
    const secrets = newFlowSecrets(provider);
    const url = await authorizationUrl(provider, secrets);
    const as = await provider.metadata();
    const cookie = this.flowCookies.issue(provider.name);
    const flow: FlowRecord = {
      provider: provider.name,
      issuer: as.issuer,
      redirectUri: provider.config.redirectUri,
      verifier: secrets.verifier,
      nonce: secrets.nonce,
      returnTo: safeReturnTo(options.returnTo, oauth.allowedReturnOrigins, oauth.defaultReturnTo),
      bindingHash: sha256(cookie.binding),
      linkUserId: options.linkUserId ?? null,
    };
    const expiresAt = new Date(this.#o.clock().getTime() + oauth.flowTtl * 1000);
    await storeCall(() => this.#o.store.state.set(flowKey(secrets.state), JSON.stringify(flow), expiresAt));
    return {
      url: url.href,
      cookie: {
        value: cookie.value,
        path: new URL(provider.config.redirectUri).pathname,
        maxAge: oauth.flowTtl,
      },
    };
  }

  /**
   * Completes a login from the callback's query parameters and the flow cookie's value. Throws
   * {@link InvalidOAuthStateError} when the state is missing, unknown, expired, used, or not bound
   * to this browser and provider (nothing is created). After a valid state every outcome is a
   * {@link CompletedLogin}; failures are `{ status: 'failed' }` with a typed error.
   */
  async completeLogin(
    providerName: string,
    params: URLSearchParams,
    flowCookie: string | undefined,
    context?: RequestContext,
    options: { issueSession?: boolean } = {},
  ): Promise<CompletedLogin> {
    const provider = this.providers.get(providerName);
    const flow = await this.#takeFlow(provider.name, params, flowCookie, context);
    const { returnTo } = flow;
    const fail = (error: unknown, userId: string | null = null): CompletedLogin => {
      if (!isAuthError(error)) throw error;
      if (error.code !== 'ERR_STORE_UNAVAILABLE') this.#failed(provider.name, error, userId, context);
      return { status: 'failed', error, returnTo };
    };
    let resolved: { user: UserRecord; identity: LinkedIdentity };
    try {
      const callback = await checkAuthorizationResponse(provider, params, params.get('state') as string);
      const login = await exchangeCode(provider, callback, flow);
      if (login.issuer !== flow.issuer) throw new OAuthFailedError();
      resolved = await resolveLogin(
        { ...this.#o, ...this.#o.config.oauth },
        provider.name,
        login,
        flow.linkUserId,
        context,
      );
      const tokens = provider.config.storeTokens
        ? this.#vault.seal(resolved.identity.id, login.tokens)
        : null;
      if (tokens !== resolved.identity.tokens) {
        await storeCall(() =>
          this.#o.store.identities.update(resolved.identity.id, { tokens }, this.#o.clock()),
        );
      }
    } catch (error) {
      return fail(error);
    }
    if (flow.linkUserId !== null) return { status: 'linked', userId: resolved.user.id, returnTo };
    const { user } = resolved;
    try {
      await this.#assertMayLogIn(user);
    } catch (error) {
      return fail(error, user.id);
    }
    if (options.issueSession && !(await this.#o.mfa.isEnabled(user.id))) {
      const tokens = await this.#issue(user, provider.name, context);
      return { status: 'session', tokens, user, returnTo };
    }
    const code = randomBytes(32).toString('base64url');
    const ttl = this.#o.config.oauth.loginCodeTtl;
    const expiresAt = new Date(this.#o.clock().getTime() + ttl * 1000);
    const value = JSON.stringify({ userId: user.id, provider: provider.name });
    await storeCall(() => this.#o.store.state.set(loginCodeKey(code), value, expiresAt));
    return { status: 'login_code', code, expiresIn: ttl, returnTo };
  }

  async #takeFlow(
    provider: string,
    params: URLSearchParams,
    flowCookie: string | undefined,
    context?: RequestContext,
  ): Promise<FlowRecord> {
    const states = params.getAll('state');
    const binding = this.flowCookies.verify(provider, flowCookie);
    const state = states.length === 1 ? (states[0] as string) : undefined;
    // Taken (and so burnt) before anything else is checked: a state is never usable twice.
    const raw =
      state === undefined || state.length > 512
        ? null
        : await storeCall(() => this.#o.store.state.take(flowKey(state), this.#o.clock()));
    const flow = raw === null ? null : (JSON.parse(raw) as FlowRecord);
    if (
      !flow ||
      binding === undefined ||
      flow.provider !== provider ||
      !sameHash(sha256(binding), flow.bindingHash)
    ) {
      this.#failed(provider, new InvalidOAuthStateError(), null, context);
      throw new InvalidOAuthStateError();
    }
    return flow;
  }

  /** LG-06: a provider login obeys the same account state as a password login. */
  async #assertMayLogIn(user: UserRecord): Promise<void> {
    if (!user.isActive) throw new AccountUnavailableError('account_disabled');
    const lock = await this.#o.lockout.state(user.id);
    if (lock.locked) throw new AccountUnavailableError('account_locked');
  }

  #failed(provider: string, error: AuthError, userId: string | null, context?: RequestContext): void {
    const reason =
      error instanceof AccountUnavailableError
        ? error.reason
        : error.code === 'ERR_OAUTH_INVALID_STATE'
          ? 'oauth_invalid_state'
          : error.code === 'ERR_OAUTH_DENIED'
            ? 'oauth_denied'
            : error.code === 'ERR_OAUTH_EMAIL_NOT_VERIFIED'
              ? 'oauth_email_not_verified'
              : error.code === 'ERR_OAUTH_ACCOUNT_EXISTS'
                ? 'oauth_account_exists'
                : 'oauth_failed';
    this.#o.events.emit('login.failed', context, this.#o.clock(), {
      userId,
      factor: 'oauth',
      reason,
      provider,
    });
  }

  async #issue(user: UserRecord, provider: string, context?: RequestContext): Promise<IssuedTokens> {
    const tokens = await this.#o.tokens.issue({ id: user.id, role: user.role }, context);
    this.#o.events.emit('login.succeeded', context, this.#o.clock(), {
      userId: user.id,
      factor: 'oauth',
      familyId: tokens.familyId,
      provider,
    });
    return tokens;
  }

  /**
   * Exchanges a one-time login code (single use, `oauth.loginCodeTtl`) for tokens, or for an MFA
   * challenge when the account has a second factor (then complete with `gatehouse.mfa.completeLogin`).
   * An unknown, used or expired code, or an account disabled or locked since, throws
   * {@link InvalidOAuthStateError}.
   */
  async exchangeLoginCode(code: unknown, context?: RequestContext): Promise<LoginResult> {
    if (typeof code !== 'string' || code.length === 0 || code.length > 128)
      throw new InvalidOAuthStateError();
    const raw = await storeCall(() => this.#o.store.state.take(loginCodeKey(code), this.#o.clock()));
    if (raw === null) throw new InvalidOAuthStateError();
    const { userId, provider } = JSON.parse(raw) as { userId: string; provider: string };
    const user = await storeCall(() => this.#o.store.users.findById(userId));
    if (!user) throw new InvalidOAuthStateError();
    try {
      await this.#assertMayLogIn(user);
    } catch (error) {
      this.#failed(provider, error as AuthError, user.id, context);
      throw new InvalidOAuthStateError();
    }
    if (await this.#o.mfa.isEnabled(user.id)) return this.#o.mfa.challengeLogin(user.id, context, []);
    const tokens = await this.#issue(user, provider, context);
    return { status: 'authenticated', ...tokens, user: toPublicUser(user) };
  }

  /** The user's linked identities (no tokens: `tokens` is replaced by `hasTokens`). */
  async listIdentities(
    userId: string,
  ): Promise<(Omit<LinkedIdentity, 'tokens'> & { readonly hasTokens: boolean })[]> {
    const identities = await storeCall(() => this.#o.store.identities.listForUser(userId));
    return identities.map(({ tokens, ...identity }) => ({ ...identity, hasTokens: tokens !== null }));
  }

  /**
   * Removes the user's identity at `provider` (and any kept provider tokens) and emits
   * `identity.unlinked`; `true` when there was one, `false` when there was none.
   *
   * It never removes the account's last way to sign in: when the user has no password and no
   * other identity at a configured provider, it throws {@link LastSignInMethodError} (409) and
   * changes nothing (unless `allowLastSignInMethod`). Two concurrent unlinks of a passwordless
   * user's last two identities cannot both succeed: after the delete the rule is checked again and
   * a losing delete is undone. With `requirePassword` (the HTTP route) a user who has a password
   * confirms it first (see {@link UnlinkOptions}). The user's gatehouse sessions stay valid.
   */
  async unlink(
    userId: string,
    providerName: string,
    context?: RequestContext,
    options: UnlinkOptions = {},
  ): Promise<boolean> {
    const { identities, users } = this.#o.store;
    const identity = await storeCall(() => identities.findByUserAndProvider(userId, providerName));
    if (!identity) return false;
    const user = await storeCall(() => users.findById(userId));
    if (user?.passwordHash && options.requirePassword) {
      if (!this.#o.reauthenticate) throw new ReauthenticationRequiredError();
      await this.#o.reauthenticate(user, options.currentPassword, context);
    }
    const guarded = user !== null && !options.allowLastSignInMethod && this.#isSignInMethod(identity);
    if (guarded && !(await this.#otherWayIn(userId, identity.id))) throw new LastSignInMethodError();
    const deleted = await storeCall(() => identities.delete(identity.id));
    if (!deleted) return false;
    if (guarded && !(await this.#otherWayIn(userId, identity.id))) {
      // A concurrent unlink (or password removal) took the other way in meanwhile: undo ours.
      await storeCall(() => identities.create(identity)).catch((error: unknown) => {
        if (!isAuthError(error, 'ERR_ALREADY_REGISTERED')) throw error;
      });
      throw new LastSignInMethodError();
    }
    this.#o.events.emit('identity.unlinked', context, this.#o.clock(), { userId, provider: providerName });
    return true;
  }

  /** Whether an identity can sign its user in: its provider is still configured. */
  #isSignInMethod(identity: LinkedIdentity): boolean {
    return this.providers.names.includes(identity.provider);
  }

  /** Whether the user can sign in without identity `exceptId`: a password, or another usable identity. */
  async #otherWayIn(userId: string, exceptId: string): Promise<boolean> {
    const user = await storeCall(() => this.#o.store.users.findById(userId));
    if (!user) return true;
    if (user.passwordHash) return true;
    const linked = await storeCall(() => this.#o.store.identities.listForUser(userId));
    return linked.some((other) => other.id !== exceptId && this.#isSignInMethod(other));
  }

  /**
   * A valid access token of the provider for the user, to call the provider's API on their
   * behalf (providers with `storeTokens` only), refreshed first when it is about to expire.
   * Throws {@link ProviderTokensUnavailableError} when there is none (log in with the provider again).
   */
  async providerAccessToken(userId: string, providerName: string): Promise<ProviderAccessToken> {
    const provider = this.providers.get(providerName);
    const identity = await storeCall(() =>
      this.#o.store.identities.findByUserAndProvider(userId, providerName),
    );
    if (!identity) throw new ProviderTokensUnavailableError();
    return this.#vault.accessToken(identity, provider);
  }
}
