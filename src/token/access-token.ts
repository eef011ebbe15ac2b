/**
 * Signing and verifying access tokens (RFC 9068 JWT profile): jose signs; verification is done
 * here, synchronously: the form and header (`compact-jws.ts`), the signature with `node:crypto`
 * over a key imported once (`signature.ts`), and the claims (`access-claims.ts`). Pure JWT work:
 * the revocation check against the token table lives in {@link TokenService}.
 *
 * Every refusal carries a `detail` naming the check that failed (`{ check: 'aud', reason:
 * 'mismatch' }`, see `rejection.ts`) for server-side logs; the message stays the same whatever
 * failed, and no client ever sees the detail.
 *
 * @module
 */
import { type JWTPayload, SignJWT } from 'jose';
import { type AccessTokenClaims, type ClaimSettings, checkClaims, invalidToken } from './access-claims.js';
import { ACCESS_TOKEN_TYPE, COMPACT_JWS, decodeSegment, headerKey } from './compact-jws.js';
import type { KeySet } from './keys.js';

export { type AccessTokenClaims, checkClaims, checkTimes } from './access-claims.js';
export { ACCESS_TOKEN_TYPE, decodeSegment } from './compact-jws.js';

/** What goes into a new access token. */
export interface AccessTokenInput {
  readonly sub: string;
  readonly jti: string;
  /** The user's role; omitted for tokens issued to a client (client credentials). */
  readonly role?: string;
  readonly scope: readonly string[];
  readonly clientId: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

/** Settings shared by signing and verifying. */
export interface AccessTokenSettings extends ClaimSettings {
  readonly keys: KeySet;
  /** Tokens longer than this (bytes) are refused before any decoding. */
  readonly maxTokenBytes: number;
}

/**
 * Signs an access token with the current signing key: header `typ: at+jwt`, `alg` and `kid`.
 * Throws `SigningNotConfiguredError` when the key set is verify-only (public keys only).
 */
export async function signAccessToken(
  settings: AccessTokenSettings,
  input: AccessTokenInput,
): Promise<string> {
  settings.keys.assertCanSign();
  const iat = Math.floor(input.issuedAt.getTime() / 1000);
  const payload: JWTPayload = { client_id: input.clientId };
  if (input.role !== undefined) payload.role = input.role;
  if (input.scope.length > 0) payload.scope = input.scope.join(' ');
  return new SignJWT(payload)
    .setProtectedHeader({ ...settings.keys.signingHeader, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(input.sub)
    .setJti(input.jti)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(Math.floor(input.expiresAt.getTime() / 1000))
    .sign(await settings.keys.signingKey());
}

/**
 * Verifies an access token's form, signature and claims, synchronously. It checks, in order:
 * - the size (over `maxTokenBytes` -> refused before decoding) and compact-JWS form (three
 *   base64url segments: no JWE, no JSON serialization; RFC 7515 §7.1);
 * - the header: a JSON object whose `alg` is in the allowlist and equal to the named key's one
 *   algorithm (so never `none`, never an HMAC keyed with a public key; RFC 8725 §3.1), whose
 *   `kid` is an exact match, with `typ` = `at+jwt` (RFC 9068 §2.1), and without `crit`, `b64`,
 *   `jku`, `x5u`, `jwk` or `x5c` (see `compact-jws.ts`);
 * - the signature, with `node:crypto` over the key's `KeyObject`: HMAC compared in constant time,
 *   ECDSA as `R || S`, each signature in its one canonical base64url spelling (see `signature.ts`);
 * - the claims (see `checkClaims`).
 *
 * Throws {@link TokenExpiredError} for an expired token and {@link TokenInvalidError} otherwise,
 * each with a `detail` naming the failed check (for logs; never for the client).
 */
export function verifyAccessTokenSync(
  settings: AccessTokenSettings,
  token: unknown,
  now: Date,
): AccessTokenClaims {
  if (typeof token !== 'string') throw invalidToken('format', 'malformed');
  if (token.length > settings.maxTokenBytes) throw invalidToken('size', 'too_large');
  if (!COMPACT_JWS.test(token)) throw invalidToken('format', 'malformed');
  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  const key = headerKey(token.slice(0, firstDot), settings.keys);
  if ('reason' in key) throw invalidToken(key.check, key.reason);
  if (!key.verify(token.slice(0, secondDot), token.slice(secondDot + 1))) {
    throw invalidToken('signature', 'invalid');
  }
  const payload = decodeSegment(token.slice(firstDot + 1, secondDot));
  if (!payload) throw invalidToken('payload', 'malformed');
  return checkClaims(payload, settings, now);
}

/** {@link verifyAccessTokenSync} as a promise: the same checks, a refusal as a rejection. */
export async function verifyAccessToken(
  settings: AccessTokenSettings,
  token: unknown,
  now: Date,
): Promise<AccessTokenClaims> {
  return verifyAccessTokenSync(settings, token, now);
}
