/**
 * A device code (RFC 8628) redeemed twice, through every adapter over real HTTP (RFC 6749 §10.5,
 * RFC 9700 §4.5): the poll after the one that got the tokens is refused with `invalid_grant` as
 * before, and the token family the first poll received is revoked, refreshed successors
 * included; `code.reused` names the user and the client. Unknown codes, denied codes, and a
 * replay after the request's retention revoke nothing.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/index.js';
import {
  ADAPTERS,
  bearer,
  field,
  get,
  type Harness,
  postForm,
  postJson,
  type Reply,
  startHarness,
  type Tokens,
  userWithTokens,
} from '../http/conformance/support.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

describe.each(ADAPTERS)('a device code redeemed twice: %s', (_name, start) => {
  let h: Harness;
  let cliId: string;
  let user: { id: string; tokens: Tokens };

  beforeAll(async () => {
    h = await startHarness(start, {
      tokens: { scopes: ['read'] },
      account: { baseUrl: 'https://app.example.com' },
      rateLimits: { deviceCodeEntryPerUser: { limit: 1000, window: 900 } },
    });
    cliId = (await h.gh.clients.register({ name: 'gatehouse CLI', public: true, scopes: ['read'] })).client
      .id;
    user = await userWithTokens(h, 'approver');
  });
  afterAll(async () => {
    await h?.close();
  });

  const poll = (deviceCode: string) =>
    postForm(`${h.url}/auth/token`, { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: cliId });
  const refresh = (refreshToken: string) =>
    postForm(`${h.url}/auth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken });
  const me = async (access: string) => (await get(`${h.url}/auth/me`, bearer(access))).status;
  const expectInvalidGrant = (reply: Reply) => {
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body).toEqual({ error: 'invalid_grant' });
  };
  const reuses = () =>
    h.gh.seen.filter((e): e is Extract<SecurityEvent, { type: 'code.reused' }> => e.type === 'code.reused');

  /** A device code the user approved, and (with `decision: false`) one they denied. */
  async function decidedCode(decision = true): Promise<string> {
    const started = await postForm(`${h.url}/auth/device/authorize`, { client_id: cliId, scope: 'read' });
    const approved = await postJson(
      `${h.url}/auth/device/approve`,
      { user_code: field(started, 'user_code'), approve: decision },
      bearer(user.tokens.access),
    );
    expect(approved.status, approved.text).toBe(200);
    h.gh.clock.advance(5);
    return field(started, 'device_code');
  }

  it('the second poll gets invalid_grant and revokes the access and refresh tokens of the first', async () => {
    const deviceCode = await decidedCode();
    const first = await poll(deviceCode);
    expect(first.status, first.text).toBe(200);
    const access = field(first, 'access_token');
    expect(await me(access)).toBe(200);
    const familyId = h.gh.seen.filter((e) => e.type === 'login.succeeded').at(-1)?.familyId;
    const before = reuses().length;

    h.gh.clock.advance(5);
    expectInvalidGrant(await poll(deviceCode));
    expect(await me(access)).toBe(401);
    expectInvalidGrant(await refresh(field(first, 'refresh_token')));
    // The approver's own session is another family: untouched.
    expect(await me(user.tokens.access)).toBe(200);

    expect(reuses().slice(before)).toEqual([
      expect.objectContaining({
        userId: user.id,
        kind: 'device_code',
        clientId: cliId,
        familyId,
        revokedTokens: 2,
      }),
    ]);
    expect(h.gh.seen.filter((e) => e.type === 'token.revoked').at(-1)).toMatchObject({
      userId: user.id,
      scope: 'family',
      reason: 'reuse',
      count: 2,
    });
    const logged = JSON.stringify(h.gh.seen);
    for (const secret of [deviceCode, access, field(first, 'refresh_token')])
      expect(logged).not.toContain(secret);
  });

  it('a device session refreshed in between is revoked with its new tokens', async () => {
    const deviceCode = await decidedCode();
    const first = await poll(deviceCode);
    const rotated = await refresh(field(first, 'refresh_token'));
    expect(rotated.status, rotated.text).toBe(200);
    expect(await me(field(rotated, 'access_token'))).toBe(200);
    h.gh.clock.advance(5);
    expectInvalidGrant(await poll(deviceCode));
    expect(await me(field(rotated, 'access_token'))).toBe(401);
    expectInvalidGrant(await refresh(field(rotated, 'refresh_token')));
  });

  it('unknown and denied device codes revoke nothing', async () => {
    const session = await poll(await decidedCode());
    const access = field(session, 'access_token');
    const before = reuses().length;
    for (const unknown of ['not-a-real-code', randomBytes(32).toString('base64url')]) {
      expectInvalidGrant(await poll(unknown));
    }
    const denied = await decidedCode(false);
    expect((await poll(denied)).body).toEqual({ error: 'access_denied' });
    h.gh.clock.advance(5);
    expectInvalidGrant(await poll(denied));
    expect(reuses().length).toBe(before);
    expect(await me(access)).toBe(200);
  });

  it('after the request would have been forgotten, a replay only gets invalid_grant', async () => {
    const deviceCode = await decidedCode();
    const first = await poll(deviceCode);
    const before = reuses().length;
    // The request and its redemption are kept for the code's lifetime past its expiry (2 × 600 s).
    h.gh.clock.advance(2 * h.gh.config.device.expiresIn + 1);
    expectInvalidGrant(await poll(deviceCode));
    expect(reuses().length).toBe(before);
    const refreshed = await refresh(field(first, 'refresh_token'));
    expect(refreshed.status, refreshed.text).toBe(200);
  });
});
