/**
 * The callback of a login with an identity provider: the attempt taken by `state` (single use)
 * and checked against the flow cookie, the code exchanged, the local user resolved; then a
 * session, a one-time login code for the app (token mode, or a second factor is due), or a link to
 * the signed-in user. And the exchange of that login code for tokens or an MFA challenge.
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
import { InvalidOAuthStateError, OAuthFailedError } from './errors.js';
import { sameHash, sha256 } from './flow-cookie.js';
import { resolveLogin } from './identity-linking.js';
import { checkAuthorizationResponse, exchangeCode, type FlowRecord } from './login-flow.js';
import { assertMayLogIn, issueSession, recordLoginFailure } from './login-outcome.js';
import { flowKey } from './login-start.js';
import type { OAuthFlowContext } from './oauth-flow-context.js';
import type { CompletedLogin } from './oauth-service.js';

const loginCodeKey = (code: string): string => `oauth:login:${sha256(code)}`;

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
  const value = JSON.stringify({ userId: user.id, provider: provider.name });
  await storeCall(() => o.store.state.set(loginCodeKey(code), value, expiresAt));
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
  const raw = await storeCall(() => o.store.state.take(loginCodeKey(code), o.clock()));
  if (raw === null) throw new InvalidOAuthStateError();
  const { userId, provider } = JSON.parse(raw) as { userId: string; provider: string };
  const user = await storeCall(() => o.store.users.findById(userId));
  if (!user) throw new InvalidOAuthStateError();
  try {
    await assertMayLogIn(ctx, user);
  } catch (error) {
    recordLoginFailure(ctx, provider, error as AuthError, user.id, context);
    throw new InvalidOAuthStateError();
  }
  if (await o.mfa.isEnabled(user.id)) return o.mfa.challengeLogin(user.id, context, []);
  const tokens = await issueSession(ctx, user, provider, context);
  return { status: 'authenticated', ...tokens, user: toPublicUser(user) };
}
