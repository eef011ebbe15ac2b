/**
 * The MFA routes across every adapter, over real HTTP: enrolment, the login step-up on /login and
 * on the token endpoint, /mfa/verify with a TOTP or backup code, disabling, and cookie mode
 * (MF-06, MF-07, MF-08, RV-04, CK-02, LG-05).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode, totpStep } from '../../src/mfa/totp.js';
import {
  bearer,
  COOKIE,
  COOKIE_MODE,
  cookieNamed,
  field,
  GOOD_PASSWORD,
  get,
  type Harness,
  postForm,
  postJson,
  type Reply,
  registerUser,
  SCOPED,
  send,
  startHarness,
  type TestUser,
  TRANSPORTS,
} from './conformance/support.js';

const MFA = { mfa: { secretKeys: randomBytes(32).toString('base64url') } };

function code(h: Harness, secret: string, offset = 0): string {
  return totpCode(secret, totpStep(h.gh.now()) + offset);
}

function expectNoTokens(reply: Reply): void {
  expect(reply.body).not.toHaveProperty('access_token');
  expect(reply.body).not.toHaveProperty('refresh_token');
  expect(reply.headers.getSetCookie()).toEqual([]);
}

describe.each(TRANSPORTS)('MFA routes: %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(start, { ...SCOPED, ...MFA });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function accessToken(user: TestUser): Promise<string> {
    const reply = await postJson(`${h.url}/auth/login`, { email: user.email, password: user.password });
    expect(reply.status, reply.text).toBe(200);
    return field(reply, 'access_token');
  }

  /** A user enrolled over HTTP: their secret, backup codes and the session they enrolled with. */
  async function enrolledUser(tag: string) {
    const user = await registerUser(h, tag);
    const access = await accessToken(user);
    const enroll = await postJson(
      `${h.url}/auth/mfa/totp/enroll`,
      { current_password: user.password },
      bearer(access),
    );
    expect(enroll.status, enroll.text).toBe(200);
    const secret = field(enroll, 'secret');
    const confirm = await postJson(
      `${h.url}/auth/mfa/totp/confirm`,
      { code: code(h, secret) },
      bearer(access),
    );
    expect(confirm.status, confirm.text).toBe(200);
    h.gh.clock.advance(90);
    return { user, access, secret, backupCodes: confirm.body.backup_codes as string[] };
  }

  async function mfaLogin(user: TestUser): Promise<string> {
    const reply = await postJson(`${h.url}/auth/login`, { email: user.email, password: user.password });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.mfa_required).toBe(true);
    return field(reply, 'challenge');
  }

  it('enrol -> logout -> login (mfa_required) -> /mfa/verify -> /auth/me', async () => {
    const user = await registerUser(h, 'mfaflow');
    const access = await accessToken(user);

    const noAuth = await postJson(`${h.url}/auth/mfa/totp/enroll`, { current_password: user.password });
    expect(noAuth.status).toBe(401);
    const noPassword = await postJson(`${h.url}/auth/mfa/totp/enroll`, {}, bearer(access));
    expect(noPassword.status, noPassword.text).toBe(403);
    expect(noPassword.body.error).toBe('reauthentication_required');

    const enroll = await postJson(
      `${h.url}/auth/mfa/totp/enroll`,
      { current_password: user.password },
      bearer(access),
    );
    expect(enroll.status, enroll.text).toBe(200);
    expect(enroll.headers.get('cache-control')).toBe('no-store');
    const secret = field(enroll, 'secret');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(field(enroll, 'otpauth_uri')).toMatch(/^otpauth:\/\/totp\//);
    expect(field(enroll, 'qr_svg')).toContain('<svg');

    const wrong = await postJson(`${h.url}/auth/mfa/totp/confirm`, { code: '000000' }, bearer(access));
    expect(wrong.status, wrong.text).toBe(401);
    const confirm = await postJson(
      `${h.url}/auth/mfa/totp/confirm`,
      { code: code(h, secret) },
      bearer(access),
    );
    expect(confirm.status, confirm.text).toBe(200);
    expect(confirm.headers.get('cache-control')).toBe('no-store');
    expect(confirm.body.backup_codes).toHaveLength(10);
    // The enrolling session survives (RV-04 keeps the caller's own family).
    expect((await get(`${h.url}/auth/me`, bearer(access))).status).toBe(200);

    const logout = await send(`${h.url}/auth/logout`, { method: 'POST', headers: bearer(access) });
    expect(logout.status).toBe(204);
    h.gh.clock.advance(90);

    const login = await postJson(`${h.url}/auth/login`, { email: user.email, password: user.password });
    expect(login.status, login.text).toBe(200);
    expect(login.body).toEqual({
      mfa_required: true,
      challenge: expect.any(String),
      expires_in: 300,
      methods: ['totp', 'backup_code'],
    });
    expect(login.headers.get('cache-control')).toBe('no-store');
    expectNoTokens(login);
    const challenge = field(login, 'challenge');

    // Partial login gives no access (MF-07).
    for (const path of ['/auth/me', '/generate/text']) {
      expect((await get(`${h.url}${path}`, bearer(challenge))).status).toBe(401);
    }

    const bad = await postJson(`${h.url}/auth/mfa/verify`, { challenge, code: '000000' });
    expect(bad.status, bad.text).toBe(401);
    expectNoTokens(bad);

    const verify = await postJson(`${h.url}/auth/mfa/verify`, { challenge, code: code(h, secret) });
    expect(verify.status, verify.text).toBe(200);
    expect(verify.headers.get('cache-control')).toBe('no-store');
    expect(verify.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, user: { id: user.id } });
    const fresh = field(verify, 'access_token');
    const me = await get(`${h.url}/auth/me`, bearer(fresh));
    expect(me.status, me.text).toBe(200);
    expect(me.body).toMatchObject({ id: user.id, email: user.email });

    // Single use.
    h.gh.clock.advance(30);
    const again = await postJson(`${h.url}/auth/mfa/verify`, { challenge, code: code(h, secret) });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_token');
    expectNoTokens(again);
  });

  it('the token endpoint answers invalid_grant with mfa_token; /mfa/verify completes it', async () => {
    const { user, secret } = await enrolledUser('mfatoken');
    const grant = await postForm(`${h.url}/auth/token`, {
      grant_type: 'password',
      username: user.email,
      password: user.password,
      scope: 'read',
    });
    expect(grant.status, grant.text).toBe(400);
    expect(grant.body).toMatchObject({ error: 'invalid_grant', error_description: 'mfa_required' });
    expect(grant.headers.get('cache-control')).toBe('no-store');
    expectNoTokens(grant);
    const mfaToken = field(grant, 'mfa_token');

    const verify = await postJson(`${h.url}/auth/mfa/verify`, { challenge: mfaToken, code: code(h, secret) });
    expect(verify.status, verify.text).toBe(200);
    expect(verify.body.scope).toBe('read');
    const access = field(verify, 'access_token');
    const scoped = await get(`${h.url}/scoped`, bearer(access));
    expect(scoped.status, scoped.text).toBe(200);

    // A wrong password still gets the plain invalid_grant, with no mfa_token.
    const wrong = await postForm(`${h.url}/auth/token`, {
      grant_type: 'password',
      username: user.email,
      password: 'wrong-password-here',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({ error: 'invalid_grant' });
  });

  it('a backup code completes a login once', async () => {
    const { user, backupCodes } = await enrolledUser('mfabackup');
    const [first] = backupCodes as [string];
    const verify = await postJson(`${h.url}/auth/mfa/verify`, {
      challenge: await mfaLogin(user),
      backup_code: first,
    });
    expect(verify.status, verify.text).toBe(200);
    expect((await get(`${h.url}/auth/me`, bearer(field(verify, 'access_token')))).status).toBe(200);

    const reuse = await postJson(`${h.url}/auth/mfa/verify`, {
      challenge: await mfaLogin(user),
      backup_code: first,
    });
    expect(reuse.status, reuse.text).toBe(401);
    expect(reuse.body.error).toBe('invalid_credentials');
    expectNoTokens(reuse);
  });

  it('refuses a malformed verify: no challenge, both or neither proof, a bad challenge', async () => {
    const { user, secret } = await enrolledUser('mfabad');
    const challenge = await mfaLogin(user);
    for (const body of [
      { code: code(h, secret) },
      { challenge },
      { challenge, code: code(h, secret), backup_code: 'AAAA-AAAA-AAAA-AAAA' },
    ]) {
      const reply = await postJson(`${h.url}/auth/mfa/verify`, body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expectNoTokens(reply);
    }
    const unknown = await postJson(`${h.url}/auth/mfa/verify`, {
      challenge: randomBytes(32).toString('base64url'),
      code: code(h, secret),
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('invalid_token');
    // The real challenge still works.
    const ok = await postJson(`${h.url}/auth/mfa/verify`, { challenge, code: code(h, secret) });
    expect(ok.status, ok.text).toBe(200);
  });

  it('new backup codes and disabling need the password; disabling makes login single-step again', async () => {
    const { user, access, backupCodes: old } = await enrolledUser('mfadisable');
    const noPassword = await postJson(`${h.url}/auth/mfa/backup-codes`, {}, bearer(access));
    expect(noPassword.status).toBe(403);
    const regenerated = await postJson(
      `${h.url}/auth/mfa/backup-codes`,
      { current_password: user.password },
      bearer(access),
    );
    expect(regenerated.status, regenerated.text).toBe(200);
    expect(regenerated.headers.get('cache-control')).toBe('no-store');
    const fresh = regenerated.body.backup_codes as string[];
    expect(fresh).toHaveLength(10);
    expect(fresh.some((c) => old.includes(c))).toBe(false);

    for (const body of [{}, { current_password: 'wrong-password-here' }]) {
      const refused = await postJson(`${h.url}/auth/mfa/totp/disable`, body, bearer(access));
      expect(refused.status, refused.text).toBe(403);
    }
    const disabled = await postJson(
      `${h.url}/auth/mfa/totp/disable`,
      { current_password: user.password },
      bearer(access),
    );
    expect(disabled.status, disabled.text).toBe(204);
    const login = await postJson(`${h.url}/auth/login`, { email: user.email, password: GOOD_PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body).toHaveProperty('access_token');
  });
});

describe.each(TRANSPORTS)('MFA routes in cookie mode: %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(start, { ...COOKIE_MODE, ...MFA });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('/login sets no cookie; /mfa/verify is origin-checked and sets the session cookies', async () => {
    const user = await registerUser(h, 'mfacookie');
    const { secret } = await h.gh.mfa.beginTotpEnrolment(user.id, { currentPassword: user.password });
    await h.gh.mfa.confirmTotpEnrolment(user.id, code(h, secret));
    h.gh.clock.advance(90);

    const login = await postJson(
      `${h.url}/auth/login`,
      { email: user.email, password: user.password },
      { origin: h.url },
    );
    expect(login.status, login.text).toBe(200);
    expect(login.body.mfa_required).toBe(true);
    expectNoTokens(login);
    const challenge = field(login, 'challenge');

    const crossSite = await postJson(
      `${h.url}/auth/mfa/verify`,
      { challenge, code: code(h, secret) },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.error).toBe('csrf_failed');
    expect(crossSite.headers.getSetCookie()).toEqual([]);

    const verify = await postJson(
      `${h.url}/auth/mfa/verify`,
      { challenge, code: code(h, secret) },
      { origin: h.url },
    );
    expect(verify.status, verify.text).toBe(200);
    expect(verify.body).toMatchObject({ token_type: 'cookie', user: { id: user.id } });
    expect(verify.body).not.toHaveProperty('access_token');
    const access = cookieNamed(verify, COOKIE.access);
    expect(access).toMatchObject({ httpOnly: true, secure: true });
    const me = await get(`${h.url}/auth/me`, { cookie: `${COOKIE.access}=${access.value}` });
    expect(me.status, me.text).toBe(200);
    expect(me.body).toMatchObject({ id: user.id });
  });
});
