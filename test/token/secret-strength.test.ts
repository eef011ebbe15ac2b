/**
 * HMAC secrets and other keys are judged as a random source would be: CSPRNG output in every
 * usual encoding is accepted, anything made by hand (or random but too short) is refused at
 * start-up with a message saying how to make a good one (RFC 7518 §3.2, RFC 8725 §3.5).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, createGatehouse, createMemoryStore } from '../../src/index.js';
import {
  estimateEntropyBits,
  MIN_HMAC_SECRET_BYTES,
  MIN_SECRET_ENTROPY_BITS,
  weakSecretReason,
} from '../../src/token/secret-strength.js';
import { CHEAP_ARGON2 } from '../support/gatehouse.js';

/** The formats the README and common practice produce 32 random bytes in. */
const ACCEPTED_FORMATS: ReadonlyArray<readonly [string, () => string | Uint8Array]> = [
  ['`openssl rand -base64 32` (44 base64 characters)', () => randomBytes(32).toString('base64')],
  ['`openssl rand -hex 32` (64 hex characters)', () => randomBytes(32).toString('hex')],
  ["randomBytes(32).toString('base64url')", () => randomBytes(32).toString('base64url')],
  ['a raw 32-byte Uint8Array', () => new Uint8Array(randomBytes(32))],
];

/** Fresh secrets judged per accepted format. */
const SAMPLES = 1000;

const text = (value: string) => new TextEncoder().encode(value);
const counting = (length: number) => Uint8Array.from({ length }, (_, i) => i);

