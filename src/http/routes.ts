/**
 * The auth routes as one fetch handler (web `Request` -> `Response`), mountable under any prefix.
 * Hono mounts it directly; the Express and Fastify adapters translate their requests.
 *
 * | route | what |
 * | --- | --- |
 * | `POST /register` | JSON or form; 201 with the public user |
 * | `POST /login` | JSON or form `{ identifier | email | username, password }`; tokens (or cookies) |
 * | `POST /token` | OAuth 2.0 token endpoint: `grant_type=password` and `refresh_token` |
 * | `POST /refresh` | `{ refresh_token }` or the refresh cookie; new tokens (or cookies) |
 * | `POST /logout` | revokes the presented token's family; clears cookies |
 * | `POST /logout-all` | revokes every token of the user |
 * | `GET /me` | the current user |
 * | `GET /.well-known/jwks.json` | public keys, when asymmetric keys are configured |
 * | `POST /verify-email`, `/verify-email/resend` | email verification |
 * | `POST /password-reset/request`, `/password-reset/confirm` | password reset |
 * | `POST /password/change`, `/email/change`, `/email/confirm`, `/account/delete` | account changes |
 * | `POST /mfa/verify` | `{ challenge, code \| backup_code }`: completes a login that answered `mfa_required` |
 * | `POST /api-keys`, `GET /api-keys`, `POST /api-keys/revoke` | API keys of the signed-in user (`apiKeys.enabled`) |
 * | `POST /token` `grant_type=client_credentials` / device code | registered clients' grants (machine-routes.ts) |
 * | `POST /device/authorize`, `/device/verify`, `/device/approve` | the device authorization grant (RFC 8628) |
 * | `POST /mfa/totp/enroll`, `/mfa/totp/confirm`, `/mfa/totp/disable`, `/mfa/backup-codes` | second factors |
 * | `GET /oauth/<provider>/login`, `/oauth/<provider>/callback`, `POST /oauth/exchange` | login with an identity provider (see `oauth-routes.ts`) |
 * | `POST /oauth/<provider>/link`, `/oauth/<provider>/unlink`, `GET /oauth/identities` | the signed-in user's linked identities |
 *
 * The same routes as an OpenAPI 3.1 document, from the zod schemas of `request-bodies.ts`:
 * `openApiDocument` (`openapi/`).
 *
 * @module
 */
import type { Gatehouse } from '../gatehouse.js';
import { accountRoutes } from './account-routes.js';
import { apiKeyRoutes } from './api-key-routes.js';
import { BodyError } from './body.js';
import { credentialsFromHeaders } from './credentials.js';
import { HttpGuards } from './guards.js';
import { deviceRoutes } from './machine-routes.js';
import { mfaRoutes } from './mfa-routes.js';
import { oauthRoutes } from './oauth-routes.js';
import { clientError, serverError, toResponse } from './responses.js';
import { type Route, RouteKit } from './route-kit.js';
import { sessionRoutes } from './session-routes.js';

/** Per-request facts an adapter knows better than the `Request` does. */
export interface RouteRequestOptions {
  /** Path relative to the mount point, e.g. `/token`. Default: the URL path minus `mountPath`. */
  readonly path?: string;
  /** Where the routes are mounted, e.g. `/auth` (scopes the refresh cookie). Default `''`. */
  readonly mountPath?: string;
  /** Client IP from the adapter's trusted-proxy handling. */
  readonly ip?: string;
}

/** The auth routes of one gatehouse instance, as a fetch handler. */
export class AuthRoutes {
  readonly #kit: RouteKit;
  readonly #routes = new Map<string, Map<string, Route>>();

  constructor(gatehouse: Gatehouse, guards: HttpGuards = new HttpGuards(gatehouse)) {
    this.#kit = new RouteKit(gatehouse, guards, (error) =>
      console.error('gatehouse: unexpected error in an auth route', error),
    );
    for (const [path, method, route] of [
      ...sessionRoutes(this.#kit),
      ...accountRoutes(this.#kit),
      ...mfaRoutes(this.#kit),
      ...oauthRoutes(this.#kit),
      ...apiKeyRoutes(this.#kit),
      ...deviceRoutes(this.#kit),
    ]) {
      let methods = this.#routes.get(path);
      if (!methods) {
        methods = new Map();
        this.#routes.set(path, methods);
      }
      methods.set(method, route);
    }
  }

  /**
   * Every path the router has, with its methods, relative to the mount point. A route may still
   * answer 404 when its feature is off (API keys disabled, no asymmetric key for the JWKS);
   * `openApiDocument` lists only the routes that answer.
   */
  endpoints(): Array<{ readonly path: string; readonly methods: readonly string[] }> {
    return [...this.#routes].map(([path, methods]) => ({ path, methods: [...methods.keys()] }));
  }

  /** Called with any unexpected error (a 500 was answered); defaults to `console.error`. */
  get onError(): (error: unknown) => void {
    return this.#kit.onError;
  }

  set onError(handler: (error: unknown) => void) {
    this.#kit.onError = handler;
  }

  /**
   * Handles one request. Never throws: unexpected errors become a generic 500 and are passed to
   * {@link AuthRoutes.onError}.
   */
  async handle(request: Request, options: RouteRequestOptions = {}): Promise<Response> {
    const mountPath = (options.mountPath ?? '').replace(/\/+$/, '');
    let path = options.path;
    if (path === undefined) {
      const pathname = new URL(request.url).pathname;
      path = pathname.startsWith(mountPath) ? pathname.slice(mountPath.length) : pathname;
    }
    const methods = this.#routes.get(path === '' ? '/' : path);
    if (!methods) return toResponse(clientError(404, 'not_found', 'Not found'));
    const route = methods.get(request.method.toUpperCase());
    if (!route) {
      const result = clientError(405, 'method_not_allowed', 'Method not allowed');
      return toResponse({ ...result, headers: { ...result.headers, allow: [...methods.keys()].join(', ') } });
    }
    const fromHeaders = credentialsFromHeaders(request.method, request.headers, options.ip);
    // A fetch runtime (or Hono's `app.request()`) may hand over no `Host` line: the URL's host is the same fact.
    const credentials =
      fromHeaders.host === undefined ? { ...fromHeaders, host: new URL(request.url).host } : fromHeaders;
    const context = { ip: options.ip ?? null, userAgent: credentials.userAgent ?? null };
    try {
      const result = await route({ request, credentials, context, mountPath });
      return toResponse(request.method.toUpperCase() === 'HEAD' ? { ...result, body: undefined } : result);
    } catch (error) {
      if (error instanceof BodyError)
        return toResponse(clientError(error.status, error.error, error.message));
      this.#kit.onError(error);
      return toResponse(serverError());
    }
  }
}
