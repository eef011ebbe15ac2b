/**
 * Reading client authentication at the token and device-authorization endpoints (RFC 6749
 * §2.3.1): HTTP Basic (`client_secret_basic`), the form body (`client_secret_post`), or a public
 * client's bare `client_id` — and the RFC 6749 §5.2 / RFC 8628 §3.5 error responses of the
 * machine grants.
 *
 * @module
 */
import type { PresentedClientCredentials } from '../clients/client-service.js';
import { isAuthError } from '../errors.js';
import { parseAuthorization } from './credentials.js';
import { type HttpResult, jsonResult, tokenEndpointError, tokenEndpointErrorResult } from './responses.js';
import type { RouteInput } from './route-kit.js';

/** How the client authenticated: `basic`, `post` (secret in the body) or `none` (public client). */
export type ClientAuthMethod = 'basic' | 'post' | 'none';

/** The client's credentials and how they came, or the error response to send. */
export type ClientAuthentication =
  | { readonly ok: true; readonly credentials: PresentedClientCredentials; readonly method: ClientAuthMethod }
  | { readonly ok: false; readonly result: HttpResult };

/**
 * Decodes one `application/x-www-form-urlencoded` component (`+` is a space, then percent
 * escapes, as strict UTF-8). `undefined` for a malformed escape or invalid UTF-8.
 */
export function decodeFormComponent(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** 401 `invalid_client`; with the `Basic` challenge when the client tried the Authorization header (§5.2). */
export function invalidClient(realm: string, challenge: boolean): HttpResult {
  const result = tokenEndpointError('invalid_client');
  if (!challenge) return result;
  const header = `Basic realm="${realm.replace(/["\\]/g, '\\$&')}", charset="UTF-8"`;
  return { ...result, headers: { ...result.headers, 'www-authenticate': header } };
}

/**
 * Reads the client's authentication, strictly:
 * - `Authorization: Basic` — the user name and password are the client id and secret
 *   *form-urlencoded before base64* (RFC 6749 §2.3.1, RFC 6749 §2.3.1, §4.4.3; RFC 9700 §2.5), so they are decoded after the
 *   RFC 7617 split: a secret with `:` or `%` round-trips. A `client_secret` in the body as well
 *   is two methods at once (400 `invalid_request`), as is a body `client_id` that differs.
 * - no header — `client_id` (and `client_secret` for `client_secret_post`) from the body.
 * - a malformed header (bad base64 or UTF-8, no colon, two headers, a bad escape) is 400
 *   `invalid_request`; another scheme (e.g. Bearer) or no client id at all is 401 `invalid_client`.
 */
export function readClientAuthentication(
  input: RouteInput,
  body: Record<string, unknown>,
  realm: string,
): ClientAuthentication {
  const refuse = (result: HttpResult): ClientAuthentication => ({ ok: false, result });
  const header = parseAuthorization(input.credentials.authorization);
  const bodyId = body.client_id;
  const bodySecret = body.client_secret;
  if (
    (bodyId !== undefined && typeof bodyId !== 'string') ||
    (bodySecret !== undefined && typeof bodySecret !== 'string')
  ) {
    return refuse(tokenEndpointError('invalid_request', 'client_id and client_secret must be strings'));
  }
  if (header.kind === 'malformed') {
    return refuse(tokenEndpointError('invalid_request', 'Malformed Authorization header'));
  }
  if (header.kind === 'bearer' || header.kind === 'other') return refuse(invalidClient(realm, true));
  if (header.kind === 'basic') {
    const clientId = decodeFormComponent(header.username);
    const clientSecret = decodeFormComponent(header.password);
    if (clientId === undefined || clientSecret === undefined) {
      return refuse(tokenEndpointError('invalid_request', 'Malformed client credentials'));
    }
    if (bodySecret !== undefined || (bodyId !== undefined && bodyId !== clientId)) {
      return refuse(tokenEndpointError('invalid_request', 'Use one client authentication method'));
    }
    return { ok: true, credentials: { clientId, clientSecret }, method: 'basic' };
  }
  if (bodyId === undefined || bodyId === '') return refuse(invalidClient(realm, false));
  return {
    ok: true,
    credentials: { clientId: bodyId, clientSecret: bodySecret },
    method: bodySecret === undefined ? 'none' : 'post',
  };
}

/** RFC 8628 §3.5 and RFC 6749 §5.2 names of the machine-grant error codes. */
const GRANT_ERRORS: Readonly<Record<string, string>> = {
  ERR_UNAUTHORIZED_CLIENT: 'unauthorized_client',
  ERR_AUTHORIZATION_PENDING: 'authorization_pending',
  ERR_SLOW_DOWN: 'slow_down',
  ERR_ACCESS_DENIED: 'access_denied',
  ERR_DEVICE_CODE_EXPIRED: 'expired_token',
};

/**
 * A machine-grant failure as a token-endpoint response: `invalid_client` (401, with the Basic
 * challenge when Basic was used), the RFC 8628 polling errors (400), a 501 when the device flow is
 * not configured, and everything else as `tokenEndpointErrorResult` maps it.
 */
export function machineGrantError(error: unknown, realm: string, method: ClientAuthMethod): HttpResult {
  if (isAuthError(error, 'ERR_INVALID_CLIENT')) return invalidClient(realm, method === 'basic');
  if (isAuthError(error, 'ERR_DEVICE_FLOW_NOT_CONFIGURED')) {
    return jsonResult(501, { error: 'not_implemented', message: error.message });
  }
  const name = isAuthError(error) ? GRANT_ERRORS[error.code] : undefined;
  if (name !== undefined) return jsonResult(400, { error: name });
  return tokenEndpointErrorResult(error);
}
