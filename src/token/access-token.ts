/**
 * Signing and verifying access tokens (RFC 9068 JWT profile): jose signs, and verifies asymmetric
 * signatures; HMAC signatures and every claim are checked here. Pure JWT work: the
 * revocation check against the token table lives in {@link TokenService}.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { compactVerify, type JWTPayload, SignJWT } from 'jose';
import { TokenExpiredError, TokenInvalidError } from '../errors.js';
import type { KeySet } from './keys.js';

/** The `typ` header of access tokens (RFC 9068 §2.1). Other JWT kinds use other types. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/**
 * Header parameters refused outright: those that would let a token name its own key (RFC 8725
 * §3.10), and `crit`/`b64`, since gatehouse understands no JWS extension (RFC 7515 §4.1.11).
 */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit', 'b64'];

/** Three base64url segments: compact JWS only, so JWE (five parts) and JSON serialization never parse. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The verified claims of an access token. */
export interface AccessTokenClaims {
  /** Subject: the user id. */
  readonly sub: string;
  /** Token id: the id of its record in the token table. */
  readonly jti: string;
  readonly iss: string;
  readonly aud: string | string[];
  readonly clientId: string;
  /** The user's role when the token was issued. */
  readonly role: string | null;
  /** Granted scopes (from the space-separated `scope` claim). */
  readonly scope: readonly string[];
  /** Issued at, seconds since the epoch. */
  readonly iat: number;
  /** Expires at, seconds since the epoch. */
  readonly exp: number;
  /** Not before, seconds since the epoch, or `null`. */
  readonly nbf: number | null;
}

/**
 * The time checks alone (they change as the clock moves; everything else about a verified
 * token does not): expired once `exp <= now - clockTolerance` ({@link TokenExpiredError}), or
 * older than `maxLifetime`; `nbf` and `iat` not later than `now + clockTolerance`.
 */
export function checkTimes(
  claims: { readonly exp: number; readonly iat: number; readonly nbf: number | null },
  settings: Pick<AccessTokenSettings, 'clockTolerance' | 'maxLifetime'>,
  now: Date,
): void {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const tolerance = settings.clockTolerance;
  if (claims.exp <= nowSeconds - tolerance) throw new TokenExpiredError();
  if ((claims.nbf !== null && claims.nbf > nowSeconds + tolerance) || claims.iat > nowSeconds + tolerance) {
    throw new TokenInvalidError();
  }
  if (nowSeconds - claims.iat > settings.maxLifetime + tolerance) throw new TokenExpiredError();
}

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
export interface AccessTokenSettings {
  readonly keys: KeySet;
  readonly issuer: string;
  readonly audience: string;
  /** Longest lifetime a token may claim (`exp - iat`), seconds. */
  readonly maxLifetime: number;
  /** Allowed clock skew, seconds (at most 60). */
  readonly clockTolerance: number;
  /** Tokens longer than this (bytes) are refused before any decoding. */
  readonly maxTokenBytes: number;
}

