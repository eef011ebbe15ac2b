/**
 * Shared helpers of the HTTP conformance suite: start an adapter's test app, talk to it with a
 * `fetch`-shaped client (or raw header pairs where fetch can't express the request), and check
 * response shapes that every test cares about.
 *
 * One suite, several transports: {@link TRANSPORTS} lists each adapter over real HTTP and through
 * its framework's own test tool. The helpers take absolute URLs; a URL whose origin belongs to an
 * in-process app (registered by {@link startHarness} until `close()`) goes through that app's
 * tool, any other over the network. Tests are written once against `h.url`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { parseSetCookie, type SetCookie } from 'cookie';
import { expect } from 'vitest';
import { createMemoryStore, type GatehouseConfig, type Store } from '../../../src/index.js';
import { GOOD_PASSWORD, type TestGatehouse, testGatehouse } from '../../support/gatehouse.js';
import type { Client, RawClient, RunningApp, StartApp } from '../apps/types.js';

export { ADAPTERS, TRANSPORTS } from '../apps/index.js';
export { GOOD_PASSWORD };

/** A gatehouse and an adapter's app serving it. */
export interface Harness {
  readonly gh: TestGatehouse;
  /** The app's origin: `http://127.0.0.1:<port>`, or a made-up one answered in process. */
  readonly url: string;
  /** `'http'` over a socket, `'in-process'` through the framework's test tool. */
  readonly transport: 'http' | 'in-process';
  close(): Promise<void>;
}

/** In-process apps by origin, while they run. */
const inProcess = new Map<string, Required<Pick<RunningApp, 'client' | 'raw'>>>();

function clientFor(url: string): Client {
  return inProcess.get(new URL(url).origin)?.client ?? fetch;
}

/** The configuration most tests run with: the `read` and `write` scopes may be requested. */
export const SCOPED: Partial<GatehouseConfig> = { tokens: { scopes: ['read', 'write'] } };

/** Cookie mode on, with the secure defaults (`__Host-`/`__Secure-` names). */
export const COOKIE_MODE: Partial<GatehouseConfig> = { http: { cookies: { enabled: true } } };

/** Cookie mode, plus a GitHub provider whose endpoints are never reached by these tests. */
export const COOKIES_AND_GITHUB: Partial<GatehouseConfig> = {
  ...COOKIE_MODE,
  oauth: {
    allowInsecureRequests: true,
    providers: {
      github: {
        type: 'github',
        clientId: 'gatehouse-test',
        clientSecret: randomBytes(24).toString('base64url'),
        redirectUri: 'https://app.example.com/auth/oauth/github/callback',
        authorizationEndpoint: 'http://127.0.0.1:9/login/oauth/authorize',
        tokenEndpoint: 'http://127.0.0.1:9/login/oauth/access_token',
        apiBaseUrl: 'http://127.0.0.1:9',
      },
    },
  },
};

export async function startHarness(
  start: StartApp,
  overrides: Partial<GatehouseConfig> = SCOPED,
): Promise<Harness> {
  const gh = testGatehouse(overrides);
  const app = await start(gh);
  const origin = new URL(app.url).origin;
  if (app.client && app.raw) inProcess.set(origin, { client: app.client, raw: app.raw });
  return {
    gh,
    url: app.url,
    transport: app.client ? 'in-process' : 'http',
    close: async () => {
      inProcess.delete(origin);
      await app.close();
    },
  };
}

/** What a response said, read once. */
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  /** The raw body text. */
  readonly text: string;
  /** The JSON body when it is an object, else `{}`. */
  readonly body: Record<string, unknown>;
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Sends a request through the transport of the app at `url` (see the module comment). */
export async function send(url: string, init: RequestInit = {}): Promise<Reply> {
  const response = await clientFor(url)(url, { redirect: 'manual', ...init });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: parseObject(text) };
}

export function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  return send(url, { headers });
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

export function postForm(
  url: string,
  params: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof params === 'string' ? params : new URLSearchParams(params).toString(),
  });
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** A string field of a JSON body (fails the test when it is missing). */
export function field(reply: Reply, name: string): string {
  const value = reply.body[name];
  if (typeof value !== 'string') {
    throw new Error(`expected a string "${name}" in ${reply.status} ${reply.text.slice(0, 300)}`);
  }
  return value;
}

/** A response read through `node:http`, for requests fetch cannot send (duplicate headers). */
export interface RawReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/**
 * Sends a request with raw header pairs, duplicates kept, and the path as written (over HTTP;
 * an in-process tool normalizes dot segments as a URL parser does). With array headers Node
 * adds no `Host`, so it is added here (HTTP/1.1 requires it).
 */
