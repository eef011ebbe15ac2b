import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TokenInvalidError } from '../../src/errors.js';
import { ConfigError, createGatehouse, createMemoryStore } from '../../src/index.js';
import { CHEAP_ARGON2, GOOD_PASSWORD, testGatehouse } from '../support/gatehouse.js';
import { loginTokens } from '../support/login.js';

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const base = () => ({ store: createMemoryStore(), password: { argon2: CHEAP_ARGON2 } });

describe('configuration of keys', () => {
  it.each([
    ['a short word', 'secret'],
    ['31 random bytes', randomBytes(31)],
    ['a repeated password-like string', 'changeme-changeme-changeme-changeme'],
    [
      'a PEM public key',
      generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }) as string,
    ],
  ])('refuses %s as the HS256 secret, naming tokens.secret', (_name, secret) => {
    const error = configErrorOf(() => createGatehouse({ ...base(), tokens: { secret } }));
    expect(error.message).toContain('tokens.secret');
    expect(error.code).toBe('ERR_CONFIG');
  });

  it('accepts 32 random bytes, raw or encoded', () => {
    expect(() => createGatehouse({ ...base(), tokens: { secret: randomBytes(32) } })).not.toThrow();
    expect(() =>
      createGatehouse({ ...base(), tokens: { secret: randomBytes(32).toString('hex') } }),
    ).not.toThrow();
  });

  it('refuses a configuration mixing HMAC and asymmetric algorithms', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const error = configErrorOf(() =>
      createGatehouse({
        ...base(),
        tokens: {
          keys: [
            { kid: 'h', alg: 'HS256', secret: randomBytes(32) },
            { kid: 'r', alg: 'RS256', privateKey },
          ],
        },
      }),
    );
    expect(error.message).toContain('tokens.keys');
  });

  it('refuses keys that do not fit their algorithm, and duplicate kids', () => {
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const ed = generateKeyPairSync('ed25519').privateKey;
    expect(
      configErrorOf(() =>
        createGatehouse({ ...base(), tokens: { keys: [{ kid: 'a', alg: 'RS256', privateKey: rsa1024 }] } }),
      ).message,
    ).toContain('tokens.keys.0.privateKey');
    expect(
      configErrorOf(() =>
        createGatehouse({ ...base(), tokens: { keys: [{ kid: 'a', alg: 'ES256', privateKey: ed }] } }),
      ).message,
    ).toContain('ES256');
    expect(
      configErrorOf(() =>
        createGatehouse({
          ...base(),
          tokens: {
            keys: [
              { kid: 'a', alg: 'EdDSA', privateKey: ed },
              { kid: 'a', alg: 'EdDSA', privateKey: ed },
            ],
          },
        }),
      ).message,
    ).toContain('duplicate kid');
  });

  it('names unknown and out-of-range fields', () => {
    const secret = randomBytes(32);
    expect(
      configErrorOf(() => createGatehouse({ ...base(), tokens: { secret, clockTolerance: 120 } })).message,
    ).toContain('tokens.clockTolerance');
    expect(
      configErrorOf(() => createGatehouse({ ...base(), tokens: { secret }, bogus: 1 } as never)).message,
    ).toContain('bogus');
    expect(configErrorOf(() => createGatehouse({ tokens: { secret } } as never)).message).toContain('store');
    expect(configErrorOf(() => createGatehouse({ ...base(), tokens: {} })).message).toContain(
      'tokens.secret',
    );
  });

  it('starts with asymmetric keys and a refresh reuse interval, with no successor secret (keyed from the private key)', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const gh = createGatehouse({
      ...base(),
      tokens: { keys: [{ kid: 'k', alg: 'EdDSA', privateKey }], refreshReuseInterval: 10 },
    });
    expect(gh.config.tokens.refreshReuseInterval).toBe(10);
  });
});