/** Signs an access token with the current signing key: header `typ: at+jwt`, `alg` and `kid`. */
export async function signAccessToken(
  settings: AccessTokenSettings,
  input: AccessTokenInput,
): Promise<string> {
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
 * Verifies an access token's form, signature and claims. It checks, in order:
 * - the size (over `maxTokenBytes` -> refused before decoding) and compact-JWS form (three
 *   base64url segments: no JWE, no JSON serialization);
 * - the header: a JSON object whose `alg` is in the allowlist and equal to the named key's one
 *   algorithm (so never `none`, never an HMAC keyed with a public key), whose `kid` is an exact
 *   match, with `typ` = `at+jwt`, and without `crit`, `b64`, `jku`, `x5u`, `jwk` or `x5c`;
 * - the signature: HMAC with `node:crypto` synchronously and in constant time over the canonical
 *   signature encoding; asymmetric signatures with jose (WebCrypto, off the event loop);
 * - the claims (see {@link checkClaims}).
 *
 * Why HMAC is not verified through jose: jose goes through async WebCrypto for every HMAC, about
 * 24k verifications/s here, while `node:crypto` does the same HMAC in a few microseconds. The
 * access token is verified on every request, so that difference is most of a guarded route's cost.
 *
 * Throws {@link TokenExpiredError} for an expired token and {@link TokenInvalidError} otherwise.
 */
export async function verifyAccessToken(
  settings: AccessTokenSettings,
  token: unknown,
  now: Date,
): Promise<AccessTokenClaims> {
  if (typeof token !== 'string' || token.length > settings.maxTokenBytes || !COMPACT_JWS.test(token)) {
    throw new TokenInvalidError();
  }
  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  const header = decodeSegment(token.slice(0, firstDot));
  if (!header || !headerAcceptable(header, settings)) throw new TokenInvalidError();
  const key = settings.keys.lookup(header);
  if (!key) throw new TokenInvalidError();
  if (key.keyObject.type === 'secret') {
    const signature = token.slice(secondDot + 1);
    const expected = createHmac(`sha${key.alg.slice(2)}`, key.keyObject)
      .update(token.slice(0, secondDot))
      .digest();
    const presented = Buffer.from(signature, 'base64url');
    if (
      presented.length !== expected.length ||
      // constant-time-exempt: compares the presented signature with its own canonical encoding, no secret
      presented.toString('base64url') !== signature ||
      !timingSafeEqual(presented, expected)
    ) {
      throw new TokenInvalidError();
    }
  } else {
    try {
      await compactVerify(token, await key.cryptoKey(), { algorithms: [key.alg] });
    } catch (error) {
      throw new TokenInvalidError({ cause: error });
    }
  }
  const payload = decodeSegment(token.slice(firstDot + 1, secondDot));
  if (!payload) throw new TokenInvalidError();
  return checkClaims(payload, settings, now);
}

/**
 * The JSON object in one base64url segment of a compact JWS, or `undefined` when it is not valid
 * base64url JSON or not an object. Decoding only: nothing here is verified or trusted.
 */
export function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `typ` compared as RFC 7515 §4.1.9 says: case-insensitively, with an optional `application/` prefix. */
function normalizedType(typ: unknown): string | undefined {
  if (typeof typ !== 'string') return undefined;
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

function headerAcceptable(header: Record<string, unknown>, settings: AccessTokenSettings): boolean {
  if (typeof header.alg !== 'string' || !settings.keys.algorithms.includes(header.alg as never)) return false;
  if (normalizedType(header.typ) !== ACCESS_TOKEN_TYPE) return false;
  for (const name of FORBIDDEN_HEADERS) if (name in header) return false;
  return true;
}

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * Checks the claims of a token whose signature is valid: `iss` equal to ours by exact string
 * comparison; `aud` ours or a list containing ours; `exp` required and expired once
 * `exp <= now - clockTolerance` ({@link TokenExpiredError}); `nbf` and `iat` not later than
 * `now + clockTolerance`; the token no older than `maxLifetime` and `exp - iat` at most
 * `maxLifetime`; and every claim RFC 9068 §2.2 requires (`iss exp aud sub client_id iat jti`)
 * present with the right type.
 */
export function checkClaims(
  payload: Record<string, unknown>,
  settings: AccessTokenSettings,
  now: Date,
): AccessTokenClaims {
  const { sub, jti, iat, exp, nbf, iss, aud, role, scope, client_id: clientId } = payload;
  const audienceOk =
    aud === settings.audience ||
    (Array.isArray(aud) && aud.every((a) => typeof a === 'string') && aud.includes(settings.audience));
  if (
    iss !== settings.issuer ||
    !audienceOk ||
    !isTime(exp) ||
    !isTime(iat) ||
    (nbf !== undefined && !isTime(nbf)) ||
    !isNonEmptyString(sub) ||
    !isNonEmptyString(jti) ||
    !isNonEmptyString(clientId) ||
    (role !== undefined && typeof role !== 'string') ||
    (scope !== undefined && typeof scope !== 'string')
  ) {
    throw new TokenInvalidError();
  }
  if (exp - iat > settings.maxLifetime) throw new TokenInvalidError();
  checkTimes({ exp, iat, nbf: isTime(nbf) ? nbf : null }, settings, now);
  return {
    sub,
    jti,
    iss,
    aud: aud as string | string[],
    iat,
    exp,
    nbf: isTime(nbf) ? nbf : null,
    clientId,
    role: role ?? null,
    scope: scope ? scope.split(' ').filter(Boolean) : [],
  };
}
