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
 *
 * @module
 */
import type { LoginResult } from '../auth/auth-service.js';
import type { RequestContext } from '../events.js';
import type { Gatehouse } from '../gatehouse.js';
import type { IssuedTokens } from '../token/token-service.js';
import { BodyError, readBody } from './body.js';
import { clearedSessionCookies, cookieNames, originAllowed, sessionCookies } from './cookie-session.js';
import { credentialsFromHeaders, parseCookies, type RequestCredentials } from './credentials.js';
import { HttpGuards, type Principal } from './guards.js';
import {
  clientError,
  flowErrorResult,
  type HttpResult,
  jsonResult,
  serverError,
  tokenEndpointError,
  tokenEndpointErrorResult,
  toResponse,
} from './responses.js';

/** Per-request facts an adapter knows better than the `Request` does. */
export interface RouteRequestOptions {
  /** Path relative to the mount point, e.g. `/token`. Default: the URL path minus `mountPath`. */
  readonly path?: string;
  /** Where the routes are mounted, e.g. `/auth` (scopes the refresh cookie). Default `''`. */
  readonly mountPath?: string;
  /** Client IP from the adapter's trusted-proxy handling. */
  readonly ip?: string;
}

interface RouteInput {
  readonly request: Request;
  readonly credentials: RequestCredentials;
  readonly context: RequestContext;
  readonly mountPath: string;
}

type Route = (input: RouteInput) => Promise<HttpResult>;

const string = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The auth routes of one gatehouse instance, as a fetch handler. */
export class AuthRoutes {
  readonly #gatehouse: Gatehouse;
  readonly #guards: HttpGuards;
  readonly #routes: Map<string, Map<string, Route>>;
  /** Called with any unexpected error (a 500 was answered); defaults to `console.error`. */
  onError: (error: unknown) => void = (error) =>
    console.error('gatehouse: unexpected error in an auth route', error);

