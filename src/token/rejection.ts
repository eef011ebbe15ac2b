/**
 * Which check refused a token, for server-side logs: the `detail` of `TokenInvalidError`,
 * `TokenExpiredError` and `TokenRevokedError`. It names a claim or step and a reason from a fixed
 * vocabulary, never a value taken from the token, so it is safe to log as it is (OWASP ASVS 5.0
 * V16.2: security events say what failed). It is never sent to a client: an error's `toJSON()`
 * leaves it out and the HTTP layer answers every token failure alike (RFC 6750 §3.1
 * `invalid_token`), so a client learns nothing about which check to work around.
 *
 * @module
 */

/** The claim or verification step that refused a token. */
export type TokenCheck =
  /** The token as a whole: not a string, or not three base64url segments (compact JWS). */
  | 'format'
  /** Its length, over `tokens.maxTokenBytes`. */
  | 'size'
  /** The JOSE header: not base64url JSON of an object. */
  | 'header'
  | 'alg'
  | 'typ'
  | 'kid'
  /** A header parameter gatehouse never accepts (RFC 8725 §3.10, RFC 7515 §4.1.11). */
  | 'jku'
  | 'x5u'
  | 'jwk'
  | 'x5c'
  | 'crit'
  | 'b64'
  | 'signature'
  /** The payload: not base64url JSON of an object. */
  | 'payload'
  | 'iss'
  | 'aud'
  | 'exp'
  | 'nbf'
  | 'iat'
  | 'sub'
  | 'jti'
  | 'client_id'
  | 'role'
  | 'scope';

/** Why the check failed. */
export type TokenRejectionReason =
  /** Present but of the wrong type or form. */
  | 'malformed'
  /** Required and absent. */
  | 'missing'
  /** Over a size limit. */
  | 'too_large'
  /** Not one of the values allowed here (e.g. an algorithm outside the allowlist). */
  | 'not_allowed'
  /** Not the expected value (`iss`, `aud`, `typ`). */
  | 'mismatch'
  /** A header parameter that is never accepted. */
  | 'forbidden'
  /** No configured key has this `kid` and `alg`. */
  | 'unknown_key'
  /** The signature does not verify. */
  | 'invalid'
  /** `exp` has passed (beyond the clock tolerance). */
  | 'expired'
  /** `nbf` lies in the future. */
  | 'not_yet_valid'
  /** `iat` lies in the future. */
  | 'issued_in_future'
  /** Issued longer ago than the longest access-token lifetime. */
  | 'too_old'
  /** `exp - iat` exceeds the longest access-token lifetime. */
  | 'lifetime_too_long'
  /** The token table has no record of this `jti`, or one of another kind or subject. */
  | 'unknown'
  /** The token's record (or its family, or its user) is revoked. */
  | 'revoked';

/** Which check refused a token and why, e.g. `{ check: 'exp', reason: 'expired' }`. */
export interface TokenRejection {
  readonly check: TokenCheck;
  readonly reason: TokenRejectionReason;
}

/** Options of the token errors (`TokenInvalidError`, ...): the original error, and which check failed. */
export interface TokenErrorOptions {
  readonly cause?: unknown;
  /** Which check refused the token, for logs. */
  readonly detail?: TokenRejection;
}
