/**
 * Conformance of cookie mode across every adapter and transport: cookie attributes (CK-01),
 * no tokens in bodies and no caching (CK-02), CSRF on cookie-authenticated unsafe requests
 * (CS-01), login CSRF (LG-05), one token source per request (TK-11), fixation (LG-04), and
 * refresh and logout with cookies (RV-01).
 */
import type { SetCookie } from 'cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BEARER_CHALLENGE,
  bearer,
  bearerChallenge,
  COOKIE,
  COOKIE_MODE,
  cookieHeader,
  cookieNamed,
  get,
  type Harness,
  postJson,
  type Reply,
  registerUser,
  send,
  setCookies,
  startHarness,
  type TestUser,
  TRANSPORTS,
} from './support.js';

const EVIL = 'https://evil.example';

interface CookieSession {
  readonly user: TestUser;
  readonly login: Reply;
  readonly access: string;
  readonly refresh: string;
  readonly csrf: string;
}

function value(cookie: SetCookie): string {
  expect(cookie.value, cookie.name).toBeTruthy();
  return cookie.value as string;
}

/** Asserts CK-01 on the three session cookies of a login or refresh response. */
function expectSessionCookies(reply: Reply): void {
  const raw = reply.headers.getSetCookie();
  expect(raw).toHaveLength(3);
  for (const line of raw) {
    expect(line).not.toMatch(/;\s*domain=/i);
    const [pair] = line.split(';');
    expect(Buffer.byteLength(pair ?? '', 'utf8')).toBeLessThanOrEqual(4096);
  }
  const access = cookieNamed(reply, COOKIE.access);
  expect(access).toMatchObject({ httpOnly: true, secure: true, sameSite: 'lax', path: '/' });
  expect(access.domain).toBeUndefined();
  expect(access.maxAge).toBe(15 * 60);

  const refresh = cookieNamed(reply, COOKIE.refresh);
  expect(refresh).toMatchObject({ httpOnly: true, secure: true, sameSite: 'lax', path: '/auth/refresh' });
  expect(refresh.domain).toBeUndefined();

  const csrf = cookieNamed(reply, COOKIE.csrf);
  expect(csrf.httpOnly).not.toBe(true);
  expect(csrf).toMatchObject({ secure: true, path: '/' });
  expect(csrf.domain).toBeUndefined();
}

const THIRTY_DAYS = 30 * 24 * 60 * 60;

/**
 * The refresh and CSRF cookies live as long as the refresh token: 30 days by default, counted
 * on the gatehouse's clock (the one that stamped the token), not on the wall clock.
 */
function expectRefreshLifetime(reply: Reply): void {
  for (const name of [COOKIE.refresh, COOKIE.csrf]) {
    const maxAge = cookieNamed(reply, name).maxAge ?? Number.NaN;
    expect(maxAge, `${name} Max-Age`).toBeGreaterThan(THIRTY_DAYS - 60);
    expect(maxAge, `${name} Max-Age`).toBeLessThanOrEqual(THIRTY_DAYS);
  }
}

