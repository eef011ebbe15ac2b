/**
 * Opaque random values: record ids, refresh tokens, and their storage hashes.
 *
 * @module
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';

/** Prefix of every refresh token, so that secret scanners can recognise a leaked one. */
export const REFRESH_TOKEN_PREFIX = 'ghr_';

/**
 * A random id of 128 bits from the CSPRNG, base64url (22 characters). Used for token record ids,
 * which are the JWT `jti` (RFC 6749 §10.10, ASVS 7.2.3: at least 128 random bits).
 */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

/** A new refresh token: the prefix plus 256 random bits from the CSPRNG, base64url. */
export function newRefreshToken(): string {
  return REFRESH_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * The successor of `refreshToken` derived with HMAC-SHA256 under a server secret. Used only when a
 * refresh reuse interval is configured: a client that presents the immediately previous token
 * again within the interval gets the *same* successor back, without the successor ever being
 * stored in the clear. The output is as unpredictable as a random token to anyone without the key.
 */
export function deriveSuccessorRefreshToken(key: Uint8Array, refreshToken: string): string {
  return (
    REFRESH_TOKEN_PREFIX +
    createHmac('sha256', key).update('gatehouse:refresh-successor:').update(refreshToken).digest('base64url')
  );
}

/**
 * SHA-256 of an opaque token, base64url. Opaque tokens carry at least 256 random bits, so a fast
 * hash is enough to make a stolen table useless (FPCS, ASVS 6.5.2); only this hash is stored.
 */
export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** Shape check of a refresh token before any lookup: prefix and 43 base64url characters. */
export function looksLikeRefreshToken(value: unknown): value is string {
  return typeof value === 'string' && value.length === 47 && /^ghr_[A-Za-z0-9_-]{43}$/.test(value);
}