export function rawRequest(
  url: string,
  method: string,
  headers: ReadonlyArray<readonly [string, string]> = [],
): Promise<RawReply> {
  const raw: RawClient | undefined = inProcess.get(new URL(url).origin)?.raw;
  if (raw)
    return raw(url, method, headers).then((reply) => ({
      ...reply,
      headers: reply.headers as IncomingHttpHeaders,
    }));
  const flat = [['host', new URL(url).host] as const, ...headers].flat();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: flat }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

let counter = 0;

/** A fresh, valid email whose local part never appears in {@link GOOD_PASSWORD}. */
export function uniqueEmail(tag = 'user'): string {
  counter += 1;
  return `${tag}${counter}.${randomUUID().slice(0, 8)}@example.com`;
}

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly password: string;
}

/** Registers a user through POST /auth/register (JSON). */
export async function registerUser(h: Harness, tag = 'user'): Promise<TestUser> {
  const email = uniqueEmail(tag);
  const reply = await postJson(`${h.url}/auth/register`, { email, password: GOOD_PASSWORD });
  if (h.gh.account.uniformRegistration) {
    // With a mailer and email verification, registration answers 202 without the user (LG-03).
    expect(reply.status, reply.text).toBe(202);
    const stored = await h.gh.store.users.findByEmail(email);
    return { id: stored?.id as string, email, password: GOOD_PASSWORD };
  }
  expect(reply.status, reply.text).toBe(201);
  return { id: field(reply, 'id'), email, password: GOOD_PASSWORD };
}

export interface Tokens {
  readonly access: string;
  readonly refresh: string;
}

/** Tokens from the password grant of POST /auth/token (form body). */
export async function passwordGrant(h: Harness, user: TestUser, scope?: string): Promise<Tokens> {
  const reply = await postForm(`${h.url}/auth/token`, {
    grant_type: 'password',
    username: user.email,
    password: user.password,
    ...(scope === undefined ? {} : { scope }),
  });
  expect(reply.status, reply.text).toBe(200);
  return { access: field(reply, 'access_token'), refresh: field(reply, 'refresh_token') };
}

/** A registered user and a fresh pair of tokens. */
export async function userWithTokens(h: Harness, tag = 'user'): Promise<TestUser & { tokens: Tokens }> {
  const user = await registerUser(h, tag);
  return { ...user, tokens: await passwordGrant(h, user) };
}

/** The exact challenge of a request without credentials (RFC 6750 §3). */
export const BEARER_CHALLENGE = 'Bearer realm="gatehouse"';
export const bearerChallenge = (error: string): string => `Bearer realm="gatehouse", error="${error}"`;
export const BASIC_CHALLENGE = 'Basic realm="gatehouse", charset="UTF-8"';

/** Asserts that an error response shows no internals: stack, frames, SQL, file paths, hashes. */
export function expectNoLeak(text: string): void {
  expect(text).not.toMatch(/stack/i);
  expect(text).not.toMatch(/\bat \S+ \(|\bat .+:\d+:\d+/);
  expect(text).not.toMatch(/\b(SELECT|INSERT INTO|DELETE FROM|UPDATE \w+ SET)\b/i);
  expect(text).not.toMatch(/\/(work|home|usr|tmp)\/|node_modules|\w\.(ts|js|cjs|mjs)\b|file:\/\//);
  expect(text).not.toMatch(/argon2|passwordHash|\$2[aby]\$/i);
}

/** The parsed Set-Cookie headers of a response. */
export function setCookies(reply: Reply): SetCookie[] {
  return reply.headers.getSetCookie().map((value) => parseSetCookie(value));
}

/** The one Set-Cookie named `name` (fails the test unless exactly one). */
export function cookieNamed(reply: Reply, name: string): SetCookie {
  const matches = setCookies(reply).filter((c) => c.name === name);
  expect(matches, `Set-Cookie ${name} in ${reply.headers.getSetCookie().join(' | ')}`).toHaveLength(1);
  return matches[0] as SetCookie;
}

/** A `Cookie` request header. */
export function cookieHeader(cookies: Record<string, string>): string {
  return Object.entries(cookies)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
}

/** The cookie-mode names with the secure default. */
export const COOKIE = {
  access: '__Host-gatehouse-at',
  refresh: '__Secure-gatehouse-rt',
  csrf: '__Host-gatehouse-csrf',
} as const;

/**
 * A memory store whose `users.findById` always rejects with an error carrying SQL text, as a
 * failing database driver would. Everything else works, so users can register and log in.
 */
export function storeWithFailingFindById(): Store {
  const base = createMemoryStore();
  const users = new Proxy(base.users, {
    get(target, property) {
      if (property === 'findById') {
        return () => Promise.reject(new Error('SELECT secret FROM users WHERE id = $1 (/srv/app/db.ts:42)'));
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return new Proxy(base, {
    get(target, property) {
      return property === 'users' ? users : Reflect.get(target, property, target);
    },
  });
}
