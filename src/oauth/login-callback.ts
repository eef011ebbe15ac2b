/**
 * The callback of a login with an identity provider: the attempt taken by `state` (single use)
 * and checked against the flow cookie, the code exchanged, the local user resolved; then a
 * session, a one-time login code for the app (token mode, or a second factor is due), or a link to
 * the signed-in user. And the exchange of that login code for tokens or an MFA challenge: a login
 * code presented again after its redemption revokes what the redemption issued (RFC 6749 §10.5,
 * RFC 9700 §4.5; see `code-redemption.ts`).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { LoginResult } from '../auth/login-result.js';
import { toPublicUser } from '../auth/public-user.js';
import { type AuthError, isAuthError } from '../errors.js';
import type { RequestContext } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import type { LinkedIdentity, UserRecord } from '../storage/types.js';
import {
  type CodeRedemptionDeps,
  detectReuse,
  markRedeemed,
  type RedemptionRef,
  recordIssued,
} from './code-redemption.js';
import { InvalidOAuthStateError, OAuthFailedError } from './errors.js';
import { sameHash, sha256 } from './flow-cookie.js';
import { resolveLogin } from './identity-linking.js';
import { checkAuthorizationResponse, exchangeCode, type FlowRecord } from './login-flow.js';
import { assertMayLogIn, issueSession, recordLoginFailure } from './login-outcome.js';
import { flowKey } from './login-start.js';
import type { OAuthFlowContext } from './oauth-flow-context.js';
import type { CompletedLogin } from './oauth-service.js';

const loginCodeKey = (codeHash: string): string => `oauth:login:${codeHash}`;

/** What a login code stands for until it is exchanged. `expiresAt` (epoch ms) is absent in older entries. */
interface LoginCodeRecord {
  readonly userId: string;
  readonly provider: string;
  readonly expiresAt?: number;
}

const redemptionDeps = ({ options: o }: OAuthFlowContext): CodeRedemptionDeps => ({
  state: o.store.state,
  tokens: o.tokens,
  events: o.events,
  clock: o.clock,
});

/** See `OAuthService.completeLogin`. */
export async function completeLogin(
  ctx: OAuthFlowContext,
  providerName: string,
  params: URLSearchParams,
  flowCookie: string | undefined,
  context: RequestContext | undefined,
  options: { issueSession?: boolean },
): Promise<CompletedLogin> {
  const o = ctx.options;
  const provider = ctx.providers.get(providerName);
  const flow = await takeFlow(ctx, provider.name, params, flowCookie, context);
  const { returnTo } = flow;
  const fail = (error: unknown, userId: string | null = null): CompletedLogin => {
    if (!isAuthError(error)) throw error;
    if (error.code !== 'ERR_STORE_UNAVAILABLE')
      recordLoginFailure(ctx, provider.name, error, userId, context);
    return { status: 'failed', error, returnTo };
  };
  let resolved: { user: UserRecord; identity: LinkedIdentity };
  try {
    const callback = await checkAuthorizationResponse(provider, params, params.get('state') as string);
    const login = await exchangeCode(provider, callback, flow);
    if (login.issuer !== flow.issuer) throw new OAuthFailedError();
    resolved = await resolveLogin(
      { ...o, ...o.config.oauth },
      provider.name,
      login,
      flow.linkUserId,
      context,
    );
    const tokens = provider.config.storeTokens ? ctx.vault.seal(resolved.identity.id, login.tokens) : null;
    if (tokens !== resolved.identity.tokens) {
      await storeCall(() => o.store.identities.update(resolved.identity.id, { tokens }, o.clock()));
    }
  } catch (error) {
    return fail(error);
  }
  if (flow.linkUserId !== null) return { status: 'linked', userId: resolved.user.id, returnTo };
  const { user } = resolved;
  try {
    await assertMayLogIn(ctx, user);
  } catch (error) {
    return fail(error, user.id);
  }
  if (options.issueSession && !(await o.mfa.isEnabled(user.id))) {
    const tokens = await issueSession(ctx, user, provider.name, context);
    return { status: 'session', tokens, user, returnTo };
  }
  const code = randomBytes(32).toString('base64url');
  const ttl = o.config.oauth.loginCodeTtl;
  const expiresAt = new Date(o.clock().getTime() + ttl * 1000);
  const record: LoginCodeRecord = {
    userId: user.id,
    provider: provider.name,
    expiresAt: expiresAt.getTime(),
  };
  await storeCall(() => o.store.state.set(loginCodeKey(sha256(code)), JSON.stringify(record), expiresAt));
  return { status: 'login_code', code, expiresIn: ttl, returnTo };
}

