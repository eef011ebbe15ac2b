/**
 * The outbound client-credentials helper against a real `oidc-provider`: discovery, RFC 6749
 * §2.3.1 client_secret_basic with a secret that needs form-encoding (OA-10), caching, fetching
 * a new token before expiry, one request for concurrent callers, and the errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createClientCredentials } from '../../src/index.js';
import { FakeClock } from '../support/gatehouse.js';
import { type OidcPeer, startOidcProvider } from '../support/oidc-provider.js';

/** A secret with the characters that break a naive `base64(id:secret)`. */
const SECRET = 'p%40ss:w0rd+with/odd=chars&more%';

let peer: OidcPeer;

beforeAll(async () => {
  peer = await startOidcProvider({
    clients: [
      {
        clientId: 'billing:worker',
        clientSecret: SECRET,
        grantTypes: ['client_credentials'],
        scope: 'api:read api:write',
      },
    ],
  });
});

afterAll(async () => {
  await peer?.close();
});

const clientCredentialsCalls = () => peer.tokenRequests.filter((r) => r.grantType === 'client_credentials');

describe('createClientCredentials', () => {
  it('obtains a token with client_secret_basic (form-encoded before base64), caches it, and renews it before expiry', async () => {
    peer.ttl.clientCredentials = 300;
    const clock = new FakeClock(Date.now());
    const source = createClientCredentials({
      issuer: peer.issuer,
      clientId: 'billing:worker',
      clientSecret: SECRET,
      scope: ['api:read'],
      allowInsecureRequests: true,
      clock: clock.now,
    });
    const before = clientCredentialsCalls().length;
    const [first, concurrent] = await Promise.all([source.accessToken(), source.accessToken()]);
    expect(concurrent).toBe(first);
    expect(clientCredentialsCalls()).toHaveLength(before + 1);
    const request = clientCredentialsCalls().at(-1);
    const basic = Buffer.from(String(request?.authorization).slice('Basic '.length), 'base64').toString();
    expect(basic).toBe(
      `${encodeURIComponent('billing:worker')}:${encodeURIComponent(SECRET).replace(/%20/g, '+')}`,
    );
    expect(request?.body.get('scope')).toBe('api:read');

    // The token works at the issuer (introspection by the same client is not needed: it is an
    // opaque token the provider knows; the provider answered 200, and it is cached).
    expect(await source.accessToken()).toBe(first);
    expect(clientCredentialsCalls()).toHaveLength(before + 1);
    expect(source.expiresAt?.getTime()).toBe(clock.now().getTime() + 300_000);

    clock.advance(239); // 61 s left: still cached
    expect(await source.accessToken()).toBe(first);
    clock.advance(2); // 59 s left: inside the default 60 s refresh window
    const second = await source.accessToken();
    expect(second).not.toBe(first);
    expect(clientCredentialsCalls()).toHaveLength(before + 2);

    source.invalidate();
    expect(await source.accessToken()).not.toBe(second);
  });

  it('a refused request (wrong secret, unknown client) is ERR_OAUTH_FAILED and not cached', async () => {
    const wrong = createClientCredentials({
      issuer: peer.issuer,
      clientId: 'billing:worker',
      clientSecret: 'wrong',
      allowInsecureRequests: true,
    });
    await expect(wrong.accessToken()).rejects.toMatchObject({ code: 'ERR_OAUTH_FAILED' });
    const unknown = createClientCredentials({
      issuer: peer.issuer,
      clientId: 'no-such-client',
      clientSecret: SECRET,
      allowInsecureRequests: true,
    });
    await expect(unknown.accessToken()).rejects.toMatchObject({ code: 'ERR_OAUTH_FAILED' });
    expect(unknown.expiresAt).toBeNull();
    expect(wrong.expiresAt).toBeNull();
  });

  it('works with a token endpoint and no discovery, and client_secret_post', async () => {
    const source = createClientCredentials({
      tokenEndpoint: `${peer.issuer}/token`,
      clientId: 'billing:worker',
      clientSecret: SECRET,
      authMethod: 'client_secret_post',
      allowInsecureRequests: true,
    });
    expect(await source.accessToken()).toMatch(/\S{20,}/);
    expect(clientCredentialsCalls().at(-1)?.authorization).toBeUndefined();
    const basic = createClientCredentials({
      tokenEndpoint: `${peer.issuer}/token`,
      clientId: 'billing:worker',
      clientSecret: SECRET,
      allowInsecureRequests: true,
    });
    expect(await basic.accessToken()).toMatch(/\S{20,}/);
  });

  it('an unreachable server is ERR_OAUTH_PROVIDER_UNAVAILABLE; bad options are a ConfigError', async () => {
    const down = createClientCredentials({
      tokenEndpoint: 'http://127.0.0.1:9/token',
      clientId: 'a',
      clientSecret: 'b',
      allowInsecureRequests: true,
      timeoutMs: 500,
    });
    await expect(down.accessToken()).rejects.toMatchObject({ code: 'ERR_OAUTH_PROVIDER_UNAVAILABLE' });
    expect(() =>
      createClientCredentials({ issuer: 'http://id.example.com', clientId: 'a', clientSecret: 'b' }),
    ).toThrow(ConfigError);
    expect(() =>
      createClientCredentials({
        issuer: 'https://a.example',
        tokenEndpoint: 'https://a.example/token',
        clientId: 'a',
        clientSecret: 'b',
      }),
    ).toThrow(ConfigError);
  });
});
