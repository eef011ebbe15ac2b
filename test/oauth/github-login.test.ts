/**
 * Login with GitHub (plain OAuth 2.0) against a loopback server that speaks GitHub's three
 * endpoints, through the three adapters: the numeric id as identity, the primary verified email,
 * an unverified primary email, denied consent, and GitHub's HTTP 200 error bodies.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { GatehouseConfig } from '../../src/index.js';
import type { GithubUser } from '../support/fake-github.js';
import { GOOD_PASSWORD } from '../support/gatehouse.js';
import {
  ADAPTER_CASES,
  ADAPTERS,
  atCallback,
  Browser,
  callbackUrl,
  doorsForSuite,
  fakeGithubForSuite,
  fragmentOf,
  githubClientConfig,
  githubProviderConfig,
  loginThrough,
  oauthAppForSuite,
  postJsonWith,
} from './support.js';

const OCTOCAT: GithubUser = {
  id: 583231,
  login: 'octocat',
  name: 'The Octocat',
  email: 'public-profile@example.org',
  emails: [
    { email: 'octocat@example.org', primary: true, verified: true },
    { email: 'old-octocat@example.org', primary: false, verified: true },
  ],
};

const frontDoors = doorsForSuite(ADAPTERS.length);
const github = fakeGithubForSuite(OCTOCAT);

const githubConfig = (url: string): Partial<GatehouseConfig> => ({
  oauth: {
    allowInsecureRequests: true,
    providers: {
      github: githubProviderConfig(github, url),
      // A provider defined by the application: endpoints, scopes and a profile mapping.
      gitlike: {
        type: 'oauth2',
        issuer: 'https://gitlike.example',
        ...githubClientConfig(github, url, 'gitlike'),
        scopes: ['read:user'],
        profile: async ({ fetchJson }) => {
          const user = (await fetchJson(`${github.url}/user`)) as { id: number; name: string | null };
          const emails = (await fetchJson(`${github.url}/user/emails`)) as {
            email: string;
            primary: boolean;
            verified: boolean;
          }[];
          const primary = emails.find((e) => e.primary);
          return {
            subject: `user-${user.id}`,
            email: primary?.email ?? null,
            emailVerified: primary?.verified === true,
            name: user.name,
          };
        },
      },
    },
  },
});

describe.each(ADAPTER_CASES)('GitHub login ($name)', ({ start, index }) => {
  const h = oauthAppForSuite(start, () => frontDoors.doors[index]!, githubConfig);

  beforeEach(() => {
    github.user = OCTOCAT;
    github.deny = undefined;
  });

  const exchange = async (next: string | undefined) => {
    const code = fragmentOf(next as string).get('login_code');
    expect(code, `a login code in ${next}`).toBeTruthy();
    return postJsonWith(new Browser(), `${h.url}/auth/oauth/exchange`, { login_code: code });
  };

  it('logs in with the numeric id and the primary verified email; the token request is what GitHub expects', async () => {
    const { hops, next } = await loginThrough(new Browser(), h.url, 'github');
    const authorize = new URL(hops[0]?.location as string);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('scope')).toBe('read:user user:email');
    expect(authorize.searchParams.has('nonce')).toBe(false);
    const callback = hops.find((hop) => hop.url.startsWith(callbackUrl(h.url, 'github')));
    expect(new URL(callback?.url as string).searchParams.has('iss')).toBe(false);

    const request = github.tokenRequests.at(-1);
    expect(request?.accept).toContain('application/json');
    expect(request?.body.get('redirect_uri')).toBe(callbackUrl(h.url, 'github'));
    expect(request?.body.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(request?.body.get('client_id')).toBe(github.clientId);

    const reply = await exchange(next);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.user).toMatchObject({ email: 'octocat@example.org', emailVerified: true });
    const identity = await h.gh.store.identities.findBySubject('https://github.com', String(OCTOCAT.id));
    expect(identity).toMatchObject({
      provider: 'github',
      email: 'octocat@example.org',
      emailVerified: true,
    });
    expect(identity?.tokens).toBeNull();
    for (const token of github.issuedTokens) {
      for (const hop of hops) {
        expect(hop.text).not.toContain(token);
        expect(hop.location ?? '').not.toContain(token);
      }
      expect(reply.text).not.toContain(token);
    }
  });

  it('the identity is the numeric id: a renamed account with a new email is the same user; a new id with the same login is not', async () => {
    const first = await exchange((await loginThrough(new Browser(), h.url, 'github')).next);
    github.user = {
      ...OCTOCAT,
      login: 'octocat-renamed',
      emails: [{ email: 'new-address@example.org', primary: true, verified: true }],
    };
    const renamed = await exchange((await loginThrough(new Browser(), h.url, 'github')).next);
    expect((renamed.body.user as { id: string }).id).toBe((first.body.user as { id: string }).id);

    github.user = {
      id: 99999001,
      login: 'octocat',
      emails: [{ email: 'impostor@example.org', primary: true, verified: true }],
    };
    const impostor = await exchange((await loginThrough(new Browser(), h.url, 'github')).next);
    expect((impostor.body.user as { id: string }).id).not.toBe((first.body.user as { id: string }).id);
    expect(impostor.body.user).toMatchObject({ email: 'impostor@example.org' });
  });

  it('an unverified primary email creates no account (a verified secondary one does not count)', async () => {
    github.user = {
      id: 7000001,
      login: 'unverified',
      emails: [
        { email: 'victim@example.org', primary: true, verified: false },
        { email: 'mine@example.org', primary: false, verified: true },
      ],
    };
    const before = await h.gh.store.users.count();
    const { next } = await loginThrough(new Browser(), h.url, 'github');
    expect(new URL(next as string).searchParams.get('error')).toBe('email_not_verified');
    expect(new URL(next as string).hash).toBe('');
    expect(await h.gh.store.users.count()).toBe(before);
    expect(await h.gh.store.users.findByEmail('victim@example.org')).toBeNull();
    expect(await h.gh.store.identities.findBySubject('https://github.com', '7000001')).toBeNull();
  });

  it('denied consent ends in a clean redirect, nothing reflected', async () => {
    github.deny = '"><img src=x onerror=alert(1)>';
    const { last, next } = await loginThrough(new Browser(), h.url, 'github', '/home');
    const location = new URL(next as string);
    expect(location.pathname).toBe('/home');
    expect(location.search).toBe('?error=access_denied');
    expect(last.text).toBe('');
    expect(h.gh.seen.at(-1)).toMatchObject({
      type: 'login.failed',
      factor: 'oauth',
      reason: 'oauth_denied',
      provider: 'github',
    });
  });

  it("GitHub's HTTP 200 error body (a bad code) fails the login", async () => {
    const browser = new Browser();
    const { next } = await browser.follow(`${h.url}/auth/oauth/github/login`, atCallback(h.url, 'github'));
    const tampered = new URL(next as string);
    tampered.searchParams.set('code', 'not-a-code-github-issued');
    const hop = await browser.request(tampered.href);
    expect(hop.status).toBe(302);
    expect(new URL(hop.location as string).searchParams.get('error')).toBe('login_failed');
    expect(hop.headers.getSetCookie().some((c) => c.startsWith('__Host-gatehouse-at'))).toBe(false);
  });

  it('a provider defined by the application logs in through its own profile mapping', async () => {
    github.user = {
      id: 4100001,
      login: 'custom',
      emails: [{ email: 'custom@example.org', primary: true, verified: true }],
    };
    const { hops, next } = await loginThrough(new Browser(), h.url, 'gitlike');
    expect(new URL(hops[0]?.location as string).searchParams.get('scope')).toBe('read:user');
    const reply = await exchange(next);
    expect(reply.body.user).toMatchObject({ email: 'custom@example.org' });
    expect(
      await h.gh.store.identities.findBySubject('https://gitlike.example', 'user-4100001'),
    ).toMatchObject({
      provider: 'gitlike',
    });
  });

  it('provider B reporting an existing local account’s email does not link to it (OA-06)', async () => {
    const local = await postJsonWith(new Browser(), `${h.url}/auth/register`, {
      email: 'ann.local@example.org',
      password: GOOD_PASSWORD,
    });
    expect(local.status, local.text).toBe(201);
    github.user = {
      id: 8000001,
      login: 'ann-impostor',
      emails: [{ email: 'ann.local@example.org', primary: true, verified: true }],
    };
    const { next } = await loginThrough(new Browser(), h.url, 'github');
    expect(new URL(next as string).searchParams.get('error')).toBe('account_exists');
    expect(await h.gh.store.identities.listForUser(local.body.id as string)).toEqual([]);
    expect(await h.gh.store.identities.findBySubject('https://github.com', '8000001')).toBeNull();
  });
});
