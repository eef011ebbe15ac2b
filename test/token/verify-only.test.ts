/**
 * A verify-only key set: a resource server that holds only the public keys of the service that
 * issues tokens starts, verifies those tokens (PEM, JWK or KeyObject; EdDSA, ES256, RS256), guards
 * routes with them over HTTP, and refuses to issue with a typed error.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningNotConfiguredError, TokenInvalidError } from '../../src/errors.js';
import { ConfigError, createMemoryStore, isAuthError, type Store } from '../../src/index.js';
import { type AsymmetricKeyInput, KeySet, loadKeySet } from '../../src/token/keys.js';
import { randomId } from '../../src/token/opaque.js';
import { newTokenRecord } from '../../src/token/token-issuing.js';
import { ADAPTERS, bearer, get, type Harness, startHarness } from '../http/conformance/support.js';
import { GOOD_PASSWORD, testGatehouse } from '../support/gatehouse.js';
import { loginTokens } from '../support/login.js';

const PAIRS = {
  EdDSA: generateKeyPairSync('ed25519'),
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
} as const;
type Alg = keyof typeof PAIRS;

const FORMATS: Record<string, (key: KeyObject) => AsymmetricKeyInput> = {
  PEM: (key) => key.export({ format: 'pem', type: 'spki' }) as string,
  JWK: (key) => key.export({ format: 'jwk' }) as AsymmetricKeyInput,
  KeyObject: (key) => key,
};

const CASES = (Object.keys(PAIRS) as Alg[]).flatMap((alg) =>
  Object.keys(FORMATS).map((format) => [alg, format] as const),
);

/** The service that issues tokens (private key) and the resource server (public key only), on one store. */
function issuerAndResourceServer(alg: Alg, format = 'KeyObject', store: Store = createMemoryStore()) {
  const { privateKey, publicKey } = PAIRS[alg];
  const issuer = testGatehouse({ store, tokens: { keys: [{ kid: `${alg}-1`, alg, privateKey }] } });
  const publicOnly = (FORMATS[format] as (key: KeyObject) => AsymmetricKeyInput)(publicKey);
  const resource = testGatehouse({
    store,
    tokens: { keys: [{ kid: `${alg}-1`, alg, publicKey: publicOnly }] },
  });
  return { issuer, resource };
}

