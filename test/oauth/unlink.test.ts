/**
 * Unlinking an identity provider over HTTP (`POST /auth/oauth/<provider>/unlink`), through the
 * three adapters in cookie mode, against a real `oidc-provider` and the loopback GitHub:
 *
 * - the last way into an account is never removed: a user without a password and with one
 *   identity gets 409 `oauth_last_sign_in_method` and keeps it; with a second identity one of
 *   them can go; concurrent unlinks of the last two never leave none;
 * - a user with a password confirms it first (403 `reauthentication_required`, counted as a
 *   failed login), then the identity is gone, `identity.unlinked` is emitted, the session stays;
 * - cookie-mode CSRF rules of every signed-in route; clients' tokens are refused.
 */
import { describe, expect, it } from 'vitest';
import type { GatehouseConfig } from '../../src/index.js';
import { GOOD_PASSWORD } from '../support/gatehouse.js';
import {
  ADAPTER_CASES,
  ADAPTERS,
  Browser,
  fakeGithubForSuite,
  githubProviderConfig,
  loginThrough,
  oauthAppForSuite,
  oidcPeerForSuite,
  oidcProviderConfig,
  outsideAuth,
  postJsonWith,
} from './support.js';

const oidc = oidcPeerForSuite({ doors: ADAPTERS.length });
const github = fakeGithubForSuite({ id: 1, login: 'nobody', emails: [] });
let counter = 0;

const config = (url: string): Partial<GatehouseConfig> => ({
  http: { cookies: { enabled: true } },
  oauth: {
    allowInsecureRequests: true,
    providers: {
      corp: oidcProviderConfig(oidc, url),
      github: githubProviderConfig(github, url),
    },
  },
});

/** A fresh account at the OIDC provider; the next login there uses it. */
function corpAccount(email: string): string {
  counter += 1;
  return oidc.newAccount(email);
}

/** A fresh GitHub user; the next GitHub authorization logs in as them. */
function githubAccount(email: string): number {
  counter += 1;
  const id = 9_000_000 + counter;
  github.user = { id, login: `user${id}`, emails: [{ email, primary: true, verified: true }] };
  return id;
}

