/**
 * The refresh reuse interval, on by default (10 s): the immediately previous refresh token,
 * presented again within it (two tabs at once, a retry after a lost response), gets the *same*
 * successor and revokes nothing; presented after it, or two rotations back, it revokes the whole
 * family (RFC 9700 §4.14.2). The successor is derived with an HMAC key from the configured secrets
 * or, with asymmetric keys only, from the private signing key, so every configuration that started
 * before still starts and gets the default.
 */
import { generateKeyPairSync, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../../adapters/sqlite/index.js';
import { InvalidGrantError, RefreshTokenReusedError, TokenRevokedError } from '../../src/errors.js';
import { createMemoryStore, type Store } from '../../src/index.js';
import type { AsymmetricKeyInput, JwsAlgorithm } from '../../src/token/keys.js';
import { successorKeys } from '../../src/token/successor-keys.js';
import { GOOD_PASSWORD, newSecret, type TestGatehouse, testGatehouse } from '../support/gatehouse.js';
import { loginTokens } from '../support/login.js';

const sqliteStores: SqliteStore[] = [];
afterEach(() => {
  for (const store of sqliteStores.splice(0)) store.close();
});

const STORES: ReadonlyArray<readonly [string, () => Store]> = [
  ['memory', () => createMemoryStore()],
  [
    'SQLite',
    () => {
      const store = createSqliteStore();
      sqliteStores.push(store);
      return store;
    },
  ],
];

async function loggedIn(gh: TestGatehouse, email = 'ada@example.com') {
  await gh.auth.register({ email, password: GOOD_PASSWORD });
  return loginTokens(gh, { identifier: email, password: GOOD_PASSWORD });
}

const reuseEvents = (gh: TestGatehouse) =>
  gh.seen.filter((e) => e.type === 'refresh.reused' || (e.type === 'token.revoked' && e.reason === 'reuse'));

describe.each(STORES)('the default reuse interval (%s store)', (_name, store) => {
  it('is 10 seconds', () => {
    expect(testGatehouse({ store: store() }).config.tokens.refreshReuseInterval).toBe(10);
  });

  it('within it, the previous token gets the same successor again, with a live access token, and nothing is revoked', async () => {
    const gh = testGatehouse({ store: store() });
    const tokens = await loggedIn(gh);
    const first = await gh.auth.refresh(tokens.refreshToken);
    gh.clock.advance(10);
    const again = await gh.auth.refresh(tokens.refreshToken);
    expect(again.refreshToken).toBe(first.refreshToken);
    expect(again.familyId).toBe(tokens.familyId);
    expect(again.accessToken).not.toBe(first.accessToken);
    await expect(gh.tokens.verify(first.accessToken)).resolves.toBeTruthy();
    await expect(gh.tokens.verify(again.accessToken)).resolves.toBeTruthy();
    expect(reuseEvents(gh)).toEqual([]);
    expect(gh.seen.filter((e) => e.type === 'token.refreshed')).toEqual([
      expect.not.objectContaining({ withinReuseInterval: true }),
      expect.objectContaining({ familyId: tokens.familyId, withinReuseInterval: true }),
    ]);
    // The shared successor rotates as usual.
    await expect(gh.auth.refresh(first.refreshToken)).resolves.toBeTruthy();
  });

  it('after it, the previous token revokes the family: live refresh token and every access token', async () => {
    const gh = testGatehouse({ store: store() });
    const tokens = await loggedIn(gh);
    const first = await gh.auth.refresh(tokens.refreshToken);
    gh.clock.advance(10.001);
    await expect(gh.auth.refresh(tokens.refreshToken)).rejects.toBeInstanceOf(RefreshTokenReusedError);
    await expect(gh.auth.refresh(first.refreshToken)).rejects.toBeInstanceOf(InvalidGrantError);
    await expect(gh.tokens.verify(first.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    await expect(gh.tokens.verify(tokens.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    expect(reuseEvents(gh).map((e) => e.type)).toEqual(['refresh.reused', 'token.revoked']);
  });

  it('a token two rotations back is reuse even within it', async () => {
    const gh = testGatehouse({ store: store() });
    const tokens = await loggedIn(gh);
    const second = await gh.auth.refresh(tokens.refreshToken);
    const third = await gh.auth.refresh(second.refreshToken);
    await expect(gh.auth.refresh(tokens.refreshToken)).rejects.toBeInstanceOf(RefreshTokenReusedError);
    await expect(gh.tokens.verify(third.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
  });

  it('two instances on one store answer one token presented to both with one successor, one family', async () => {
    const shared = store();
    const secret = newSecret();
    const a = testGatehouse({ store: shared, tokens: { secret } });
    const b = testGatehouse({ store: shared, tokens: { secret } });
    const tokens = await loggedIn(a);
    const [x, y] = await Promise.all([
      a.auth.refresh(tokens.refreshToken),
      b.auth.refresh(tokens.refreshToken),
    ]);
    expect(x.refreshToken).toBe(y.refreshToken);
    expect(x.familyId).toBe(y.familyId);
    await expect(b.tokens.verify(x.accessToken)).resolves.toBeTruthy();
    await expect(a.tokens.verify(y.accessToken)).resolves.toBeTruthy();
  });

  it('a successor that no key reproduces (issued with the interval off) is reuse: it fails closed', async () => {
    const shared = store();
    const secret = newSecret();
    const off = testGatehouse({ store: shared, tokens: { secret, refreshReuseInterval: 0 } });
    const on = testGatehouse({ store: shared, tokens: { secret } });
    const tokens = await loggedIn(off);
    const rotated = await off.auth.refresh(tokens.refreshToken);
    await expect(on.auth.refresh(tokens.refreshToken)).rejects.toBeInstanceOf(RefreshTokenReusedError);
    await expect(on.tokens.verify(rotated.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
  });
});

const PAIRS: Record<'EdDSA' | 'ES256' | 'RS256', () => { privateKey: KeyObject }> = {
  EdDSA: () => generateKeyPairSync('ed25519'),
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
};

describe('with asymmetric keys only (no HMAC secret, no refreshSuccessorSecret)', () => {
  it.each(Object.keys(PAIRS) as (keyof typeof PAIRS)[])(
    '%s: starts as before and gets the default interval, keyed from the private signing key',
    async (alg) => {
      const { privateKey } = PAIRS[alg]();
      const gh = testGatehouse({ tokens: { keys: [{ kid: 'k1', alg, privateKey }] } });
      expect(gh.config.tokens.refreshReuseInterval).toBe(10);
      const tokens = await loggedIn(gh);
      const both = await Promise.all([
        gh.auth.refresh(tokens.refreshToken),
        gh.auth.refresh(tokens.refreshToken),
      ]);
      expect(both[0].refreshToken).toBe(both[1].refreshToken);
      gh.clock.advance(11);
      await expect(gh.auth.refresh(tokens.refreshToken)).rejects.toBeInstanceOf(RefreshTokenReusedError);
    },
  );

  it('the same key written as PEM, JWK or KeyObject on different instances derives the same successor', async () => {
    const { privateKey } = PAIRS.ES256();
    const spellings: AsymmetricKeyInput[] = [
      privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
      privateKey.export({ format: 'jwk' }) as AsymmetricKeyInput,
      privateKey,
    ];
    const shared = createMemoryStore();
    const [first, ...others] = spellings.map((key) =>
      testGatehouse({ store: shared, tokens: { keys: [{ kid: 'k1', alg: 'ES256', privateKey: key }] } }),
    ) as [TestGatehouse, ...TestGatehouse[]];
    const tokens = await loggedIn(first);
    const successor = (await first.auth.refresh(tokens.refreshToken)).refreshToken;
    for (const gh of others)
      expect((await gh.auth.refresh(tokens.refreshToken)).refreshToken).toBe(successor);
    expect(reuseEvents(first)).toEqual([]);
  });

  it('a verify-only key set (public keys only) starts with the default: it never rotates anything', () => {
    const { privateKey } = PAIRS.EdDSA();
    const keys = [{ kid: 'k1', alg: 'EdDSA' as JwsAlgorithm, publicKey: privateKey }];
    expect(() => testGatehouse({ tokens: { keys } })).not.toThrow();
  });
});

describe('successor keys', () => {
  it('from a secret: HKDF-SHA256 with the label used since the interval existed (in-flight successors survive an upgrade)', () => {
    const secret = newSecret();
    const expected = new Uint8Array(
      hkdfSync('sha256', Buffer.from(secret, 'utf8'), new Uint8Array(0), 'gatehouse refresh successor', 32),
    );
    expect(successorKeys({ secret })).toEqual([expected]);
  });

  it('never the secret or key material itself; a private key under a label of its own', () => {
    const secret = randomBytes(32);
    const [fromSecret] = successorKeys({ secret });
    expect(Buffer.from(fromSecret as Uint8Array).equals(secret)).toBe(false);
    const { privateKey } = PAIRS.EdDSA();
    const d = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
    const [fromKey] = successorKeys({ keys: [{ kid: 'k', alg: 'EdDSA', privateKey }] });
    expect(Buffer.from(fromKey as Uint8Array).equals(d)).toBe(false);
    expect(fromKey).not.toEqual(successorKeys({ secret: new Uint8Array(d) })[0]);
  });

  it('the signing key derives; the other configured keys are still accepted', () => {
    const k1 = generateKeyPairSync('ed25519').privateKey;
    const k2 = generateKeyPairSync('ed25519').privateKey;
    const keys = [
      { kid: 'old', alg: 'EdDSA' as const, privateKey: k1 },
      { kid: 'new', alg: 'EdDSA' as const, privateKey: k2 },
    ];
    const [newFirst, oldSecond] = successorKeys({ keys, signingKeyId: 'new' });
    expect(successorKeys({ keys: [keys[1] as (typeof keys)[1]] })).toEqual([newFirst]);
    expect(successorKeys({ keys: [keys[0] as (typeof keys)[0]] })).toEqual([oldSecond]);
  });

  it('after a new refreshSuccessorSecret is added, a successor derived before is still recognised within the interval', async () => {
    const shared = createMemoryStore();
    const secret = newSecret();
    const before = testGatehouse({ store: shared, tokens: { secret } });
    const after = testGatehouse({ store: shared, tokens: { secret, refreshSuccessorSecret: newSecret() } });
    const tokens = await loggedIn(before);
    const successor = (await before.auth.refresh(tokens.refreshToken)).refreshToken;
    expect((await after.auth.refresh(tokens.refreshToken)).refreshToken).toBe(successor);
    expect(reuseEvents(after)).toEqual([]);
  });
});
