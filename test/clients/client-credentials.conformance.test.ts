/**
 * The client-credentials grant (RFC 6749 §4.4) at POST /auth/token, through every adapter over
 * real HTTP: Basic with form-urlencoded credentials (OA-10) and client_secret_post, every refusal
 * (RFC 6749 §5.2), client tokens on a requireScope route (AZ-07), and the shared failure throttle
 * (LG-06).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  bearer,
  expectNoLeak,
  field,
  get,
  type Harness,
  postForm,
  postJson,
  registerUser,
  send,
  startHarness,
} from '../http/conformance/support.js';

/** `Authorization: Basic` as RFC 6749 §2.3.1 builds it: form-urlencode each part, then base64. */
function basic(clientId: string, secret: string): Record<string, string> {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return {
    authorization: `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`,
  };
}

const BASIC_CHALLENGE = 'Basic realm="gatehouse", charset="UTF-8"';

describe.each(ADAPTERS)('client credentials: %s', (_name, start) => {
  let h: Harness;
  let clientId: string;
  let secret: string;
  const token = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    postForm(`${h.url}/auth/token`, { grant_type: 'client_credentials', ...params }, headers);

  beforeAll(async () => {
    h = await startHarness(start);
    const registered = await h.gh.clients.register({ name: 'reports', scopes: ['read', 'write'] });
    clientId = registered.client.id;
    secret = registered.clientSecret as string;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('Basic: an access token for the client, the granted scope, no refresh token (OA-10)', async () => {
    const reply = await token({ scope: 'read' }, basic(clientId, secret));
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
      scope: 'read',
    });
    expect(reply.body).not.toHaveProperty('refresh_token');
    expect(reply.headers.get('cache-control')).toBe('no-store');
    const { claims } = await h.gh.tokens.verify(field(reply, 'access_token'));
    expect(claims).toMatchObject({
      sub: clientId,
      clientId,
      scope: ['read'],
      iss: 'gatehouse',
      aud: 'gatehouse-api',
    });
  });

  it('client_secret_post in a form or JSON body; no scope asked = every allowed scope', async () => {
    const form = await token({ client_id: clientId, client_secret: secret });
    expect(form.status, form.text).toBe(200);
    expect(form.body.scope).toBe('read write');
    const json = await postJson(`${h.url}/auth/token`, {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      scope: 'write',
    });
    expect(json.status, json.text).toBe(200);
    expect(json.body.scope).toBe('write');
  });

  it('a client token passes requireScope for a granted scope and gets 403 insufficient_scope otherwise (AZ-07)', async () => {
    const read = field(await token({ scope: 'read' }, basic(clientId, secret)), 'access_token');
    const ok = await get(`${h.url}/scoped`, bearer(read));
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({ userId: clientId, role: '', method: 'bearer', scopes: ['read'] });

    const write = field(await token({ scope: 'write' }, basic(clientId, secret)), 'access_token');
    const refused = await get(`${h.url}/scoped`, bearer(write));
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer realm="gatehouse", error="insufficient_scope", scope="read"',
    );
    // No role: requireRole refuses it; user routes do not take it for a user.
    expect((await get(`${h.url}/admin`, bearer(read))).status).toBe(403);
    // A valid token of the wrong kind: 403 session_required, never 401 invalid_token (which would
    // make a client library refresh and retry).
    const me = await get(`${h.url}/auth/me`, bearer(read));
    expect(me.status).toBe(403);
    expect(me.body).toMatchObject({ error: 'session_required' });
  });

  it('a wrong secret: 401 invalid_client, with the Basic challenge only when Basic was used', async () => {
    const viaBasic = await token({}, basic(clientId, `${secret}x`));
    expect(viaBasic.status).toBe(401);
    expect(viaBasic.body).toEqual({ error: 'invalid_client' });
    expect(viaBasic.headers.get('www-authenticate')).toBe(BASIC_CHALLENGE);
    const viaPost = await token({ client_id: clientId, client_secret: 'nope' });
    expect(viaPost.status).toBe(401);
    expect(viaPost.body).toEqual({ error: 'invalid_client' });
    expect(viaPost.headers.get('www-authenticate')).toBeNull();
    // Unknown client and no client at all answer the same.
    expect((await token({}, basic('ghc_nobody', secret))).body).toEqual({ error: 'invalid_client' });
    expect((await token({})).status).toBe(401);
    expect((await token({}, bearer('abc'))).headers.get('www-authenticate')).toBe(BASIC_CHALLENGE);
    expectNoLeak(viaBasic.text);
  });

  it('a scope the client is not allowed: 400 invalid_scope', async () => {
    const reply = await token({ scope: 'read admin' }, basic(clientId, secret));
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ error: 'invalid_scope' });
  });

  it('malformed Basic (bad base64, no colon, bad escape, bad UTF-8, two headers): 400 invalid_request', async () => {
    const b64 = (raw: string | Buffer) => ({ authorization: `Basic ${Buffer.from(raw).toString('base64')}` });
    for (const headers of [
      { authorization: 'Basic !!!' },
      b64('no-colon-here'),
      b64(`${clientId}:%E0%A4%A`),
      b64(Buffer.from([0xff, 0x3a, 0x61])),
    ]) {
      const reply = await token({}, headers);
      expect(reply.status, JSON.stringify(headers)).toBe(400);
      expect(reply.body.error).toBe('invalid_request');
    }
  });

  it('Basic and client_secret_post at once: 400 invalid_request, even with the right secret', async () => {
    const reply = await token({ client_id: clientId, client_secret: secret }, basic(clientId, secret));
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe('invalid_request');
    const otherId = await token({ client_id: 'someone-else' }, basic(clientId, secret));
    expect(otherId.body.error).toBe('invalid_request');
    // The same client_id in the body next to Basic is one method, and fine.
    expect((await token({ client_id: clientId }, basic(clientId, secret))).status).toBe(200);
  });

  it('a client id with ":" and "%" round-trips through Basic (OA-10)', async () => {
    const odd = await h.gh.clients.register({ name: 'odd', id: 'svc:nightly%20+x y', scopes: ['read'] });
    const reply = await token({}, basic('svc:nightly%20+x y', odd.clientSecret as string));
    expect(reply.status, reply.text).toBe(200);
    expect((await h.gh.tokens.verify(field(reply, 'access_token'))).claims.sub).toBe('svc:nightly%20+x y');
  });

  it('disabling the client refuses its live tokens at once; a public client gets unauthorized_client', async () => {
    const svc = await h.gh.clients.register({ name: 'short-lived', scopes: ['read'] });
    const access = field(await token({}, basic(svc.client.id, svc.clientSecret as string)), 'access_token');
    expect((await get(`${h.url}/scoped`, bearer(access))).status).toBe(200);
    await h.gh.clients.disable(svc.client.id);
    const refused = await get(`${h.url}/scoped`, bearer(access));
    expect(refused.status).toBe(401);
    expect((await token({}, basic(svc.client.id, svc.clientSecret as string))).status).toBe(401);

    const cli = await h.gh.clients.register({ name: 'cli', public: true });
    const reply = await token({ client_id: cli.client.id });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ error: 'unauthorized_client' });
  });
});

