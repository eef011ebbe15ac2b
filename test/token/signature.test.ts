/**
 * The synchronous signature checks (`signature.ts`) against tokens signed by jose, and the same
 * through `TokenService.verify` end to end: accepted when genuine; refused when tampered, signed
 * by another key, DER-encoded (ES256), spelled non-canonically, or when `alg` does not match.
 */
import { createSecretKey, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { CompactSign, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { TokenInvalidError } from '../../src/errors.js';
import { signatureCheck } from '../../src/token/signature.js';
import { testGatehouse } from '../support/gatehouse.js';

type Alg = 'EdDSA' | 'ES256' | 'RS256';
const pairs: Record<Alg, () => { privateKey: KeyObject; publicKey: KeyObject }> = {
  EdDSA: () => generateKeyPairSync('ed25519'),
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
};

async function joseSign(alg: string, key: KeyObject | Uint8Array, payload = '{"x":1}'): Promise<string> {
  const signingKey =
    key instanceof Uint8Array ? key : await importJWK(key.export({ format: 'jwk' }) as never, alg);
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg }).sign(signingKey);
}

const parts = (jws: string) => {
  const dot = jws.lastIndexOf('.');
  return [jws.slice(0, dot), jws.slice(dot + 1)] as const;
};

/** The signature with its last character changed to another valid one. */
const flipLast = (signature: string) => signature.slice(0, -1) + (signature.endsWith('A') ? 'Q' : 'A');

describe.each(['EdDSA', 'ES256', 'RS256'] as const)('%s signature check', (alg) => {
  const { privateKey, publicKey } = pairs[alg]();
  const check = signatureCheck(alg, publicKey);

  it('accepts a token jose signed, and refuses it tampered or under another key', async () => {
    const [input, signature] = parts(await joseSign(alg, privateKey));
    expect(check(input, signature)).toBe(true);
    expect(check(`${input}x`, signature)).toBe(false);
    expect(check(input, flipLast(signature))).toBe(false);
    const [otherInput, otherSignature] = parts(await joseSign(alg, pairs[alg]().privateKey));
    expect(check(otherInput, otherSignature)).toBe(false);
  });

  it('refuses a signature of the wrong length', async () => {
    const [input, signature] = parts(await joseSign(alg, privateKey));
    expect(check(input, signature.slice(0, -4))).toBe(false);
    expect(check(input, `${signature}AAAA`)).toBe(false);
    expect(check(input, '')).toBe(false);
  });
});

describe('ES256 signature encoding', () => {
  const { privateKey, publicKey } = pairs.ES256();
  const check = signatureCheck('ES256', publicKey);

  it('refuses the DER form of a valid signature (RFC 7518 §3.4 wants R || S)', async () => {
    const [input] = parts(await joseSign('ES256', privateKey));
    const der = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'der' });
    const p1363 = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    expect(check(input, p1363.toString('base64url'))).toBe(true);
    expect(check(input, der.toString('base64url'))).toBe(false);
  });
});

describe('HMAC signature check', () => {
  it.each([
    ['HS256', 32],
    ['HS384', 48],
    ['HS512', 64],
  ] as const)(
    '%s: accepts jose, refuses tampering, another key and a non-canonical spelling',
    async (alg, bytes) => {
      const secret = randomBytes(bytes);
      const check = signatureCheck(alg, createSecretKey(secret));
      const [input, signature] = parts(await joseSign(alg, secret));
      expect(check(input, signature)).toBe(true);
      expect(check(input, flipLast(signature))).toBe(false);
      const [, other] = parts(await joseSign(alg, randomBytes(bytes)));
      expect(check(input, other)).toBe(false);
      // The same octets with non-zero unused bits in the last character (RFC 4648 §3.5).
      if (bytes % 3 !== 0) {
        const last = signature.at(-1) as string;
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        const sibling = alphabet[alphabet.indexOf(last) + 1] as string;
        expect(Buffer.from(signature.slice(0, -1) + sibling, 'base64url')).toEqual(
          Buffer.from(signature, 'base64url'),
        );
        expect(check(input, signature.slice(0, -1) + sibling)).toBe(false);
      }
    },
  );
});

describe.each(['EdDSA', 'ES256', 'RS256'] as const)('TokenService.verify with %s keys', (alg) => {
  it('verifies its tokens synchronously and refuses a tampered signature or another alg', async () => {
    const { privateKey } = pairs[alg]();
    const gh = testGatehouse({ tokens: { keys: [{ kid: 'k1', alg, privateKey }] } });
    const user = await gh.auth.register({ email: 'alg@example.com', password: 'violet-otter-42-lantern' });
    const { accessToken } = await gh.tokens.issue({ id: user.id, role: user.role });
    const verified = gh.tokens.verifyMaybeSync(accessToken);
    expect(verified).not.toBeInstanceOf(Promise);
    expect((verified as { claims: { sub: string } }).claims.sub).toBe(user.id);

    const [input, signature] = parts(accessToken);
    const tampered = `${input}.${flipLast(signature)}`;
    const error = await gh.tokens.verify(tampered).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenInvalidError);
    expect((error as TokenInvalidError).detail).toEqual({ check: 'signature', reason: 'invalid' });

    // The same payload under a header naming another algorithm, signed with that algorithm.
    const [, payload] = accessToken.split('.');
    const otherAlg = alg === 'EdDSA' ? 'ES256' : 'EdDSA';
    const header = Buffer.from(JSON.stringify({ alg: otherAlg, kid: 'k1', typ: 'at+jwt' })).toString(
      'base64url',
    );
    const forged = `${header}.${payload}.${signature}`;
    const refused = await gh.tokens.verify(forged).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TokenInvalidError);
    expect((refused as TokenInvalidError).detail?.check).toBe('alg');
  });
});
