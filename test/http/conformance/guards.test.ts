/**
 * Conformance of the guards across every adapter and transport: RFC 6750 errors (TK-10),
 * where tokens are read from (TK-11), 401 vs 403 with the role read per request, scopes (AZ-07),
 * the optional guard and path variants of a guarded route (AZ-08). HTTP Basic is in basic.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BEARER_CHALLENGE,
  bearer,
  bearerChallenge,
  expectNoLeak,
  get,
  type Harness,
  passwordGrant,
  postForm,
  postJson,
  type RawReply,
  rawRequest,
  registerUser,
  send,
  startHarness,
  TRANSPORTS,
  userWithTokens,
} from './support.js';

const basic = (user: string, password: string) =>
  Buffer.from(`${user}:${password}`, 'utf8').toString('base64');

describe.each(TRANSPORTS)('guards conformance: %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(start);
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('401 vs 403, role read per request', () => {
    it('USER -> 403 forbidden on /generate/image and /admin; no token -> 401', async () => {
      const { tokens } = await userWithTokens(h, 'role');
      const image = await send(`${h.url}/generate/image`, { method: 'POST', headers: bearer(tokens.access) });
      const adminGet = await get(`${h.url}/admin`, bearer(tokens.access));
      const adminPost = await send(`${h.url}/admin`, { method: 'POST', headers: bearer(tokens.access) });
      for (const reply of [image, adminGet, adminPost]) {
        expect(reply.status, reply.text).toBe(403);
        expect(reply.body).toMatchObject({ error: 'forbidden' });
        expect(reply.text).not.toContain('userId');
      }
      for (const reply of [
        await send(`${h.url}/generate/image`, { method: 'POST' }),
        await get(`${h.url}/admin`),
      ]) {
        expect(reply.status).toBe(401);
        expect(reply.headers.get('www-authenticate')).toBe(BEARER_CHALLENGE);
      }
    });

    it('promoting the user to ADMIN lets the SAME token through; demoting refuses it again', async () => {
      const { id, tokens } = await userWithTokens(h, 'promote');
      expect((await get(`${h.url}/admin`, bearer(tokens.access))).status).toBe(403);
      await h.gh.store.users.update(id, { role: 'ADMIN' }, new Date());
      const admin = await get(`${h.url}/admin`, bearer(tokens.access));
      expect(admin.status, admin.text).toBe(200);
      expect(admin.body).toMatchObject({ userId: id, role: 'ADMIN', method: 'bearer' });
      const image = await send(`${h.url}/generate/image`, { method: 'POST', headers: bearer(tokens.access) });
      expect(image.status).toBe(200);
      await h.gh.store.users.update(id, { role: 'USER' }, new Date());
      expect((await get(`${h.url}/admin`, bearer(tokens.access))).status).toBe(403);
    });

    it('a disabled account’s token is refused at once', async () => {
      const { id, tokens } = await userWithTokens(h, 'disable');
      expect((await get(`${h.url}/generate/text`, bearer(tokens.access))).status).toBe(200);
      await h.gh.auth.disableAccount(id);
      const reply = await get(`${h.url}/generate/text`, bearer(tokens.access));
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_token'));
    });
  });

  describe('scopes (AZ-07)', () => {
    it('a token issued with scope read passes /scoped', async () => {
      const user = await registerUser(h, 'scope');
      const tokens = await passwordGrant(h, user, 'read');
      const reply = await get(`${h.url}/scoped`, bearer(tokens.access));
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toMatchObject({ userId: user.id, scopes: ['read'] });
    });

    it.each([
      ['no scope', undefined],
      ['scope write', 'write'],
    ])('a token with %s -> 403 insufficient_scope', async (_label, scope) => {
      const user = await registerUser(h, 'scope');
      const tokens = await passwordGrant(h, user, scope);
      const reply = await get(`${h.url}/scoped`, bearer(tokens.access));
      expect(reply.status).toBe(403);
      expect(reply.body.error).toBe('insufficient_scope');
      const challenge = reply.headers.get('www-authenticate') ?? '';
      expect(challenge).toContain('error="insufficient_scope"');
      expect(challenge).toBe('Bearer realm="gatehouse", error="insufficient_scope", scope="read"');
    });

    it('no token -> 401 with the bare challenge', async () => {
      const reply = await get(`${h.url}/scoped`);
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(BEARER_CHALLENGE);
    });
  });

  describe('RFC 6750 errors (TK-10) and token sources (TK-11)', () => {
    it('no credentials -> 401 `Bearer realm="gatehouse"` with no error parameter', async () => {
      const reply = await get(`${h.url}/generate/text`);
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(BEARER_CHALLENGE);
      expect(reply.headers.get('www-authenticate')).not.toContain('error');
    });

    it.each([
      ['garbage', 'not-a-jwt'],
      ['unsigned JWT', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'],
      ['forged JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'],
    ])('a bad token (%s) -> 401 invalid_token', async (_label, token) => {
      const reply = await get(`${h.url}/generate/text`, bearer(token));
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_token'));
      expect(reply.body.error).toBe('invalid_token');
      expectNoLeak(reply.text);
    });

    it('an expired token -> 401 invalid_token, and the challenge does not name the failing claim', async () => {
      const own = await startHarness(start);
      try {
        const { tokens } = await userWithTokens(own, 'expired');
        own.gh.clock.advance(16 * 60);
        const reply = await get(`${own.url}/generate/text`, bearer(tokens.access));
        expect(reply.status).toBe(401);
        expect(reply.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_token'));
        expect(reply.text).not.toMatch(/exp|expired/i);
      } finally {
        await own.close();
      }
    });

    it.each([
      ['two credentials', 'Bearer a b'],
      ['no credentials after the scheme', 'Bearer'],
      ['a comma in the token', 'Bearer abc,def'],
    ])('a malformed header (%s) -> 400 invalid_request', async (_label, header) => {
      const reply = await get(`${h.url}/generate/text`, { authorization: header });
      expect(reply.status).toBe(400);
      expect(reply.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_request'));
      expect(reply.body.error).toBe('invalid_request');
    });

    it('a token over 8 KiB -> 401 invalid_token, never 500 (IN-01)', async () => {
      const huge = `${'a'.repeat(4200)}.${'b'.repeat(4200)}.${'c'.repeat(100)}`;
      const reply = await get(`${h.url}/generate/text`, bearer(huge));
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_token'));
      expectNoLeak(reply.text);
    });

    it('two Authorization headers -> 400 invalid_request, even when each alone is valid', async () => {
      const { tokens } = await userWithTokens(h, 'twoheaders');
      const replies: RawReply[] = [
        await rawRequest(`${h.url}/generate/text`, 'GET', [
          ['authorization', 'Bearer x'],
          ['authorization', 'Bearer y'],
        ]),
        await rawRequest(`${h.url}/generate/text`, 'GET', [
          ['authorization', `Bearer ${tokens.access}`],
          ['authorization', `Bearer ${tokens.access}`],
        ]),
        await rawRequest(`${h.url}/auth/me`, 'GET', [
          ['authorization', `Bearer ${tokens.access}`],
          ['authorization', 'Bearer y'],
        ]),
      ];
      for (const reply of replies) {
        expect(reply.status, reply.text).toBe(400);
        expect(reply.headers['www-authenticate']).toBe(bearerChallenge('invalid_request'));
        expect(JSON.parse(reply.text)).toMatchObject({ error: 'invalid_request' });
      }
      const single = await rawRequest(`${h.url}/generate/text`, 'GET', [
        ['authorization', `Bearer ${tokens.access}`],
      ]);
      expect(single.status).toBe(200);
    });

    it.each(['bearer', 'BEARER', 'BeArEr'])('the scheme is case-insensitive: %s', async (scheme) => {
      const { id, tokens } = await userWithTokens(h, 'scheme');
      const reply = await get(`${h.url}/generate/text`, { authorization: `${scheme} ${tokens.access}` });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body.userId).toBe(id);
    });

    it('a token in the query string is ignored -> 401', async () => {
      const { tokens } = await userWithTokens(h, 'query');
      for (const path of ['/generate/text', '/auth/me', '/optional']) {
        const reply = await get(`${h.url}${path}?access_token=${tokens.access}`);
        const expected = path === '/optional' ? 200 : 401;
        expect(reply.status, path).toBe(expected);
        if (expected === 401) expect(reply.headers.get('www-authenticate')).toBe(BEARER_CHALLENGE);
        else expect(reply.body).toEqual({ userId: null });
      }
    });

    it('a token in a form or JSON body is ignored -> 401 (RFC 6750 §2.2 not supported)', async () => {
      const { tokens } = await userWithTokens(h, 'bodytoken');
      const form = await postForm(`${h.url}/auth/logout`, { access_token: tokens.access });
      const json = await postJson(`${h.url}/api/data`, { access_token: tokens.access });
      for (const reply of [form, json]) {
        expect(reply.status, reply.text).toBe(401);
        expect(reply.headers.get('www-authenticate')).toBe(BEARER_CHALLENGE);
      }
      expect((await get(`${h.url}/auth/me`, bearer(tokens.access))).status).toBe(200);
    });

    it('another scheme on a Bearer route -> 401 with the Bearer challenge', async () => {
      const reply = await get(`${h.url}/generate/text`, {
        authorization: `Basic ${basic('Aladdin', 'open sesame')}`,
      });
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(BEARER_CHALLENGE);
    });

    it('with cookie mode off, an access cookie alone is ignored -> 401 (CS-01)', async () => {
      const { tokens } = await userWithTokens(h, 'nocookie');
      for (const name of ['__Host-gatehouse-at', 'gatehouse-at']) {
        const reply = await send(`${h.url}/api/data`, {
          method: 'POST',
          headers: { cookie: `${name}=${tokens.access}` },
        });
        expect(reply.status).toBe(401);
        expect(reply.headers.get('www-authenticate')).toBe(BEARER_CHALLENGE);
      }
    });
  });

  describe('optional guard', () => {
    it('no token -> 200 {userId: null}', async () => {
      const reply = await get(`${h.url}/optional`);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ userId: null });
    });

    it('a valid token -> its user', async () => {
      const { id, tokens } = await userWithTokens(h, 'optional');
      const reply = await get(`${h.url}/optional`, bearer(tokens.access));
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ userId: id, role: 'USER', method: 'bearer' });
    });

    it('an invalid token -> 401, a malformed header -> 400 (never anonymous)', async () => {
      const invalid = await get(`${h.url}/optional`, bearer('not-a-jwt'));
      expect(invalid.status).toBe(401);
      expect(invalid.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_token'));
      const malformed = await get(`${h.url}/optional`, { authorization: 'Bearer a b' });
      expect(malformed.status).toBe(400);
    });
  });

  describe('the non-null principal accessor (requireAuth)', () => {
    it('behind authenticate() it returns the principal', async () => {
      const { id, tokens } = await userWithTokens(h, 'accessor');
      const reply = await get(`${h.url}/whoami`, bearer(tokens.access));
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toEqual({ userId: id, role: 'USER', method: 'bearer', scopes: [] });
      expect((await get(`${h.url}/whoami`)).status).toBe(401);
    });

    it('with no guard before the handler it throws: a 500, never the handler’s answer', async () => {
      const { tokens } = await userWithTokens(h, 'unguarded');
      for (const headers of [{}, bearer(tokens.access)]) {
        const reply = await get(`${h.url}/unguarded-whoami`, headers);
        expect(reply.status, reply.text).toBe(500);
        expect(reply.text).not.toContain('userId');
      }
    });
  });

  describe('path and method variants of a guarded route (AZ-08)', () => {
    it.each([
      ['GET', '/admin/'],
      ['GET', '/ADMIN'],
      ['GET', '/%61dmin'],
      ['HEAD', '/admin'],
      ['GET', '/admin?x=1'],
      ['GET', '/admin/.'],
      ['GET', '//admin'],
    ])('%s %s without credentials -> 401 or 404, never 200', async (method, path) => {
      const reply = await rawRequest(`${h.url}${path}`, method);
      expect([401, 404], `${method} ${path} -> ${reply.status} ${reply.text}`).toContain(reply.status);
      expect(reply.text).not.toContain('userId');
    });

    it('HEAD /admin without credentials -> 401 with the challenge and no body', async () => {
      const reply = await rawRequest(`${h.url}/admin`, 'HEAD');
      expect(reply.status).toBe(401);
      expect(reply.headers['www-authenticate']).toBe(BEARER_CHALLENGE);
      expect(reply.text).toBe('');
    });

    it('variants with a USER token -> 403 or 404, never 200', async () => {
      const { tokens } = await userWithTokens(h, 'variants');
      for (const [method, path] of [
        ['GET', '/admin/'],
        ['GET', '/ADMIN'],
        ['GET', '/%61dmin'],
        ['HEAD', '/admin'],
        ['POST', '/Admin'],
      ] as const) {
        const reply = await rawRequest(`${h.url}${path}`, method, [
          ['authorization', `Bearer ${tokens.access}`],
        ]);
        expect([403, 404], `${method} ${path} -> ${reply.status}`).toContain(reply.status);
        expect(reply.text).not.toContain('userId');
      }
    });

    it('OPTIONS /admin never runs the guarded handler', async () => {
      const reply = await rawRequest(`${h.url}/admin`, 'OPTIONS');
      expect(reply.text).not.toContain('userId');
      expect(reply.status).not.toBe(500);
    });
  });
});

describe('AZ-08: every adapter answers the path variants of /admin alike', () => {
  const VARIANTS = [
    ['GET', '/admin'],
    ['GET', '/admin/'],
    ['GET', '/ADMIN'],
    ['GET', '/%61dmin'],
    ['HEAD', '/admin'],
  ] as const;

  it('same statuses on all adapters, never 200', async () => {
    const table: Record<string, Record<string, number>> = {};
    for (const [name, start] of TRANSPORTS) {
      const h = await startHarness(start);
      try {
        const row: Record<string, number> = {};
        for (const [method, path] of VARIANTS) {
          row[`${method} ${path}`] = (await rawRequest(`${h.url}${path}`, method)).status;
        }
        table[name] = row;
      } finally {
        await h.close();
      }
    }
    for (const row of Object.values(table)) {
      for (const status of Object.values(row)) expect([401, 404], JSON.stringify(table)).toContain(status);
      expect(row['GET /admin']).toBe(401);
      expect(row['HEAD /admin']).toBe(401);
    }
    const [first, ...others] = Object.values(table);
    for (const row of others) expect(row, JSON.stringify(table, null, 1)).toEqual(first);
  });
});
