/**
 * OAuthService: login with an identity provider (authorization code flow with PKCE), linking
 * identities, and the provider tokens kept for the user. `gatehouse.oauth`.
 *
 * - {@link OAuthService.startLogin} rate-limits per IP (OWASP ASVS 5.0 6.6.3; NIST SP 800-63B-4 §3.2.2), keeps the attempt server-side
 *   (state as a SHA-256 key, PKCE verifier, nonce, issuer, redirect URI, return target; at most
 *   10 minutes, RFC 6749 §10.12; RFC 9700 §2.1, §2.1.1, §4.7.1) and returns the provider URL and the signed flow cookie that binds the
 *   attempt to this browser.
 * - {@link OAuthService.completeLogin} takes the attempt by `state` (single use), checks the
 *   flow cookie, `iss`, the provider's error, exchanges the code, validates the ID token, and
 *   resolves the local user. Its result says whether a session may be issued now (cookie mode) or
 *   a one-time login code goes back to the app, to be exchanged with
 *   {@link OAuthService.exchangeLoginCode} (token mode, and any account with a second factor).
 * - The provider's tokens never leave the server (OWASP ASVS 5.0 10.1.1; RFC 9700 §4.2.4, §4.3); gatehouse issues its own.
 *
 * `OAuthService` is the facade: the login lives in `login-start.ts`, `login-callback.ts` and
 * `login-outcome.ts`, unlinking in `identity-unlink.ts`, and their shared state in
 * `oauth-flow-context.ts`.
 *
 * @module
 */
import type { LoginResult, LoginSecondFactor, MfaRequiredLogin } from '../auth/login-result.js';
import type { ResolvedConfig } from '../config.js';
import type { LockoutService } from '../defense/lockout.js';
import type { RateLimiter } from '../defense/rate-limiter.js';
import type { AuthError } from '../errors.js';
import type { RequestContext, SecurityEvents } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import type { LinkedIdentity, Store, UserRecord } from '../storage/types.js';
import type { IssuedTokens, TokenService } from '../token/token-service.js';
import type { RedemptionRef } from './code-redemption.js';
import { ProviderTokensUnavailableError } from './errors.js';
import type { FlowCookies } from './flow-cookie.js';
import { unlink } from './identity-unlink.js';
import { completeLogin, exchangeLoginCode } from './login-callback.js';
import { startLogin } from './login-start.js';
import { createOAuthFlowContext, type OAuthFlowContext } from './oauth-flow-context.js';
import type { ProviderAccessToken } from './provider-tokens.js';
import type { ProviderRegistry } from './providers.js';

/**
 * What a provider login needs from the second-factor service (`MfaService` implements it): the
 * challenge also carries the login code's redemption, so that the tokens its completion issues
 * are revoked if the code is presented again (RFC 6749 §10.5).
 */
export interface OAuthSecondFactor extends LoginSecondFactor {
  challengeLogin(
    userId: string,
    context: RequestContext | undefined,
    scope: readonly string[],
    options?: { readonly redemption?: RedemptionRef },
  ): Promise<MfaRequiredLogin>;
}

/** Options of {@link OAuthService}, built by `createGatehouse`. */
export interface OAuthServiceOptions {
  readonly store: Store;
  readonly tokens: TokenService;
  /**
   * Checks a signed-in user's current password before {@link OAuthService.unlink} with
   * `requirePassword` (`AccountService.reauthenticate`); throws `ReauthenticationRequiredError`.
   */
  readonly reauthenticate?: (user: UserRecord, password: unknown, context?: RequestContext) => Promise<void>;
  readonly mfa: OAuthSecondFactor;
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

/** The OAuth client flows. See the module documentation. */
export class OAuthService {
  readonly #ctx: OAuthFlowContext;
  /** The configured providers. */
  readonly providers: ProviderRegistry;
  /** Signs and checks the flow cookie. */
  readonly flowCookies: FlowCookies;

  constructor(options: OAuthServiceOptions) {
    this.#ctx = createOAuthFlowContext(options);
    this.providers = this.#ctx.providers;
    this.flowCookies = this.#ctx.flowCookies;
  }

