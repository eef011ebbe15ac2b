/**
 * How errors and results become HTTP responses, shared by the auth routes and the guards of
 * every adapter. Responses are plain data ({@link HttpResult}) so that adapters write them with
 * their framework's own API, and the route handler turns them into web `Response`s.
 *
 * Shapes follow RFC 6750 (resource requests) and RFC 6749 §5.2 (the token endpoint). No response
 * ever contains a stack trace, a store message or key material.
 *
 * @module
 */
import { type AuthError, type AuthErrorCode, isAuthError } from '../errors.js';

/** A response as data: status, headers and an optional JSON body. */
export interface HttpResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Set-Cookie values, one per cookie. */
  readonly cookies?: readonly string[];
  /** JSON body, or `undefined` for an empty body. */
  readonly body?: unknown;
}

/** Headers every auth response carries: tokens and user data must never be cached. */
export const NO_STORE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  pragma: 'no-cache',
});

/** A JSON result with `no-store` caching. */
export function jsonResult(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  cookies?: readonly string[],
): HttpResult {
  return { status, headers: { ...NO_STORE_HEADERS, ...headers }, body, ...(cookies ? { cookies } : {}) };
}

/** The snake_case `error` value of a code: `ERR_WEAK_PASSWORD` -> `weak_password`. */
export function errorName(code: AuthErrorCode): string {
  return code.slice(4).toLowerCase();
}

/** The generic answer to anything unexpected: 500 `{"error":"server_error"}`, nothing more. */
export function serverError(): HttpResult {
  return jsonResult(500, { error: 'server_error', message: 'Internal server error' });
}

/** A client error on an auth route: `{ error, message }` plus `issues` for validation errors. */
export function clientError(status: number, error: string, message: string, extra: object = {}): HttpResult {
  return jsonResult(status, { error, message, ...extra });
}

/**
 * Maps an error thrown by a flow to an HTTP result for the auth routes (not the token endpoint).
 * An {@link AuthError} becomes its status with `{ error, message, issues? }`; anything else is a
 * 500 `server_error` (the caller reports the original to its own logs).
 */
export function flowErrorResult(error: unknown): HttpResult {
  if (!isAuthError(error)) return serverError();
  if (error.code === 'ERR_RATE_LIMITED') return rateLimitedResult(error);
  const extra = 'issues' in error && Array.isArray(error.issues) ? { issues: error.issues } : {};
  return clientError(error.status, errorName(error.code), error.message, extra);
}

/** 429 with an integer `Retry-After` (RFC 6585 §4) and a generic body. */
export function rateLimitedResult(error: AuthError): HttpResult {
  const retryAfter = 'retryAfter' in error && typeof error.retryAfter === 'number' ? error.retryAfter : 60;
  return jsonResult(
    429,
    { error: 'rate_limited', message: 'Too many requests' },
    { 'retry-after': String(retryAfter) },
  );
}

/** RFC 6749 §5.2 error codes of the token endpoint. */
export type TokenEndpointError =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope';

/** A token endpoint error response (RFC 6749 §5.2): 400 (401 for `invalid_client`), `no-store`. */
export function tokenEndpointError(error: TokenEndpointError, description?: string): HttpResult {
  return jsonResult(error === 'invalid_client' ? 401 : 400, {
    error,
    ...(description ? { error_description: description } : {}),
  });
}

/** Maps a flow error at the token endpoint to RFC 6749 terms. */
export function tokenEndpointErrorResult(error: unknown): HttpResult {
  if (!isAuthError(error)) return serverError();
  switch (error.code) {
    case 'ERR_RATE_LIMITED':
      return rateLimitedResult(error);
    case 'ERR_INVALID_SCOPE':
      return tokenEndpointError('invalid_scope');
    case 'ERR_VALIDATION':
    case 'ERR_INPUT_TOO_LARGE':
      return tokenEndpointError('invalid_request', error.message);
    case 'ERR_STORE_UNAVAILABLE':
      return jsonResult(503, { error: 'temporarily_unavailable' });
    case 'ERR_SIGNING_NOT_CONFIGURED':
      // A verify-only instance issues nothing (RFC 6749 §5.2).
      return tokenEndpointError('unsupported_grant_type');
    default:
      // Wrong credentials, locked or disabled accounts, bad/expired/reused refresh tokens: all alike.
      return tokenEndpointError('invalid_grant');
  }
}

/** Quotes a value for an auth-param (RFC 9110 §5.6.4): backslash-escapes `"` and `\`. */
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** The RFC 6750 error of a failed resource request. */
export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/**
 * An RFC 6750 §3 challenge. Without an error (no credentials at all) it is just
 * `Bearer realm="..."`; with one, `error="..."` is added (and `scope` for insufficient_scope).
 * The challenge never echoes which claim failed.
 */
export function bearerChallenge(realm: string, error?: BearerError, scope?: readonly string[]): string {
  let challenge = `Bearer realm=${quoted(realm)}`;
  if (error) challenge += `, error=${quoted(error)}`;
  if (scope && scope.length > 0) challenge += `, scope=${quoted(scope.join(' '))}`;
  return challenge;
}

const BEARER_STATUS: Record<BearerError, number> = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
};

/** A guard's refusal of a resource request, RFC 6750 style. `error` omitted = no credentials. */
export function bearerErrorResult(realm: string, error?: BearerError, scope?: readonly string[]): HttpResult {
  const status = error ? BEARER_STATUS[error] : 401;
  const body = error
    ? { error, message: error === 'insufficient_scope' ? 'Insufficient scope' : 'Invalid or missing token' }
    : { error: 'unauthorized', message: 'Authentication required' };
  return jsonResult(status, body, { 'www-authenticate': bearerChallenge(realm, error, scope) });
}

/** 403 for an authenticated principal that lacks a role or permission. */
export function forbiddenResult(): HttpResult {
  return clientError(403, 'forbidden', 'Forbidden');
}

/** Turns an {@link HttpResult} into a web `Response`. */
export function toResponse(result: HttpResult): Response {
  const headers = new Headers(result.headers);
  for (const cookie of result.cookies ?? []) headers.append('set-cookie', cookie);
  if (result.body === undefined) return new Response(null, { status: result.status, headers });
  headers.set('content-type', 'application/json; charset=utf-8');
  return new Response(JSON.stringify(result.body), { status: result.status, headers });
}
