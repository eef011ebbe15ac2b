/**
 * Signing and verifying access tokens (RFC 9068 JWT profile): jose signs, and verifies asymmetric
 * signatures; HMAC signatures and every claim are checked here. Pure JWT work: the
 * revocation check against the token table lives in {@link TokenService}.
 *
 * Every refusal carries a `detail` naming the check that failed (`{ check: 'aud', reason:
 * 'mismatch' }`, see `rejection.ts`) for server-side logs; the message stays the same whatever
 * failed, and no client ever sees the detail.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { compactVerify, type JWTPayload, SignJWT } from 'jose';
import { TokenExpiredError, TokenInvalidError } from '../errors.js';
import type { KeySet } from './keys.js';
import type { TokenCheck, TokenRejection, TokenRejectionReason } from './rejection.js';

/** The `typ` header of access tokens (RFC 9068 §2.1). Other JWT kinds use other types. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/**
 * Header parameters refused outright: those that would let a token name its own key (RFC 8725
 * §3.10), and `crit`/`b64`, since gatehouse understands no JWS extension (RFC 7515 §4.1.11).
 */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit', 'b64'] as const;

/** Three base64url segments: compact JWS only, so JWE (five parts) and JSON serialization never parse. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A {@link TokenInvalidError} whose `detail` names the failed check. */
function invalid(check: TokenCheck, reason: TokenRejectionReason, cause?: unknown): TokenInvalidError {
  const detail = { check, reason };
  return new TokenInvalidError(cause === undefined ? { detail } : { cause, detail });
}

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
 * token does not): expired once `exp <= now - clockTolerance` ({@link TokenExpiredError}, `exp`
 * `expired`), or older than `maxLifetime` (`iat` `too_old`); `nbf` and `iat` not later than
 * `now + clockTolerance` ({@link TokenInvalidError}, `not_yet_valid` / `issued_in_future`).
 */
export function checkTimes(
  claims: { readonly exp: number; readonly iat: number; readonly nbf: number | null },
  settings: Pick<AccessTokenSettings, 'clockTolerance' | 'maxLifetime'>,
  now: Date,
): void {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const tolerance = settings.clockTolerance;
  if (claims.exp <= nowSeconds - tolerance) {
    throw new TokenExpiredError({ detail: { check: 'exp', reason: 'expired' } });
  }
  if (claims.nbf !== null && claims.nbf > nowSeconds + tolerance) throw invalid('nbf', 'not_yet_valid');
  if (claims.iat > nowSeconds + tolerance) throw invalid('iat', 'issued_in_future');
  if (nowSeconds - claims.iat > settings.maxLifetime + tolerance) {
    throw new TokenExpiredError({ detail: { check: 'iat', reason: 'too_old' } });
  }
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
 * Throws {@link TokenExpiredError} for an expired token and {@link TokenInvalidError} otherwise,
 * each with a `detail` naming the failed check (for logs; never for the client).
 */
export async function verifyAccessToken(
  settings: AccessTokenSettings,
  token: unknown,
  now: Date,
): Promise<AccessTokenClaims> {
  if (typeof token !== 'string') throw invalid('format', 'malformed');
  if (token.length > settings.maxTokenBytes) throw invalid('size', 'too_large');
  if (!COMPACT_JWS.test(token)) throw invalid('format', 'malformed');
  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  const header = decodeSegment(token.slice(0, firstDot));
  if (!header) throw invalid('header', 'malformed');
  const problem = headerProblem(header, settings);
  if (problem) throw invalid(problem.check, problem.reason);
  const key = settings.keys.lookup(header);
  if (!key) throw invalid('kid', 'unknown_key');
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
      throw invalid('signature', 'invalid');
    }
  } else {
    try {
      await compactVerify(token, await key.cryptoKey(), { algorithms: [key.alg] });
    } catch (error) {
      throw invalid('signature', 'invalid', error);
    }
  }
  const payload = decodeSegment(token.slice(firstDot + 1, secondDot));
  if (!payload) throw invalid('payload', 'malformed');
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

