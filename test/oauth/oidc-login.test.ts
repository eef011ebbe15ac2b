/**
 * Login with an OpenID Connect provider (a real `oidc-provider` on loopback), through the three
 * adapters: discovery, state + PKCE S256 + nonce, RFC 9207 `iss`, code exchange, ID token
 * validation, find-or-create through the linked identity, token mode (one-time login code) and
 * cookie mode (session cookies), and the provider tokens kept encrypted and refreshed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { GatehouseConfig } from '../../src/index.js';
import { openSecret } from '../../src/mfa/secret-box.js';
import {
  ADAPTER_CASES,
  ADAPTERS,
  Browser,
  callbackUrl,
  fragmentOf,
  loginThrough,
  OIDC_CLIENT_ID,
  oauthAppForSuite,
  oidcPeerForSuite,
  oidcProviderConfig,
  postJsonWith,
} from './support.js';

const TOKEN_KEY = randomBytes(32).toString('base64url');
const ADA = { sub: 'ada-0001', email: 'ada@corp.example', email_verified: true, name: 'Ada' };
const GRACE = { sub: 'grace-0002', email: 'grace@corp.example', email_verified: true, name: 'Grace' };

/** Two doors per adapter: one app in token mode, one in cookie mode. */
const oidc = oidcPeerForSuite({ doors: ADAPTERS.length * 2, accounts: [ADA, GRACE] });

function oidcConfig(cookieMode: boolean): (url: string) => Partial<GatehouseConfig> {
  return (url) => ({
    oauth: {
      allowInsecureRequests: true,
      tokenKeys: TOKEN_KEY,
      providers: {
        corp: {
          ...oidcProviderConfig(oidc, url),
          scopes: ['openid', 'email', 'profile', 'offline_access'],
          storeTokens: true,
        },
      },
    },
    ...(cookieMode ? { http: { cookies: { enabled: true } } } : {}),
  });
}

