/**
 * Shared plumbing of the OAuth tests: an adapter's test app behind a {@link FrontDoor} (so the
 * redirect URI is known before the app exists), a gatehouse whose clock starts at the real time
 * (the peers sign tokens with real `iat`/`exp`) and can be moved forward, and a browser that logs
 * in through a provider.
 */
import type { GatehouseConfig } from '../../src/index.js';
import type { StartApp } from '../http/apps/types.js';
import { Browser, type Hop } from '../support/browser.js';
import { type FrontDoor, startFrontDoor } from '../support/front-door.js';
import { FakeClock, type TestGatehouse, testGatehouse } from '../support/gatehouse.js';

export { ADAPTERS } from '../http/apps/index.js';

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