describe.each(ADAPTERS)(
  'client authentication failures share the login throttle (LG-06): %s',
  (_name, start) => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(start, {
        tokens: { scopes: ['read'] },
        rateLimits: { loginFailuresPerIp: { limit: 3, window: 900 } },
      });
    });
    afterAll(async () => {
      await h?.close();
    });

    it('after N failed client authentications from an IP, the right secret and password logins are throttled too', async () => {
      const user = await registerUser(h, 'throttle');
      const { client, clientSecret } = await h.gh.clients.register({ name: 'svc', scopes: ['read'] });
      for (let i = 0; i < 3; i++) {
        const reply = await postForm(`${h.url}/auth/token`, {
          grant_type: 'client_credentials',
          client_id: client.id,
          client_secret: `wrong-${i}`,
        });
        expect(reply.status).toBe(401);
      }
      const right = await postForm(`${h.url}/auth/token`, {
        grant_type: 'client_credentials',
        client_id: client.id,
        client_secret: clientSecret as string,
      });
      expect(right.status).toBe(429);
      expect(right.headers.get('retry-after')).toMatch(/^\d+$/);
      const login = await send(`${h.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: user.email, password: user.password }),
      });
      expect(login.status).toBe(429);
      expect(h.gh.seen.filter((e) => e.type === 'client.authentication_failed')).toHaveLength(3);
    });
  },
);