describe.each(ADAPTER_CASES)('OIDC login ($name)', ({ start, index }) => {
  const h = oauthAppForSuite(start, () => oidc.doors[index * 2]!, oidcConfig(false));
  const cookies = oauthAppForSuite(start, () => oidc.doors[index * 2 + 1]!, oidcConfig(true));

  /** Runs `scenario` with the provider's access tokens living 120 s, so that a refresh is soon due. */
  const withShortAccessTokens = async (scenario: () => Promise<void>): Promise<void> => {
    oidc.peer.ttl.accessToken = 120;
    try {
      await scenario();
    } finally {
      oidc.peer.ttl.accessToken = 3600;
    }
  };

  /** Logs `account` in through the provider; its local user and linked identity. */
  const loginAs = async (account: typeof ADA) => {
    oidc.peer.next = { login: account.sub };
    await loginThrough(new Browser(), h.url, 'corp');
    const user = await h.gh.store.users.findByEmail(account.email);
    const identity = await h.gh.store.identities.findBySubject(oidc.peer.issuer, account.sub);
    return { user, identity };
  };

  it('token mode: state + PKCE S256 + nonce, a one-time login code in the fragment, tokens at /oauth/exchange', async () => {
    oidc.peer.next = { login: ADA.sub };
    const browser = new Browser();
    const { hops, last, next } = await loginThrough(browser, h.url, 'corp', '/app?tab=1');

    // The authorization request (OA-01, OA-02, OA-04, OA-05).
    const authorize = new URL(hops[0]?.location as string);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${oidc.peer.issuer}/auth`);
    const q = authorize.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('redirect_uri')).toBe(callbackUrl(h.url, 'corp'));
    expect(Buffer.from(q.get('state') as string, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(Buffer.from(q.get('nonce') as string, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(hops[0]?.headers.get('referrer-policy')).toBe('no-referrer');
    expect(hops[0]?.headers.get('cache-control')).toBe('no-store');
    const flowCookie = hops[0]?.headers.getSetCookie().find((c) => c.startsWith('__Secure-gatehouse-oauth='));
    expect(flowCookie).toMatch(/HttpOnly/i);
    expect(flowCookie).toMatch(/SameSite=Lax/i);
    expect(flowCookie).toMatch(/Secure/);
    expect(flowCookie).toContain('Path=/auth/oauth/corp/callback');

    // The callback: a clean redirect to the checked return path, RFC 9207 iss was sent.
    const callback = hops.find((hop) => hop.url.startsWith(callbackUrl(h.url, 'corp')));
    expect(new URL(callback?.url as string).searchParams.get('iss')).toBe(oidc.peer.issuer);
    expect(last.status).toBe(302);
    expect(last.headers.get('referrer-policy')).toBe('no-referrer');
    expect(last.headers.get('cache-control')).toBe('no-store');
    const target = new URL(next as string);
    expect(`${target.pathname}${target.search}`).toBe('/app?tab=1');
    expect(target.searchParams.has('code')).toBe(false);
    expect(target.searchParams.has('state')).toBe(false);
    const code = fragmentOf(next as string).get('login_code') as string;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(browser.cookiesFor(callbackUrl(h.url, 'corp'))['__Secure-gatehouse-oauth']).toBeUndefined();

    // The token request used the verifier and the configured redirect URI verbatim.
    const exchange = oidc.peer.tokenRequests.at(-1);
    expect(exchange?.grantType).toBe('authorization_code');
    expect(exchange?.body.get('redirect_uri')).toBe(callbackUrl(h.url, 'corp'));
    expect(exchange?.body.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // OA-02: the challenge is S256 of that verifier (RFC 7636 §4.2), never plain.
    const verifier = exchange?.body.get('code_verifier') as string;
    expect(q.get('code_challenge')).toBe(createHash('sha256').update(verifier).digest('base64url'));
    expect(q.get('code_challenge')).not.toBe(verifier);

    // OA-07: the provider's tokens are nowhere in what the browser got.
    for (const hop of hops) {
      expect(hop.text).not.toMatch(/access_token|id_token|refresh_token/);
      expect(hop.location ?? '').not.toMatch(/access_token|id_token/);
    }

    const exchanged = await postJsonWith(browser, `${h.url}/auth/oauth/exchange`, { login_code: code });
    expect(exchanged.status, exchanged.text).toBe(200);
    expect(exchanged.body).toMatchObject({ token_type: 'Bearer', user: { email: ADA.email } });
    const me = await browser.request(`${h.url}/auth/me`, {
      headers: { authorization: `Bearer ${exchanged.body.access_token as string}` },
    });
    expect(me.status).toBe(200);
    expect(JSON.parse(me.text)).toMatchObject({ email: ADA.email, emailVerified: true });

    // The login code is single use.
    const again = await postJsonWith(browser, `${h.url}/auth/oauth/exchange`, { login_code: code });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('oauth_invalid_state');

    const user = await h.gh.store.users.findByEmail(ADA.email);
    const identity = await h.gh.store.identities.findBySubject(oidc.peer.issuer, ADA.sub);
    expect(identity).toMatchObject({ userId: user?.id, provider: 'corp', emailVerified: true });
    expect(user?.passwordHash).toBeNull();
    const types = h.gh.seen.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['user.registered', 'identity.linked', 'login.succeeded']));
    expect(h.gh.seen.find((e) => e.type === 'login.succeeded')).toMatchObject({
      userId: user?.id,
      factor: 'oauth',
      provider: 'corp',
    });
  });

  it('a second login through the same identity finds the same user and creates nothing', async () => {
    oidc.peer.next = { login: GRACE.sub };
    const first = await loginThrough(new Browser(), h.url, 'corp');
    const firstCode = fragmentOf(first.next as string).get('login_code');
    const a = await postJsonWith(new Browser(), `${h.url}/auth/oauth/exchange`, { login_code: firstCode });
    const second = await loginThrough(new Browser(), h.url, 'corp');
    const b = await postJsonWith(new Browser(), `${h.url}/auth/oauth/exchange`, {
      login_code: fragmentOf(second.next as string).get('login_code'),
    });
    expect((a.body.user as { id: string }).id).toBe((b.body.user as { id: string }).id);
    expect(
      h.gh.seen.filter(
        (e) => e.type === 'user.registered' && e.userId === (a.body.user as { id: string }).id,
      ),
    ).toHaveLength(1);
    expect(a.body.access_token).not.toBe(b.body.access_token);
  });

  it('cookie mode: session cookies on the redirect, a planted session cookie is replaced (LG-04)', async () => {
    oidc.peer.next = { login: ADA.sub };
    const browser = new Browser();
    browser.setCookie(cookies.url, '__Host-gatehouse-at', 'planted-by-attacker');
    const { last, next } = await loginThrough(browser, cookies.url, 'corp', '/dashboard');
    expect(new URL(next as string).pathname).toBe('/dashboard');
    expect(new URL(next as string).hash).toBe('');
    const set = last.headers.getSetCookie();
    expect(set.some((c) => c.startsWith('__Host-gatehouse-at=') && /HttpOnly/i.test(c))).toBe(true);
    expect(set.some((c) => c.startsWith('__Secure-gatehouse-rt='))).toBe(true);
    expect(last.text).toBe('');
    const access = browser.cookiesFor(`${cookies.url}/`)['__Host-gatehouse-at'];
    expect(access).toBeDefined();
    expect(access).not.toBe('planted-by-attacker');
    const me = await browser.request(`${cookies.url}/auth/me`);
    expect(me.status).toBe(200);
    expect(JSON.parse(me.text)).toMatchObject({ email: ADA.email });
    const planted = await new Browser().request(`${cookies.url}/auth/me`, {
      headers: { cookie: '__Host-gatehouse-at=planted-by-attacker' },
    });
    expect(planted.status).toBe(401);
  });

  it('keeps the provider tokens encrypted and refreshes them before they expire', async () => {
    await withShortAccessTokens(async () => {
      const { user, identity } = await loginAs(GRACE);
      expect(identity?.tokens).toMatch(/^v1\./);
      expect(identity?.tokens).not.toMatch(/eyJ/);
      const first = await h.gh.oauth.providerAccessToken(user?.id as string, 'corp');
      const userinfo = await fetch(`${oidc.peer.issuer}/me`, {
        headers: { authorization: `Bearer ${first.accessToken}` },
      });
      expect(userinfo.status).toBe(200);
      expect(await h.gh.oauth.providerAccessToken(user?.id as string, 'corp')).toEqual(first);

      const refreshesBefore = oidc.peer.tokenRequests.filter((r) => r.grantType === 'refresh_token').length;
      h.clock.advance(90); // within refreshSkew (60 s) of the 120 s expiry
      const [second, concurrent] = await Promise.all([
        h.gh.oauth.providerAccessToken(user?.id as string, 'corp'),
        h.gh.oauth.providerAccessToken(user?.id as string, 'corp'),
      ]);
      expect(second.accessToken).not.toBe(first.accessToken);
      expect(concurrent).toEqual(second);
      expect(oidc.peer.tokenRequests.filter((r) => r.grantType === 'refresh_token')).toHaveLength(
        refreshesBefore + 1,
      );
      const fresh = await fetch(`${oidc.peer.issuer}/me`, {
        headers: { authorization: `Bearer ${second.accessToken}` },
      });
      expect(fresh.status).toBe(200);
      expect(h.gh.seen.some((e) => e.type === 'identity.tokens_refreshed')).toBe(true);
    });
  });

  it('forgets the kept tokens when the provider refuses the refresh token (revoked), and says so', async () => {
    await withShortAccessTokens(async () => {
      const { user, identity } = await loginAs(ADA);
      const kept = JSON.parse(
        openSecret(TOKEN_KEY, identity?.tokens as string, `gatehouse-oauth-tokens:${identity?.id}`),
      ) as { refreshToken: string };
      // The user revokes the app at the provider (RFC 7009 revocation of the refresh token).
      const revoked = await fetch(`${oidc.peer.issuer}/token/revocation`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${OIDC_CLIENT_ID}:${oidc.clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token: kept.refreshToken, token_type_hint: 'refresh_token' }),
      });
      expect(revoked.status).toBe(200);
      h.clock.advance(90);
      await expect(h.gh.oauth.providerAccessToken(user?.id as string, 'corp')).rejects.toMatchObject({
        code: 'ERR_OAUTH_TOKENS_UNAVAILABLE',
      });
      expect((await h.gh.store.identities.findBySubject(oidc.peer.issuer, ADA.sub))?.tokens).toBeNull();
      // Logging in with the provider again keeps fresh tokens.
      await loginThrough(new Browser(), h.url, 'corp');
      expect((await h.gh.oauth.providerAccessToken(user?.id as string, 'corp')).accessToken).toBeTruthy();
    });
  });
});