  constructor(gatehouse: Gatehouse, guards: HttpGuards = new HttpGuards(gatehouse)) {
    this.#gatehouse = gatehouse;
    this.#guards = guards;
    const me: Route = (input) => this.#me(input);
    this.#routes = new Map<string, Map<string, Route>>([
      ['/register', new Map([['POST', (input) => this.#register(input)]])],
      ['/login', new Map([['POST', (input) => this.#login(input)]])],
      ['/token', new Map([['POST', (input) => this.#token(input)]])],
      ['/refresh', new Map([['POST', (input) => this.#refresh(input)]])],
      ['/logout', new Map([['POST', (input) => this.#logout(input, false)]])],
      ['/logout-all', new Map([['POST', (input) => this.#logout(input, true)]])],
      [
        '/me',
        new Map([
          ['GET', me],
          ['HEAD', me],
        ]),
      ],
      ['/.well-known/jwks.json', new Map([['GET', async () => this.#jwks()]])],
    ]);
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
    const credentials = credentialsFromHeaders(request.method, request.headers, options.ip);
    const context = { ip: options.ip ?? null, userAgent: credentials.userAgent ?? null };
    try {
      const result = await route({ request, credentials, context, mountPath });
      return toResponse(request.method.toUpperCase() === 'HEAD' ? { ...result, body: undefined } : result);
    } catch (error) {
      if (error instanceof BodyError)
        return toResponse(clientError(error.status, error.error, error.message));
      this.onError(error);
      return toResponse(serverError());
    }
  }

  get #cookieMode(): boolean {
    return this.#gatehouse.config.http.cookies.enabled;
  }

  #body(input: RouteInput): Promise<Record<string, unknown>> {
    return readBody(input.request, this.#gatehouse.config.http.maxBodyBytes);
  }

  /** In cookie mode, routes that set cookies refuse cross-site requests (login CSRF). */
  #crossSite(input: RouteInput): HttpResult | undefined {
    if (!this.#cookieMode || originAllowed(input.credentials, this.#gatehouse.config.http.cookies))
      return undefined;
    return clientError(403, 'csrf_failed', 'Cross-site request refused');
  }

  async #register(input: RouteInput): Promise<HttpResult> {
    const refused = this.#crossSite(input);
    if (refused) return refused;
    const body = await this.#body(input);
    try {
      const user = await this.#gatehouse.auth.register(
        {
          email: body.email as string,
          password: body.password as string,
          username: body.username as string | undefined,
        },
        input.context,
      );
      return jsonResult(201, user);
    } catch (error) {
      return this.#flowError(error);
    }
  }

  #flowError(error: unknown): HttpResult {
    const result = flowErrorResult(error);
    if (result.status >= 500 && result.status !== 503) this.onError(error);
    return result;
  }

  #sessionResult(tokens: IssuedTokens, input: RouteInput, user?: LoginResult['user']): HttpResult {
    const now = this.#gatehouse.now().getTime();
    if (this.#cookieMode) {
      const cookies = sessionCookies(this.#gatehouse.config.http.cookies, input.mountPath, {
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        expiresIn: tokens.expiresIn,
        refreshExpiresIn: Math.max(0, Math.floor((tokens.refreshTokenExpiresAt.getTime() - now) / 1000)),
      });
      return jsonResult(
        200,
        { token_type: 'cookie', expires_in: tokens.expiresIn, ...(user ? { user } : {}) },
        {},
        cookies,
      );
    }
    return jsonResult(200, { ...oauthTokenBody(tokens), ...(user ? { user } : {}) });
  }

  async #login(input: RouteInput): Promise<HttpResult> {
    const refused = this.#crossSite(input);
    if (refused) return refused;
    const body = await this.#body(input);
    const identifier = body.identifier ?? body.email ?? body.username;
    try {
      const result = await this.#gatehouse.auth.login(
        { identifier: identifier as string, password: body.password as string },
        input.context,
      );
      return this.#sessionResult(result, input, result.user);
    } catch (error) {
      return this.#flowError(error);
    }
  }

  async #token(input: RouteInput): Promise<HttpResult> {
    const body = await this.#body(input);
    const grantType = string(body.grant_type);
    const requested = string(body.scope)?.split(' ').filter(Boolean);
    try {
      if (grantType === 'password') {
        const username = string(body.username);
        const password = string(body.password);
        if (username === undefined || password === undefined) {
          return tokenEndpointError('invalid_request', 'username and password are required');
        }
        const allowedScopes = this.#gatehouse.config.tokens.scopes;
        if (requested?.some((s) => !allowedScopes.includes(s))) return tokenEndpointError('invalid_scope');
        const tokens = await this.#gatehouse.auth.login({ identifier: username, password }, input.context, {
          scope: requested ?? [],
        });
        return jsonResult(200, oauthTokenBody(tokens));
      }
      if (grantType === 'refresh_token') {
        const refreshToken = string(body.refresh_token);
        if (refreshToken === undefined)
          return tokenEndpointError('invalid_request', 'refresh_token is required');
        const tokens = await this.#gatehouse.auth.refresh(
          refreshToken,
          input.context,
          requested ? { scope: requested } : {},
        );
        return jsonResult(200, oauthTokenBody(tokens));
      }
      if (grantType === undefined) return tokenEndpointError('invalid_request', 'grant_type is required');
      return tokenEndpointError('unsupported_grant_type');
    } catch (error) {
      const result = tokenEndpointErrorResult(error);
      if (result.status === 500) this.onError(error);
      return result;
    }
  }

  async #refresh(input: RouteInput): Promise<HttpResult> {
    const refused = this.#crossSite(input);
    if (refused) return refused;
    const body = await this.#body(input);
    let refreshToken = string(body.refresh_token);
    if (refreshToken === undefined && this.#cookieMode) {
      refreshToken = parseCookies(input.credentials.cookie)[
        cookieNames(this.#gatehouse.config.http.cookies).refresh
      ];
    }
    if (refreshToken === undefined) return clientError(400, 'invalid_request', 'refresh_token is required');
    try {
      const tokens = await this.#gatehouse.auth.refresh(refreshToken, input.context);
      return this.#sessionResult(tokens, input);
    } catch (error) {
      const result = tokenEndpointErrorResult(error);
      if (result.status === 500) this.onError(error);
      return { ...result, body: { ...(result.body as object), message: 'Invalid refresh token' } };
    }
  }

  async #principal(input: RouteInput): Promise<Principal | HttpResult> {
    const outcome = await this.#guards.authenticate(input.credentials);
    if (!outcome.ok) return outcome.result;
    return outcome.principal as Principal;
  }

  async #logout(input: RouteInput, everywhere: boolean): Promise<HttpResult> {
    const principal = await this.#principal(input);
    if ('status' in principal) return principal;
    try {
      if (everywhere) await this.#gatehouse.auth.logoutAll(principal.userId, input.context);
      else
        await this.#gatehouse.auth.revokeSession(
          principal.familyId as string,
          principal.userId,
          input.context,
        );
    } catch (error) {
      return this.#flowError(error);
    }
    const cookies = this.#cookieMode
      ? clearedSessionCookies(this.#gatehouse.config.http.cookies, input.mountPath)
      : undefined;
    return { status: 204, headers: { 'cache-control': 'no-store' }, ...(cookies ? { cookies } : {}) };
  }

  async #me(input: RouteInput): Promise<HttpResult> {
    const principal = await this.#principal(input);
    if ('status' in principal) return principal;
    return jsonResult(200, principal.user);
  }

  #jwks(): HttpResult {
    const jwks = this.#gatehouse.tokens.jwks();
    if (jwks.keys.length === 0) return clientError(404, 'not_found', 'Not found');
    return { status: 200, headers: { 'cache-control': 'public, max-age=300' }, body: jwks };
  }
}

/** The RFC 6749 §5.1 success body. */
function oauthTokenBody(tokens: IssuedTokens): Record<string, unknown> {
  return {
    access_token: tokens.accessToken,
    token_type: 'Bearer',
    expires_in: tokens.expiresIn,
    refresh_token: tokens.refreshToken,
    ...(tokens.scope.length > 0 ? { scope: tokens.scope.join(' ') } : {}),
  };
}
