/**
 * ExternalTokenVerifier against a real JWKS served over loopback HTTP (TK-01..TK-08, TK-12 for
 * external issuers): keys fetched, cached, refetched on an unknown kid with a cooldown, rotation,
 * claim checks, refused algorithms and headers, and an issuer that is down or slow.
 */
import { createPublicKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import {
  ConfigError,
  createMemoryStore,
  type GatehouseConfig,
  type ResourceServerConfig,
} from '../../src/index.js';
import { ExternalTokenVerifier } from '../../src/resource-server/external-token.js';
import { FakeClock, newSecret } from '../support/gatehouse.js';
import {
  type IssuerKey,
  type IssuerServer,
  issuerKey,
  startIssuerServer,
  unsecuredToken,
} from './issuer-server.js';

const AUDIENCE = 'https://api.example.com';

let clock: FakeClock;
let server: IssuerServer;
let k1: IssuerKey;
let k2: IssuerKey;

beforeEach(async () => {
  clock = new FakeClock();
  server = await startIssuerServer({ now: clock.now, audience: AUDIENCE });
  k1 = await issuerKey('k1');
  k2 = await issuerKey('k2');
  server.keys = [k1];
});
afterEach(async () => {
  await server.close();
});

function resourceServer(overrides: Record<string, unknown> = {}, issuer: Record<string, unknown> = {}) {
  return {
    allowInsecureHttp: true,
    fetchTimeout: 300,
    jwksCooldown: 0,
    issuers: [
      {
        issuer: server.issuer,
        audience: AUDIENCE,
        jwksUri: server.jwksUri,
        algorithms: ['ES256', 'RS256'],
        ...issuer,
      },
    ],
    ...overrides,
  };
}

function verifier(overrides: Record<string, unknown> = {}, issuer: Record<string, unknown> = {}) {
  const config = parseConfig({
    store: createMemoryStore(),
    tokens: { secret: newSecret() },
    resourceServer: resourceServer(overrides, issuer),
  } as GatehouseConfig).resourceServer as ResourceServerConfig;
  return new ExternalTokenVerifier(config, { ownIssuer: 'gatehouse', maxTokenBytes: 8192, clock: clock.now });
}

const invalid = { code: 'ERR_TOKEN_INVALID', status: 401 };

describe('keys', () => {
  it('fetches the JWKS once, then serves from the cache', async () => {
    const v = verifier();
    for (let i = 0; i < 5; i++) {
      const claims = await v.verify(await server.sign(k1, { scope: 'read write' }));
      expect(claims).toMatchObject({
        issuer: server.issuer,
        subject: 'ext-user-1',
        scopes: ['read', 'write'],
      });
      expect(claims.clientId).toBe('reporting-service');
    }
    expect(server.jwksFetches()).toBe(1);
  });

  it('an unknown kid refetches the JWKS (a newly published key works at once)', async () => {
    const v = verifier();
    await v.verify(await server.sign(k1));
    server.keys = [k1, k2];
    await expect(v.verify(await server.sign(k2))).resolves.toMatchObject({ subject: 'ext-user-1' });
    expect(server.jwksFetches()).toBe(2);
  });

  it('rotation: once k1 is retired from the JWKS, a k1 token is refused (TK-12)', async () => {
    const v = verifier();
    const oldToken = await server.sign(k1);
    await v.verify(oldToken);
    server.keys = [k2];
    await v.verify(await server.sign(k2));
    await expect(v.verify(oldToken)).rejects.toMatchObject(invalid);
  });

  it('cooldown: a second unknown kid within the cooldown does not refetch', async () => {
    const v = verifier({ jwksCooldown: 60_000 });
    await v.verify(await server.sign(k1));
    expect(server.jwksFetches()).toBe(1);
    server.keys = [k1, k2];
    // Fetched less than the cooldown ago: no refetch, the unknown kid is refused.
    await expect(v.verify(await server.sign(k2))).rejects.toMatchObject(invalid);
    await expect(v.verify(await server.sign(k2, {}, { kid: 'k3' }))).rejects.toMatchObject(invalid);
    expect(server.jwksFetches()).toBe(1);
  });

  it('the JWKS endpoint down -> IssuerUnavailableError (503), promptly', async () => {
    server.mode = 'error';
    const v = verifier();
    await expect(v.verify(await server.sign(k1))).rejects.toMatchObject({
      code: 'ERR_ISSUER_UNAVAILABLE',
      status: 503,
    });
  });

  it('a JWKS endpoint that never answers -> 503 within the fetch timeout, never a hang', async () => {
    server.mode = 'hang';
    // The endpoint never answers: only the verifier's own deadline can settle this before the
    // test's timeout.
    const v = verifier({ fetchTimeout: 200 });
    await expect(v.verify(await server.sign(k1))).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' });
  }, 10_000);
});

describe('discovery (no jwksUri configured)', () => {
  it('finds jwks_uri in the OIDC document, and in the RFC 8414 one', async () => {
    const oidc = verifier({}, { jwksUri: undefined });
    await expect(oidc.verify(await server.sign(k1))).resolves.toMatchObject({ subject: 'ext-user-1' });
    expect(server.hits.get('/realm/.well-known/openid-configuration')).toBe(1);
    const oauth = verifier({}, { jwksUri: undefined, discovery: 'oauth2' });
    await expect(oauth.verify(await server.sign(k1))).resolves.toMatchObject({ subject: 'ext-user-1' });
    expect(server.hits.get('/.well-known/oauth-authorization-server/realm')).toBe(1);
  });

  it('a document naming another issuer is refused (503, its keys never used)', async () => {
    server.metadataIssuer = 'https://evil.example';
    const v = verifier({}, { jwksUri: undefined });
    await expect(v.verify(await server.sign(k1))).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' });
    expect(server.jwksFetches()).toBe(0);
  });

  it('a failed discovery is not retried before the cooldown', async () => {
    server.mode = 'error';
    const v = verifier({ jwksCooldown: 60_000 }, { jwksUri: undefined });
    const token = await server.sign(k1);
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' });
    server.mode = 'ok';
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' });
    expect(server.hits.get('/realm/.well-known/openid-configuration')).toBe(1);
  });
});

describe('claims (TK-05, TK-06, TK-07)', () => {
  it('wrong aud, wrong iss, missing exp or sub -> invalid; aud as a list containing ours -> accepted', async () => {
    const v = verifier();
    await expect(v.verify(await server.sign(k1, { aud: 'https://other.example.com' }))).rejects.toMatchObject(
      invalid,
    );
    await expect(v.verify(await server.sign(k1, { aud: ['other', AUDIENCE] }))).resolves.toBeDefined();
    await expect(v.verify(await server.sign(k1, { exp: undefined }))).rejects.toMatchObject(invalid);
    await expect(v.verify(await server.sign(k1, { sub: undefined }))).rejects.toMatchObject(invalid);
    // iss is compared exactly: a trailing slash is another issuer (and is not even routed here).
    await expect(v.verify(await server.sign(k1, { iss: `${server.issuer}/` }))).rejects.toMatchObject(
      invalid,
    );
  });

  it('exp <= now - tolerance -> expired; nbf or iat beyond the tolerance -> invalid', async () => {
    const v = verifier({}, { clockTolerance: 5 });
    const now = Math.floor(clock.now().getTime() / 1000);
    await expect(v.verify(await server.sign(k1, { iat: now - 100, exp: now - 5 }))).rejects.toMatchObject({
      code: 'ERR_TOKEN_EXPIRED',
    });
    await expect(v.verify(await server.sign(k1, { iat: now - 100, exp: now - 4 }))).resolves.toBeDefined();
    await expect(v.verify(await server.sign(k1, { nbf: now + 6 }))).rejects.toMatchObject(invalid);
    await expect(v.verify(await server.sign(k1, { iat: now + 6 }))).rejects.toMatchObject(invalid);
    await expect(v.verify(await server.sign(k1, { nbf: now + 5, iat: now + 5 }))).resolves.toBeDefined();
  });

  it('typ must be at+jwt unless configured otherwise; maxTokenAge is enforced', async () => {
    const v = verifier();
    await expect(v.verify(await server.sign(k1, {}, { typ: 'JWT' }))).rejects.toMatchObject(invalid);
    await expect(v.verify(await server.sign(k1, {}, { typ: 'application/AT+JWT' }))).resolves.toBeDefined();
    const anyTyp = verifier({}, { typ: null });
    await expect(anyTyp.verify(await server.sign(k1, {}, { typ: 'JWT' }))).resolves.toBeDefined();
    const aged = verifier({}, { maxTokenAge: 60 });
    const now = Math.floor(clock.now().getTime() / 1000);
    await expect(aged.verify(await server.sign(k1, { iat: now - 120 }))).rejects.toMatchObject({
      status: 401,
    });
  });

  it('requiredScopes missing -> 403 insufficient_scope; scp lists count as scopes', async () => {
    const v = verifier({}, { requiredScopes: ['reports:read'] });
    await expect(v.verify(await server.sign(k1, { scope: 'read' }))).rejects.toMatchObject({
      code: 'ERR_INSUFFICIENT_SCOPE',
      status: 403,
      scopes: ['reports:read'],
    });
    await expect(
      v.verify(await server.sign(k1, { scope: undefined, scp: ['reports:read'] })),
    ).resolves.toMatchObject({
      scopes: ['reports:read'],
    });
  });
});

describe('algorithms and headers (TK-01..TK-04, TK-08)', () => {
  it('an algorithm outside the allow-list -> invalid, even with a valid signature', async () => {
    const rsa = await issuerKey('rsa', 'RS256');
    server.keys = [k1, rsa];
    const esOnly = verifier({}, { algorithms: ['ES256'] });
    await expect(esOnly.verify(await server.sign(rsa))).rejects.toMatchObject(invalid);
    await expect(verifier().verify(await server.sign(rsa))).resolves.toBeDefined();
  });

  it('HS256 signed with the issuer’s public key as the secret -> invalid (no key confusion)', async () => {
    const pem = createPublicKey({ key: k1.publicJwk as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const v = verifier();
    const now = Math.floor(clock.now().getTime() / 1000);
    for (const secret of [
      new TextEncoder().encode(String(pem)),
      new TextEncoder().encode(JSON.stringify(k1.publicJwk)),
    ]) {
      const forged = await new SignJWT({
        iss: server.issuer,
        aud: AUDIENCE,
        sub: 'admin',
        iat: now,
        exp: now + 60,
      })
        .setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' })
        .sign(secret);
      await expect(v.verify(forged)).rejects.toMatchObject(invalid);
    }
  });

  it('alg none in any spelling -> invalid', async () => {
    const v = verifier();
    const now = Math.floor(clock.now().getTime() / 1000);
    const payload = { iss: server.issuer, aud: AUDIENCE, sub: 'admin', iat: now, exp: now + 60 };
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      await expect(v.verify(unsecuredToken(payload, alg))).rejects.toMatchObject(invalid);
      await expect(v.verify(`${unsecuredToken(payload, alg)}c2ln`)).rejects.toMatchObject(invalid);
    }
  });

  it('jku, x5u, jwk, x5c and crit headers -> invalid, and nothing is fetched from them', async () => {
    const v = verifier();
    await v.verify(await server.sign(k1));
    const planted = `${server.origin}/planted`;
    for (const header of [
      { jku: planted },
      { x5u: planted },
      { jwk: k2.publicJwk },
      { x5c: ['MIIB'] },
      { crit: ['b64'], b64: true },
    ]) {
      await expect(v.verify(await server.sign(k1, {}, header))).rejects.toMatchObject(invalid);
    }
    expect(server.hits.get('/planted')).toBeUndefined();
  });

  it('over maxTokenBytes, JWE (five parts) or JSON serialization -> invalid before decoding', async () => {
    const v = verifier();
    const big = await server.sign(k1, { padding: 'x'.repeat(9000) });
    await expect(v.verify(big)).rejects.toMatchObject(invalid);
    await expect(v.verify('a.b.c.d.e')).rejects.toMatchObject(invalid);
    await expect(v.verify(JSON.stringify({ payload: 'x', signatures: [] }))).rejects.toMatchObject(invalid);
    expect(server.jwksFetches()).toBe(0);
  });
});

describe('configuration', () => {
  const parse = (resourceServerConfig: unknown) =>
    parseConfig({
      store: createMemoryStore(),
      tokens: { secret: newSecret() },
      resourceServer: resourceServerConfig,
    } as GatehouseConfig);

  it('HS* and none are refused at start-up, naming the field (TK-01, TK-03)', () => {
    for (const alg of ['HS256', 'HS512', 'none']) {
      expect(() =>
        parse({
          issuers: [
            {
              issuer: 'https://idp.example',
              audience: 'api',
              jwksUri: 'https://idp.example/jwks',
              algorithms: [alg],
            },
          ],
        }),
      ).toThrow(/resourceServer\.issuers\.0\.algorithms\.0/);
    }
  });

  it('http URLs need allowInsecureHttp; an issuer equal to our own is refused', () => {
    expect(() => parse({ issuers: [{ issuer: 'http://idp.example', audience: 'api' }] })).toThrow(
      /resourceServer\.issuers\.0\.issuer: must be an https URL/,
    );
    expect(() =>
      parse({
        issuers: [{ issuer: 'https://idp.example', audience: 'api', jwksUri: 'http://idp.example/jwks' }],
      }),
    ).toThrow(/issuers\.0\.jwksUri/);
    const config = parse({ issuers: [{ issuer: 'https://idp.example', audience: 'api' }] });
    expect(config.resourceServer.issuers[0]).toMatchObject({
      algorithms: ['RS256'],
      typ: 'at+jwt',
      clockTolerance: 5,
    });
    expect(
      () =>
        new ExternalTokenVerifier(config.resourceServer, {
          ownIssuer: 'https://idp.example',
          maxTokenBytes: 8192,
          clock: clock.now,
        }),
    ).toThrow(ConfigError);
  });
});
