/**
 * Disabling, deleting, rotating and `revokeTokens` on a registered client end every token issued
 * to it — also the users' sessions obtained through it with the device grant (RFC 8628) — through
 * every adapter over real HTTP: right after the change the device session's access token gets 401
 * on `/auth/me` and its refresh token `invalid_grant`, while the sessions of other clients, the
 * first-party sessions of the same user and other clients' own tokens keep working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAuthError } from '../../src/index.js';
import {
  ADAPTERS,
  bearer,
  bearerChallenge,
  field,
  get,
  type Harness,
  postForm,
  postJson,
  startHarness,
  type Tokens,
  userWithTokens,
} from '../http/conformance/support.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

describe.each(ADAPTERS)('revoking a client revokes the sessions obtained through it: %s', (_name, start) => {
  let h: Harness;
  let counter = 0;

  beforeAll(async () => {
    h = await startHarness(start, {
      tokens: { scopes: ['read', 'write'] },
      account: { baseUrl: 'https://app.example.com' },
      rateLimits: { deviceCodeEntryPerUser: { limit: 1000, window: 900 } },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  const publicCli = async (): Promise<string> => {
    counter += 1;
    return (await h.gh.clients.register({ name: `cli ${counter}`, public: true, scopes: ['read'] })).client
      .id;
  };

  /** A device login through `clientId`, approved by `approver`: the device's tokens. */
  const deviceLogin = async (clientId: string, approver: Tokens, clientSecret?: string): Promise<Tokens> => {
    const auth = { client_id: clientId, ...(clientSecret ? { client_secret: clientSecret } : {}) };
    const started = await postForm(`${h.url}/auth/device/authorize`, { ...auth, scope: 'read' });
    expect(started.status, started.text).toBe(200);
    const approved = await postJson(
      `${h.url}/auth/device/approve`,
      { user_code: field(started, 'user_code'), approve: true },
      bearer(approver.access),
    );
    expect(approved.status, approved.text).toBe(200);
    const polled = await postForm(`${h.url}/auth/token`, {
      ...auth,
      grant_type: DEVICE_GRANT,
      device_code: field(started, 'device_code'),
    });
    expect(polled.status, polled.text).toBe(200);
    return { access: field(polled, 'access_token'), refresh: field(polled, 'refresh_token') };
  };

  /** The latest event other than the `token.rejected` ones the revoked sessions' probes left. */
  const lastBesidesRejections = () => h.gh.seen.filter((e) => e.type !== 'token.rejected').at(-1);
  const me = (tokens: Tokens) => get(`${h.url}/auth/me`, bearer(tokens.access));
  const refreshAtToken = (tokens: Tokens) =>
    postForm(`${h.url}/auth/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh });
  const refreshAtRefresh = (tokens: Tokens) =>
    postJson(`${h.url}/auth/refresh`, { refresh_token: tokens.refresh });

  /** The session works now: `/me` answers 200 and a refresh rotates (returns the new pair). */
  const expectAlive = async (tokens: Tokens): Promise<Tokens> => {
    const answer = await me(tokens);
    expect(answer.status, answer.text).toBe(200);
    const refreshed = await refreshAtToken(tokens);
    expect(refreshed.status, refreshed.text).toBe(200);
    return { access: field(refreshed, 'access_token'), refresh: field(refreshed, 'refresh_token') };
  };

  /** The session is over: 401 `invalid_token` on `/me`, `invalid_grant` on both refresh routes. */
  const expectRevoked = async (tokens: Tokens): Promise<void> => {
    const answer = await me(tokens);
    expect(answer.status, answer.text).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_token'));
    const refreshed = await refreshAtToken(tokens);
    expect(refreshed.status, refreshed.text).toBe(400);
    expect(refreshed.body).toEqual({ error: 'invalid_grant' });
    const viaRefresh = await refreshAtRefresh(tokens);
    expect(viaRefresh.status).toBeGreaterThanOrEqual(400);
    expect(viaRefresh.status).toBeLessThan(500);
    expect(viaRefresh.body.error).toBe('invalid_grant');
  };

  it('disable: the device session stops at once; other clients, first-party sessions and client tokens go on', async () => {
    const cliA = await publicCli();
    const cliB = await publicCli();
    const svc = await h.gh.clients.register({ name: 'svc', scopes: ['read'] });
    const alice = await userWithTokens(h, 'alice');
    const bob = await userWithTokens(h, 'bob');
    const aliceA = await deviceLogin(cliA, alice.tokens);
    const bobA = await deviceLogin(cliA, bob.tokens);
    let aliceB = await deviceLogin(cliB, alice.tokens);
    const svcToken = await postForm(`${h.url}/auth/token`, {
      grant_type: 'client_credentials',
      client_id: svc.client.id,
      client_secret: svc.clientSecret as string,
    });
    expect(svcToken.status, svcToken.text).toBe(200);
    expect((await me(aliceA)).status).toBe(200);

    await h.gh.clients.disable(cliA);

    await expectRevoked(aliceA);
    await expectRevoked(bobA);
    // Two records (refresh + access) per device login.
    expect(lastBesidesRejections()).toMatchObject({
      type: 'client.disabled',
      clientId: cliA,
      revokedTokens: 4,
    });
    aliceB = await expectAlive(aliceB);
    await expectAlive(alice.tokens);
    await expectAlive(bob.tokens);
    const scoped = await get(`${h.url}/scoped`, bearer(field(svcToken, 'access_token')));
    expect(scoped.status, scoped.text).toBe(200);

    // Enabled again: the revoked sessions stay revoked; new device logins work.
    await h.gh.clients.enable(cliA);
    await expectRevoked(aliceA);
    await expectAlive(await deviceLogin(cliA, alice.tokens));
  });

  it('delete: every user session of the client ends; the same users keep their other sessions', async () => {
    const cli = await publicCli();
    const other = await publicCli();
    const alice = await userWithTokens(h, 'alice');
    const bob = await userWithTokens(h, 'bob');
    const sessions = [await deviceLogin(cli, alice.tokens), await deviceLogin(cli, bob.tokens)];
    const kept = await deviceLogin(other, bob.tokens);

    expect(await h.gh.clients.delete(cli)).toBe(true);
    for (const session of sessions) await expectRevoked(session);
    expect(lastBesidesRejections()).toMatchObject({
      type: 'client.deleted',
      clientId: cli,
      revokedTokens: 4,
    });
    await expectAlive(kept);
    await expectAlive(alice.tokens);
    // A device code of the deleted client cannot be started or polled any more.
    const refused = await postForm(`${h.url}/auth/device/authorize`, { client_id: cli });
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
  });

  it('a refresh token of a disabled client is refused even when its record escaped revocation', async () => {
    const cli = await publicCli();
    const alice = await userWithTokens(h, 'alice');
    const session = await deviceLogin(cli, alice.tokens);
    // As if the client were disabled while this session was being issued (poll racing disable):
    // the client is disabled, the records are still active.
    await h.gh.store.clients.update(cli, { disabledAt: new Date() }, new Date());
    const refused = await refreshAtToken(session);
    expect(refused.status, refused.text).toBe(400);
    expect(refused.body).toEqual({ error: 'invalid_grant' });
    await h.gh.store.clients.update(cli, { disabledAt: null }, new Date());
    await expectAlive(session);
  });

  it('rotateSecret revokes the sessions of a confidential device client unless keepTokens; revokeTokens covers public ones', async () => {
    const { client, clientSecret } = await h.gh.clients.register({
      name: 'tv app',
      scopes: ['read'],
      grantTypes: [DEVICE_GRANT],
    });
    const alice = await userWithTokens(h, 'alice');
    let session = await deviceLogin(client.id, alice.tokens, clientSecret as string);

    const secret2 = await h.gh.clients.rotateSecret(client.id, { keepTokens: true });
    expect(h.gh.seen.at(-1)).toMatchObject({ type: 'client.secret_rotated', revokedTokens: 0 });
    session = await expectAlive(session);

    await h.gh.clients.rotateSecret(client.id);
    // The first pair (its refresh token used, still active until now) and the rotated pair.
    expect(h.gh.seen.at(-1)).toMatchObject({ type: 'client.secret_rotated', revokedTokens: 4 });
    await expectRevoked(session);
    expect(secret2).not.toBe(clientSecret);

    // A public client has no secret to rotate; revokeTokens ends its users' sessions.
    const cli = await publicCli();
    const publicSession = await deviceLogin(cli, alice.tokens);
    const rotated = await h.gh.clients.rotateSecret(cli).catch((error: unknown) => error);
    expect(isAuthError(rotated, 'ERR_VALIDATION')).toBe(true);
    await expectAlive(publicSession).then(async (next) => {
      expect(await h.gh.clients.revokeTokens(cli)).toBe(4);
      await expectRevoked(next);
    });
    await expectAlive(alice.tokens);
  });

  it('the first-party client id cannot be registered, so no client revocation reaches first-party sessions', async () => {
    const firstParty = h.gh.config.clientId;
    const registered = await h.gh.clients
      .register({ id: firstParty, name: 'impostor', public: true })
      .catch((error: unknown) => error);
    expect(isAuthError(registered, 'ERR_VALIDATION')).toBe(true);
    expect(registered).toMatchObject({ issues: [{ field: 'id', rule: 'reserved' }] });
    const byTokens = await h.gh.tokens.revokeAllForClient(firstParty).catch((error: unknown) => error);
    expect(isAuthError(byTokens, 'ERR_VALIDATION')).toBe(true);

    const alice = await userWithTokens(h, 'alice');
    // Deleting or revoking an unknown id equal to the first-party one touches the client family only.
    expect(await h.gh.clients.delete(firstParty)).toBe(false);
    expect(await h.gh.clients.revokeTokens(firstParty)).toBe(0);
    await expectAlive(alice.tokens);
  });
});
