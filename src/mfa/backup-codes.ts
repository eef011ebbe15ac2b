/**
 * Backup (recovery) codes, NIST SP 800-63B-4 §3.1.2, §4.2.1.1; OWASP ASVS 5.0 6.5.1, 6.5.2, 6.5.4: at least 10 codes, each 80 bits from the CSPRNG, written as 16
 * Crockford base32 characters in four groups (`7K2M-QX9D-4HVA-Z1PE`), and stored only as a hash.
 * 63B-4 §4.2.1.1 asks saved recovery codes for at least 64 bits; ASVS 6.5.4's 20 bits is not
 * enough when the codes double as account recovery.
 *
 * Pure functions: single use and "regenerating voids the old set" are the caller's job.
 *
 * @module
 */
import {
  createHash,
  createHmac,
  createSecretKey,
  KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { ConfigError } from '../errors.js';

/** Crockford base32 alphabet: digits and upper-case letters without I, L, O and U. */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Fewest codes {@link generateBackupCodes} makes (NIST SP 800-63B-4 §3.1.2, §4.2.1.1; OWASP ASVS 5.0 6.5.1, 6.5.2, 6.5.4). */
export const MIN_BACKUP_CODES = 10;

/** Most codes {@link generateBackupCodes} makes in one set. */
export const MAX_BACKUP_CODES = 100;

/** Random bytes per code: 80 bits, above the 64-bit floor of 63B-4 §4.2.1.1. */
export const BACKUP_CODE_BYTES = 10;

/** Characters in a normalized code: 80 bits at 5 bits per character. */
export const BACKUP_CODE_LENGTH = 16;

/** Smallest HMAC key accepted by {@link hashBackupCode}. */
export const MIN_BACKUP_CODE_KEY_BYTES = 16;

/** A server-held HMAC key for {@link hashBackupCode}: UTF-8 text, raw bytes or a secret `KeyObject`. */
export type BackupCodeKey = string | Uint8Array | KeyObject;

const NORMALIZED = /^[0-9A-HJKMNP-TV-Z]{16}$/;
const SEPARATORS = /[\s\-\u2010-\u2015\u2212]/g;
const MAX_INPUT_LENGTH = 64;

function encodeCrockford(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD_ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += CROCKFORD_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Writes a normalized 16-character code as four dash-separated groups of four, for display.
 * Checks the input is a normalized code and throws a `TypeError` otherwise.
 */
export function formatBackupCode(normalized: string): string {
  if (typeof normalized !== 'string' || !NORMALIZED.test(normalized)) {
    throw new TypeError('not a normalized backup code');
  }
  return normalized.match(/.{4}/g)!.join('-');
}

/**
 * A new set of `count` backup codes, formatted `XXXX-XXXX-XXXX-XXXX`. Each is 10 bytes (80 bits)
 * from the CSPRNG (`crypto.randomBytes`) in Crockford base32, which avoids I, L, O and U so codes
 * read and type without ambiguity. The codes in a set are distinct.
 *
 * Checks that `count` is an integer from 10 (NIST SP 800-63B-4 §3.1.2, §4.2.1.1; OWASP ASVS 5.0 6.5.1, 6.5.2, 6.5.4) to 100. Show the codes once; store only
 * {@link hashBackupCode} of each.
 */
export function generateBackupCodes(count = MIN_BACKUP_CODES): string[] {
  if (!Number.isInteger(count) || count < MIN_BACKUP_CODES || count > MAX_BACKUP_CODES) {
    throw new RangeError(
      `backup code count must be an integer from ${MIN_BACKUP_CODES} to ${MAX_BACKUP_CODES}`,
    );
  }
  const codes = new Set<string>();
  // A repeat among 80-bit values has probability about count^2 / 2^81; the loop just guarantees it.
  while (codes.size < count) codes.add(formatBackupCode(encodeCrockford(randomBytes(BACKUP_CODE_BYTES))));
  return [...codes];
}

/**
 * The canonical form of a typed backup code: 16 upper-case Crockford characters, or `null` when
 * the input cannot be a code (never throws, so user input can go straight in).
 *
 * Case is ignored; spaces, dashes and Unicode dashes are removed; the Crockford confusables are
 * mapped (`I`, `L` → `1`, `O` → `0`). Anything else outside the alphabet (e.g. `U`), another
 * length, a non-string or input over 64 characters gives `null`.
 */
export function normalizeBackupCode(input: string): string | null {
  if (typeof input !== 'string' || input.length > MAX_INPUT_LENGTH) return null;
  const normalized = input.replace(SEPARATORS, '').toUpperCase().replace(/[IL]/g, '1').replace(/O/g, '0');
  return NORMALIZED.test(normalized) ? normalized : null;
}

function importKey(key: BackupCodeKey): KeyObject {
  if (key instanceof KeyObject) {
    if (key.type !== 'secret' || (key.symmetricKeySize ?? 0) < MIN_BACKUP_CODE_KEY_BYTES) {
      throw new ConfigError([
        {
          path: 'mfa.backupCodeKey',
          message: `must be a secret key of at least ${MIN_BACKUP_CODE_KEY_BYTES} bytes`,
        },
      ]);
    }
    return key;
  }
  let bytes: Buffer;
  if (typeof key === 'string') bytes = Buffer.from(key, 'utf8');
  else if (key instanceof Uint8Array) bytes = Buffer.from(key);
  else
    throw new ConfigError([
      { path: 'mfa.backupCodeKey', message: 'must be a string, Uint8Array or KeyObject' },
    ]);
  if (bytes.length < MIN_BACKUP_CODE_KEY_BYTES) {
    throw new ConfigError([
      { path: 'mfa.backupCodeKey', message: `must be at least ${MIN_BACKUP_CODE_KEY_BYTES} bytes` },
    ]);
  }
  return createSecretKey(bytes);
}

/**
 * The storage hash of a backup code: SHA-256 of its normalized form, or HMAC-SHA256 under `key`
 * when one is given, base64url (43 characters). Typed variants of one code (case, dashes,
 * confusables) hash the same.
 *
 * A fast hash is enough here, unlike for passwords: each code carries 80 bits of CSPRNG output,
 * so an offline search of a stolen table costs about 2^79 hashes per code, some 19,000 years at
 * 10^12 hashes per second. A slow password hash protects low-entropy, human-chosen secrets, and
 * would only add cost per login. The optional key (kept outside the database, like a pepper)
 * makes a database dump alone useless even so. The hash is deterministic, so the store can look a
 * code up by it.
 *
 * Checks that `code` normalizes ({@link normalizeBackupCode}); throws a `TypeError` otherwise
 * (normalize user input first, or use {@link matchBackupCode}). Throws {@link ConfigError} for a
 * key shorter than 16 bytes.
 */
export function hashBackupCode(code: string, key?: BackupCodeKey): string {
  const normalized = normalizeBackupCode(code);
  if (normalized === null) throw new TypeError('not a well-formed backup code');
  const digest = key === undefined ? createHash('sha256') : createHmac('sha256', importKey(key));
  return digest.update(normalized, 'utf8').digest('base64url');
}

/**
 * Finds a typed code among stored hashes and returns the index of the matching hash, or `null`.
 * Malformed input returns `null` without throwing.
 *
 * The input's hash is compared with every stored hash with `timingSafeEqual` over the decoded
 * 32-byte digests, with no early exit (ASVS 11.2.4). Stored values that are not 32-byte base64url
 * digests never match. The caller must then consume that code atomically (single use, NIST SP 800-63B-4 §3.1.2, §4.2.1.1; OWASP ASVS 5.0 6.5.1, 6.5.2, 6.5.4).
 */
export function matchBackupCode(
  input: string,
  storedHashes: readonly string[],
  key?: BackupCodeKey,
): number | null {
  const normalized = normalizeBackupCode(input);
  if (normalized === null) return null;
  const candidate = Buffer.from(hashBackupCode(normalized, key), 'base64url');
  let found: number | null = null;
  storedHashes.forEach((stored, index) => {
    const bytes = typeof stored === 'string' ? Buffer.from(stored, 'base64url') : Buffer.alloc(0);
    if (bytes.length === candidate.length && timingSafeEqual(bytes, candidate) && found === null)
      found = index;
  });
  return found;
}
