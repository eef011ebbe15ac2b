/** MF-08: backup codes of at least 64 CSPRNG bits, normalized input, stored hashed. */
import { createHash, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  CROCKFORD_ALPHABET,
  formatBackupCode,
  generateBackupCodes,
  hashBackupCode,
  matchBackupCode,
  normalizeBackupCode,
} from '../../src/mfa/index.js';

const FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;

describe('generateBackupCodes', () => {
  it('makes 10 unique, grouped codes by default', () => {
    const codes = generateBackupCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(FORMAT);
  });

  it('carries at least 64 bits per code: 16 symbols of a 32-symbol alphabet, all of them in use', () => {
    expect(CROCKFORD_ALPHABET).toHaveLength(32);
    const code = generateBackupCodes()[0]!;
    const normalized = normalizeBackupCode(code)!;
    expect(normalized).toHaveLength(16);
    expect(normalized.length * Math.log2(CROCKFORD_ALPHABET.length)).toBeGreaterThanOrEqual(64);
    // Over 2,000 codes every symbol shows up in the first and the last position (not a padded value).
    const many = Array.from({ length: 200 }, () => generateBackupCodes()).flat();
    expect(new Set(many).size).toBe(2000);
    expect(new Set(many.map((c) => c[0])).size).toBe(32);
    expect(new Set(many.map((c) => c.at(-1))).size).toBe(32);
  });

  it('honours a larger count and refuses fewer than 10', () => {
    expect(generateBackupCodes(12)).toHaveLength(12);
    for (const count of [0, 9, 10.5, 101, Number.NaN])
      expect(() => generateBackupCodes(count)).toThrow(RangeError);
  });
});

describe('normalizeBackupCode', () => {
  it('ignores case, dashes and spaces', () => {
    const expected = 'ABCDEFGHJKMNPQRS';
    for (const input of [
      'ABCD-EFGH-JKMN-PQRS',
      'abcd-efgh-jkmn-pqrs',
      'abcdefghjkmnpqrs',
      ' abcd efgh jkmn pqrs ',
      'AbCd-EfGh JkMn-PqRs',
      'abcd\u2010efgh\u2013jkmn\u2014pqrs',
    ]) {
      expect(normalizeBackupCode(input)).toBe(expected);
    }
  });

  it('maps the Crockford confusables I and L to 1 and O to 0', () => {
    expect(normalizeBackupCode('IiLl-Oo00-1111-2222')).toBe('1111000011112222');
    expect(normalizeBackupCode('O1I0-L000-0000-0000')).toBe(normalizeBackupCode('0110-1000-0000-0000'));
  });

  it('returns null for input that cannot be a code', () => {
    const bad: unknown[] = [
      '',
      'ABCD-EFGH-JKMN-PQR',
      'ABCD-EFGH-JKMN-PQRST',
      'ABCD-EFGH-JKMN-PQRU',
      'ABCD_EFGH_JKMN_PQRS',
      'ABCD-EFGH-JKMN-PQR!',
      `ABCD-EFGH-JKMN-PQRS${' '.repeat(100)}`,
      'ＡＢＣＤ-EFGH-JKMN-PQRS',
      1234567890123456,
      null,
    ];
    for (const input of bad) expect(normalizeBackupCode(input as string)).toBeNull();
  });

  it('round-trips with formatBackupCode', () => {
    for (const code of generateBackupCodes()) expect(formatBackupCode(normalizeBackupCode(code)!)).toBe(code);
    expect(() => formatBackupCode('abcd-efgh')).toThrow(TypeError);
  });
});

describe('hashBackupCode', () => {
  const code = generateBackupCodes()[0]!;

  it('is SHA-256 of the normalized code, base64url, and stable', () => {
    const expected = createHash('sha256').update(normalizeBackupCode(code)!, 'utf8').digest('base64url');
    expect(hashBackupCode(code)).toBe(expected);
    expect(hashBackupCode(code)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hashBackupCode(code)).toBe(hashBackupCode(code));
  });

  it('hashes equivalent spellings alike', () => {
    const spaced = code.toLowerCase().replaceAll('-', ' ');
    expect(hashBackupCode(spaced)).toBe(hashBackupCode(code));
    expect(hashBackupCode('OOOO-LLLL-IIII-2222')).toBe(hashBackupCode('0000-1111-1111-2222'));
  });

  it('differs between codes', () => {
    const [a, b] = generateBackupCodes();
    expect(hashBackupCode(a!)).not.toBe(hashBackupCode(b!));
  });

  it('is HMAC-SHA256 under a key, and differs from the plain hash and between keys', () => {
    const key = randomBytes(32);
    const other = randomBytes(32);
    const expected = createHmac('sha256', key).update(normalizeBackupCode(code)!, 'utf8').digest('base64url');
    expect(hashBackupCode(code, key)).toBe(expected);
    expect(hashBackupCode(code, key)).not.toBe(hashBackupCode(code));
    expect(hashBackupCode(code, key)).not.toBe(hashBackupCode(code, other));
    expect(hashBackupCode(code, createSecretKey(key))).toBe(expected);
    expect(hashBackupCode(code, key.toString('hex'))).toBe(
      createHmac('sha256', Buffer.from(key.toString('hex'), 'utf8'))
        .update(normalizeBackupCode(code)!)
        .digest('base64url'),
    );
  });

  it('refuses a short key and a malformed code', () => {
    expect(() => hashBackupCode(code, randomBytes(8))).toThrow(ConfigError);
    expect(() => hashBackupCode(code, 'short')).toThrow(ConfigError);
    expect(() => hashBackupCode('not a code')).toThrow(TypeError);
  });
});

describe('matchBackupCode', () => {
  const key = randomBytes(32);
  const codes = generateBackupCodes();
  const stored = codes.map((c) => hashBackupCode(c, key));

  it('finds the index of a typed code among stored hashes', () => {
    expect(matchBackupCode(codes[3]!, stored, key)).toBe(3);
    expect(matchBackupCode(codes[9]!.toLowerCase().replaceAll('-', ''), stored, key)).toBe(9);
  });

  it('returns null for a wrong, malformed or differently keyed code', () => {
    const [outsider] = generateBackupCodes();
    expect(matchBackupCode(outsider!, stored, key)).toBeNull();
    expect(matchBackupCode('nope', stored, key)).toBeNull();
    expect(matchBackupCode(codes[0]!, stored)).toBeNull();
    expect(matchBackupCode(codes[0]!, stored, randomBytes(32))).toBeNull();
    expect(matchBackupCode(codes[0]!, ['', 'short', ...stored.slice(1)], key)).toBeNull();
  });
});