describe('asymmetric algorithms, rotation and JWKS', () => {
  const pairs = {
    EdDSA: () => generateKeyPairSync('ed25519'),
    ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  } as const;

  it.each(Object.keys(pairs) as (keyof typeof pairs)[])(
    'issues and verifies %s tokens with a kid',
    async (alg) => {
      const { privateKey } = pairs[alg]();
      const gh = testGatehouse({ tokens: { keys: [{ kid: `${alg}-1`, alg, privateKey }] } });
      await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
      const { accessToken } = await loginTokens(gh, {
        identifier: 'ada@example.com',
        password: GOOD_PASSWORD,
      });
      const header = JSON.parse(Buffer.from(accessToken.split('.')[0] as string, 'base64url').toString());
      expect(header).toEqual({ alg, kid: `${alg}-1`, typ: 'at+jwt' });
      await expect(gh.tokens.verify(accessToken)).resolves.toBeTruthy();
    },
  );

  it('accepts PEM and JWK key material', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    for (const material of [
      privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
      privateKey.export({ format: 'jwk' }),
    ]) {
      const gh = testGatehouse({
        tokens: { keys: [{ kid: 'k', alg: 'EdDSA', privateKey: material as never }] },
      });
      await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
      const { accessToken } = await loginTokens(gh, {
        identifier: 'ada@example.com',
        password: GOOD_PASSWORD,
      });
      await expect(gh.tokens.verify(accessToken)).resolves.toBeTruthy();
    }
  });

  it('verifies tokens of a retired key while it is listed, and refuses them once it is removed', async () => {
    const k1 = generateKeyPairSync('ed25519');
    const k2 = generateKeyPairSync('ed25519');
    const store = createMemoryStore();
    const before = testGatehouse({
      store,
      tokens: { keys: [{ kid: 'k1', alg: 'EdDSA', privateKey: k1.privateKey }] },
    });
    await before.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
    const old = await loginTokens(before, { identifier: 'ada@example.com', password: GOOD_PASSWORD });

    const rotated = testGatehouse({
      store,
      tokens: {
        keys: [
          { kid: 'k2', alg: 'EdDSA', privateKey: k2.privateKey },
          { kid: 'k1', alg: 'EdDSA', publicKey: k1.publicKey },
        ],
      },
    });
    await expect(rotated.tokens.verify(old.accessToken)).resolves.toBeTruthy();
    const fresh = await loginTokens(rotated, { identifier: 'ada@example.com', password: GOOD_PASSWORD });
    expect(
      JSON.parse(Buffer.from(fresh.accessToken.split('.')[0] as string, 'base64url').toString()).kid,
    ).toBe('k2');
    expect(rotated.tokens.jwks().keys.map((k) => k.kid)).toEqual(['k2', 'k1']);

    const retired = testGatehouse({
      store,
      tokens: { keys: [{ kid: 'k2', alg: 'EdDSA', privateKey: k2.privateKey }] },
    });
    await expect(retired.tokens.verify(old.accessToken)).rejects.toBeInstanceOf(TokenInvalidError);
    await expect(retired.tokens.verify(fresh.accessToken)).resolves.toBeTruthy();
  });

  it('publishes only public key members in the JWKS', () => {
    const gh = testGatehouse({
      tokens: {
        keys: [
          { kid: 'e', alg: 'EdDSA', privateKey: pairs.EdDSA().privateKey },
          { kid: 'r', alg: 'RS256', publicKey: pairs.RS256().publicKey },
        ],
      },
    });
    const { keys } = gh.tokens.jwks();
    expect(keys).toHaveLength(2);
    for (const jwk of keys) {
      for (const secretMember of ['d', 'k', 'p', 'q', 'dp', 'dq', 'qi'])
        expect(jwk).not.toHaveProperty(secretMember);
      expect(jwk.use).toBe('sig');
    }
    expect(testGatehouse().tokens.jwks()).toEqual({ keys: [] });
  });
});
