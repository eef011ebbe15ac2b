/**
 * Ambiguous cookies across every adapter and transport: a gatehouse cookie sent twice — in one
 * `Cookie` header or in two — is refused with 400 `invalid_request` wherever gatehouse reads it
 * (RFC 6750 §3.1: a request that repeats a parameter), never resolved to the first or the last
 * one. A planted cookie next to the real one ("cookie tossing" from a sibling subdomain) must not
 * decide whose session a request runs in. Other cookies may repeat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  bearerChallenge,
  COOKIE,
  COOKIES_AND_GITHUB,
  cookieHeader,
  cookieNamed,
  get,
  type Harness,
  postJson,
  type Reply,
  rawRequest,
  registerUser,
  send,
  startHarness,
  TRANSPORTS,
  userWithTokens,
} from './support.js';

const FLOW_COOKIE = '__Secure-gatehouse-oauth';

/** Asserts the refusal of an ambiguous cookie on a guarded route: 400 with the RFC 6750 challenge. */
function expectAmbiguous(
  reply: { status: number; text: string },
  challenge: string | null | undefined,
): void {
  expect(reply.status, reply.text).toBe(400);
  expect(JSON.parse(reply.text)).toMatchObject({ error: 'invalid_request' });
  expect(challenge).toBe(bearerChallenge('invalid_request'));
  expect(reply.text).not.toContain('userId');
}