async function takeFlow(
  ctx: OAuthFlowContext,
  provider: string,
  params: URLSearchParams,
  flowCookie: string | undefined,
  context?: RequestContext,
): Promise<FlowRecord> {
  const states = params.getAll('state');
  const binding = ctx.flowCookies.verify(provider, flowCookie);
  const state = states.length === 1 ? (states[0] as string) : undefined;
  // Taken (and so burnt) before anything else is checked: a state is never usable twice.
  const raw =
    state === undefined || state.length > 512
      ? null
      : await storeCall(() => ctx.options.store.state.take(flowKey(state), ctx.options.clock()));
  const flow = raw === null ? null : (JSON.parse(raw) as FlowRecord);
  if (
    !flow ||
    binding === undefined ||
    flow.provider !== provider ||
    !sameHash(sha256(binding), flow.bindingHash)
  ) {
    recordLoginFailure(ctx, provider, new InvalidOAuthStateError(), null, context);
    throw new InvalidOAuthStateError();
  }
  return flow;
}

/** See `OAuthService.exchangeLoginCode`. */
export async function exchangeLoginCode(
  ctx: OAuthFlowContext,
  code: unknown,
  context?: RequestContext,
): Promise<LoginResult> {
  const o = ctx.options;
  if (typeof code !== 'string' || code.length === 0 || code.length > 128) throw new InvalidOAuthStateError();
  const { record, redemption } = await redeem(ctx, sha256(code), context);
  const { userId, provider } = record;
  const user = await storeCall(() => o.store.users.findById(userId));
  if (!user) throw new InvalidOAuthStateError();
  try {
    await assertMayLogIn(ctx, user);
  } catch (error) {
    recordLoginFailure(ctx, provider, error as AuthError, user.id, context);
    throw new InvalidOAuthStateError();
  }
  if (await o.mfa.isEnabled(user.id)) return o.mfa.challengeLogin(user.id, context, [], { redemption });
  const tokens = await issueSession(ctx, user, provider, context);
  // A second attempt came in while these were issued: they are revoked already, so not handed out.
  if (await recordIssued(redemptionDeps(ctx), redemption, user.id, tokens.familyId, context)) {
    throw new InvalidOAuthStateError();
  }
  return { status: 'authenticated', ...tokens, user: toPublicUser(user) };
}

/**
 * Takes a login code (single use). The redemption is recorded before the take, so that any other
 * attempt with the code, even one that loses the take to this one, is seen as a second
 * redemption. A code that is not there (unknown, expired, or used) throws
 * `InvalidOAuthStateError`, after revoking what it issued when it had been used.
 */
async function redeem(
  ctx: OAuthFlowContext,
  codeHash: string,
  context: RequestContext | undefined,
): Promise<{ record: LoginCodeRecord; redemption: RedemptionRef }> {
  const o = ctx.options;
  const deps = redemptionDeps(ctx);
  const key = loginCodeKey(codeHash);
  const seen = await storeCall(() => o.store.state.get(key, o.clock()));
  if (seen !== null) {
    const { userId, expiresAt } = JSON.parse(seen) as LoginCodeRecord;
    const until = new Date(expiresAt ?? o.clock().getTime() + o.config.oauth.loginCodeTtl * 1000);
    const redemption = await markRedeemed(deps, 'login_code', codeHash, { userId, clientId: null }, until);
    const raw = await storeCall(() => o.store.state.take(key, o.clock()));
    if (raw !== null) return { record: JSON.parse(raw) as LoginCodeRecord, redemption };
  }
  await detectReuse(deps, 'login_code', codeHash, context);
  throw new InvalidOAuthStateError();
}
