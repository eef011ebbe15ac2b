/**
 * Conformance of the auth routes (/auth/*) across every adapter and transport:
 * the token lifecycle (RV-01), login (LG-01, LG-04), the token endpoint (RFC 6749 §5) and
 * refresh rotation. Limits, error hygiene and caching are in limits.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BEARER_CHALLENGE,
  bearer,
  bearerChallenge,
  expectNoLeak,
  field,
  GOOD_PASSWORD,
  get,
  type Harness,
  passwordGrant,
  postForm,
  postJson,
  type Reply,
  registerUser,
  send,
  startHarness,
  TRANSPORTS,
  uniqueEmail,
  userWithTokens,
} from './support.js';

describe.each(TRANSPORTS)('auth routes conformance: %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(start);
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('token lifecycle (RV-01)', () => {
    it.each([
      ['form', postForm],
      ['json', postJson],
    ] as const)(
      'register -> token -> me -> guarded route -> logout -> refused (%s bodies)',
      async (_kind, post) => {
        const email = uniqueEmail('flow');
        const registered = await post(`${h.url}/auth/register`, { email, password: GOOD_PASSWORD });
        expect(registered.status, registered.text).toBe(201);
        const userId = field(registered, 'id');
        expect(registered.body).toMatchObject({ email, role: 'USER', isActive: true });
        expect(registered.text).not.toMatch(/passwordHash|argon2/);

        const token = await post(`${h.url}/auth/token`, {
          grant_type: 'password',
          username: email,
          password: GOOD_PASSWORD,
        });
        expect(token.status, token.text).toBe(200);
        expect(token.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
        expect(token.headers.get('content-type')).toMatch(/^application\/json/);
        const access = field(token, 'access_token');
        const refresh = field(token, 'refresh_token');

        const me = await get(`${h.url}/auth/me`, bearer(access));
        expect(me.status, me.text).toBe(200);
        expect(me.body).toMatchObject({ id: userId, email, role: 'USER' });
        expect(me.text).not.toMatch(/passwordHash|argon2/);

        const text = await send(`${h.url}/generate/text`, { method: 'POST', headers: bearer(access) });
        expect(text.status, text.text).toBe(200);
        expect(text.body).toEqual({ userId, role: 'USER', method: 'bearer', scopes: [] });

        const logout = await send(`${h.url}/auth/logout`, { method: 'POST', headers: bearer(access) });
        expect(logout.status, logout.text).toBe(204);
        expect(logout.text).toBe('');

        for (const path of ['/auth/me', '/generate/text']) {
          const refused = await get(`${h.url}${path}`, bearer(access));
          expect(refused.status, `${path} ${refused.text}`).toBe(401);
          expect(refused.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_token'));
        }
        const again = await postForm(`${h.url}/auth/token`, {
          grant_type: 'refresh_token',
          refresh_token: refresh,
        });
        expect(again.status, again.text).toBe(400);
        expect(again.body).toEqual({ error: 'invalid_grant' });
      },
    );

    it('POST /auth/logout-all revokes every session of the user', async () => {
      const user = await registerUser(h, 'all');
      const first = await passwordGrant(h, user);
      const second = await passwordGrant(h, user);
      const logout = await send(`${h.url}/auth/logout-all`, {
        method: 'POST',
        headers: bearer(first.access),
      });
      expect(logout.status, logout.text).toBe(204);
      expect((await get(`${h.url}/auth/me`, bearer(second.access))).status).toBe(401);
      const refresh = await postJson(`${h.url}/auth/refresh`, { refresh_token: second.refresh });
      expect(refresh.status).toBe(400);
      expect(refresh.body.error).toBe('invalid_grant');
    });

    it('POST /auth/logout without a token -> 401 with the bare challenge', async () => {
      const reply = await send(`${h.url}/auth/logout`, { method: 'POST' });
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(BEARER_CHALLENGE);
    });
  });

  describe('login (LG-01, LG-04)', () => {
    it('JSON login -> 200 with tokens and the public user, no hash', async () => {
      const user = await registerUser(h, 'login');
      const reply = await postJson(`${h.url}/auth/login`, { email: user.email, password: user.password });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      expect(field(reply, 'access_token')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(field(reply, 'refresh_token').length).toBeGreaterThan(20);
      expect(reply.body.user).toMatchObject({ id: user.id, email: user.email, role: 'USER' });
      expect(Object.keys(reply.body.user as object)).not.toContain('passwordHash');
      expect(reply.text).not.toMatch(/argon2|passwordHash/i);
      const me = await get(`${h.url}/auth/me`, bearer(field(reply, 'access_token')));
      expect(me.status).toBe(200);
    });

    it('unknown user, wrong password and disabled account get byte-identical 401s (LG-01)', async () => {
      const wrong = await registerUser(h, 'wrong');
      const disabled = await registerUser(h, 'disabled');
      await h.gh.auth.disableAccount(disabled.id);
      const attempts: Reply[] = [
        await postJson(`${h.url}/auth/login`, { email: uniqueEmail('nobody'), password: GOOD_PASSWORD }),
        await postJson(`${h.url}/auth/login`, { email: wrong.email, password: `${GOOD_PASSWORD}-x` }),
        await postJson(`${h.url}/auth/login`, { email: disabled.email, password: disabled.password }),
      ];
      const [first, ...rest] = attempts as [Reply, ...Reply[]];
      expect(first.status).toBe(401);
      expect(first.body.error).toBe('invalid_credentials');
      expectNoLeak(first.text);
      const shape = (r: Reply) => ({
        status: r.status,
        text: r.text,
        contentType: r.headers.get('content-type'),
        cacheControl: r.headers.get('cache-control'),
        challenge: r.headers.get('www-authenticate'),
        cookies: r.headers.getSetCookie(),
      });
      for (const other of rest) expect(shape(other)).toEqual(shape(first));
    });

    it('the token endpoint answers the same three cases with the same invalid_grant', async () => {
      const wrong = await registerUser(h, 'wrong');
      const disabled = await registerUser(h, 'disabled');
      await h.gh.auth.disableAccount(disabled.id);
      const texts = await Promise.all(
        [
          { username: uniqueEmail('nobody'), password: GOOD_PASSWORD },
          { username: wrong.email, password: 'another-wrong-password-123' },
          { username: disabled.email, password: disabled.password },
        ].map(async (creds) => {
          const reply = await postForm(`${h.url}/auth/token`, { grant_type: 'password', ...creds });
          return `${reply.status} ${reply.text}`;
        }),
      );
      expect(texts).toEqual(Array(3).fill('400 {"error":"invalid_grant"}'));
    });

    it('two logins give different tokens and independent sessions; a planted sid is ignored (LG-04)', async () => {
      const user = await registerUser(h, 'fixation');
      const login = () =>
        postJson(
          `${h.url}/auth/login`,
          { email: user.email, password: user.password },
          { cookie: 'sid=X; gatehouse-session=X' },
        );
      const a = await login();
      const b = await login();
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect(field(a, 'access_token')).not.toBe(field(b, 'access_token'));
      expect(field(a, 'refresh_token')).not.toBe(field(b, 'refresh_token'));
      for (const reply of [a, b]) {
        expect(reply.headers.getSetCookie().filter((c) => /^sid=/i.test(c))).toEqual([]);
        expect(reply.text).not.toContain('"X"');
      }
      // Different families: logging out session a leaves session b working.
      const out = await send(`${h.url}/auth/logout`, {
        method: 'POST',
        headers: bearer(field(a, 'access_token')),
      });
      expect(out.status).toBe(204);
      expect((await get(`${h.url}/auth/me`, bearer(field(a, 'access_token')))).status).toBe(401);
      expect((await get(`${h.url}/auth/me`, bearer(field(b, 'access_token')))).status).toBe(200);
      const refreshB = await postJson(`${h.url}/auth/refresh`, { refresh_token: field(b, 'refresh_token') });
      expect(refreshB.status, refreshB.text).toBe(200);
    });
  });

  describe('refresh rotation', () => {
    it('grant_type=refresh_token at /auth/token rotates the refresh token', async () => {
      const { tokens, id } = await userWithTokens(h, 'rotate');
      const reply = await postForm(`${h.url}/auth/token`, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh,
      });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      expect(field(reply, 'refresh_token')).not.toBe(tokens.refresh);
      expect(field(reply, 'access_token')).not.toBe(tokens.access);
      const me = await get(`${h.url}/auth/me`, bearer(field(reply, 'access_token')));
      expect(me.body.id).toBe(id);
    });

    it('RF-04: a refresh naming another client_id -> 400 invalid_grant; its own client_id is accepted', async () => {
      const { tokens } = await userWithTokens(h, 'client-bound');
      const other = await postForm(`${h.url}/auth/token`, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh,
        client_id: 'someone-else',
      });
      expect(other.status, other.text).toBe(400);
      expect(other.body).toEqual({ error: 'invalid_grant' });
      const own = await postForm(`${h.url}/auth/token`, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh,
        client_id: h.gh.config.clientId,
      });
      expect(own.status, own.text).toBe(200);
    });

    it('POST /auth/refresh with a JSON refresh_token rotates it', async () => {
      const { tokens } = await userWithTokens(h, 'rotate');
      const reply = await postJson(`${h.url}/auth/refresh`, { refresh_token: tokens.refresh });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toMatchObject({ token_type: 'Bearer' });
      expect(field(reply, 'refresh_token')).not.toBe(tokens.refresh);
      expect((await get(`${h.url}/auth/me`, bearer(field(reply, 'access_token')))).status).toBe(200);
    });

    it.each([
      [
        '/auth/token',
        (url: string, token: string) =>
          postForm(`${url}/auth/token`, { grant_type: 'refresh_token', refresh_token: token }),
      ],
      [
        '/auth/refresh',
        (url: string, token: string) => postJson(`${url}/auth/refresh`, { refresh_token: token }),
      ],
    ] as const)('reuse at %s -> 400 invalid_grant and the whole family revoked', async (_path, refresh) => {
      const { tokens } = await userWithTokens(h, 'reuse');
      const rotated = await refresh(h.url, tokens.refresh);
      expect(rotated.status, rotated.text).toBe(200);
      const successor = field(rotated, 'refresh_token');
      const successorAccess = field(rotated, 'access_token');

      // Past the interval in which the same successor comes back (two tabs refreshing at once).
      h.gh.clock.advance(h.gh.config.tokens.refreshReuseInterval + 1);
      const reused = await refresh(h.url, tokens.refresh);
      expect(reused.status).toBe(400);
      expect(reused.body.error).toBe('invalid_grant');
      expect(reused.headers.get('cache-control')).toBe('no-store');

      const afterReuse = await refresh(h.url, successor);
      expect(afterReuse.status).toBe(400);
      expect(afterReuse.body.error).toBe('invalid_grant');
      const me = await get(`${h.url}/auth/me`, bearer(successorAccess));
      expect(me.status).toBe(401);
      expect(me.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_token'));
    });

    it('an unknown refresh token -> 400 invalid_grant; a missing one -> 400 invalid_request', async () => {
      const unknown = await postJson(`${h.url}/auth/refresh`, { refresh_token: 'ghr_not-a-real-token' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error).toBe('invalid_grant');
      const missing = await postJson(`${h.url}/auth/refresh`, {});
      expect(missing.status).toBe(400);
      expect(missing.body.error).toBe('invalid_request');
    });
  });

  describe('token endpoint errors (RFC 6749 §5.2)', () => {
    const token = (body: Record<string, string> | string) => postForm(`${h.url}/auth/token`, body);

    it('missing grant_type -> invalid_request', async () => {
      const user = await registerUser(h, 'grant');
      const reply = await token({ username: user.email, password: user.password });
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('invalid_request');
    });

    it('unknown grant_type -> unsupported_grant_type', async () => {
      // client_credentials and the device-code grant are supported (test/clients, test/device).
      for (const grantType of ['authorization_code', 'implicit', 'urn:example:unknown', 'constructor']) {
        const reply = await token({ grant_type: grantType });
        expect(reply.status).toBe(400);
        expect(reply.body).toEqual({ error: 'unsupported_grant_type' });
      }
    });

    it('password grant without a password -> invalid_request', async () => {
      const reply = await token({ grant_type: 'password', username: uniqueEmail() });
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('invalid_request');
    });

    it('wrong password -> invalid_grant', async () => {
      const user = await registerUser(h, 'grant');
      const reply = await token({
        grant_type: 'password',
        username: user.email,
        password: 'nope-nope-nope-123',
      });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ error: 'invalid_grant' });
    });

    it('a scope that is not allowed -> invalid_scope', async () => {
      const user = await registerUser(h, 'grant');
      const reply = await token({
        grant_type: 'password',
        username: user.email,
        password: user.password,
        scope: 'read admin',
      });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ error: 'invalid_scope' });
    });

    it('an allowed scope is granted and echoed', async () => {
      const user = await registerUser(h, 'grant');
      const reply = await token({
        grant_type: 'password',
        username: user.email,
        password: user.password,
        scope: 'read',
      });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body.scope).toBe('read');
    });

    it('Cache-Control: no-store on success and on error', async () => {
      const user = await registerUser(h, 'grant');
      const ok = await token({ grant_type: 'password', username: user.email, password: user.password });
      const bad = await token({
        grant_type: 'password',
        username: user.email,
        password: 'wrong-wrong-wrong-1',
      });
      const unsupported = await token({ grant_type: 'implicit' });
      expect([ok.status, bad.status, unsupported.status]).toEqual([200, 400, 400]);
      for (const reply of [ok, bad, unsupported]) {
        expect(reply.headers.get('cache-control')).toBe('no-store');
        expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      }
    });

    it('a repeated form parameter -> 400 (IN-01)', async () => {
      const user = await registerUser(h, 'grant');
      const credentials = new URLSearchParams({ username: user.email, password: user.password }).toString();
      const reply = await token(`grant_type=password&grant_type=password&${credentials}`);
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('invalid_request');
      expect(reply.body).not.toHaveProperty('access_token');
      const twoPasswords = await token(`grant_type=password&${credentials}&password=other-password-12345`);
      expect(twoPasswords.status).toBe(400);
    });

    it('a JSON body is accepted as well', async () => {
      const user = await registerUser(h, 'grant');
      const reply = await postJson(`${h.url}/auth/token`, {
        grant_type: 'password',
        username: user.email,
        password: user.password,
      });
      expect(reply.status, reply.text).toBe(200);
      expect(field(reply, 'access_token')).toBeTruthy();
    });
  });
});