/** The first header check that fails, or `null`: `alg` in the allowlist, `typ` = `at+jwt`, no forbidden parameter. */
function headerProblem(
  header: Record<string, unknown>,
  settings: AccessTokenSettings,
): TokenRejection | null {
  if (header.alg === undefined) return { check: 'alg', reason: 'missing' };
  if (typeof header.alg !== 'string' || !settings.keys.algorithms.includes(header.alg as never)) {
    return { check: 'alg', reason: 'not_allowed' };
  }
  if (header.typ === undefined) return { check: 'typ', reason: 'missing' };
  if (normalizedType(header.typ) !== ACCESS_TOKEN_TYPE) return { check: 'typ', reason: 'mismatch' };
  for (const name of FORBIDDEN_HEADERS) if (name in header) return { check: name, reason: 'forbidden' };
  return null;
}

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** `undefined` -> `missing`, present but failing `valid` -> `malformed`, else `null`. */
function presence(
  check: TokenCheck,
  value: unknown,
  valid: (value: unknown) => boolean,
): TokenRejection | null {
  if (value === undefined) return { check, reason: 'missing' };
  return valid(value) ? null : { check, reason: 'malformed' };
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

/**
 * The first claim check that fails, or `null`, in this order: `iss` equal to ours by exact string
 * comparison; `aud` ours or a list of strings containing ours; `exp` and `iat` numbers, `nbf` a
 * number when present; `sub`, `jti` and `client_id` non-empty strings; `role` and `scope` strings
 * when present; `exp - iat` at most `maxLifetime`.
 */
function claimProblem(
  payload: Record<string, unknown>,
  settings: AccessTokenSettings,
): TokenRejection | null {
  const { iss, aud, exp, iat, nbf } = payload;
  if (iss === undefined) return { check: 'iss', reason: 'missing' };
  if (iss !== settings.issuer) return { check: 'iss', reason: 'mismatch' };
  const audience = presence('aud', aud, (a) => isString(a) || isStringList(a));
  if (audience) return audience;
  if (aud !== settings.audience && !(isStringList(aud) && aud.includes(settings.audience))) {
    return { check: 'aud', reason: 'mismatch' };
  }
  const problem =
    presence('exp', exp, isTime) ??
    presence('iat', iat, isTime) ??
    (nbf === undefined ? null : presence('nbf', nbf, isTime)) ??
    presence('sub', payload.sub, isNonEmptyString) ??
    presence('jti', payload.jti, isNonEmptyString) ??
    presence('client_id', payload.client_id, isNonEmptyString) ??
    (payload.role === undefined ? null : presence('role', payload.role, isString)) ??
    (payload.scope === undefined ? null : presence('scope', payload.scope, isString));
  if (problem) return problem;
  if ((exp as number) - (iat as number) > settings.maxLifetime)
    return { check: 'exp', reason: 'lifetime_too_long' };
  return null;
}

/**
 * Checks the claims of a token whose signature is valid: `iss` equal to ours by exact string
 * comparison; `aud` ours or a list containing ours; `exp` required and expired once
 * `exp <= now - clockTolerance` ({@link TokenExpiredError}); `nbf` and `iat` not later than
 * `now + clockTolerance`; the token no older than `maxLifetime` and `exp - iat` at most
 * `maxLifetime`; and every claim RFC 9068 §2.2 requires (`iss exp aud sub client_id iat jti`)
 * present with the right type. Each refusal's `detail` names the claim and why.
 */
export function checkClaims(
  payload: Record<string, unknown>,
  settings: AccessTokenSettings,
  now: Date,
): AccessTokenClaims {
  const problem = claimProblem(payload, settings);
  if (problem) throw invalid(problem.check, problem.reason);
  const {
    sub,
    jti,
    iat,
    exp,
    nbf,
    iss,
    aud,
    role,
    scope,
    client_id: clientId,
  } = payload as {
    sub: string;
    jti: string;
    iat: number;
    exp: number;
    nbf?: number;
    iss: string;
    aud: string | string[];
    role?: string;
    scope?: string;
    client_id: string;
  };
  const notBefore = isTime(nbf) ? nbf : null;
  checkTimes({ exp, iat, nbf: notBefore }, settings, now);
  return {
    sub,
    jti,
    iss,
    aud,
    iat,
    exp,
    nbf: notBefore,
    clientId,
    role: role ?? null,
    scope: scope ? scope.split(' ').filter(Boolean) : [],
  };
}
