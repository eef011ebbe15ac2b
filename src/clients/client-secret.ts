/**
 * Client ids and client secrets of registered clients: generation, storage hash, constant-time
 * check.
 *
 * Why SHA-256 and not argon2: argon2 (or bcrypt) exists to slow down guessing of *low-entropy*
 * secrets, i.e. human passwords. A client secret here is 256 bits from the CSPRNG: no dictionary
 * contains it and 2^256 guesses are out of reach whatever the hash costs, so a slow hash would add
 * only per-request CPU (a denial-of-service lever on the token endpoint) and no security. A stolen
 * table of SHA-256 hashes is as useless to an attacker as one of argon2 hashes (ASVS 6.5.2,
 * OWASP ASVS 5.0 6.5.2, 16.2.5's reasoning for opaque tokens). Only the hash is stored; the secret is shown once.
 *
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefix of generated client ids (not secret; recognisable in logs). */
export const CLIENT_ID_PREFIX = 'ghc_';

/** Prefix of client secrets, so that secret scanners can recognise a leaked one. */
export const CLIENT_SECRET_PREFIX = 'ghcs_';

/** Longest client id accepted anywhere (registration, the token endpoint). */
export const MAX_CLIENT_ID_LENGTH = 128;

/** Longest client secret looked at; anything longer is refused before hashing. */
export const MAX_CLIENT_SECRET_LENGTH = 256;

/** RFC 6749 Appendix A.1: `client-id = *VSCHAR` (printable ASCII, space included). */
const VSCHAR = /^[\x20-\x7e]+$/;

/** A new client id: the prefix plus 128 random bits, base64url. */
export function newClientId(): string {
  return CLIENT_ID_PREFIX + randomBytes(16).toString('base64url');
}

/** A new client secret: the prefix plus 256 random bits from the CSPRNG, base64url (RFC 6749 §10.10; OWASP ASVS 5.0 7.2.3, 11.5.1). */
export function newClientSecret(): string {
  return CLIENT_SECRET_PREFIX + randomBytes(32).toString('base64url');
}

/** True for a string usable as a client id: 1–128 printable ASCII characters (RFC 6749 A.1). */
export function isValidClientId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_CLIENT_ID_LENGTH && VSCHAR.test(value);
}

/** SHA-256 of a client secret, base64url: the only form in which a secret is stored. */
export function hashClientSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/**
 * A stand-in hash compared against when the client is unknown or has no secret, so that every
 * failed check costs the same hashing and comparison work as a real one.
 */
const DUMMY_HASH = hashClientSecret(newClientSecret());

/**
 * Checks a presented secret against a stored hash in constant time: both sides are SHA-256
 * digests of equal length compared with `timingSafeEqual`, so neither the secret's length nor the
 * position of the first difference leaks. `storedHash: null` (unknown or public client) still does
 * the same work and answers `false`. Secrets over {@link MAX_CLIENT_SECRET_LENGTH} are refused.
 */
export function clientSecretMatches(presented: string, storedHash: string | null): boolean {
  const candidate = presented.length <= MAX_CLIENT_SECRET_LENGTH ? presented : '';
  const given = Buffer.from(hashClientSecret(candidate), 'base64url');
  const expected = Buffer.from(storedHash ?? DUMMY_HASH, 'base64url');
  const equal = given.length === expected.length && timingSafeEqual(given, expected);
  return equal && storedHash !== null && candidate.length > 0;
}