  /**
   * Discovers every OpenID Connect provider now (otherwise it happens at the first login), so a
   * misconfiguration shows at start-up: a discovery document naming another issuer throws
   * {@link ConfigError} (RFC 9207 §2.4; RFC 9700 §4.4.2.1–4.4.2.2); an unreachable issuer throws `ProviderUnavailableError`.
   */
  async discover(): Promise<void> {
    for (const name of this.providers.names) await this.providers.get(name).metadata();
  }

  /**
   * Starts a login (or, with `linkUserId`, links a provider to that signed-in user). `returnTo`
   * is checked now (OWASP ASVS 5.0 3.7.2; RFC 9700 §4.11.1); an unsafe one becomes `oauth.defaultReturnTo`.
   */
  async startLogin(
    providerName: string,
    options: { returnTo?: unknown; linkUserId?: string } = {},
    context?: RequestContext,
  ): Promise<StartedLogin> {
    return startLogin(this.#ctx, providerName, options, context);
  }

  /**
   * Completes a login from the callback's query parameters and the flow cookie's value. Throws
   * `InvalidOAuthStateError` when the state is missing, unknown, expired, used, or not bound
   * to this browser and provider (nothing is created). After a valid state every outcome is a
   * `CompletedLogin`; failures are `{ status: 'failed' }` with a typed error.
   */
  async completeLogin(
    providerName: string,
    params: URLSearchParams,
    flowCookie: string | undefined,
    context?: RequestContext,
    options: { issueSession?: boolean } = {},
  ): Promise<CompletedLogin> {
    return completeLogin(this.#ctx, providerName, params, flowCookie, context, options);
  }

  /**
   * Exchanges a one-time login code (single use, `oauth.loginCodeTtl`) for tokens, or for an MFA
   * challenge when the account has a second factor (then complete with `gatehouse.mfa.completeLogin`).
   * An unknown, used or expired code, or an account disabled or locked since, throws
   * `InvalidOAuthStateError`.
   *
   * A code presented again after it was redeemed, within its lifetime, is a second redemption
   * (RFC 6749 §10.5, RFC 9700 §4.5): besides the refusal, the token family the first redemption
   * started is revoked (also one issued later by completing its MFA challenge, which is then
   * refused), and `code.reused` is emitted. So post each code once.
   */
  async exchangeLoginCode(code: unknown, context?: RequestContext): Promise<LoginResult> {
    return exchangeLoginCode(this.#ctx, code, context);
  }

  /** The user's linked identities (no tokens: `tokens` is replaced by `hasTokens`). */
  async listIdentities(
    userId: string,
  ): Promise<(Omit<LinkedIdentity, 'tokens'> & { readonly hasTokens: boolean })[]> {
    const identities = await storeCall(() => this.#ctx.options.store.identities.listForUser(userId));
    return identities.map(({ tokens, ...identity }) => ({ ...identity, hasTokens: tokens !== null }));
  }

  /**
   * Removes the user's identity at `provider` (and any kept provider tokens) and emits
   * `identity.unlinked`; `true` when there was one, `false` when there was none.
   *
   * It never removes the account's last way to sign in: when the user has no password and no
   * other identity at a configured provider, it throws `LastSignInMethodError` (409) and
   * changes nothing (unless `allowLastSignInMethod`). Two concurrent unlinks of a passwordless
   * user's last two identities cannot both succeed: after the delete the rule is checked again and
   * a losing delete is undone. With `requirePassword` (the HTTP route) a user who has a password
   * confirms it first (see `UnlinkOptions`). The user's gatehouse sessions stay valid.
   */
  async unlink(
    userId: string,
    providerName: string,
    context?: RequestContext,
    options: UnlinkOptions = {},
  ): Promise<boolean> {
    return unlink(this.#ctx, userId, providerName, context, options);
  }

  /**
   * A valid access token of the provider for the user, to call the provider's API on their
   * behalf (providers with `storeTokens` only), refreshed first when it is about to expire.
   * Throws {@link ProviderTokensUnavailableError} when there is none (log in with the provider again).
   */
  async providerAccessToken(userId: string, providerName: string): Promise<ProviderAccessToken> {
    const provider = this.providers.get(providerName);
    const identity = await storeCall(() =>
      this.#ctx.options.store.identities.findByUserAndProvider(userId, providerName),
    );
    if (!identity) throw new ProviderTokensUnavailableError();
    return this.#ctx.vault.accessToken(identity, provider);
  }
}
