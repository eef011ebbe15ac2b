/**
 * Conformance of input limits (IN-01), error hygiene (LO-04, RV-01 fail-closed) and caching
 * (CK-02) of the auth routes across every adapter and transport.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  expectNoLeak,
  field,
  GOOD_PASSWORD,
  get,
  type Harness,
  postForm,
  postJson,
  registerUser,
  send,
  startHarness,
  storeWithFailingFindById,
  TRANSPORTS,
  uniqueEmail,
  userWithTokens,
} from './support.js';

describe.each(TRANSPORTS)('auth route limits and errors conformance: %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(start);
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('limits and malformed input (IN-01)', () => {
    it('a body over 16 KiB -> 413 payload_too_large', async () => {
      const reply = await postJson(`${h.url}/auth/login`, {
        email: uniqueEmail(),
        password: GOOD_PASSWORD,
        padding: 'x'.repeat(16 * 1024),
      });
      expect(reply.status).toBe(413);
      expect(reply.body.error).toBe('payload_too_large');
    });

    it('a body over 16 KiB without Content-Length (chunked) -> 413', async () => {
      const chunk = new TextEncoder().encode(`{"padding":"${'x'.repeat(20 * 1024)}"}`);
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(chunk);
          controller.close();
        },
      });
      const reply = await send(`${h.url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit);
      expect(reply.status).toBe(413);
      expect(reply.body.error).toBe('payload_too_large');
    });

    it('a body just under 16 KiB is read (the limit is the library’s, not the framework’s)', async () => {
      const user = await registerUser(h, 'limit');
      const base = { email: user.email, password: user.password, padding: '' };
      const room = 16 * 1024 - JSON.stringify(base).length - 16;
      const reply = await postJson(`${h.url}/auth/login`, { ...base, padding: 'x'.repeat(room) });
      expect(reply.status, reply.text.slice(0, 200)).toBe(200);
    });

    it('malformed JSON -> 400 invalid_request', async () => {
      const reply = await send(`${h.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"email": "a@example.com", ',
      });
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('invalid_request');
      expectNoLeak(reply.text);
      expect(reply.text).not.toMatch(/SyntaxError|Unexpected token|position/i);
    });

    it('a JSON array body -> 400', async () => {
      const reply = await postJson(`${h.url}/auth/login`, [
        { email: 'a@example.com', password: GOOD_PASSWORD },
      ]);
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('invalid_request');
    });

    it('text/plain -> 415', async () => {
      const reply = await send(`${h.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ email: 'a@example.com', password: GOOD_PASSWORD }),
      });
      expect(reply.status).toBe(415);
      expect(reply.body.error).toBe('unsupported_media_type');
    });

    it('an email of 255 characters -> 400 at registration (254 is accepted)', async () => {
      const domain = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example`;
      const emailOf = (length: number) => `${'u'.repeat(length - domain.length - 1)}@${domain}`;
      expect(emailOf(255)).toHaveLength(255);
      const tooLong = await postJson(`${h.url}/auth/register`, {
        email: emailOf(255),
        password: GOOD_PASSWORD,
      });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.error).toBe('validation');
      const longest = await postJson(`${h.url}/auth/register`, {
        email: emailOf(254),
        password: GOOD_PASSWORD,
      });
      expect(longest.status, longest.text).toBe(201);
    });

    it('a username over the limit -> 400 at registration (20 is accepted)', async () => {
      const register = (username: string) =>
        postJson(`${h.url}/auth/register`, { email: uniqueEmail(), password: GOOD_PASSWORD, username });
      for (const username of ['u'.repeat(21), 'u'.repeat(65)]) {
        const reply = await register(username);
        expect(reply.status, reply.text).toBe(400);
        expect(reply.body.error).toBe('validation');
      }
      const longest = await register(`z${Date.now().toString(36)}`.padEnd(20, 'q'));
      expect(longest.status, longest.text).toBe(201);
    });

    it('a password over 1024 bytes -> 400 at login and registration', async () => {
      const password = 'é'.repeat(513);
      const login = await postJson(`${h.url}/auth/login`, { email: uniqueEmail(), password });
      expect(login.status).toBe(400);
      const register = await postJson(`${h.url}/auth/register`, { email: uniqueEmail(), password });
      expect(register.status).toBe(400);
    });

    it('an unknown route under /auth -> 404 JSON', async () => {
      const reply = await send(`${h.url}/auth/nope`, { method: 'POST' });
      expect(reply.status).toBe(404);
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      expect(reply.body.error).toBe('not_found');
    });

    it('GET /auth/token -> 405 with an Allow header', async () => {
      const reply = await get(`${h.url}/auth/token`);
      expect(reply.status).toBe(405);
      expect(reply.headers.get('allow')).toMatch(/\bPOST\b/);
      expect(reply.headers.get('allow')).not.toMatch(/\bGET\b/);
      expect(reply.body.error).toBe('method_not_allowed');
    });
  });

  describe('errors never leak internals (LO-04)', () => {
    it('a selection of error responses carries no stack, frames, SQL or paths', async () => {
      const replies = [
        await postJson(`${h.url}/auth/login`, { email: uniqueEmail(), password: GOOD_PASSWORD }),
        await postJson(`${h.url}/auth/login`, { email: 42, password: null }),
        await postJson(`${h.url}/auth/register`, { email: 'not-an-email', password: 'short' }),
        await send(`${h.url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"a":',
        }),
        await postForm(`${h.url}/auth/token`, {
          grant_type: 'refresh_token',
          refresh_token: 'x'.repeat(300),
        }),
        await get(`${h.url}/auth/me`, bearer('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')),
        await get(`${h.url}/generate/text`, { authorization: 'Bearer a b' }),
        await send(`${h.url}/auth/missing`),
      ];
      for (const reply of replies) {
        expect(reply.status, reply.text).toBeGreaterThanOrEqual(400);
        expect(reply.status, reply.text).toBeLessThan(500);
        expectNoLeak(reply.text);
      }
    });

    it('a store that throws -> 500/503 with a generic JSON error, never 200 (RV-01, LO-04)', async () => {
      const broken = await startHarness(start, { store: storeWithFailingFindById() });
      try {
        const { tokens } = await userWithTokens(broken, 'broken');
        const replies = [
          await get(`${broken.url}/auth/me`, bearer(tokens.access)),
          await get(`${broken.url}/generate/text`, bearer(tokens.access)),
          await postJson(`${broken.url}/auth/refresh`, { refresh_token: tokens.refresh }),
          await postForm(`${broken.url}/auth/token`, {
            grant_type: 'refresh_token',
            refresh_token: tokens.refresh,
          }),
        ];
        for (const reply of replies) {
          expect([500, 503], reply.text).toContain(reply.status);
          expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
          expect(['server_error', 'temporarily_unavailable']).toContain(reply.body.error);
          for (const key of Object.keys(reply.body)) expect(['error', 'message']).toContain(key);
          expect(reply.text).not.toContain('SELECT');
          expect(reply.text).not.toContain('secret');
          expectNoLeak(reply.text);
        }
      } finally {
        await broken.close();
      }
    });
  });

  describe('Cache-Control: no-store on auth responses (CK-02)', () => {
    it('/auth/login, /auth/token, /auth/refresh and /auth/me', async () => {
      const user = await registerUser(h, 'cache');
      const login = await postJson(`${h.url}/auth/login`, { email: user.email, password: user.password });
      const token = await postForm(`${h.url}/auth/token`, {
        grant_type: 'password',
        username: user.email,
        password: user.password,
      });
      const refresh = await postJson(`${h.url}/auth/refresh`, {
        refresh_token: field(token, 'refresh_token'),
      });
      const me = await get(`${h.url}/auth/me`, bearer(field(login, 'access_token')));
      const failedMe = await get(`${h.url}/auth/me`);
      const failedLogin = await postJson(`${h.url}/auth/login`, {
        email: user.email,
        password: 'x'.repeat(20),
      });
      const statuses = [login, token, refresh, me, failedMe, failedLogin].map((r) => r.status);
      expect(statuses).toEqual([200, 200, 200, 200, 401, 401]);
      for (const reply of [login, token, refresh, me, failedMe, failedLogin]) {
        expect(reply.headers.get('cache-control')).toBe('no-store');
      }
    });
  });
});
