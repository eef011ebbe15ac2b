/**
 * The attacks a login with an identity provider must withstand, against a real `oidc-provider`
 * and through the three adapters: login CSRF (no flow cookie, another browser's state, a replayed
 * state), code injection and a missing PKCE verifier, mix-up (`iss`), ID tokens with the wrong
 * `aud`, `nonce`, expiry or signature, provider errors with hostile descriptions, open redirects,
 * expired attempts, duplicate parameters, and the rate limit on starting a login.
 */
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { GatehouseConfig } from '../../src/index.js';
import {
  ADAPTER_CASES,
  ADAPTERS,
  atCallback,
  Browser,
  callbackUrl,
  loginThrough,
  oauthAppForSuite,
  oidcPeerForSuite,
  oidcProviderConfig,
  outsideAuth,
  startOAuthApp,
} from './support.js';

const ALICE = { sub: 'alice-1', email: 'alice@corp.example', email_verified: true };
const MALLORY = { sub: 'mallory-9', email: 'mallory@corp.example', email_verified: true };

const oidc = oidcPeerForSuite({ doors: ADAPTERS.length, accounts: [ALICE, MALLORY] });

const config =
  (extra: Partial<GatehouseConfig> = {}) =>
  (url: string): Partial<GatehouseConfig> => ({
    ...extra,
    oauth: {
      allowInsecureRequests: true,
      allowedReturnOrigins: ['https://app.example.com'],
      providers: { corp: oidcProviderConfig(oidc, url) },
    },
  });

