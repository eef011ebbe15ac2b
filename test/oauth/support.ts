/**
 * Shared plumbing of the OAuth tests: an adapter's test app behind a {@link FrontDoor} (so the
 * redirect URI is known before the app exists), a gatehouse whose clock starts at the real time
 * (the peers sign tokens with real `iat`/`exp`) and can be moved forward, the providers (a real
 * `oidc-provider`, the loopback GitHub) and their configuration, and a browser that logs in
 * through a provider.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { GatehouseConfig } from '../../src/index.js';
import { ADAPTERS } from '../http/apps/index.js';
import type { StartApp } from '../http/apps/types.js';
import { Browser, type Hop } from '../support/browser.js';
import { type FakeGithub, type GithubUser, startFakeGithub } from '../support/fake-github.js';
import { type FrontDoor, startFrontDoor } from '../support/front-door.js';
import { FakeClock, type TestGatehouse, testGatehouse } from '../support/gatehouse.js';
import { type OidcAccount, type OidcPeer, startOidcProvider } from '../support/oidc-provider.js';

export { ADAPTERS };

/** One case per adapter, for `describe.each`: its name, its app, and its index (which door is its). */
export const ADAPTER_CASES = ADAPTERS.map(([name, start], index) => ({ name, start, index }));

/** An app serving gatehouse at `/auth`, reached through its front door. */
export interface OAuthHarness {
  readonly gh: TestGatehouse;
  /** The gatehouse clock (starts now; `advance(seconds)`). */
  readonly clock: FakeClock;
  /** The front door's URL: what browsers and redirect URIs use. */
  readonly url: string;
  close(): Promise<void>;
}

/** Front doors are opened first: their URLs go into the providers' client registrations. */
export function openDoors(count: number): Promise<FrontDoor[]> {
  return Promise.all(Array.from({ length: count }, () => startFrontDoor()));
}

/** Closes every door of {@link openDoors}. */
export async function closeDoors(doors: readonly FrontDoor[]): Promise<void> {
  await Promise.all(doors.map((door) => door.close()));
}

/** Starts `start`'s app with a gatehouse built from `config(doorUrl)`, behind `door`. */
export async function startOAuthApp(
  start: StartApp,
  door: FrontDoor,
  config: (url: string) => Partial<GatehouseConfig>,
): Promise<OAuthHarness> {
  const clock = new FakeClock(Date.now());
  const gh = testGatehouse({ clock: clock.now, ...config(door.url) });
  const app = await start(gh);
  door.target = app.url;
  return {
    gh,
    clock,
    url: door.url,
    close: async () => {
      door.target = undefined;
      await app.close();
    },
  };
}

/** The callback URL of provider `name` behind `url`. */
export const callbackUrl = (url: string, name: string): string => `${url}/auth/oauth/${name}/callback`;

/**
 * Starts `start()` before the tests of the current suite and closes it after them; returns a
 * handle to it for the tests (reading it outside them throws). Call it at the top of a file or
 * of a `describe` block.
 */
function forTheSuite<T extends { close(): Promise<void> }>(what: string, start: () => Promise<T>): T {
  let current: T | undefined;
  beforeAll(async () => {
    current = await start();
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  const started = (): T => {
    if (current === undefined) throw new Error(`${what} is only running during the tests of its suite`);
    return current;
  };
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get(started(), key),
    set: (_target, key, value) => Reflect.set(started(), key, value),
  });
}

/**
 * The app of one adapter case behind `door()`, started before the suite's tests with a gatehouse
 * built from `config(doorUrl)` and closed after them.
 */
export function oauthAppForSuite(
  start: StartApp,
  door: () => FrontDoor,
  config: (url: string) => Partial<GatehouseConfig>,
): OAuthHarness {
  return forTheSuite('the OAuth app', () => startOAuthApp(start, door(), config));
}

/** The name of the OIDC provider in the apps' configuration (and in their routes). */
export const OIDC_PROVIDER = 'corp';
/** The client the apps are registered as at the OIDC provider. */
export const OIDC_CLIENT_ID = 'gatehouse-app';

/** A real OIDC provider with one confidential client whose redirect URIs are its doors' callbacks. */
export interface OidcPeerWithDoors {
  readonly peer: OidcPeer;
  /** Opened before the provider: their callbacks are the client's redirect URIs. */
  readonly doors: readonly FrontDoor[];
  readonly clientSecret: string;
  /** A fresh account at the provider (unique `sub`); the next login there uses it. */
  newAccount(email: string, verified?: boolean): string;
  close(): Promise<void>;
}

