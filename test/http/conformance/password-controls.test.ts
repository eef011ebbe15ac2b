/**
 * Control characters in passwords across every adapter and transport. New passwords (registration,
 * change) must not contain any (NIST SP 800-63B-4 §3.1.1.2: printing characters and spaces;
 * RFC 8265 §4.2), and are refused with 400 `weak_password` and the rule
 * `password_contains_control`. A password set before the rule keeps working at the login route
 * (the policy is never applied when verifying), but not over HTTP Basic, which forbids control
 * characters outright (RFC 7617 §2); its owner moves to a clean password at the next change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASIC_CHALLENGE,
  bearer,
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
} from './support.js';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

/** A password that would pass the policy but for one control character. */
const withControl = (control: string) => `violet-otter${control}42-lantern`;

describe.each(TRANSPORTS)('control characters in passwords: %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(start);
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['NUL', '\u0000'],
    ['LF', '\n'],
    ['CR LF', '\r\n'],
    ['TAB', '\t'],
    ['ESC', '\u001b'],
    ['DEL', '\u007f'],
    ['C1 NEL', '\u0085'],
  ])('registration with %s in the password -> 400 weak_password, no account', async (_label, control) => {
    const email = uniqueEmail('ctl');
    const reply = await postJson(`${h.url}/auth/register`, { email, password: withControl(control) });
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body.error).toBe('weak_password');
    expect(reply.body.issues).toEqual([
      expect.objectContaining({ field: 'password', rule: 'password_contains_control' }),
    ]);
    expect(JSON.stringify(reply.body.issues)).toMatch(/control characters/);
    expect(await h.gh.store.users.findByEmail(email)).toBeNull();
  });

  it('a form-encoded NUL (%00) is refused the same way', async () => {
    const email = uniqueEmail('ctlform');
    const reply = await postForm(
      `${h.url}/auth/register`,
      `email=${encodeURIComponent(email)}&password=violet-otter%0042-lantern`,
    );
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body.error).toBe('weak_password');
  });

  it('spaces, no-break spaces, symbols and emoji stay allowed', async () => {
    for (const password of ['violet otter 42 lantern', 'violet\u00a0otter\u00a042 🙂 lantern!']) {
      const reply = await postJson(`${h.url}/auth/register`, { email: uniqueEmail('printable'), password });
      expect(reply.status, `${JSON.stringify(password)} ${reply.text}`).toBe(201);
    }
  });

  describe('an account whose password already has a control character', () => {
    const legacy = withControl('\n');

    /** A registered account whose stored hash is of `legacy`, as if set before the rule. */
    async function legacyAccount(): Promise<{ id: string; email: string }> {
      const user = await registerUser(h, 'legacyctl');
      const passwordHash = await h.gh.passwords.hash(legacy);
      await h.gh.store.users.update(user.id, { passwordHash }, new Date());
      return user;
    }

    it('still signs in at /auth/login and the token endpoint', async () => {
      const user = await legacyAccount();
      const login = await postJson(`${h.url}/auth/login`, { email: user.email, password: legacy });
      expect(login.status, login.text).toBe(200);
      expect(login.body).toHaveProperty('access_token');
      const grant = await postForm(`${h.url}/auth/token`, {
        grant_type: 'password',
        username: user.email,
        password: legacy,
      });
      expect(grant.status, grant.text).toBe(200);
    });

    it('cannot use HTTP Basic: 401 with the Basic challenge', async () => {
      const user = await legacyAccount();
      const reply = await get(`${h.url}/basic-store`, { authorization: basic(user.email, legacy) });
      expect(reply.status, reply.text).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(BASIC_CHALLENGE);
    });

    it('changes to a clean password (not to another one with a control character)', async () => {
      const user = await legacyAccount();
      const login = await postJson(`${h.url}/auth/login`, { email: user.email, password: legacy });
      const access = field(login, 'access_token');
      const refused = await postJson(
        `${h.url}/auth/password/change`,
        { current_password: legacy, new_password: withControl('\u0000') },
        bearer(access),
      );
      expect(refused.status, refused.text).toBe(400);
      expect(refused.body.error).toBe('weak_password');
      expect(refused.body.issues).toEqual([expect.objectContaining({ rule: 'password_contains_control' })]);

      const changed = await postJson(
        `${h.url}/auth/password/change`,
        { current_password: legacy, new_password: GOOD_PASSWORD },
        bearer(access),
      );
      expect(changed.status, changed.text).toBeLessThan(300);
      const relogin = await postJson(`${h.url}/auth/login`, { email: user.email, password: GOOD_PASSWORD });
      expect(relogin.status, relogin.text).toBe(200);
      const viaBasic = await get(`${h.url}/basic-store`, { authorization: basic(user.email, GOOD_PASSWORD) });
      expect(viaBasic.status, viaBasic.text).toBe(200);
    });
  });
});
