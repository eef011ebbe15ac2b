/**
 * The API key string: `ghk_<id>_<secret>`, where `id` is 72 random bits (12 base64url characters,
 * the public part shown in listings) and `secret` 256 random bits (43 base64url characters). The
 * recognisable prefix lets secret scanners find leaked keys and lets the `authenticate` guard tell
 * a key from a JWT in an `Authorization: Bearer` header.
 *
 * Only a SHA-256 of the secret is stored. A slow password hash (argon2) would add nothing: it
 * protects low-entropy secrets against guessing, and 256 random bits cannot be guessed whatever
 * the hash; a fast hash keeps each request cheap. Hashes are compared in constant time.
 *
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The prefix of every API key. */
export const API_KEY_PREFIX = 'ghk_';

const ID_BYTES = 9;
const SECRET_BYTES = 32;
const KEY_FORMAT = /^ghk_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/;

/** A new key: the full string (shown once), its public id, and the hash to store. */
export interface GeneratedApiKey {
  readonly key: string;
  readonly id: string;
  readonly secretHash: string;
}

/** SHA-256 (base64url) of a key's secret part. */
export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** Generates a key from the CSPRNG: a 72-bit public id and a 256-bit secret. */
export function generateApiKey(): GeneratedApiKey {
  const id = randomBytes(ID_BYTES).toString('base64url');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { key: `${API_KEY_PREFIX}${id}_${secret}`, id, secretHash: hashApiKeySecret(secret) };
}

/** True when `value` starts with the API key prefix (it may still be malformed). */
export function looksLikeApiKey(value: string): boolean {
  return value.startsWith(API_KEY_PREFIX);
}

/** Splits a presented key into its public id and secret, or `undefined` when it is not well formed. */
export function parseApiKey(value: string): { readonly id: string; readonly secret: string } | undefined {
  const match = KEY_FORMAT.exec(value);
  return match ? { id: match[1] as string, secret: match[2] as string } : undefined;
}

/** Whether `secret` hashes to `storedHash`, compared in constant time (lengths never throw). */
export function apiKeySecretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKeySecret(secret), 'base64url');
  const stored = Buffer.from(storedHash, 'base64url');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