describe('a gatehouse with public keys only', () => {
  it.each(CASES)(
    'starts and verifies %s tokens the issuer signed (public key as %s)',
    async (alg, format) => {
      const { issuer, resource } = issuerAndResourceServer(alg, format);
      const user = await issuer.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
      const { accessToken } = await loginTokens(issuer, {
        identifier: 'ada@example.com',
        password: GOOD_PASSWORD,
      });
      const verified = await resource.tokens.verify(accessToken);
      expect(verified.claims.sub).toBe(user.id);
      expect((await resource.auth.authenticate(accessToken)).user.id).toBe(user.id);
      expect(resource.tokens.jwks().keys).toEqual([
        expect.objectContaining({ kid: `${alg}-1`, alg, use: 'sig' }),
      ]);
    },
  );

  it('verifies a token signed with jose alone, whose record the issuer wrote to the shared store', async () => {
    const store = createMemoryStore();
    const { resource } = issuerAndResourceServer('ES256', 'PEM', store);
    const user = await resource.auth.register({ email: 'bo@example.com', password: GOOD_PASSWORD });
    const now = resource.clock.now();
    const expiresAt = new Date(now.getTime() + 600_000);
    const record = newTokenRecord(user.id, 'access', randomId(), expiresAt, now, undefined, {
      tokenHash: null,
      expiresAt,
      scope: null,
      clientId: 'gatehouse',
    });
    await store.tokens.create(record);
    const iat = Math.floor(now.getTime() / 1000);
    const token = await new SignJWT({ client_id: 'gatehouse', role: 'USER' })
      .setProtectedHeader({ alg: 'ES256', kid: 'ES256-1', typ: 'at+jwt' })
      .setIssuer('gatehouse')
      .setAudience('gatehouse-api')
      .setSubject(user.id)
      .setJti(record.id)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 600)
      .sign(PAIRS.ES256.privateKey);
    await expect(resource.tokens.verify(token)).resolves.toMatchObject({
      claims: { sub: user.id, jti: record.id },
    });

    const forged = await new SignJWT({ client_id: 'gatehouse' })
      .setProtectedHeader({ alg: 'ES256', kid: 'ES256-1', typ: 'at+jwt' })
      .setIssuer('gatehouse')
      .setAudience('gatehouse-api')
      .setSubject(user.id)
      .setJti(record.id)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 600)
      .sign(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    const error = await resource.tokens.verify(forged).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenInvalidError);
    expect((error as TokenInvalidError).detail).toEqual({ check: 'signature', reason: 'invalid' });
  });

  it('refuses to issue with SigningNotConfiguredError (501), at login and through the token service', async () => {
    const { resource } = issuerAndResourceServer('EdDSA');
    const user = await resource.auth.register({ email: 'cy@example.com', password: GOOD_PASSWORD });
    const login = await resource.auth
      .login({ identifier: 'cy@example.com', password: GOOD_PASSWORD })
      .catch((e: unknown) => e);
    expect(login).toBeInstanceOf(SigningNotConfiguredError);
    expect(isAuthError(login, 'ERR_SIGNING_NOT_CONFIGURED')).toBe(true);
    expect(login).toMatchObject({ status: 501, message: 'This feature is not available' });
    await expect(resource.tokens.issue({ id: user.id, role: 'USER' })).rejects.toBeInstanceOf(
      SigningNotConfiguredError,
    );
    await expect(resource.tokens.issueClientToken('svc', [])).rejects.toBeInstanceOf(
      SigningNotConfiguredError,
    );
  });

  it('writes nothing when it refuses to issue: no orphan token records', async () => {
    const store = createMemoryStore();
    const { resource } = issuerAndResourceServer('EdDSA', 'KeyObject', store);
    const user = await resource.auth.register({ email: 'orphan@example.com', password: GOOD_PASSWORD });
    await expect(resource.tokens.issue({ id: user.id, role: 'USER' })).rejects.toBeInstanceOf(
      SigningNotConfiguredError,
    );
    expect(await store.tokens.listActiveForUser(user.id, new Date())).toEqual([]);
  });

  it('does not use up a refresh token it cannot replace: the issuer refreshes it afterwards', async () => {
    const store = createMemoryStore();
    const { issuer, resource } = issuerAndResourceServer('EdDSA', 'KeyObject', store);
    await issuer.auth.register({ email: 'di@example.com', password: GOOD_PASSWORD });
    const { refreshToken } = await loginTokens(issuer, {
      identifier: 'di@example.com',
      password: GOOD_PASSWORD,
    });
    await expect(resource.auth.refresh(refreshToken)).rejects.toBeInstanceOf(SigningNotConfiguredError);
    await expect(issuer.auth.refresh(refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('still refuses a signingKeyId that names a key without private material', () => {
    const run = () =>
      testGatehouse({
        tokens: {
          keys: [{ kid: 'pub', alg: 'EdDSA', publicKey: PAIRS.EdDSA.publicKey }],
          signingKeyId: 'pub',
        },
      });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/tokens\.signingKeyId: names no key with private material/);
  });
});

describe('the verify-only KeySet', () => {
  const keys = loadKeySet({
    keys: [{ kid: 'r', alg: 'RS256', publicKey: PAIRS.RS256.publicKey }],
    path: 'tokens',
  });

  it('loads, cannot sign, and says so with a typed error', async () => {
    expect(keys).toBeInstanceOf(KeySet);
    const set = keys as KeySet;
    expect(set.canSign).toBe(false);
    expect(set.algorithms).toEqual(['RS256']);
    expect(() => set.assertCanSign()).toThrow(SigningNotConfiguredError);
    expect(() => set.signingHeader).toThrow(SigningNotConfiguredError);
    await expect(set.signingKey()).rejects.toBeInstanceOf(SigningNotConfiguredError);
    expect(set.lookup({ alg: 'RS256', kid: 'r' })?.keyObject.type).toBe('public');
  });

  it('can sign as soon as one key has its private key', () => {
    const mixed = loadKeySet({
      keys: [
        { kid: 'old', alg: 'EdDSA', publicKey: PAIRS.EdDSA.publicKey },
        { kid: 'new', alg: 'EdDSA', privateKey: generateKeyPairSync('ed25519').privateKey },
      ],
      path: 'tokens',
    }) as KeySet;
    expect(mixed.canSign).toBe(true);
    expect(mixed.signingHeader).toEqual({ alg: 'EdDSA', kid: 'new' });
  });
});

describe.each(ADAPTERS)('a resource server with public keys only, over HTTP: %s', (_name, start) => {
  const store = createMemoryStore();
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(start, {
      store,
      tokens: { keys: [{ kid: 'EdDSA-1', alg: 'EdDSA', publicKey: PAIRS.EdDSA.publicKey }] },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('admits a token the issuer signed on a guarded route, and refuses a forged one', async () => {
    const issuer = testGatehouse({
      store,
      tokens: { keys: [{ kid: 'EdDSA-1', alg: 'EdDSA', privateKey: PAIRS.EdDSA.privateKey }] },
    });
    const email = `dee.${randomId().slice(0, 8)}@example.com`;
    const user = await issuer.auth.register({ email, password: GOOD_PASSWORD });
    const { accessToken } = await loginTokens(issuer, { identifier: email, password: GOOD_PASSWORD });
    const admitted = await get(`${h.url}/generate/text`, bearer(accessToken));
    expect(admitted.status, admitted.text).toBe(200);
    expect(admitted.body).toMatchObject({ userId: user.id, method: 'bearer' });

    const [header, payload] = accessToken.split('.');
    const tampered = `${header}.${payload}.${'A'.repeat(86)}`;
    expect((await get(`${h.url}/generate/text`, bearer(tampered))).status).toBe(401);
  });
});
