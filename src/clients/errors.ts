/**
 * Errors of registered clients. Each is an {@link AuthError}, so the HTTP layer maps it like any
 * other; the token endpoint answers them in RFC 6749 §5.2 terms.
 *
 * @module
 */
import { AuthError } from '../errors.js';

/**
 * Client authentication failed (RFC 6749 §5.2 `invalid_client`): unknown client, wrong or
 * missing secret, a secret sent for a public client, or a disabled client — one answer for all,
 * so the response does not tell which. 401; with HTTP Basic the token endpoint adds a
 * `WWW-Authenticate: Basic` challenge.
 */
export class InvalidClientError extends AuthError {
  constructor() {
    super('ERR_INVALID_CLIENT', 401, 'Client authentication failed');
  }
}

/**
 * The authenticated client is not registered for this grant type (RFC 6749 §5.2
 * `unauthorized_client`). Raised only after the client authenticated, so it reveals nothing to
 * anyone else.
 */
export class UnauthorizedClientError extends AuthError {
  constructor() {
    super('ERR_UNAUTHORIZED_CLIENT', 400, 'The client may not use this grant type');
  }
}
