/**
 * Interoperability: oauth4webapi, a strict standards client, against our token and device
 * authorization endpoints over real HTTP — client credentials with client_secret_basic and
 * client_secret_post (OA-10), and the whole device flow with a public client (RFC 8628).
 */
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  bearer,
  get,
  type Harness,
  postJson,
  startHarness,
  type Tokens,
  userWithTokens,
} from '../http/conformance/support.js';

describe.each(ADAPTERS)('oauth4webapi as the client: %s', (_name, start) => {
  let h: Harness;
  let as: oauth.AuthorizationServer;
  let user: { id: string; tokens: Tokens };
  const options = { [oauth.allowInsecureRequests]: true } as const;

  beforeAll(async () => {
    h = await startHarness(start, {
      tokens: { scopes: ['read', 'write'] },
      account: { baseUrl: 'https://app.example.com' },
    });
    as = {
      issuer: 'gatehouse',
      token_endpoint: `${h.url}/auth/token`,
      device_authorization_endpoint: `${h.url}/auth/device/authorize`,
    };
    user = await userWithTokens(h, 'interop');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('clientCredentialsGrantRequest with ClientSecretBasic: a client id with ":" and "%" round-trips', async () => {
    const { client, clientSecret } = await h.gh.clients.register({
      name: 'billing',
      id: 'billing:eu%1 +',
      scopes: ['read', 'write'],
    });
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: client.id },
      oauth.ClientSecretBasic(clientSecret as string),
      { scope: 'read' },
      options,
    );
    const result = await oauth.processClientCredentialsResponse(as, { client_id: client.id }, response);
    expect(result.token_type).toBe('bearer');
    expect(result.scope).toBe('read');
    expect(result.refresh_token).toBeUndefined();
    const scoped = await get(`${h.url}/scoped`, bearer(result.access_token));
    expect(scoped.status, scoped.text).toBe(200);
    expect(scoped.body.userId).toBe('billing:eu%1 +');
  });

  it('clientCredentialsGrantRequest with ClientSecretPost, and a wrong secret surfaces invalid_client', async () => {
    const { client, clientSecret } = await h.gh.clients.register({ name: 'jobs', scopes: ['write'] });
    const ok = await oauth.processClientCredentialsResponse(
      as,
      { client_id: client.id },
      await oauth.clientCredentialsGrantRequest(
        as,
        { client_id: client.id },
        oauth.ClientSecretPost(clientSecret as string),
        {},
        options,
      ),
    );
    expect(ok.scope).toBe('write');
    const wrong = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: client.id },
      oauth.ClientSecretBasic('not-the-secret'),
      {},
      options,
    );
    const failure = await oauth.processClientCredentialsResponse(as, { client_id: client.id }, wrong).then(
      () => undefined,
      (error: unknown) => error,
    );
    // RFC 6749 §5.2: Basic was used, so the 401 carries a Basic challenge, which oauth4webapi reports.
    expect(failure).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    expect(failure).toMatchObject({
      status: 401,
      cause: [{ scheme: 'basic', parameters: { realm: 'gatehouse', charset: 'UTF-8' } }],
    });
    const viaPost = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: client.id },
      oauth.ClientSecretPost('not-the-secret'),
      {},
      options,
    );
    const postFailure = await oauth
      .processClientCredentialsResponse(as, { client_id: client.id }, viaPost)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(postFailure).toBeInstanceOf(oauth.ResponseBodyError);
    expect(postFailure).toMatchObject({ error: 'invalid_client', status: 401 });
  });

  it('deviceAuthorizationRequest + deviceCodeGrantRequest: pending, then the approving user tokens', async () => {
    const { client } = await h.gh.clients.register({ name: 'cli', public: true, scopes: ['read'] });
    const cli: oauth.Client = { client_id: client.id };
    const started = await oauth.processDeviceAuthorizationResponse(
      as,
      cli,
      await oauth.deviceAuthorizationRequest(as, cli, oauth.None(), { scope: 'read' }, options),
    );
    expect(started.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(started.verification_uri).toBe('https://app.example.com/device');
    expect(started.interval).toBe(5);

    const pollOnce = async () =>
      oauth.processDeviceCodeResponse(
        as,
        cli,
        await oauth.deviceCodeGrantRequest(as, cli, oauth.None(), started.device_code, options),
      );
    const pending = await pollOnce().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(pending).toBeInstanceOf(oauth.ResponseBodyError);
    expect(pending).toMatchObject({ error: 'authorization_pending' });
    const tooFast = await pollOnce().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(tooFast).toMatchObject({ error: 'slow_down' });

    const approved = await postJson(
      `${h.url}/auth/device/approve`,
      { user_code: started.user_code, approve: true },
      bearer(user.tokens.access),
    );
    expect(approved.status, approved.text).toBe(200);
    h.gh.clock.advance(10);
    const tokens = await pollOnce();
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('read');
    expect(tokens.refresh_token).toMatch(/^ghr_/);
    const me = await get(`${h.url}/auth/me`, bearer(tokens.access_token));
    expect(me.body.id).toBe(user.id);

    // The refresh token works with oauth4webapi too, for the same client.
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      cli,
      await oauth.refreshTokenGrantRequest(as, cli, oauth.None(), tokens.refresh_token as string, options),
    );
    expect(refreshed.access_token).not.toBe(tokens.access_token);
  });
});
