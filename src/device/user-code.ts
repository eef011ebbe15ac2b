/**
 * Device codes and user codes of the device authorization grant (RFC 8628).
 *
 * - The device code is what the device polls with: 256 random bits (RFC 6749 §10.10; OWASP ASVS 5.0 7.2.3, 11.5.1: at least 128), stored
 *   only as a SHA-256 hash.
 * - The user code is what a person types: 8 characters from the 20 consonants
 *   `BCDFGHJKLMNPQRSTVWXZ` (RFC 8628 §6.1: no vowels, so no words, and no look-alike digits),
 *   shown as `XXXX-XXXX`. About 34.6 bits: enough with the short lifetime and the rate limit on
 *   entry (§5.1). Entry is case-insensitive and ignores dashes and spaces. Stored only hashed.
 *
 * @module
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';

/** The base-20 alphabet of user codes (RFC 8628 §6.1). */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

/** Characters in a user code, dash not counted. */
export const USER_CODE_LENGTH = 8;

/** Longest device code looked at before any hashing (ours are 43 characters). */
export const MAX_DEVICE_CODE_LENGTH = 128;

/** A new device code: 256 random bits from the CSPRNG, base64url. */
export function newDeviceCode(): string {
  return randomBytes(32).toString('base64url');
}

/** A new user code, normalized (8 letters, no dash); show it with {@link formatUserCode}. */
export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** A normalized user code as people see it: `BCDF-GHJK`. */
export function formatUserCode(normalized: string): string {
  return `${normalized.slice(0, 4)}-${normalized.slice(4)}`;
}

/**
 * What a person typed, normalized: upper-cased, dashes and white space removed. `undefined` unless
 * the result is exactly 8 characters of the alphabet (so a malformed code never reaches the store).
 */
export function normalizeUserCode(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > 32) return undefined;
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== USER_CODE_LENGTH) return undefined;
  for (const char of code) if (!USER_CODE_ALPHABET.includes(char)) return undefined;
  return code;
}

/** SHA-256 of a device or user code under a purpose label, base64url: the only form stored. */
export function hashDeviceSecret(purpose: 'device' | 'user', value: string): string {
  return createHash('sha256').update(`gatehouse:${purpose}-code:`).update(value, 'utf8').digest('base64url');
}
