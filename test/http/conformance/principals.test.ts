/**
 * Conformance of the auth routes that act for the signed-in user, for every kind of principal,
 * through every transport: only a user signed in to this gatehouse with an access token (Bearer
 * or cookie) is served. A client's token (client credentials, RFC 6749 §4.4), an API key (header
 * or `Bearer ghk_...`) and another issuer's token are valid credentials, so they answer 403
 * `session_required` — never 401 `invalid_token` (RFC 6750 §3.1), which tells a client library to
 * refresh and retry — and change nothing. App routes behind `authenticate()` still take them.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type IssuerKey,
  type IssuerServer,
  issuerKey,
  startIssuerServer,
} from '../../resource-server/issuer-server.js';
import {
  bearer,
  field,
  get,
  type Harness,
  postForm,
  postJson,
  type Reply,
  send,
  startHarness,
  type TestUser,
  type Tokens,
  TRANSPORTS,
  userWithTokens,
} from './support.js';

const AUDIENCE = 'gatehouse-api';

/** Every auth route that acts for the signed-in user (with the default routes and API keys on). */
const USER_ROUTES: ReadonlyArray<readonly [method: 'GET' | 'POST', path: string, body?: object]> = [
  ['GET', '/auth/me'],
  ['POST', '/auth/logout'],
  ['POST', '/auth/logout-all'],
  ['POST', '/auth/password/change', { current_password: 'x', new_password: 'violet-otter-42-lantern-2' }],
  ['POST', '/auth/email/change', { current_password: 'x', new_email: 'other@example.com' }],
  ['POST', '/auth/account/delete', { current_password: 'x' }],
  ['POST', '/auth/mfa/totp/enroll', { current_password: 'x' }],
  ['POST', '/auth/mfa/totp/confirm', { code: '123456' }],
  ['POST', '/auth/mfa/totp/disable', { current_password: 'x' }],
  ['POST', '/auth/mfa/backup-codes', { current_password: 'x' }],
  ['POST', '/auth/device/verify', { user_code: 'BCDF-GHJK' }],
  ['POST', '/auth/device/approve', { user_code: 'BCDF-GHJK', approve: true }],
  ['POST', '/auth/api-keys', { name: 'more', scopes: ['read'] }],
  ['GET', '/auth/api-keys'],
  ['POST', '/auth/api-keys/revoke', { id: 'x' }],
];

function request(
  h: Harness,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string>,
  body?: object,
) {
  return method === 'GET'
    ? get(`${h.url}${path}`, headers)
    : postJson(`${h.url}${path}`, body ?? {}, headers);
}

function expectSessionRequired(reply: Reply, label: string): void {
  expect(reply.status, `${label}: ${reply.text}`).toBe(403);
  expect(reply.body, label).toEqual({ error: 'session_required', message: expect.any(String) });
  expect(reply.headers.get('www-authenticate') ?? '', label).not.toContain('invalid_token');
  expect(reply.headers.get('cache-control'), label).toBe('no-store');
}

describe.each(TRANSPORTS)('user routes and principal kinds: %s', (_name, start) => {
  let h: Harness;
  let issuer: IssuerServer;
  let key: IssuerKey;
  let user: TestUser & { tokens: Tokens };
  /** A valid credential of every kind but a user session, as request headers. */
  let others: ReadonlyArray<readonly [kind: string, headers: () => Promise<Record<string, string>>]>;

  beforeAll(async () => {
    issuer = await startIssuerServer({ now: () => h.gh.clock.now(), audience: AUDIENCE });
    key = await issuerKey('k1');
    issuer.keys = [key];
    h = await startHarness(start, {
      tokens: { scopes: ['read', 'write'] },
      apiKeys: { enabled: true, scopes: ['read'] },
      mfa: { secretKeys: randomBytes(32).toString('base64url') },
      resourceServer: {
        allowInsecureHttp: true,
        issuers: [
          { issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, algorithms: ['ES256'] },
        ],
      },
    });
    user = await userWithTokens(h, 'principals');
    const created = await postJson(
      `${h.url}/auth/api-keys`,
      { name: 'ci', scopes: ['read'] },
      bearer(user.tokens.access),
    );
    const apiKey = field(created, 'key');
    const registered = await h.gh.clients.register({ name: 'reports', scopes: ['read'] });
    const clientToken = field(
      await postForm(`${h.url}/auth/token`, {
        grant_type: 'client_credentials',
        client_id: registered.client.id,
        client_secret: registered.clientSecret as string,
      }),
      'access_token',
    );
    others = [
      ['a client-credentials token', async () => bearer(clientToken)],
      ['an API key in X-API-Key', async () => ({ 'x-api-key': apiKey })],
      ['an API key as a Bearer token', async () => bearer(apiKey)],
      ['another issuer’s token', async () => bearer(await issuer.sign(key, { scope: 'read' }))],
    ];
  });
  afterAll(async () => {
    await h?.close();
    await issuer?.close();
  });

  it('each kind is a valid credential: it passes authenticate() on an app route', async () => {
    for (const [kind, headers] of others) {
      const reply = await get(`${h.url}/generate/text`, await headers());
      expect(reply.status, `${kind}: ${reply.text}`).toBe(200);
    }
  });

  it('each kind on every user route -> 403 session_required, never 401 invalid_token', async () => {
    for (const [kind, headers] of others) {
      for (const [method, path, body] of USER_ROUTES) {
        const reply = await request(h, method, path, await headers(), body);
        expectSessionRequired(reply, `${kind} ${method} ${path}`);
      }
    }
  });

  it('the refusals change nothing: the user’s session, API key and account are intact', async () => {
    for (const [, headers] of others) {
      for (const path of ['/auth/logout-all', '/auth/logout']) {
        await send(`${h.url}${path}`, { method: 'POST', headers: await headers() });
      }
    }
    const me = await get(`${h.url}/auth/me`, bearer(user.tokens.access));
    expect(me.status, me.text).toBe(200);
    expect(me.body).toMatchObject({ id: user.id });
    const keys = await get(`${h.url}/auth/api-keys`, bearer(user.tokens.access));
    expect(keys.status).toBe(200);
    expect(keys.body.keys).toHaveLength(1);
    expect(h.gh.seen.filter((e) => e.type === 'token.revoked' && e.userId === user.id)).toEqual([]);
  });

  it('a signed-in user’s own access token is served on the same routes (no session_required)', async () => {
    const own = await userWithTokens(h, 'principals-own');
    for (const [method, path, body] of USER_ROUTES.filter(([, p]) => !p.includes('logout'))) {
      const reply = await request(h, method, path, bearer(own.tokens.access), body);
      // Served: the route's own answer (a wrong current password is its 401 invalid_credentials).
      expect(reply.body.error, `${method} ${path}: ${reply.text}`).not.toBe('session_required');
      expect(reply.headers.get('www-authenticate'), `${method} ${path}`).toBeNull();
      expect(reply.status, `${method} ${path}`).toBeLessThan(500);
    }
  });
});