describe.each(TRANSPORTS)('cookie mode conformance: %s', (_name, start) => {
  let h: Harness;
  let sameOrigin: Record<string, string>;
  beforeAll(async () => {
    h = await startHarness(start, COOKIE_MODE);
    sameOrigin = { origin: h.url };
  });
  afterAll(async () => {
    await h?.close();
  });

  async function cookieLogin(headers: Record<string, string> = {}): Promise<CookieSession> {
    const user = await registerUser(h, 'cookie');
    const login = await postJson(
      `${h.url}/auth/login`,
      { email: user.email, password: user.password },
      headers,
    );
    expect(login.status, login.text).toBe(200);
    return {
      user,
      login,
      access: value(cookieNamed(login, COOKIE.access)),
      refresh: value(cookieNamed(login, COOKIE.refresh)),
      csrf: value(cookieNamed(login, COOKIE.csrf)),
    };
  }

  /** The cookies a browser would send to a path other than /auth/refresh. */
  const browserCookies = (s: { access: string; csrf: string }) =>
    cookieHeader({ [COOKIE.access]: s.access, [COOKIE.csrf]: s.csrf });

  describe('login (CK-01, CK-02)', () => {
    it('sets the access, refresh and CSRF cookies with the required attributes', async () => {
      const { login } = await cookieLogin();
      expectSessionCookies(login);
    });

    it('the refresh and CSRF cookies live as long as the refresh token, on login and on refresh', async () => {
      const session = await cookieLogin();
      expectRefreshLifetime(session.login);
      const refreshed = await send(`${h.url}/auth/refresh`, {
        method: 'POST',
        headers: { cookie: cookieHeader({ [COOKIE.refresh]: session.refresh }), ...sameOrigin },
      });
      expect(refreshed.status, refreshed.text).toBe(200);
      expectRefreshLifetime(refreshed);
    });

    it('the login JSON carries no token; it is no-store', async () => {
      const { login, access, refresh } = await cookieLogin();
      expect(login.body).not.toHaveProperty('access_token');
      expect(login.body).not.toHaveProperty('refresh_token');
      expect(login.body.token_type).toBe('cookie');
      expect(login.body.user).toMatchObject({ role: 'USER' });
      expect(login.text).not.toContain(access);
      expect(login.text).not.toContain(refresh);
      expect(login.text).not.toMatch(/argon2|passwordHash/i);
      expect(login.headers.get('cache-control')).toBe('no-store');
    });

    it('a cross-site login is refused with 403 and sets no cookie (LG-05)', async () => {
      const user = await registerUser(h, 'logincsrf');
      const credentials = { email: user.email, password: user.password };
      const crossSite: Record<string, string>[] = [
        { 'sec-fetch-site': 'cross-site' },
        { origin: EVIL },
        { origin: EVIL, 'sec-fetch-site': 'cross-site' },
        { origin: 'null' },
        { referer: `${EVIL}/login` },
      ];
      for (const headers of crossSite) {
        const reply = await postJson(`${h.url}/auth/login`, credentials, headers);
        expect(reply.status, JSON.stringify(headers)).toBe(403);
        expect(reply.body.error).toBe('csrf_failed');
        expect(reply.headers.getSetCookie()).toEqual([]);
        expect(reply.headers.get('access-control-allow-origin')).toBeNull();
      }
      const same = await postJson(`${h.url}/auth/login`, credentials, {
        ...sameOrigin,
        'sec-fetch-site': 'same-origin',
      });
      expect(same.status, same.text).toBe(200);
    });

    it('a cross-site registration or refresh is refused too', async () => {
      const register = await postJson(
        `${h.url}/auth/register`,
        { email: 'someone@example.com', password: 'violet-otter-42-lantern' },
        { 'sec-fetch-site': 'cross-site' },
      );
      expect(register.status).toBe(403);
      const { refresh } = await cookieLogin();
      const reply = await send(`${h.url}/auth/refresh`, {
        method: 'POST',
        headers: { cookie: cookieHeader({ [COOKIE.refresh]: refresh }), origin: EVIL },
      });
      expect(reply.status).toBe(403);
      expect(reply.headers.getSetCookie()).toEqual([]);
    });
  });

  describe('cookie-authenticated requests (CS-01, TK-11)', () => {
    it('GET /auth/me with the access cookie -> 200; a safe method needs no CSRF token', async () => {
      const session = await cookieLogin();
      const me = await get(`${h.url}/auth/me`, { cookie: cookieHeader({ [COOKIE.access]: session.access }) });
      expect(me.status, me.text).toBe(200);
      expect(me.body).toMatchObject({ id: session.user.id });
      expect(me.headers.get('cache-control')).toBe('no-store');
      const text = await get(`${h.url}/generate/text`, { cookie: browserCookies(session) });
      expect(text.status).toBe(200);
      expect(text.body).toMatchObject({ userId: session.user.id, method: 'cookie' });
    });

    it('POST /api/data with the cookie but no X-CSRF-Token -> 403 csrf_failed', async () => {
      const session = await cookieLogin();
      const reply = await send(`${h.url}/api/data`, {
        method: 'POST',
        headers: { cookie: browserCookies(session), ...sameOrigin },
      });
      expect(reply.status).toBe(403);
      expect(reply.body.error).toBe('csrf_failed');
      expect(reply.text).not.toContain('userId');
    });

    it('POST /api/data with X-CSRF-Token equal to the CSRF cookie -> 200', async () => {
      const session = await cookieLogin();
      for (const extra of [{}, sameOrigin, { 'sec-fetch-site': 'same-origin' }]) {
        const reply = await send(`${h.url}/api/data`, {
          method: 'POST',
          headers: { cookie: browserCookies(session), 'x-csrf-token': session.csrf, ...extra },
        });
        expect(reply.status, `${JSON.stringify(extra)} ${reply.text}`).toBe(200);
        expect(reply.body).toMatchObject({ userId: session.user.id, method: 'cookie' });
      }
    });

    it('a wrong, missing-cookie or planted CSRF token -> 403', async () => {
      const session = await cookieLogin();
      const planted = 'A'.repeat(session.csrf.length);
      for (const [cookie, header] of [
        [browserCookies(session), planted],
        [cookieHeader({ [COOKIE.access]: session.access }), session.csrf],
        [cookieHeader({ [COOKIE.access]: session.access, [COOKIE.csrf]: planted }), planted],
        [browserCookies(session), `${session.csrf}x`],
      ] as const) {
        const reply = await send(`${h.url}/api/data`, {
          method: 'POST',
          headers: { cookie, 'x-csrf-token': header },
        });
        expect(reply.status).toBe(403);
        expect(reply.body.error).toBe('csrf_failed');
      }
    });

    it('a valid CSRF token from a cross-site origin -> 403, and no CORS grant', async () => {
      const session = await cookieLogin();
      const crossSite: Record<string, string>[] = [
        { origin: EVIL },
        { 'sec-fetch-site': 'cross-site' },
        { origin: 'null' },
        { referer: `${EVIL}/page` },
      ];
      for (const extra of crossSite) {
        const reply = await send(`${h.url}/api/data`, {
          method: 'POST',
          headers: { cookie: browserCookies(session), 'x-csrf-token': session.csrf, ...extra },
        });
        expect(reply.status, JSON.stringify(extra)).toBe(403);
        expect(reply.body.error).toBe('csrf_failed');
        expect(reply.headers.get('access-control-allow-origin')).toBeNull();
        expect(reply.headers.get('access-control-allow-credentials')).toBeNull();
      }
    });

    it('the Authorization header AND the access cookie -> 400 invalid_request (TK-11)', async () => {
      const session = await cookieLogin();
      for (const path of ['/auth/me', '/generate/text']) {
        const reply = await get(`${h.url}${path}`, {
          ...bearer(session.access),
          cookie: cookieHeader({ [COOKIE.access]: session.access }),
        });
        expect(reply.status, path).toBe(400);
        expect(reply.body.error).toBe('invalid_request');
        expect(reply.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_request'));
      }
      const bearerOnly = await get(`${h.url}/auth/me`, bearer(session.access));
      expect(bearerOnly.status).toBe(200);
    });

    it('no cookie and no header -> 401 with the bare challenge', async () => {
      const reply = await send(`${h.url}/api/data`, { method: 'POST' });
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(BEARER_CHALLENGE);
    });

    it('a forged access cookie -> 401 invalid_token', async () => {
      const reply = await get(`${h.url}/auth/me`, {
        cookie: cookieHeader({ [COOKIE.access]: 'forged.token.x' }),
      });
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_token'));
    });
  });

  describe('refresh and logout with cookies (RV-01)', () => {
    it('POST /auth/refresh with the refresh cookie -> new cookies, old refresh cookie then refused', async () => {
      const session = await cookieLogin();
      const reply = await send(`${h.url}/auth/refresh`, {
        method: 'POST',
        headers: { cookie: cookieHeader({ [COOKIE.refresh]: session.refresh }), ...sameOrigin },
      });
      expect(reply.status, reply.text).toBe(200);
      expectSessionCookies(reply);
      expect(reply.body).not.toHaveProperty('access_token');
      expect(reply.body).not.toHaveProperty('refresh_token');
      expect(reply.headers.get('cache-control')).toBe('no-store');
      const access = value(cookieNamed(reply, COOKIE.access));
      const refresh = value(cookieNamed(reply, COOKIE.refresh));
      const csrf = value(cookieNamed(reply, COOKIE.csrf));
      expect(access).not.toBe(session.access);
      expect(refresh).not.toBe(session.refresh);
      expect(csrf).not.toBe(session.csrf);
      expect(reply.text).not.toContain(access);

      const data = await send(`${h.url}/api/data`, {
        method: 'POST',
        headers: { cookie: browserCookies({ access, csrf }), 'x-csrf-token': csrf },
      });
      expect(data.status, data.text).toBe(200);

      // Past the interval in which the same successor comes back (two tabs refreshing at once).
      h.gh.clock.advance(h.gh.config.tokens.refreshReuseInterval + 1);
      const reused = await send(`${h.url}/auth/refresh`, {
        method: 'POST',
        headers: { cookie: cookieHeader({ [COOKIE.refresh]: session.refresh }), ...sameOrigin },
      });
      expect(reused.status).toBe(400);
      expect(reused.body.error).toBe('invalid_grant');
    });

    it('POST /auth/logout needs the CSRF token, then clears all three cookies', async () => {
      const session = await cookieLogin();
      const forged = await send(`${h.url}/auth/logout`, {
        method: 'POST',
        headers: { cookie: browserCookies(session) },
      });
      expect(forged.status).toBe(403);
      expect((await get(`${h.url}/auth/me`, { cookie: browserCookies(session) })).status).toBe(200);

      const logout = await send(`${h.url}/auth/logout`, {
        method: 'POST',
        headers: { cookie: browserCookies(session), 'x-csrf-token': session.csrf, ...sameOrigin },
      });
      expect(logout.status, logout.text).toBe(204);
      const cleared = setCookies(logout);
      expect(cleared.map((c) => c.name).sort()).toEqual([COOKIE.access, COOKIE.csrf, COOKIE.refresh].sort());
      const expectedPath: Record<string, string> = {
        [COOKIE.access]: '/',
        [COOKIE.refresh]: '/auth/refresh',
        [COOKIE.csrf]: '/',
      };
      for (const cookie of cleared) {
        expect(cookie.maxAge, cookie.name).toBe(0);
        expect(cookie.value ?? '').toBe('');
        expect(cookie.path, cookie.name).toBe(expectedPath[cookie.name]);
        expect(cookie.secure, cookie.name).toBe(true);
        expect(cookie.domain).toBeUndefined();
      }

      const me = await get(`${h.url}/auth/me`, { cookie: browserCookies(session) });
      expect(me.status).toBe(401);
      expect(me.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_token'));
      const refresh = await send(`${h.url}/auth/refresh`, {
        method: 'POST',
        headers: { cookie: cookieHeader({ [COOKIE.refresh]: session.refresh }), ...sameOrigin },
      });
      expect(refresh.status).toBe(400);
    });

    it('GET never logs out: GET /auth/logout -> 405 and the session stays valid', async () => {
      const session = await cookieLogin();
      const reply = await get(`${h.url}/auth/logout`, { cookie: browserCookies(session) });
      expect(reply.status).toBe(405);
      expect(reply.headers.getSetCookie()).toEqual([]);
      expect((await get(`${h.url}/auth/me`, { cookie: browserCookies(session) })).status).toBe(200);
    });
  });

  describe('fixation (LG-04)', () => {
    it('planted sid and access cookies are replaced and stay invalid', async () => {
      const planted = 'X';
      const first = await cookieLogin({
        cookie: cookieHeader({ sid: planted, [COOKIE.access]: planted, [COOKIE.csrf]: planted }),
      });
      expect(setCookies(first.login).some((c) => c.name === 'sid')).toBe(false);
      expect(first.access).not.toBe(planted);
      expect(first.csrf).not.toBe(planted);
      const withPlanted = await get(`${h.url}/auth/me`, {
        cookie: cookieHeader({ sid: planted, [COOKIE.access]: planted }),
      });
      expect(withPlanted.status).toBe(401);

      const second = await postJson(`${h.url}/auth/login`, {
        email: first.user.email,
        password: first.user.password,
      });
      expect(value(cookieNamed(second, COOKIE.access))).not.toBe(first.access);
      expect(value(cookieNamed(second, COOKIE.refresh))).not.toBe(first.refresh);
    });
  });
});