describe.each(ADAPTER_CASES)('unlinking an identity provider ($name)', ({ start, index }) => {
  const h = oauthAppForSuite(start, () => oidc.doors[index]!, config);

  const csrfOf = (browser: Browser): string =>
    browser.cookiesFor(`${h.url}/`)['__Host-gatehouse-csrf'] as string;
  const unlink = (browser: Browser, provider: string, body: unknown = {}, csrf = csrfOf(browser)) =>
    postJsonWith(browser, `${h.url}/auth/oauth/${provider}/unlink`, body, { 'x-csrf-token': csrf });
  const providersOf = async (userId: string) =>
    (await h.gh.store.identities.listForUser(userId)).map((identity) => identity.provider).sort();
  const unlinkedEvents = (userId: string) =>
    h.gh.seen.filter((e) => e.type === 'identity.unlinked' && e.userId === userId);

  /** Signs up through the OIDC provider (no password): a browser with the session cookies. */
  const providerUser = async (tag: string): Promise<{ browser: Browser; userId: string }> => {
    const email = `${tag}-${index}-${counter}@corp.example`;
    corpAccount(email);
    const browser = new Browser();
    const { last } = await loginThrough(browser, h.url, 'corp');
    expect(last.headers.getSetCookie().some((c) => c.startsWith('__Host-gatehouse-at='))).toBe(true);
    const user = await h.gh.store.users.findByEmail(email);
    expect(user?.passwordHash).toBeNull();
    return { browser, userId: user?.id as string };
  };

  /** Links GitHub to the browser's signed-in account. */
  const linkGithub = async (browser: Browser, email: string): Promise<void> => {
    githubAccount(email);
    const started = await postJsonWith(
      browser,
      `${h.url}/auth/oauth/github/link`,
      { return_to: '/settings' },
      { 'x-csrf-token': csrfOf(browser) },
    );
    expect(started.status, started.text).toBe(200);
    const { next } = await browser.follow(started.body.authorization_url as string, outsideAuth(h.url));
    expect(new URL(next as string).search).toBe('?linked=github');
  };

  it('refuses to remove the only way into a passwordless account (409), and changes nothing', async () => {
    const { browser, userId } = await providerUser('only');
    const refused = await unlink(browser, 'corp');
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body).toEqual({
      error: 'oauth_last_sign_in_method',
      message: expect.stringContaining('only way to sign in'),
    });
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(await providersOf(userId)).toEqual(['corp']);
    expect(unlinkedEvents(userId)).toEqual([]);
    // A password sent by a passwordless user changes nothing either.
    const withPassword = await unlink(browser, 'corp', { current_password: GOOD_PASSWORD });
    expect(withPassword.status).toBe(409);
    // The account still signs in through the provider.
    const me = await browser.request(`${h.url}/auth/me`);
    expect(me.status).toBe(200);
  });

  it('a passwordless user with a second identity may unlink one, never both', async () => {
    const { browser, userId } = await providerUser('two');
    await linkGithub(browser, `two-gh-${index}-${counter}@example.org`);
    expect(await providersOf(userId)).toEqual(['corp', 'github']);

    const removed = await unlink(browser, 'corp');
    expect(removed.status, removed.text).toBe(204);
    expect(removed.text).toBe('');
    expect(await providersOf(userId)).toEqual(['github']);
    expect(unlinkedEvents(userId)).toEqual([
      expect.objectContaining({ type: 'identity.unlinked', userId, provider: 'corp' }),
    ]);

    const last = await unlink(browser, 'github');
    expect(last.status, last.text).toBe(409);
    expect(last.body.error).toBe('oauth_last_sign_in_method');
    expect(await providersOf(userId)).toEqual(['github']);
    // Not linked (any more): 404.
    const gone = await unlink(browser, 'corp');
    expect(gone.status, gone.text).toBe(404);
    expect(gone.body.error).toBe('not_found');
    // Once the account has a password, the last identity may go (with the password).
    const passwordHash = await h.gh.passwords.hash(GOOD_PASSWORD);
    await h.gh.store.users.update(userId, { passwordHash }, h.clock.now());
    const now = await unlink(browser, 'github', { current_password: GOOD_PASSWORD });
    expect(now.status, now.text).toBe(204);
    expect(await providersOf(userId)).toEqual([]);
  });

  it('concurrent unlinks of the last two identities never leave the account without one', async () => {
    const { browser, userId } = await providerUser('race');
    await linkGithub(browser, `race-gh-${index}-${counter}@example.org`);
    const csrf = csrfOf(browser);
    const replies = await Promise.all([
      unlink(browser, 'corp', {}, csrf),
      unlink(browser, 'github', {}, csrf),
    ]);
    const statuses = replies.map((reply) => reply.status).sort();
    expect([
      [204, 409],
      [409, 409],
    ]).toContainEqual(statuses);
    const left = await providersOf(userId);
    expect(left.length).toBe(statuses.filter((status) => status === 409).length);
    expect(unlinkedEvents(userId)).toHaveLength(2 - left.length);

    // The same through the service, where both checks run before either delete: both are undone.
    const other = await providerUser('race-service');
    await linkGithub(other.browser, `race-service-gh-${index}-${counter}@example.org`);
    const outcomes = await Promise.allSettled([
      h.gh.oauth.unlink(other.userId, 'corp'),
      h.gh.oauth.unlink(other.userId, 'github'),
    ]);
    const rejected = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    for (const outcome of rejected)
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({
        code: 'ERR_OAUTH_LAST_SIGN_IN_METHOD',
        status: 409,
      });
    expect((await providersOf(other.userId)).length).toBe(rejected.length);
    // An administrator may remove the last one on purpose.
    for (const provider of await providersOf(other.userId))
      expect(
        await h.gh.oauth.unlink(other.userId, provider, undefined, { allowLastSignInMethod: true }),
      ).toBe(true);
    expect(await providersOf(other.userId)).toEqual([]);
  });

  it('a user with a password confirms it; a wrong one counts as a failed login; the session stays', async () => {
    const email = `pw-${index}@example.com`;
    const user = await h.gh.auth.register({ email, password: GOOD_PASSWORD });
    const browser = new Browser();
    const login = await postJsonWith(browser, `${h.url}/auth/login`, { email, password: GOOD_PASSWORD });
    expect(login.status, login.text).toBe(200);
    await linkGithub(browser, `pw-gh-${index}@example.org`);

    const missing = await unlink(browser, 'github');
    expect(missing.status, missing.text).toBe(403);
    expect(missing.body.error).toBe('reauthentication_required');
    const wrong = await unlink(browser, 'github', { current_password: `${GOOD_PASSWORD}x` });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toBe('reauthentication_required');
    expect(h.gh.seen.at(-1)).toMatchObject({
      type: 'login.failed',
      userId: user.id,
      reason: 'wrong_password',
    });
    expect(await providersOf(user.id)).toEqual(['github']);

    const removed = await unlink(browser, 'github', { current_password: GOOD_PASSWORD });
    expect(removed.status, removed.text).toBe(204);
    expect(await providersOf(user.id)).toEqual([]);
    expect(h.gh.seen.at(-1)).toMatchObject({
      type: 'identity.unlinked',
      userId: user.id,
      provider: 'github',
    });
    expect((await browser.request(`${h.url}/auth/me`)).status).toBe(200);
    const again = await unlink(browser, 'github', { current_password: GOOD_PASSWORD });
    expect(again.status).toBe(404);
  });

  it('applies the cookie-mode CSRF rules and refuses anonymous callers and clients', async () => {
    const { browser, userId } = await providerUser('csrf');
    await linkGithub(browser, `csrf-gh-${index}-${counter}@example.org`);

    const noToken = await postJsonWith(browser, `${h.url}/auth/oauth/corp/unlink`, {});
    expect(noToken.status, noToken.text).toBe(403);
    expect(noToken.body.error).toBe('csrf_failed');
    const wrongToken = await unlink(browser, 'corp', {}, 'not-the-csrf-token');
    expect(wrongToken.status).toBe(403);
    expect(wrongToken.body.error).toBe('csrf_failed');
    const crossSite = await postJsonWith(
      browser,
      `${h.url}/auth/oauth/corp/unlink`,
      {},
      { 'x-csrf-token': csrfOf(browser), origin: 'https://evil.example' },
    );
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.error).toBe('csrf_failed');
    const anonymous = await postJsonWith(new Browser(), `${h.url}/auth/oauth/corp/unlink`, {});
    expect(anonymous.status).toBe(401);

    const { client, clientSecret } = await h.gh.clients.register({ name: `svc-${index}` });
    const issued = await h.gh.clients.clientCredentialsGrant(
      { clientId: client.id, clientSecret: clientSecret as string },
      undefined,
    );
    const asClient = await postJsonWith(
      new Browser(),
      `${h.url}/auth/oauth/corp/unlink`,
      {},
      { authorization: `Bearer ${issued.accessToken}` },
    );
    expect(asClient.status).toBe(403);
    expect(asClient.body).toMatchObject({ error: 'session_required' });
    expect(await providersOf(userId)).toEqual(['corp', 'github']);
    // Unknown provider: no such route.
    expect((await unlink(browser, 'nope')).status).toBe(404);
  });
});