/**
 * Opens `doors` front doors, then starts an OIDC provider with `accounts` and the client
 * {@link OIDC_CLIENT_ID} (a random secret) registered with the callback of every door.
 */
export async function startOidcPeerWithDoors(options: {
  doors: number;
  accounts?: readonly OidcAccount[];
}): Promise<OidcPeerWithDoors> {
  const doors = await openDoors(options.doors);
  const clientSecret = randomBytes(24).toString('base64url');
  const peer = await startOidcProvider({
    clients: [
      {
        clientId: OIDC_CLIENT_ID,
        clientSecret,
        redirectUris: doors.map((door) => callbackUrl(door.url, OIDC_PROVIDER)),
      },
    ],
    ...(options.accounts ? { accounts: options.accounts } : {}),
  });
  let created = 0;
  return {
    peer,
    doors,
    clientSecret,
    newAccount: (email, verified = true) => {
      created += 1;
      const sub = `sub-${created}-${randomBytes(4).toString('hex')}`;
      peer.accounts.set(sub, { sub, email, email_verified: verified });
      peer.next = { login: sub };
      return sub;
    },
    close: async () => {
      await peer.close();
      await closeDoors(doors);
    },
  };
}

/** {@link startOidcPeerWithDoors} before the tests of the file (or suite), closed after them. */
export function oidcPeerForSuite(options: {
  doors: number;
  accounts?: readonly OidcAccount[];
}): OidcPeerWithDoors {
  return forTheSuite('the OIDC provider', () => startOidcPeerWithDoors(options));
}

/** Front doors opened before the tests of the file (or suite), closed after them. */
export function doorsForSuite(count: number): { readonly doors: readonly FrontDoor[] } {
  return forTheSuite('the front doors', async () => {
    const doors = await openDoors(count);
    return { doors, close: () => closeDoors(doors) };
  });
}

/** The loopback GitHub (logging in as `user` until told otherwise), for the tests of the file (or suite). */
export function fakeGithubForSuite(user: GithubUser): FakeGithub {
  return forTheSuite('the loopback GitHub', () => startFakeGithub(user));
}

/** The OIDC provider {@link OIDC_PROVIDER} of an app behind `url`, as its configuration names it. */
export function oidcProviderConfig(oidc: OidcPeerWithDoors, url: string) {
  return {
    type: 'oidc' as const,
    issuer: oidc.peer.issuer,
    clientId: OIDC_CLIENT_ID,
    clientSecret: oidc.clientSecret,
    redirectUri: callbackUrl(url, OIDC_PROVIDER),
  };
}

/** The loopback GitHub's client registration and endpoints, for provider `name` of an app behind `url`. */
export function githubClientConfig(github: FakeGithub, url: string, name: string) {
  return {
    clientId: github.clientId,
    clientSecret: github.clientSecret,
    redirectUri: callbackUrl(url, name),
    authorizationEndpoint: `${github.url}/login/oauth/authorize`,
    tokenEndpoint: `${github.url}/login/oauth/access_token`,
  };
}

/** The `github` provider of an app behind `url`, pointed at the loopback GitHub. */
export function githubProviderConfig(github: FakeGithub, url: string) {
  return { type: 'github' as const, ...githubClientConfig(github, url, 'github'), apiBaseUrl: github.url };
}

/** Stops before the app's own pages: everything outside `/auth` and the loopback providers. */
export function outsideAuth(appUrl: string): (next: URL) => boolean {
  const { host } = new URL(appUrl);
  return (next) =>
    next.hostname !== '127.0.0.1' || (next.host === host && !next.pathname.startsWith('/auth/'));
}

/** Stops right before gatehouse's callback (to replay it, alter it, or hand it to another browser). */
export function atCallback(appUrl: string, name: string): (next: URL) => boolean {
  const target = callbackUrl(appUrl, name);
  return (next) => `${next.origin}${next.pathname}` === target;
}

/** Logs in through provider `name` with `browser`, up to the redirect back into the app. */
export async function loginThrough(
  browser: Browser,
  appUrl: string,
  name: string,
  returnTo = '/app',
): Promise<{ hops: Hop[]; last: Hop; next: string | undefined }> {
  const start = `${appUrl}/auth/oauth/${name}/login?return_to=${encodeURIComponent(returnTo)}`;
  return browser.follow(start, outsideAuth(appUrl));
}

/** The parameters of a URL's fragment. */
export function fragmentOf(url: string): URLSearchParams {
  return new URLSearchParams(new URL(url).hash.slice(1));
}

/** POSTs JSON with `browser` (its cookies included). */
export async function postJsonWith(
  browser: Browser,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const hop = await browser.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(hop.text) as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  return { ...hop, body: parsed };
}

export { Browser };
