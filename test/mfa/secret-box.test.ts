/**
 * MF-02 "stored encrypted": AES-256-GCM sealing of TOTP secrets, bound to the user id, with key
 * rotation.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  generateTotpSecret,
  importSecretBoxKeys,
  openSecret,
  openSecretDetailed,
  SecretBoxError,
  type SecretBoxFailure,
  sealSecret,
} from '../../src/mfa/index.js';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const user = 'user_01HZX';
const secret = generateTotpSecret();

const FORMAT = /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/;

function failure(fn: () => unknown): SecretBoxFailure {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretBoxError);
    expect((error as SecretBoxError).code).toBe('ERR_SECRET_BOX');
    return (error as SecretBoxError).reason;
  }
  throw new Error('expected a SecretBoxError');
}

/** Flips one bit of the base64url part `index` (1 = iv, 2 = ciphertext, 3 = tag). */
function flip(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0]! ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('seal and open', () => {
  it('round-trips and writes v1.<iv>.<ciphertext>.<tag> in base64url', () => {
    const sealed = sealSecret(keyA, secret, user);
    expect(sealed).toMatch(FORMAT);
    expect(sealed).not.toContain(secret);
    expect(openSecret(keyA, sealed, user)).toBe(secret);
  });

  it('uses a fresh IV each time', () => {
    const one = sealSecret(keyA, secret, user);
    const two = sealSecret(keyA, secret, user);
    expect(one).not.toBe(two);
    expect(one.split('.')[1]).not.toBe(two.split('.')[1]);
    expect(openSecret(keyA, two, user)).toBe(secret);
  });

  it('round-trips non-ASCII text and the empty string', () => {
    expect(openSecret(keyA, sealSecret(keyA, 'clé ✓', user), user)).toBe('clé ✓');
    expect(openSecret(keyA, sealSecret(keyA, '', user), user)).toBe('');
  });

  it('fails with the wrong key', () => {
    expect(failure(() => openSecret(keyB, sealSecret(keyA, secret, user), user))).toBe(
      'authentication_failed',
    );
  });

  it('fails when the ciphertext, tag or IV is tampered with', () => {
    const sealed = sealSecret(keyA, secret, user);
    for (const index of [1, 2, 3]) {
      expect(failure(() => openSecret(keyA, flip(sealed, index), user))).toBe('authentication_failed');
    }
  });

  it('fails for another user id (a secret copied to another row)', () => {
    const sealed = sealSecret(keyA, secret, user);
    expect(failure(() => openSecret(keyA, sealed, 'user_other'))).toBe('authentication_failed');
    expect(failure(() => openSecret(keyA, sealed, `${user} `))).toBe('authentication_failed');
  });

  it('refuses malformed values before decrypting', () => {
    const sealed = sealSecret(keyA, secret, user);
    const [, iv = '', ciphertext = '', tag = ''] = sealed.split('.');
    const cases: [string, SecretBoxFailure][] = [
      ['', 'malformed'],
      [secret, 'malformed'],
      [`${sealed}.x`, 'malformed'],
      [`v2.${iv}.${ciphertext}.${tag}`, 'unsupported_version'],
      [`V1.${iv}.${ciphertext}.${tag}`, 'unsupported_version'],
      [`v1.${iv}.${ciphertext}.${tag.slice(0, 16)}`, 'malformed'],
      [`v1.${iv.slice(0, 12)}.${ciphertext}.${tag}`, 'malformed'],
      [`v1.${iv}.${ciphertext}=.${tag}`, 'malformed'],
      [`v1.${iv}.${ciphertext}.${tag}==`, 'malformed'],
      [`v1.${iv}.${ciphertext.replace(/./, '+')}.${tag}`, 'malformed'],
    ];
    for (const [value, reason] of cases) expect(failure(() => openSecret(keyA, value, user))).toBe(reason);
    expect(failure(() => openSecret(keyA, 42 as unknown as string, user))).toBe('malformed');
  });

  it('requires a non-empty user id as associated data', () => {
    expect(() => sealSecret(keyA, secret, '')).toThrow(TypeError);
    expect(() => openSecret(keyA, sealSecret(keyA, secret, user), '')).toThrow(TypeError);
  });
});

describe('keys', () => {
  it('accepts the same key as bytes, base64 and base64url', () => {
    const sealed = sealSecret(keyA, secret, user);
    expect(openSecret(keyA.toString('base64'), sealed, user)).toBe(secret);
    expect(openSecret(keyA.toString('base64url'), sealed, user)).toBe(secret);
    expect(openSecret(new Uint8Array(keyA), sealed, user)).toBe(secret);
  });

  it('refuses anything but 32 bytes, raw or base64/base64url', () => {
    const bad: unknown[] = [
      randomBytes(16),
      randomBytes(31),
      randomBytes(33),
      'correct horse battery staple',
      keyA.toString('hex'),
      randomBytes(24).toString('base64'),
      `${keyA.toString('base64')}!`,
      42,
      null,
      [],
    ];
    for (const key of bad) {
      expect(() => sealSecret(key as Uint8Array, secret, user)).toThrow(ConfigError);
      expect(() => importSecretBoxKeys(key as Uint8Array)).toThrow(ConfigError);
    }
  });

  it('names the configuration path of a bad key in a list', () => {
    try {
      importSecretBoxKeys([keyA, randomBytes(8)]);
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).issues[0]?.path).toBe('mfa.secretKeys[1]');
    }
  });
});

describe('key rotation', () => {
  it('opens values sealed under an old key while it stays in the list', () => {
    const old = sealSecret(keyA, secret, user);
    expect(openSecret([keyB, keyA], old, user)).toBe(secret);
    expect(openSecretDetailed([keyB, keyA], old, user)).toEqual({ plaintext: secret, keyIndex: 1 });
  });

  it('seals with the first key of the list', () => {
    const fresh = sealSecret([keyB, keyA], secret, user);
    expect(openSecret(keyB, fresh, user)).toBe(secret);
    expect(openSecretDetailed([keyB, keyA], fresh, user).keyIndex).toBe(0);
    expect(failure(() => openSecret(keyA, fresh, user))).toBe('authentication_failed');
  });

  it('no longer opens values under a key removed from the list', () => {
    const old = sealSecret(keyA, secret, user);
    expect(failure(() => openSecret([keyB], old, user))).toBe('authentication_failed');
  });

  it('re-seals an old value under the new key', () => {
    const old = sealSecret(keyA, secret, user);
    const { plaintext, keyIndex } = openSecretDetailed([keyB, keyA], old, user);
    expect(keyIndex).toBeGreaterThan(0);
    const resealed = sealSecret([keyB, keyA], plaintext, user);
    expect(openSecret([keyB], resealed, user)).toBe(secret);
  });
});
