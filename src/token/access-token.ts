/**
 * Signing and verifying access tokens (RFC 9068 JWT profile) with jose. Pure JWT work: the
 * revocation check against the token table lives in {@link TokenService}.
 *
 * @module
 */
import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { TokenExpiredError, TokenInvalidError } from '../errors.js';
import type { KeySet } from './keys.js';

/** The `typ` header of access tokens (RFC 9068 §2.1). Other JWT kinds use other types. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Claims RFC 9068 §2.2 requires; a token missing any of them is refused. */
const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];

/** Header parameters that would let a token name its own key (RFC 8725 §3.10); refused outright. */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'];

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
}

/** What goes into a new access token. */
export interface AccessTokenInput {
  readonly sub: string;
  readonly jti: string;
  readonly role: string;
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
  const payload: JWTPayload = { client_id: input.clientId, role: input.role };
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
 * - the size (over `maxTokenBytes` -> refused before decoding) and compact-JWS form;
 * - the header: `alg` in the allowlist of configured algorithms and equal to the named key's one
 *   algorithm (so never `none`, never an HMAC keyed with a public key), `kid` an exact match,
 *   no `jku`/`x5u`/`jwk`/`x5c`, no unknown `crit`, `typ` = `at+jwt`;
 * - the signature;
 * - `iss` exactly, `aud` contains ours, `exp` required and in the future, `nbf` and `iat` not in
 *   the future (all with `clockTolerance`), `exp - iat` at most `maxLifetime`, and every claim
 *   RFC 9068 requires.
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
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      (header) => {
        for (const name of FORBIDDEN_HEADERS) if (name in header) throw new TokenInvalidError();
        const key = settings.keys.verificationKey(header);
        if (!key) throw new TokenInvalidError();
        return key;
      },
      {
        algorithms: [...settings.keys.algorithms],
        issuer: settings.issuer,
        audience: settings.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: REQUIRED_CLAIMS,
        clockTolerance: settings.clockTolerance,
        maxTokenAge: settings.maxLifetime + settings.clockTolerance,
        currentDate: now,
      },
    ));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new TokenExpiredError({ cause: error });
    throw new TokenInvalidError({ cause: error });
  }
  return toClaims(payload, settings);
}

function toClaims(payload: JWTPayload, settings: AccessTokenSettings): AccessTokenClaims {
  const { sub, jti, iat, exp, iss, aud, role, scope, client_id: clientId } = payload;
  if (
    typeof sub !== 'string' ||
    typeof jti !== 'string' ||
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    typeof iss !== 'string' ||
    aud === undefined ||
    typeof clientId !== 'string' ||
    (role !== undefined && typeof role !== 'string') ||
    (scope !== undefined && typeof scope !== 'string') ||
    exp - iat > settings.maxLifetime
  ) {
    throw new TokenInvalidError();
  }
  return {
    sub,
    jti,
    iss,
    aud,
    iat,
    exp,
    clientId,
    role: role ?? null,
    scope: scope ? scope.split(' ').filter(Boolean) : [],
  };
}