describe.each(TRANSPORTS)('duplicate cookies: %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(start, COOKIES_AND_GITHUB);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A cookie-mode login: the three cookies' values. */
  async function cookieLogin(): Promise<{ access: string; refresh: string; csrf: string }> {
    const user = await registerUser(h, 'dupcookie');
    const login = await postJson(`${h.url}/auth/login`, { email: user.email, password: user.password });
    expect(login.status, login.text).toBe(200);
    return {
      access: cookieNamed(login, COOKIE.access).value as string,
      refresh: cookieNamed(login, COOKIE.refresh).value as string,
      csrf: cookieNamed(login, COOKIE.csrf).value as string,
    };
  }

  describe('the access cookie', () => {
    it('twice in one Cookie header -> 400 invalid_request, whichever comes first', async () => {
      const victim = await cookieLogin();
      const attacker = await cookieLogin();
      for (const [first, second] of [
        [victim.access, attacker.access],
        [attacker.access, victim.access],
        [victim.access, victim.access],
        [victim.access, 'planted'],
      ]) {
        for (const path of ['/auth/me', '/generate/text', '/optional']) {
          const reply = await get(`${h.url}${path}`, {
            cookie: `${COOKIE.access}=${first}; ${COOKIE.access}=${second}`,
          });
          expectAmbiguous(reply, reply.headers.get('www-authenticate'));
        }
      }
      const single = await get(`${h.url}/auth/me`, {
        cookie: cookieHeader({ [COOKIE.access]: victim.access }),
      });
      expect(single.status, single.text).toBe(200);
    });

    it('in two Cookie header lines -> 400 invalid_request', async () => {
      const victim = await cookieLogin();
      const attacker = await cookieLogin();
      const reply = await rawRequest(`${h.url}/auth/me`, 'GET', [
        ['cookie', `${COOKIE.access}=${victim.access}`],
        ['cookie', `${COOKIE.access}=${attacker.access}`],
      ]);
      expectAmbiguous(reply, reply.headers['www-authenticate'] as string | undefined);
      // Two lines with different cookies are one cookie jar: that works.
      const split = await rawRequest(`${h.url}/auth/me`, 'GET', [
        ['cookie', 'theme=dark'],
        ['cookie', `${COOKIE.access}=${victim.access}`],
      ]);
      expect(split.status, split.text).toBe(200);
    });

    it('with spaces or tabs around the second name -> still the same name, 400', async () => {
      const { access } = await cookieLogin();
      for (const cookie of [
        `${COOKIE.access}=${access};  ${COOKIE.access} =x`,
        `${COOKIE.access}=${access};\t${COOKIE.access}\t=x`,
        `${COOKIE.access}=${access};${COOKIE.access}=`,
      ]) {
        const reply = await get(`${h.url}/generate/text`, { cookie });
        expectAmbiguous(reply, reply.headers.get('www-authenticate'));
      }
    });

    it('next to a Bearer header -> 400 as well', async () => {
      const { access } = await cookieLogin();
      const reply = await get(`${h.url}/generate/text`, {
        ...bearer(access),
        cookie: `${COOKIE.access}=${access}; ${COOKIE.access}=${access}`,
      });
      expectAmbiguous(reply, reply.headers.get('www-authenticate'));
    });
  });

  describe('the CSRF cookie', () => {
    it('twice on a cookie-authenticated POST -> 400 invalid_request even with the right token', async () => {
      const session = await cookieLogin();
      const reply = await send(`${h.url}/api/data`, {
        method: 'POST',
        headers: {
          cookie: `${COOKIE.access}=${session.access}; ${COOKIE.csrf}=${session.csrf}; ${COOKIE.csrf}=${session.csrf}`,
          'x-csrf-token': session.csrf,
          origin: h.url,
        },
      });
      expectAmbiguous(reply, reply.headers.get('www-authenticate'));
      const once = await send(`${h.url}/api/data`, {
        method: 'POST',
        headers: {
          cookie: cookieHeader({ [COOKIE.access]: session.access, [COOKIE.csrf]: session.csrf }),
          'x-csrf-token': session.csrf,
          origin: h.url,
        },
      });
      expect(once.status, once.text).toBe(200);
    });

    it('twice on a safe GET -> 400 too (the rule is per name, not per method)', async () => {
      const session = await cookieLogin();
      const reply = await get(`${h.url}/auth/me`, {
        cookie: `${COOKIE.access}=${session.access}; ${COOKIE.csrf}=a; ${COOKIE.csrf}=b`,
      });
      expectAmbiguous(reply, reply.headers.get('www-authenticate'));
    });
  });

  describe('the refresh cookie', () => {
    const refresh = (cookie: string): Promise<Reply> =>
      send(`${h.url}/auth/refresh`, { method: 'POST', headers: { cookie, origin: h.url } });

    it('twice -> 400 invalid_request, no cookies set, and neither token is used up', async () => {
      const victim = await cookieLogin();
      const attacker = await cookieLogin();
      for (const cookie of [
        `${COOKIE.refresh}=${victim.refresh}; ${COOKIE.refresh}=${attacker.refresh}`,
        `${COOKIE.refresh}=${attacker.refresh}; ${COOKIE.refresh}=${victim.refresh}`,
      ]) {
        const reply = await refresh(cookie);
        expect(reply.status, reply.text).toBe(400);
        expect(reply.body.error).toBe('invalid_request');
        expect(reply.headers.getSetCookie()).toEqual([]);
      }
      // Nothing was rotated: each token still refreshes once on its own.
      for (const token of [victim.refresh, attacker.refresh]) {
        const reply = await refresh(cookieHeader({ [COOKIE.refresh]: token }));
        expect(reply.status, reply.text).toBe(200);
      }
    });

    it('in two Cookie header lines -> 400 invalid_request', async () => {
      const victim = await cookieLogin();
      const attacker = await cookieLogin();
      const reply = await rawRequest(`${h.url}/auth/refresh`, 'POST', [
        ['cookie', `${COOKIE.refresh}=${victim.refresh}`],
        ['cookie', `${COOKIE.refresh}=${attacker.refresh}`],
        ['origin', h.url],
      ]);
      expect(reply.status, reply.text).toBe(400);
      expect(JSON.parse(reply.text)).toMatchObject({ error: 'invalid_request' });
      expect(reply.headers['set-cookie']).toBeUndefined();
    });
  });

  describe('the OAuth flow cookie', () => {
    it('twice at the callback -> 400 oauth_invalid_state, and the attempt is used up', async () => {
      const started = await get(`${h.url}/auth/oauth/github/login?return_to=/app`);
      expect(started.status, started.text).toBe(302);
      const state = new URL(started.headers.get('location') as string).searchParams.get('state') as string;
      const flow = cookieNamed(started, FLOW_COOKIE).value as string;
      const callback = `${h.url}/auth/oauth/github/callback?code=c0de&state=${encodeURIComponent(state)}`;
      for (const cookie of [
        `${FLOW_COOKIE}=${flow}; ${FLOW_COOKIE}=planted.x`,
        `${FLOW_COOKIE}=${flow}; ${FLOW_COOKIE}=${flow}`,
      ]) {
        const reply = await get(callback, { cookie });
        expect(reply.status, reply.text).toBe(400);
        expect(reply.body.error).toBe('oauth_invalid_state');
        expect(reply.headers.get('location')).toBeNull();
        expect(reply.headers.get('referrer-policy')).toBe('no-referrer');
      }
      // The state was burnt by the first refusal: the right cookie alone no longer helps.
      const again = await get(callback, { cookie: `${FLOW_COOKIE}=${flow}` });
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('oauth_invalid_state');
    });
  });

  it("other applications' cookies may repeat", async () => {
    const session = await cookieLogin();
    const reply = await get(`${h.url}/generate/text`, {
      cookie: `theme=dark; theme=light; ${COOKIE.access}=${session.access}; sid=a; sid=b`,
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toMatchObject({ method: 'cookie' });
    // A name that only differs in case is another cookie, which gatehouse does not read.
    const other = await get(`${h.url}/generate/text`, {
      cookie: `${COOKIE.access}=${session.access}; __host-gatehouse-at=x; __Host-Gatehouse-At=y`,
    });
    expect(other.status, other.text).toBe(200);
  });
});

describe.each(TRANSPORTS)('duplicate cookies without cookie mode: %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(start);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('gatehouse reads no cookie, so repeated gatehouse-named cookies are ignored', async () => {
    const { tokens } = await userWithTokens(h, 'nocookies');
    const reply = await get(`${h.url}/generate/text`, {
      ...bearer(tokens.access),
      cookie: `${COOKIE.access}=a; ${COOKIE.access}=b; ${COOKIE.refresh}=c; ${COOKIE.refresh}=d`,
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toMatchObject({ method: 'bearer' });
  });
});
