/**
 * The non-null principal accessor every adapter's `requireAuth(...)` is built on. Behind a guard
 * that requires a principal (`authenticate()`, `basicAuth()`, `requireRole()`, ...) the request
 * always carries one; the type system cannot see middleware order in Express and Fastify, so the
 * accessor checks it at run time and fails closed (OWASP ASVS v4 4.1.5: access controls fail
 * securely) instead of letting a handler read `null`.
 *
 * @module
 */
import type { Principal } from './guards.js';

/**
 * Thrown by `requireAuth(...)` when the request carries no principal: no gatehouse guard ran
 * before the handler, or only `authenticate({ optional: true })` did and the request was
 * anonymous. A wiring mistake, not a client error: it carries no HTTP status, so every framework
 * answers it as a 500 and the handler never runs without a principal.
 */
export class PrincipalMissingError extends Error {
  /** Always `ERR_PRINCIPAL_MISSING`. */
  readonly code = 'ERR_PRINCIPAL_MISSING' as const;

  constructor() {
    super(
      'requireAuth(): this request has no principal. Put a gatehouse guard that requires one ' +
        '(authenticate(), basicAuth(), requireRole(), ...) before this handler; ' +
        'authenticate({ optional: true }) lets anonymous requests through without one.',
    );
    this.name = 'PrincipalMissingError';
  }
}

/**
 * The principal a guard set, never `null`: throws {@link PrincipalMissingError} when there is
 * none (see the module comment).
 */
export function requirePrincipal(principal: Principal | null | undefined): Principal {
  if (!principal) throw new PrincipalMissingError();
  return principal;
}
