/**
 * The account routes over real HTTP on every adapter: password reset (LG-03, EV-05, RV-04),
 * email verification (EV-01), password change (PW-07), email change (EV-08), account deletion
 * (RV-03), and the 429 of throttled routes (RL-04, RL-06).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMemoryMailer, type MemoryMailer } from '../../src/index.js';
import { settle, tokenLink, tokenOf, waitForMail } from '../account/support.js';
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
  startHarness,
  TRANSPORTS,
  uniqueEmail,
  userWithTokens,
} from './conformance/support.js';

const BASE_URL = 'https://app.example.com';
const NEW_PASSWORD = 'copper-heron-77-meadow-path';
const WRONG = 'not-the-right-password-at-all';

describe.each(TRANSPORTS)('account routes: %s', (_name, start) => {
  let h: Harness;
  let mailer: MemoryMailer;

  beforeAll(async () => {
    mailer = createMemoryMailer();
    h = await startHarness(start, {
      mail: { mailer },
      account: { baseUrl: BASE_URL },
      rateLimits: {
        loginFailuresPerIp: { limit: 10_000, window: 900 },
        passwordResetPerIp: { limit: 10_000, window: 3600 },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  const me = (accessToken: string) => get(`${h.url}/auth/me`, bearer(accessToken));

  it('LG-03: the reset request answers the same 202 for an existing, an unknown and an invalid email', async () => {
    const user = await registerUser(h, 'reset');
    const replies = await Promise.all(
      [user.email, uniqueEmail('ghost'), 'not an email'].map((email) =>
        postJson(`${h.url}/auth/password-reset/request`, { email }),
      ),
    );
    for (const reply of replies) {
      expect(reply.status).toBe(202);
      expect(reply.text).toBe(replies[0]?.text);
      expect(reply.headers.get('content-type')).toBe(replies[0]?.headers.get('content-type'));
      expect(reply.headers.get('cache-control')).toContain('no-store');
    }
    expect(replies[0]?.body.message).toEqual(expect.any(String));
    await waitForMail(mailer, user.email, '/reset-password');
  });

  it('EV-05: the link comes from account.baseUrl, never from Host or X-Forwarded-Host', async () => {
    const user = await registerUser(h, 'host');
    const reply = await postJson(
      `${h.url}/auth/password-reset/request`,
      { email: user.email },
      { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http', forwarded: 'host=evil.example' },
    );
    expect(reply.status).toBe(202);
    const link = tokenLink(await waitForMail(mailer, user.email, '/reset-password'));
    expect(link.origin).toBe(BASE_URL);
  });

  it('RV-04: confirm -> 204 with no-referrer and no-store, no session; the new password works, old tokens do not', async () => {
    const user = await userWithTokens(h, 'confirm');
    expect((await me(user.tokens.access)).status).toBe(200);
    await postJson(`${h.url}/auth/password-reset/request`, { email: user.email });
    const token = tokenOf(await waitForMail(mailer, user.email, '/reset-password'));

    const weak = await postJson(`${h.url}/auth/password-reset/confirm`, { token, password: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body.error).toBe('weak_password');

    const reply = await postJson(`${h.url}/auth/password-reset/confirm`, { token, password: NEW_PASSWORD });
    expect(reply.status, reply.text).toBe(204);
    expect(reply.headers.get('referrer-policy')).toBe('no-referrer');
    expect(reply.headers.get('cache-control')).toContain('no-store');
    expect(reply.headers.getSetCookie()).toEqual([]);
    expect(reply.text).toBe('');

    const again = await postJson(`${h.url}/auth/password-reset/confirm`, { token, password: NEW_PASSWORD });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_token');
    expect(again.headers.get('referrer-policy')).toBe('no-referrer');

    const fresh = await postForm(`${h.url}/auth/token`, {
      grant_type: 'password',
      username: user.email,
      password: NEW_PASSWORD,
    });
    expect(fresh.status, fresh.text).toBe(200);
    expect((await me(field(fresh, 'access_token'))).status).toBe(200);
    expect((await me(user.tokens.access)).status).toBe(401);
    const refresh = await postForm(`${h.url}/auth/token`, {
      grant_type: 'refresh_token',
      refresh_token: user.tokens.refresh,
    });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
    const old = await postForm(`${h.url}/auth/token`, {
      grant_type: 'password',
      username: user.email,
      password: GOOD_PASSWORD,
    });
    expect(old.status).toBe(400);
    expect(old.body.error).toBe('invalid_grant');
  });

  it('EV-01: /auth/verify-email -> 204 once, then 400 invalid_token', async () => {
    const user = await registerUser(h, 'verify');
    const token = tokenOf(await waitForMail(mailer, user.email, '/verify-email'));
    const first = await postJson(`${h.url}/auth/verify-email`, { token });
    expect(first.status, first.text).toBe(204);
    expect(first.headers.get('referrer-policy')).toBe('no-referrer');
    const second = await postJson(`${h.url}/auth/verify-email`, { token });
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_token');
    expectNoLeak(second.text);
    const forged = await postForm(`${h.url}/auth/verify-email`, { token: 'A'.repeat(43) });
    expect(forged.status).toBe(400);
    expect(forged.body.error).toBe('invalid_token');
  });

  it('PW-07: /auth/password/change with a wrong current password -> 401 and the hash is unchanged', async () => {
    const user = await userWithTokens(h, 'change');
    const before = (await h.gh.store.users.findById(user.id))?.passwordHash;
    expect(before).toMatch(/^\$argon2id\$/);
    const reply = await postJson(
      `${h.url}/auth/password/change`,
      { current_password: WRONG, new_password: NEW_PASSWORD },
      bearer(user.tokens.access),
    );
    expect([400, 401]).toContain(reply.status);
    expect(reply.body.error).toBe('invalid_credentials');
    expectNoLeak(reply.text);
    expect((await h.gh.store.users.findById(user.id))?.passwordHash).toBe(before);
    expect((await me(user.tokens.access)).status).toBe(200);
  });

  it('EV-08: /auth/email/change without the current password -> 403; with it -> 202 and a link to the new address', async () => {
    const user = await userWithTokens(h, 'email');
    const newEmail = uniqueEmail('moved');
    const refused = await postJson(
      `${h.url}/auth/email/change`,
      { new_email: newEmail },
      bearer(user.tokens.access),
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('reauthentication_required');

    const accepted = await postJson(
      `${h.url}/auth/email/change`,
      { current_password: user.password, new_email: newEmail },
      bearer(user.tokens.access),
    );
    expect(accepted.status, accepted.text).toBe(202);
    const token = tokenOf(await waitForMail(mailer, newEmail, '/confirm-email-change'));
    const confirmed = await postJson(`${h.url}/auth/email/confirm`, { token });
    expect(confirmed.status, confirmed.text).toBe(204);
    expect((await me(user.tokens.access)).body.email).toBe(newEmail);
  });

  it('RV-03: /auth/account/delete needs the password, then -> 204 and the token is refused', async () => {
    const user = await userWithTokens(h, 'delete');
    const noPassword = await postJson(`${h.url}/auth/account/delete`, {}, bearer(user.tokens.access));
    expect(noPassword.status).toBe(401);
    const wrong = await postJson(
      `${h.url}/auth/account/delete`,
      { current_password: WRONG },
      bearer(user.tokens.access),
    );
    expect(wrong.status).toBe(401);
    expect(await h.gh.store.users.findById(user.id)).not.toBeNull();

    const reply = await postJson(
      `${h.url}/auth/account/delete`,
      { current_password: user.password },
      bearer(user.tokens.access),
    );
    expect(reply.status, reply.text).toBe(204);
    expect(await h.gh.store.users.findById(user.id)).toBeNull();
    expect((await me(user.tokens.access)).status).toBe(401);
    const refresh = await postForm(`${h.url}/auth/token`, {
      grant_type: 'refresh_token',
      refresh_token: user.tokens.refresh,
    });
    expect(refresh.status).toBe(400);
  });
});

describe.each(TRANSPORTS)('throttled account and login routes: %s', (_name, start) => {
  let h: Harness;
  let mailer: MemoryMailer;

  beforeAll(async () => {
    mailer = createMemoryMailer();
    h = await startHarness(start, {
      mail: { mailer },
      account: { baseUrl: BASE_URL },
      rateLimits: {
        loginFailuresPerIp: { limit: 3, window: 900 },
        passwordResetPerIp: { limit: 2, window: 3600 },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('RL-04: a 429 from the login route carries an integer Retry-After and a generic body', async () => {
    const user = await registerUser(h, 'throttle');
    for (let i = 0; i < 3; i++) {
      const reply = await postJson(`${h.url}/auth/login`, { email: uniqueEmail('spray'), password: WRONG });
      expect(reply.status).toBe(401);
    }
    const throttled = await postJson(`${h.url}/auth/login`, { email: uniqueEmail('spray'), password: WRONG });
    const realUser = await postJson(`${h.url}/auth/login`, { email: user.email, password: user.password });
    for (const reply of [throttled, realUser]) {
      expect(reply.status).toBe(429);
      const retryAfter = reply.headers.get('retry-after') ?? '';
      expect(retryAfter).toMatch(/^[1-9]\d*$/);
      // A sliding window of 900 s: a burst fades over the next window, so at most two windows.
      expect(Number(retryAfter)).toBeLessThanOrEqual(1800);
      expect(reply.body).toEqual({ error: 'rate_limited', message: 'Too many requests' });
      expectNoLeak(reply.text);
    }
    expect(realUser.text).toBe(throttled.text);
    const token = await postForm(`${h.url}/auth/token`, {
      grant_type: 'password',
      username: user.email,
      password: user.password,
    });
    expect(token.status).toBe(429);
    expect(token.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  });

  it('RL-06: the (N+1)th reset request from one IP -> 429 with Retry-After, whether or not the account exists', async () => {
    const user = await registerUser(h, 'reset-throttle');
    for (const email of [user.email, uniqueEmail('ghost')]) {
      const reply = await postJson(`${h.url}/auth/password-reset/request`, { email });
      expect(reply.status).toBe(202);
    }
    for (const email of [user.email, uniqueEmail('ghost')]) {
      const reply = await postJson(`${h.url}/auth/password-reset/request`, { email });
      expect(reply.status).toBe(429);
      expect(reply.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(reply.body).toEqual({ error: 'rate_limited', message: 'Too many requests' });
    }
    await waitForMail(mailer, user.email, '/reset-password');
    await settle();
    expect(mailer.messages.filter((m) => m.to === user.email && m.subject.includes('Reset'))).toHaveLength(1);
  });
});

describe.each(TRANSPORTS)('uniform registration: %s', (_name, start) => {
  it('LG-03: a new and a taken address get the same 202; the owner is told by mail', async () => {
    const mailer = createMemoryMailer();
    const h = await startHarness(start, { mail: { mailer }, account: { baseUrl: BASE_URL } });
    try {
      const email = uniqueEmail('uniform');
      const first = await postJson(`${h.url}/auth/register`, { email, password: GOOD_PASSWORD });
      const second = await postJson(`${h.url}/auth/register`, { email, password: NEW_PASSWORD });
      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(second.text).toBe(first.text);
      expect(first.text).not.toContain(email);
      const notice = await vi.waitFor(() => {
        const found = mailer.messages.find(
          (m) => m.to === email && m.text.includes('tried to create an account'),
        );
        if (!found) throw new Error('no notice yet');
        return found;
      });
      expect(notice.text).not.toContain(NEW_PASSWORD);
      expect(await h.gh.store.users.count()).toBe(1);
    } finally {
      await h.close();
    }
  });

  it('without a mailer, registration answers 201 with the user and 409 for a taken address', async () => {
    const h = await startHarness(start);
    try {
      const email = uniqueEmail('explicit');
      expect((await postJson(`${h.url}/auth/register`, { email, password: GOOD_PASSWORD })).status).toBe(201);
      expect((await postJson(`${h.url}/auth/register`, { email, password: GOOD_PASSWORD })).status).toBe(409);
    } finally {
      await h.close();
    }
  });
});