/** Secrets that must be refused, by kind. None may pass. */
const WEAK: ReadonlyArray<readonly [string, string | Uint8Array]> = [
  // The three from the bug report.
  ['words with separators and a year', 'my-super-secret-key-for-jwt-signing-2024'],
  ['a hex counting sequence, twice', '0123456789abcdef0123456789abcdef'],
  ['a passphrase of common words', 'correct horse battery staple correct horse'],
  // Repeated characters and repeated parts.
  ['one character repeated', 'a'.repeat(64)],
  ['a word repeated', 'secretsecretsecretsecretsecretsecret'],
  ['a word and separator repeated', 'changeme-changeme-changeme-changeme'],
  ['a hex word repeated', 'deadbeef'.repeat(8)],
  ['digits repeated', '1234567890'.repeat(4)],
  ['a random-looking part repeated', 'Xk9#mP2$vL5@nQ8&wR3!Xk9#mP2$vL5@nQ8&wR3!'],
  ['a leet password repeated', 'P@ssw0rd-P@ssw0rd-P@ssw0rd-2024!!'],
  // Keyboard walks and sequences.
  ['a keyboard walk', 'qwertyuiopasdfghjklzxcvbnm123456'],
  ['a keyboard column walk', '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.'],
  ['the alphabet and digits', 'abcdefghijklmnopqrstuvwxyz0123456789'],
  ['the base64 alphabet', 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'],
  ['bytes 0..31 as hex (a counting sequence)', Buffer.from(counting(32)).toString('hex')],
  ['bytes 0..31 as base64', Buffer.from(counting(32)).toString('base64')],
  // Words with digits and separators, in every spelling.
  ['camel-case words with a year', 'MySuperSecretJwtSigningKeyForProduction2024!'],
  ['underscored words', 'supersecretjwtkey_for_production_use_only!!'],
  ['a sentence of words', 'this-is-my-very-long-and-secure-jwt-secret-key'],
  ['an app name, words and a year', 'gatehouse-production-secret-key-2024-do-not-share'],
  ['the jwt.io example secret, twice', 'your-256-bit-secret-your-256-bit-secret'],
  // Long passphrases of a few common words.
  ['a pangram', 'the quick brown fox jumps over the lazy dog'],
  ['ten common words', 'blue sky green grass red apple yellow sun white cloud'],
  ['a famous passphrase, leet and repeated', 'Tr0ub4dour&3Tr0ub4dour&3Tr0ub4dour&3'],
  // Weak text in an encoding, and as raw bytes.
  ['a passphrase as hex', Buffer.from('my-super-secret-key-for-jwt-signing').toString('hex')],
  ['a passphrase as base64', Buffer.from('correct horse battery staple correct horse').toString('base64')],
  ['a passphrase as bytes', text('my-super-secret-key-for-jwt-signing-2024')],
  ['32 zero bytes', new Uint8Array(32)],
  ['32 equal bytes', new Uint8Array(32).fill(7)],
  ['32 counting bytes', counting(32)],
  ['32 zero bytes as base64', Buffer.alloc(32).toString('base64')],
  // Random, but under 256 bits.
  ['16 random bytes as hex (`openssl rand -hex 16`)', randomBytes(16).toString('hex')],
  ['24 random bytes as base64 (`openssl rand -base64 24`)', randomBytes(24).toString('base64')],
  ['a UUID', `${randomUUID()}`],
];

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

describe('random secrets are accepted', () => {
  it.each(ACCEPTED_FORMATS)(
    `none of ${SAMPLES} fresh secrets as %s is refused`,
    (_format, make) => {
      const refused: string[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const reason = weakSecretReason(make());
        if (reason) refused.push(reason);
      }
      expect(refused).toEqual([]);
    },
    60_000,
  );

  it.each(ACCEPTED_FORMATS)('createGatehouse starts with %s as tokens.secret', (_format, make) => {
    for (let i = 0; i < 20; i++) {
      expect(() => createGatehouse({ ...base(), tokens: { secret: make() } })).not.toThrow();
    }
  });

  it('accepts longer secrets for HS384 and HS512, and refuses 32 bytes for them', () => {
    const keys = (alg: 'HS384' | 'HS512', secret: string) => ({
      ...base(),
      tokens: { keys: [{ kid: 'k', alg, secret }] },
    });
    expect(() => createGatehouse(keys('HS384', randomBytes(48).toString('base64')))).not.toThrow();
    expect(() => createGatehouse(keys('HS512', randomBytes(64).toString('hex')))).not.toThrow();
    const error = configErrorOf(() => createGatehouse(keys('HS512', randomBytes(32).toString('base64'))));
    expect(error.issues[0]?.path).toBe('tokens.keys.0.secret');
    expect(error.message).toContain('needs at least 64');
    expect(error.message).toContain('openssl rand -base64 64');
  });
});

describe('weak secrets are refused', () => {
  it.each(WEAK)('refuses %s', (_kind, secret) => {
    expect(weakSecretReason(secret)).not.toBeNull();
    expect(estimateEntropyBits(secret)).toBeLessThan(MIN_SECRET_ENTROPY_BITS);
  });

  it.each(WEAK)(
    'createGatehouse refuses %s as tokens.secret, saying how to make a good one',
    (_kind, secret) => {
      const error = configErrorOf(() => createGatehouse({ ...base(), tokens: { secret } }));
      expect(error.code).toBe('ERR_CONFIG');
      expect(error.issues.map((i) => i.path)).toEqual(['tokens.secret']);
      expect(error.message).toContain('openssl rand -base64 32');
      if (typeof secret === 'string') expect(error.message).not.toContain(secret);
    },
  );

  it('names what it found, never the secret', () => {
    const reason = weakSecretReason('my-super-secret-key-for-jwt-signing-2024') ?? '';
    expect(reason).toMatch(/dictionary words/);
    expect(reason).toMatch(/separators/);
    expect(reason).toMatch(/bits of entropy estimated, 224 needed/);
    expect(reason).not.toMatch(/super|signing/);
    expect(weakSecretReason('0123456789abcdef0123456789abcdef')).toMatch(/a sequence, repetition/);
    // 24 bytes (192 bits) as `openssl rand -base64 24` prints them; a fixed value, since a random one
    // may happen to spell a dictionary word, which the reason then names instead.
    const short = Buffer.from('c2f08e4b7d19a3e65f02b8c41d7e9a36b5f0c28d417e93a6', 'hex').toString('base64');
    expect(weakSecretReason(short)).toMatch(/too few random characters/);
  });

  it('refuses secrets under 32 bytes whatever their entropy', () => {
    const reason = weakSecretReason(new Uint8Array(randomBytes(MIN_HMAC_SECRET_BYTES - 1)));
    expect(reason).toMatch(/^is 31 bytes; needs at least 32 \(256 bits\): generate 32 random bytes/);
  });
});

describe('other keys follow the same rule', () => {
  const weak = 'my-super-secret-key-for-jwt-signing-2024';
  const good = () => randomBytes(32).toString('base64url');
  const provider = {
    type: 'github' as const,
    clientId: 'id',
    clientSecret: 'provider-issued',
    redirectUri: 'https://app.example.com/oauth/github/callback',
  };

  it.each([
    [
      'tokens.refreshSuccessorSecret',
      { tokens: { secret: good(), refreshReuseInterval: 10, refreshSuccessorSecret: weak } },
    ],
    [
      'oauth.flowSecret',
      { tokens: { secret: good() }, oauth: { providers: { github: provider }, flowSecret: weak } },
    ],
    [
      'mfa.secretKeys',
      { tokens: { secret: good() }, mfa: { secretKeys: Buffer.alloc(32).toString('base64') } },
    ],
    [
      'mfa.secretKeys[1]',
      { tokens: { secret: good() }, mfa: { secretKeys: [good(), new Uint8Array(32).fill(1)] } },
    ],
    [
      'oauth.tokenKeys',
      { tokens: { secret: good() }, oauth: { tokenKeys: Buffer.from(counting(32)).toString('base64url') } },
    ],
    [
      'oauth.tokenKeys[1]',
      { tokens: { secret: good() }, oauth: { tokenKeys: [good(), 'not a key at all'] } },
    ],
  ])('refuses a hand-made %s', (path, config) => {
    const error = configErrorOf(() => createGatehouse({ ...base(), ...config } as never));
    expect(error.issues.map((i) => i.path)).toContain(path);
    expect(error.message).toContain('openssl rand -base64 32');
  });

  it('accepts random ones', () => {
    expect(() =>
      createGatehouse({
        ...base(),
        tokens: {
          secret: good(),
          refreshReuseInterval: 10,
          refreshSuccessorSecret: new Uint8Array(randomBytes(32)),
        },
        mfa: { secretKeys: [randomBytes(32).toString('base64'), good()] },
        oauth: { providers: { github: provider }, flowSecret: good(), tokenKeys: good() },
      }),
    ).not.toThrow();
  });
});