describe.each(ADAPTER_CASES)('OIDC login attacks ($name)', ({ start, index }) => {
  const h = oauthAppForSuite(
    start,
    () => oidc.doors[index]!,
    config({ rateLimits: { oauthStartPerIp: { limit: 1000, window: 60 } } }),
  );
  let baseline: { users: number; events: number };
  beforeEach(async () => {
    oidc.peer.next = { login: ALICE.sub };
    oidc.peer.tamper = undefined;
    oidc.peer.ttl.idToken = 3600;
    baseline = { users: await h.gh.store.users.count(), events: h.gh.seen.length };
  });

  /** Starts a login in `browser` and stops right before the callback. */
  const upToCallback = async (browser: Browser, returnTo = '/app'): Promise<string> => {
    const started = `${h.url}/auth/oauth/corp/login?return_to=${encodeURIComponent(returnTo)}`;
    const { next } = await browser.follow(started, atCallback(h.url, 'corp'));
    expect(next, 'the provider redirected to the callback').toBeDefined();
    return next as string;
  };

  /** No user, identity or session came out of the test so far. */
  const nothingCreated = async (): Promise<void> => {
    expect(await h.gh.store.users.count()).toBe(baseline.users);
    const since = h.gh.seen.slice(baseline.events).map((e) => e.type);
    expect(since).not.toContain('identity.linked');
    expect(since).not.toContain('login.succeeded');
  };

  /** Completes the callback in `browser` and says where it sent the browser. */
  const finish = async (browser: Browser, url: string) => {
    const hop = await browser.request(url);
    return { hop, location: hop.location === undefined ? undefined : new URL(hop.location) };
  };

  it('refuses a callback without the flow cookie (login CSRF), creates nothing, and burns the state', async () => {
    const victim = new Browser();
    const url = await upToCallback(victim);
    const attacker = await new Browser().request(url);
    expect(attacker.status).toBe(400);
    expect(JSON.parse(attacker.text)).toMatchObject({ error: 'oauth_invalid_state' });
    expect(attacker.headers.get('referrer-policy')).toBe('no-referrer');
    await nothingCreated();
    // The state was single use: even its own browser cannot complete it now.
    expect((await victim.request(url)).status).toBe(400);
    await nothingCreated();
    expect(h.gh.seen.some((e) => e.type === 'login.failed' && e.reason === 'oauth_invalid_state')).toBe(true);
  });

  it("refuses another browser's state: the flow cookie binds the attempt to the browser that started it", async () => {
    const attacker = new Browser();
    oidc.peer.next = { login: MALLORY.sub };
    const attackersCallback = await upToCallback(attacker);
    const victim = new Browser();
    await upToCallback(victim); // the victim has a flow cookie of their own
    const result = await victim.request(attackersCallback);
    expect(result.status).toBe(400);
    expect(await h.gh.store.identities.findBySubject(oidc.peer.issuer, MALLORY.sub)).toBeNull();
  });

  it('refuses a replayed callback, even with the flow cookie put back', async () => {
    const browser = new Browser();
    const url = await upToCallback(browser);
    const cookie = browser.cookiesFor(url)['__Secure-gatehouse-oauth'] as string;
    const first = await finish(browser, url);
    expect(first.hop.status).toBe(302);
    expect(first.location?.hash).toMatch(/login_code=/);
    browser.setCookie(h.url, '__Secure-gatehouse-oauth', cookie, '/auth/oauth/corp/callback');
    const replay = await browser.request(url);
    expect(replay.status).toBe(400);
    expect(JSON.parse(replay.text)).toMatchObject({ error: 'oauth_invalid_state' });
  });

  it('refuses a forged flow cookie and a state given twice', async () => {
    const browser = new Browser();
    const url = await upToCallback(browser);
    const forged = new Browser();
    forged.setCookie(
      h.url,
      '__Secure-gatehouse-oauth',
      `${randomBytes(32).toString('base64url')}.${randomBytes(32).toString('base64url')}`,
      '/auth/oauth/corp/callback',
    );
    expect((await forged.request(url)).status).toBe(400);

    const other = new Browser();
    const second = new URL(await upToCallback(other));
    second.searchParams.append('state', 'another-state');
    expect((await other.request(second.href)).status).toBe(400);
    await nothingCreated();
  });

  it('code injection: a code issued for another attempt fails the PKCE check at the provider', async () => {
    const attacker = new Browser();
    oidc.peer.next = { login: MALLORY.sub };
    const attackersCallback = new URL(await upToCallback(attacker));
    const victim = new Browser();
    oidc.peer.next = { login: ALICE.sub };
    const victimsCallback = new URL(await upToCallback(victim));
    victimsCallback.searchParams.set('code', attackersCallback.searchParams.get('code') as string);
    const { hop, location } = await finish(victim, victimsCallback.href);
    expect(hop.status).toBe(302);
    expect(location?.searchParams.get('error')).toBe('login_failed');
    expect(hop.headers.getSetCookie().some((c) => c.startsWith('__Host-gatehouse-at'))).toBe(false);
    expect(await h.gh.store.identities.findBySubject(oidc.peer.issuer, MALLORY.sub)).toBeNull();
    await nothingCreated();
  });

  it('a missing PKCE challenge is refused by the provider and ends in a clean error redirect', async () => {
    const browser = new Browser();
    const start = await browser.request(`${h.url}/auth/oauth/corp/login?return_to=/app`);
    const authorize = new URL(start.location as string);
    authorize.searchParams.delete('code_challenge');
    authorize.searchParams.delete('code_challenge_method');
    const { next } = await browser.follow(authorize.href, outsideAuth(h.url));
    const location = new URL(next as string);
    expect(location.pathname).toBe('/app');
    expect(location.searchParams.get('error')).toBe('invalid_request');
    await nothingCreated();
  });

  it('mix-up: an iss that differs from the issuer, or is missing, fails the login (RFC 9207)', async () => {
    for (const change of [
      (u: URL) => u.searchParams.set('iss', 'https://evil.example'),
      (u: URL) => u.searchParams.delete('iss'),
    ]) {
      const browser = new Browser();
      const url = new URL(await upToCallback(browser));
      change(url);
      const { location } = await finish(browser, url.href);
      expect(location?.searchParams.get('error')).toBe('login_failed');
    }
    await nothingCreated();
  });

  it.each([
    ['a wrong aud', { claims: { aud: 'someone-else' } }],
    ['an expired ID token (exp in the past)', { claims: { exp: Math.floor(Date.now() / 1000) - 3600 } }],
    ['a wrong nonce', { claims: { nonce: 'not-the-nonce-we-sent' } }],
    ['another issuer in the ID token', { claims: { iss: 'https://evil.example' } }],
    ['a signature by a key not in the JWKS', { foreignKey: true as const }],
  ])('refuses an ID token with %s and creates nothing', async (_name, tamper) => {
    oidc.peer.tamper = tamper;
    const { next } = await loginThrough(new Browser(), h.url, 'corp');
    expect(new URL(next as string).searchParams.get('error')).toBe('login_failed');
    expect(new URL(next as string).hash).toBe('');
    await nothingCreated();
    expect(h.gh.seen.some((e) => e.type === 'login.succeeded')).toBe(false);
  });

  it('refuses an ID token that expired while the callback waited (gatehouse clock, short ID token lifetime)', async () => {
    oidc.peer.ttl.idToken = 60;
    const browser = new Browser();
    const url = await upToCallback(browser);
    h.clock.advance(5 * 60);
    const { location } = await finish(browser, url);
    expect(location?.searchParams.get('error')).toBe('login_failed');
    await nothingCreated();
  });

  it('a nonce changed in the authorization request (by the browser) fails the login', async () => {
    const browser = new Browser();
    const start = await browser.request(`${h.url}/auth/oauth/corp/login?return_to=/app`);
    const authorize = new URL(start.location as string);
    authorize.searchParams.set('nonce', randomBytes(32).toString('base64url'));
    const { next } = await browser.follow(authorize.href, outsideAuth(h.url));
    expect(new URL(next as string).searchParams.get('error')).toBe('login_failed');
    await nothingCreated();
  });

  it('access_denied: state still checked, no session, the description never reflected (OA-09)', async () => {
    oidc.peer.next = { error: 'access_denied', description: '<script>alert(document.cookie)</script>' };
    const browser = new Browser();
    const { last, next } = await loginThrough(browser, h.url, 'corp', '/settings');
    expect(last.status).toBe(302);
    const location = new URL(next as string);
    expect(location.pathname).toBe('/settings');
    expect([...location.searchParams.keys()]).toEqual(['error']);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(next).not.toMatch(/script|alert/i);
    expect(last.text).toBe('');
    expect(last.headers.getSetCookie().some((c) => c.startsWith('__Host-gatehouse-at'))).toBe(false);
    expect(h.gh.seen.some((e) => e.type === 'login.failed' && e.reason === 'oauth_denied')).toBe(true);

    // The same error with no valid state is refused as a bad state, not redirected anywhere.
    const forged = await new Browser().request(
      `${callbackUrl(h.url, 'corp')}?error=access_denied&error_description=%3Cscript%3E&state=made-up`,
    );
    expect(forged.status).toBe(400);
    expect(forged.location).toBeUndefined();
    expect(forged.text).not.toMatch(/script/i);
  });

  it('refuses a callback after the attempt expired (more than 10 minutes)', async () => {
    const browser = new Browser();
    const url = await upToCallback(browser);
    h.clock.advance(11 * 60);
    expect((await browser.request(url)).status).toBe(400);
    await nothingCreated();
  });

  it.each([
    ['https://evil.example/phish', '/'],
    ['//evil.example/phish', '/'],
    ['/\\evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['https://app.example.com.evil.example/', '/'],
    ['https://user@app.example.com/', '/'],
    ['/account?tab=security', '/account?tab=security'],
    ['https://app.example.com/welcome', 'https://app.example.com/welcome'],
  ])('return_to %s ends at %s (RD-01)', async (returnTo, expected) => {
    oidc.peer.next = { error: 'access_denied' };
    const { next } = await loginThrough(new Browser(), h.url, 'corp', returnTo);
    const location = new URL(next as string, h.url);
    location.searchParams.delete('error');
    const landed = expected.startsWith('/') ? `${location.pathname}${location.search}` : location.href;
    expect(landed).toBe(expected);
    if (expected.startsWith('/')) expect(location.origin).toBe(h.url);
  });
});

describe.each(ADAPTER_CASES)('OAuth start rate limit ($name)', ({ start, index }) => {
  it('the (N+1)th start from one IP in the window gets 429 with Retry-After (RL-06)', async () => {
    const h = await startOAuthApp(
      start,
      oidc.doors[index]!,
      config({ rateLimits: { oauthStartPerIp: { limit: 3, window: 60 } } }),
    );
    try {
      const browser = new Browser();
      for (let i = 0; i < 3; i++) {
        expect((await browser.request(`${h.url}/auth/oauth/corp/login`)).status).toBe(302);
      }
      const limited = await browser.request(`${h.url}/auth/oauth/corp/login`);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(limited.headers.getSetCookie()).toEqual([]);
      h.clock.advance(120);
      expect((await browser.request(`${h.url}/auth/oauth/corp/login`)).status).toBe(302);
    } finally {
      await h.close();
    }
  });
});
