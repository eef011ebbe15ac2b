/**
 * The start of a login with an identity provider (RFC 6749 §10.12; RFC 9700 §2.1, §2.1.1, §4.7.1): rate limited per IP (OWASP ASVS 5.0 6.6.3; NIST SP 800-63B-4 §3.2.2), the
 * attempt kept server-side under the SHA-256 of its state for at most `oauth.flowTtl`, and the
 * provider URL with the signed flow cookie that binds the attempt to this browser.
 *
 * @module
 */
import type { RequestContext } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import { sha256 } from './flow-cookie.js';
import { authorizationUrl, type FlowRecord, newFlowSecrets } from './login-flow.js';
import type { OAuthFlowContext } from './oauth-flow-context.js';
import type { StartedLogin } from './oauth-service.js';
import { safeReturnTo } from './return-to.js';

/** The StateStore key of a login attempt. */
export const flowKey = (state: string): string => `oauth:flow:${sha256(state)}`;

/** See `OAuthService.startLogin`. */
export async function startLogin(
  ctx: OAuthFlowContext,
  providerName: string,
  options: { returnTo?: unknown; linkUserId?: string },
  context?: RequestContext,
): Promise<StartedLogin> {
  const provider = ctx.providers.get(providerName);
  const { oauth } = ctx.options.config;
  await ctx.options.limiter.hit('oauth-start-ip', context?.ip, ctx.options.config.rateLimits.oauthStartPerIp);
  const secrets = newFlowSecrets(provider);
  const url = await authorizationUrl(provider, secrets);
  const as = await provider.metadata();
  const cookie = ctx.flowCookies.issue(provider.name);
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
  const expiresAt = new Date(ctx.options.clock().getTime() + oauth.flowTtl * 1000);
  await storeCall(() => ctx.options.store.state.set(flowKey(secrets.state), JSON.stringify(flow), expiresAt));
  return {
    url: url.href,
    cookie: {
      value: cookie.value,
      path: new URL(provider.config.redirectUri).pathname,
      maxAge: oauth.flowTtl,
    },
  };
}
