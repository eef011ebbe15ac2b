/**
 * The claim checks of an access token (RFC 9068 §2.2, RFC 7519 §4.1, RFC 8725 §3.8–3.9), written
 * out check by check: they run for every token seen for the first time, so they allocate nothing
 * unless they refuse. {@link checkTimes} is the part that depends on the clock; it runs on every
 * presentation, a remembered token included.
 *
 * @module
 */
import { TokenExpiredError, TokenInvalidError } from '../errors.js';
import type { TokenCheck, TokenRejection, TokenRejectionReason } from './rejection.js';

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

/** What the claim checks compare against. */
export interface ClaimSettings {
  readonly issuer: string;
  readonly audience: string;
  /** Longest lifetime a token may claim (`exp - iat`), seconds. */
  readonly maxLifetime: number;
  /** Allowed clock skew, seconds (at most 60). */
  readonly clockTolerance: number;
}

/** A {@link TokenInvalidError} whose `detail` names the failed check. */
export function invalidToken(
  check: TokenCheck,
  reason: TokenRejectionReason,
  cause?: unknown,
): TokenInvalidError {
  const detail = { check, reason };
  return new TokenInvalidError(cause === undefined ? { detail } : { cause, detail });
}

/**
 * The time checks alone (they change as the clock moves; everything else about a verified
 * token does not): expired once `exp <= now - clockTolerance` ({@link TokenExpiredError}, `exp`
 * `expired`), or older than `maxLifetime` (`iat` `too_old`); `nbf` and `iat` not later than
 * `now + clockTolerance` ({@link TokenInvalidError}, `not_yet_valid` / `issued_in_future`).
 * RFC 7519 §4.1.4–4.1.6 with the leeway of RFC 8725 §3.8's advice on clock skew.
 */
export function checkTimes(
  claims: { readonly exp: number; readonly iat: number; readonly nbf: number | null },
  settings: Pick<ClaimSettings, 'clockTolerance' | 'maxLifetime'>,
  now: Date,
): void {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const tolerance = settings.clockTolerance;
  if (claims.exp <= nowSeconds - tolerance) {
    throw new TokenExpiredError({ detail: { check: 'exp', reason: 'expired' } });
  }
  if (claims.nbf !== null && claims.nbf > nowSeconds + tolerance) throw invalidToken('nbf', 'not_yet_valid');
  if (claims.iat > nowSeconds + tolerance) throw invalidToken('iat', 'issued_in_future');
  if (nowSeconds - claims.iat > settings.maxLifetime + tolerance) {
    throw new TokenExpiredError({ detail: { check: 'iat', reason: 'too_old' } });
  }
}

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** `aud` is one string or a list of strings (RFC 7519 §4.1.3). */
function isAudience(value: unknown): value is string | string[] {
  if (typeof value === 'string') return true;
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return true;
}

/** A required non-empty string claim: `missing`, `malformed`, or `null` when it is fine. */
function requiredString(check: TokenCheck, value: unknown): TokenRejection | null {
  if (value === undefined) return { check, reason: 'missing' };
  return typeof value === 'string' && value.length > 0 ? null : { check, reason: 'malformed' };
}

/**
 * The first claim check that fails, or `null`, in this order: `iss` equal to ours by exact string
 * comparison (RFC 8725 §3.8); `aud` ours or a list of strings containing ours (RFC 8725 §3.9);
 * `exp` and `iat` numbers, `nbf` a number when present; `sub`, `jti` and `client_id` non-empty
 * strings (RFC 9068 §2.2 requires them); `role` and `scope` strings when present; `exp - iat` at
 * most `maxLifetime`.
 */
export function claimProblem(
  payload: Record<string, unknown>,
  settings: ClaimSettings,
): TokenRejection | null {
  const { iss, aud, exp, iat, nbf } = payload;
  if (iss === undefined) return { check: 'iss', reason: 'missing' };
  if (iss !== settings.issuer) return { check: 'iss', reason: 'mismatch' };
  if (aud === undefined) return { check: 'aud', reason: 'missing' };
  if (!isAudience(aud)) return { check: 'aud', reason: 'malformed' };
  if (aud !== settings.audience && !(typeof aud !== 'string' && aud.includes(settings.audience))) {
    return { check: 'aud', reason: 'mismatch' };
  }
  if (exp === undefined) return { check: 'exp', reason: 'missing' };
  if (!isTime(exp)) return { check: 'exp', reason: 'malformed' };
  if (iat === undefined) return { check: 'iat', reason: 'missing' };
  if (!isTime(iat)) return { check: 'iat', reason: 'malformed' };
  if (nbf !== undefined && !isTime(nbf)) return { check: 'nbf', reason: 'malformed' };
  const problem =
    requiredString('sub', payload.sub) ??
    requiredString('jti', payload.jti) ??
    requiredString('client_id', payload.client_id);
  if (problem) return problem;
  if (payload.role !== undefined && typeof payload.role !== 'string')
    return { check: 'role', reason: 'malformed' };
  if (payload.scope !== undefined && typeof payload.scope !== 'string') {
    return { check: 'scope', reason: 'malformed' };
  }
  if (exp - iat > settings.maxLifetime) return { check: 'exp', reason: 'lifetime_too_long' };
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
  settings: ClaimSettings,
  now: Date,
): AccessTokenClaims {
  const problem = claimProblem(payload, settings);
  if (problem) throw invalidToken(problem.check, problem.reason);
  const { sub, jti, iat, exp, nbf, iss, aud, role, scope } = payload as {
    sub: string;
    jti: string;
    iat: number;
    exp: number;
    nbf?: number;
    iss: string;
    aud: string | string[];
    role?: string;
    scope?: string;
  };
  const notBefore = nbf === undefined ? null : nbf;
  checkTimes({ exp, iat, nbf: notBefore }, settings, now);
  return {
    sub,
    jti,
    iss,
    aud,
    iat,
    exp,
    nbf: notBefore,
    clientId: payload.client_id as string,
    role: role ?? null,
    scope: scope ? scope.split(' ').filter(Boolean) : [],
  };
}
