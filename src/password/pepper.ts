/**
 * The optional pepper: a secret kept outside the database (environment, KMS, secrets manager) and
 * mixed into every argon2 hash this library makes, so that a database dump plus a guessed password
 * does not verify without it.
 *
 * @module
 */

import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { ConfigError } from '../errors.js';

/** Minimum pepper size in bytes. 32 random bytes are recommended. */
export const MIN_PEPPER_BYTES = 16;

/**
 * Imports a pepper once as an HMAC key.
 *
 * @param pepper The secret: a string (its UTF-8 bytes are the key) or raw bytes.
 * @returns A `KeyObject` for {@link applyPepper}.
 * @throws {@link ConfigError} (`pepper`) when it is neither a string nor bytes, or shorter than
 *   {@link MIN_PEPPER_BYTES}.
 * @see [OWASP Password Storage Cheat Sheet §Peppering](https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#peppering)
 */
export function importPepper(pepper: string | Uint8Array): KeyObject {
  let bytes: Buffer;
  if (typeof pepper === 'string') bytes = Buffer.from(pepper, 'utf8');
  else if (pepper instanceof Uint8Array) bytes = Buffer.from(pepper);
  else throw new ConfigError([{ path: 'pepper', message: 'must be a string or a Uint8Array' }]);
  if (bytes.length < MIN_PEPPER_BYTES) {
    throw new ConfigError([{ path: 'pepper', message: `must be at least ${MIN_PEPPER_BYTES} bytes` }]);
  }
  return createSecretKey(bytes);
}

/**
 * The argon2 input when a pepper is configured: `HMAC-SHA256(pepper, UTF-8(normalizedPassword))`,
 * base64url-encoded (43 characters). Applied identically when hashing and verifying, and only to
 * argon2 hashes made by this library (legacy bcrypt and scrypt hashes were made without it).
 *
 * The MAC is passed as text because `@node-rs/argon2`'s `verify` decodes a byte password as UTF-8
 * and throws `invalid utf-8 sequence` on arbitrary bytes, although `hash` accepts them.
 *
 * @param key From {@link importPepper}.
 * @param normalized The NFC-normalized password.
 * @returns The encoded MAC, passed to argon2 as the password.
 */
export function applyPepper(key: KeyObject, normalized: string): string {
  return createHmac('sha256', key).update(normalized, 'utf8').digest('base64url');
}
