/**
 * The device authorization grant (RFC 8628) through every adapter over real HTTP:
 * POST /auth/device/authorize, approval by a signed-in user from another session
 * (POST /auth/device/verify, /auth/device/approve), and polling POST /auth/token, with each
 * §3.5 answer in sequence (OA-11), denial, expiry on a fake clock, the rate limit on user-code
 * entry (RL-06), and the device code bound to its client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  bearer,
  field,
  get,
  type Harness,
  postForm,
  postJson,
  type Reply,
  send,
  startHarness,
  type Tokens,
  userWithTokens,
} from '../http/conformance/support.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const BASE_URL = 'https://app.example.com/portal';

describe.each(ADAPTERS)('device authorization grant: %s', (_name, start) => {
  let h: Harness;
  let cliId: string;
  let user: { id: string; tokens: Tokens };

  const authorize = (params: Record<string, string> = {}) =>
    postForm(`${h.url}/auth/device/authorize`, { client_id: cliId, ...params });
  const poll = (deviceCode: string, clientId = cliId) =>
    postForm(`${h.url}/auth/token`, {
      grant_type: DEVICE_GRANT,
      device_code: deviceCode,
      client_id: clientId,
    });
  const approve = (userCode: string, decision: boolean, access = user.tokens.access) =>
    postJson(`${h.url}/auth/device/approve`, { user_code: userCode, approve: decision }, bearer(access));
  const expectError = (reply: Reply, error: string) => {
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body).toEqual({ error });
    expect(reply.headers.get('cache-control')).toBe('no-store');
  };

  beforeAll(async () => {
    h = await startHarness(start, {
      tokens: { scopes: ['read', 'write'] },
      account: { baseUrl: BASE_URL },
      rateLimits: { deviceCodeEntryPerUser: { limit: 1000, window: 900 } },
    });
    cliId = (await h.gh.clients.register({ name: 'gatehouse CLI', public: true, scopes: ['read', 'write'] }))
      .client.id;
    user = await userWithTokens(h, 'device');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('authorize returns the RFC 8628 §3.2 response: codes, URIs from the configured base URL, 5 s interval', async () => {
    const reply = await authorize({ scope: 'read' });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.headers.get('cache-control')).toBe('no-store');
    const userCode = field(reply, 'user_code');
    expect(userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(Buffer.from(field(reply, 'device_code'), 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(reply.body).toEqual({
      device_code: expect.any(String),
      user_code: userCode,
      verification_uri: `${BASE_URL}/device`,
      verification_uri_complete: `${BASE_URL}/device?user_code=${userCode}`,
      expires_in: 600,
      interval: 5,
    });
  });

  it('each §3.5 answer in sequence: pending, slow_down (+5 s), pending, approval from another session, tokens once', async () => {
    const started = await authorize({ scope: 'read' });
    const deviceCode = field(started, 'device_code');
    const userCode = field(started, 'user_code');

    expectError(await poll(deviceCode), 'authorization_pending');
    expectError(await poll(deviceCode), 'slow_down'); // sooner than 5 s: the interval becomes 10 s
    h.gh.clock.advance(6);
    expectError(await poll(deviceCode), 'slow_down'); // 6 s < 10 s: now 15 s
    h.gh.clock.advance(15);
    expectError(await poll(deviceCode), 'authorization_pending');

    // The user, signed in elsewhere, looks the request up and approves it (any case, no dash).
    const lookup = await postJson(
      `${h.url}/auth/device/verify`,
      { user_code: userCode.toLowerCase().replace('-', '') },
      bearer(user.tokens.access),
    );
    expect(lookup.status, lookup.text).toBe(200);
    expect(lookup.body).toEqual({
      client_id: cliId,
      client_name: 'gatehouse CLI',
      scope: 'read',
      expires_in: 579,
    });
    const approved = await approve(` ${userCode.toLowerCase()} `, true);
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body).toEqual({ status: 'approved', client_id: cliId, scope: 'read' });

    h.gh.clock.advance(15);
    const tokens = await poll(deviceCode);
    expect(tokens.status, tokens.text).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'read' });
    const access = field(tokens, 'access_token');
    expect(field(tokens, 'refresh_token')).toMatch(/^ghr_/);
    const { claims } = await h.gh.tokens.verify(access);
    expect(claims).toMatchObject({ sub: user.id, clientId: cliId, scope: ['read'] });
    const me = await get(`${h.url}/auth/me`, bearer(access));
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(user.id);
    expect((await get(`${h.url}/scoped`, bearer(access))).body).toMatchObject({
      userId: user.id,
      role: 'USER',
    });
    expect(h.gh.seen.some((e) => e.type === 'login.succeeded' && e.factor === 'device_code')).toBe(true);
    // The refresh token works, bound to the device's client.
    const refreshed = await postForm(`${h.url}/auth/token`, {
      grant_type: 'refresh_token',
      refresh_token: field(tokens, 'refresh_token'),
    });
    expect(refreshed.status, refreshed.text).toBe(200);

    // Exactly once: the device code and the user code are used up. (Polling again with the used
    // device code also revokes the device's session: see device-code-reuse.test.ts.)
    h.gh.clock.advance(15);
    expectError(await poll(deviceCode), 'invalid_grant');
    const again = await approve(userCode, true);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_user_code');
  });

  it('denial: access_denied once, then the code is gone', async () => {
    const started = await authorize();
    const deviceCode = field(started, 'device_code');
    expectError(await poll(deviceCode), 'authorization_pending');
    const denied = await approve(field(started, 'user_code'), false);
    expect(denied.status, denied.text).toBe(200);
    expect(denied.body).toMatchObject({ status: 'denied' });
    h.gh.clock.advance(5);
    expectError(await poll(deviceCode), 'access_denied');
    h.gh.clock.advance(5);
    expectError(await poll(deviceCode), 'invalid_grant');
    expect(h.gh.seen.some((e) => e.type === 'device.denied' && e.userId === user.id)).toBe(true);
  });

  it('expiry: expired_token for the device, and the user code can no longer be approved', async () => {
    const started = await authorize();
    const deviceCode = field(started, 'device_code');
    h.gh.clock.advance(600);
    expectError(await poll(deviceCode), 'expired_token');
    const late = await approve(field(started, 'user_code'), true);
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('invalid_user_code');
    h.gh.clock.advance(10);
    expectError(await poll(deviceCode), 'expired_token');
  });

  it('the device code is bound to its client; unknown clients and codes are refused', async () => {
    const started = await authorize();
    const deviceCode = field(started, 'device_code');
    const other = await h.gh.clients.register({ name: 'other cli', public: true });
    expectError(await poll(deviceCode, other.client.id), 'invalid_grant');
    expectError(await poll('not-a-real-code'), 'invalid_grant');
    const unknown = await poll(deviceCode, 'ghc_nobody');
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual({ error: 'invalid_client' });
    const missing = await postForm(`${h.url}/auth/token`, { grant_type: DEVICE_GRANT, client_id: cliId });
    expect(missing.body.error).toBe('invalid_request');
    // A confidential client not registered for the device grant.
    const svc = await h.gh.clients.register({ name: 'svc' });
    const refused = await postForm(`${h.url}/auth/device/authorize`, {
      client_id: svc.client.id,
      client_secret: svc.clientSecret as string,
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: 'unauthorized_client' });
    const badScope = await authorize({ scope: 'admin' });
    expect(badScope.body).toEqual({ error: 'invalid_scope' });
  });

  it('approving needs a signed-in user: no token 401, a client token 403, malformed input 400', async () => {
    const started = await authorize();
    const userCode = field(started, 'user_code');
    const anonymous = await postJson(`${h.url}/auth/device/approve`, { user_code: userCode, approve: true });
    expect(anonymous.status).toBe(401);
    const svc = await h.gh.clients.register({ name: 'svc', scopes: ['read'] });
    const clientToken = await postForm(`${h.url}/auth/token`, {
      grant_type: 'client_credentials',
      client_id: svc.client.id,
      client_secret: svc.clientSecret as string,
    });
    const asClient = await approve(userCode, true, field(clientToken, 'access_token'));
    expect(asClient.status).toBe(403);
    expect(asClient.body).toMatchObject({ error: 'session_required' });
    const noFlag = await postJson(
      `${h.url}/auth/device/approve`,
      { user_code: userCode },
      bearer(user.tokens.access),
    );
    expect(noFlag.status).toBe(400);
    expect(noFlag.body.error).toBe('validation');
    for (const code of ['AAAA-AAAA', 'BCDF-GHJ', '', 'BCDF-GHJKL', 42]) {
      const reply = await postJson(
        `${h.url}/auth/device/approve`,
        { user_code: code, approve: true },
        bearer(user.tokens.access),
      );
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('invalid_user_code');
    }
    // Still pending: none of that consumed the code.
    expect((await approve(userCode, true)).status).toBe(200);
  });
});

describe.each(ADAPTERS)('device user-code entry is rate limited (RL-06): %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(start, {
      account: { baseUrl: BASE_URL },
      rateLimits: {
        deviceCodeEntryPerUser: { limit: 3, window: 900 },
        deviceAuthorizePerIp: { limit: 2, window: 900 },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the (N+1)th code entry of a user in the window gets 429 with Retry-After, even with a valid code', async () => {
    const user = await userWithTokens(h, 'limited');
    const cli = await h.gh.clients.register({ name: 'cli', public: true });
    const started = await postForm(`${h.url}/auth/device/authorize`, { client_id: cli.client.id });
    for (const code of ['BBBB-BBBB', 'CCCC-CCCC', 'DDDD-DDDD']) {
      const reply = await postJson(
        `${h.url}/auth/device/approve`,
        { user_code: code, approve: true },
        bearer(user.tokens.access),
      );
      expect(reply.status).toBe(400);
    }
    const limited = await postJson(
      `${h.url}/auth/device/approve`,
      { user_code: field(started, 'user_code'), approve: true },
      bearer(user.tokens.access),
    );
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    // Another user is not affected by this user's count.
    const other = await userWithTokens(h, 'other');
    const ok = await postJson(
      `${h.url}/auth/device/approve`,
      { user_code: field(started, 'user_code'), approve: true },
      bearer(other.tokens.access),
    );
    expect(ok.status, ok.text).toBe(200);
  });

  it('device authorization requests are limited per IP', async () => {
    const cli = await h.gh.clients.register({ name: 'cli2', public: true });
    // One request was made by the test above; one more fits, the next is refused.
    expect((await postForm(`${h.url}/auth/device/authorize`, { client_id: cli.client.id })).status).toBe(200);
    const limited = await postForm(`${h.url}/auth/device/authorize`, { client_id: cli.client.id });
    expect(limited.status).toBe(429);
  });
});

describe.each(ADAPTERS)('device flow without a verification URI: %s', (_name, start) => {
  it('answers 501 rather than inventing a URI from Host', async () => {
    const h = await startHarness(start, {});
    try {
      const cli = await h.gh.clients.register({ name: 'cli', public: true });
      const reply = await send(`${h.url}/auth/device/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'evil.example' },
        body: `client_id=${cli.client.id}`,
      });
      expect(reply.status).toBe(501);
      expect(reply.text).not.toContain('evil.example');
    } finally {
      await h.close();
    }
  });
});
