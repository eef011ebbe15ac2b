/**
 * `gatehouse/hono`: the auth routes as a Hono sub-app and the guards as Hono middleware. Runs on
 * `@hono/node-server` and on any fetch runtime, and through `app.request()` in tests.
 * Translation only: every behaviour is in the core.
 *
 * Types: a guard that requires a principal (`authenticate()`, `basicAuth()`, `requireRole()`,
 * ...) carries {@link AuthenticatedEnv}, so in the handlers after it `c.get('auth')` is a
 * `Principal`; behind `authenticate({ optional: true })` it stays `Principal | null`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { gatehouseHono, type GatehouseEnv } from 'gatehouse/hono';
 *
 * const gh = gatehouseHono(gatehouse);
 * const app = new Hono<GatehouseEnv>();
 * app.route('/auth', gh.routes());
 * app.post('/generate/text', gh.authenticate(), (c) => c.json({ user: c.get('auth').userId }));
 * app.post('/generate/image', gh.authenticate(), gh.requireRole('ADMIN'), handler);
 * // The guard and the handler as one handler (no middleware chain):
 * app.get('/me', gh.authenticated((c) => c.json({ user: c.get('auth').userId })));
 * ```
 *
 * @module gatehouse/hono
 */
import { type Context, type Handler, Hono, type Input, type MiddlewareHandler, type Next } from 'hono';
import type { Gatehouse } from '../../src/gatehouse.js';
import { HeaderCredentials } from '../../src/http/credentials.js';
import {
  type AuthenticateOptions,
  type BasicAuthOptions,
  type GuardOutcome,
  HttpGuards,
  type Principal,
  type ResourceRef,
} from '../../src/http/guards.js';
import { PrincipalMissingError, requirePrincipal } from '../../src/http/principal.js';
import { toResponse } from '../../src/http/responses.js';
import { AuthRoutes } from '../../src/http/routes.js';

/**
 * Hono environment with the typed `auth` variable: `c.get('auth')` is the principal a guard set,
 * or `null` (no guard yet, or an anonymous request through `authenticate({ optional: true })`).
 */
export interface GatehouseEnv {
  Variables: { auth: Principal | null };
}

/**
 * The environment a guard that requires a principal adds for the handlers after it: Hono
 * intersects it with the app's, so there `c.get('auth')` is a `Principal`, never `null`.
 */
export interface AuthenticatedEnv {
  Variables: { auth: Principal };
}

/** Options of {@link gatehouseHono}. */
export interface HonoAdapterOptions {
  /** The client IP for a request (behind a proxy, from your trusted-proxy logic). Default: the Node socket address, if any. */
  readonly clientIp?: (c: Context) => string | undefined;
}

/** `authenticate()`: the principal is guaranteed unless the guard is optional. */
export interface AuthenticateMiddleware {
  (options?: AuthenticateOptions & { readonly optional?: false }): MiddlewareHandler<AuthenticatedEnv>;
  (options: AuthenticateOptions): MiddlewareHandler<GatehouseEnv>;
}

/**
 * The principal a gatehouse guard set, typed `Principal` (never `null`), for code that gets a
 * context whose type does not show the guard (a helper taking `Context<GatehouseEnv>`, a
 * sub-app guarded with `use`). Behind a guard that requires a principal it always returns;
 * otherwise it throws {@link PrincipalMissingError}, which Hono answers with a 500.
 */
export function requireAuth(c: { get(key: 'auth'): Principal | null | undefined }): Principal {
  return requirePrincipal(c.get('auth'));
}

function socketAddress(c: Context): string | undefined {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress;
}

/** Binds a gatehouse instance to Hono: `routes()` and the guard middleware. */
export function gatehouseHono(gatehouse: Gatehouse, options: HonoAdapterOptions = {}) {
  const guards = new HttpGuards(gatehouse);
  const authRoutes = new AuthRoutes(gatehouse, guards);
  const clientIp = options.clientIp ?? socketAddress;
  // Headers are read as the guard asks for them; fetch runtimes and `app.request()` may hand over no
  // `Host` line, and then the URL's host is the same fact.
  const credentials = (c: Context) =>
    new HeaderCredentials(
      c.req.method,
      c.req.raw.headers,
      () => clientIp(c),
      () => new URL(c.req.url).host,
    );

  /** Answers a refusal, or sets `c.get('auth')` and runs the next handler. */
  const proceed = <P extends string>(
    c: Context<GatehouseEnv, P>,
    next: Next,
    outcome: GuardOutcome,
  ): Promise<Response | undefined> => {
    if (!outcome.ok) return Promise.resolve(toResponse(outcome.result));
    c.set('auth', outcome.principal);
    return next() as Promise<undefined>;
  };

  /**
   * A guard as middleware; `E` is the environment it guarantees to the handlers after it. A guard
   * that decides without a promise goes on to the next handler at once.
   */
  const guard = <E extends GatehouseEnv | AuthenticatedEnv, P extends string = string>(
    check: (c: Context<GatehouseEnv, P>) => Promise<GuardOutcome> | GuardOutcome,
  ): MiddlewareHandler<E, P> => {
    const middleware: MiddlewareHandler<GatehouseEnv, P> = (c, next) => {
      const outcome = check(c);
      return outcome instanceof Promise
        ? outcome.then((settled) => proceed(c, next, settled))
        : proceed(c, next, outcome);
    };
    // `E` only narrows what `c.get('auth')` is typed as after the guard; the value is the same.
    return middleware as unknown as MiddlewareHandler<E, P>;
  };

  const authenticate = ((opts: AuthenticateOptions = {}) =>
    guard((c) => guards.authenticateMaybeSync(credentials(c), opts))) as AuthenticateMiddleware;

  /**
   * `authenticate()` and `handler` as one handler: the same checks and answers, then `handler` with
   * `c.get('auth')` set. A route with a single handler skips Hono's middleware chain (its
   * composition and the promises between handlers), so a request decided without a promise is
   * answered without one too.
   */
  const authenticated = <P extends string = string, I extends Input = Input>(
    handler: (c: Context<AuthenticatedEnv, P, I>) => Response | Promise<Response>,
  ): Handler<AuthenticatedEnv, P, I> => {
    const run = (c: Context<GatehouseEnv, P, I>, outcome: GuardOutcome): Response | Promise<Response> => {
      if (!outcome.ok) return toResponse(outcome.result);
      c.set('auth', outcome.principal);
      // Behind a guard that requires a principal it is never `null`: the type only says so.
      return handler(c as unknown as Context<AuthenticatedEnv, P, I>);
    };
    const combined = (c: Context<GatehouseEnv, P, I>): Response | Promise<Response> => {
      const outcome = guards.authenticateMaybeSync(credentials(c as Context), {});
      return outcome instanceof Promise ? outcome.then((settled) => run(c, settled)) : run(c, outcome);
    };
    return combined as unknown as Handler<AuthenticatedEnv, P, I>;
  };

  return {
    /** The auth routes as a sub-app; mount it with `app.route('/auth', gh.routes())`. */
    routes(): Hono {
      const app = new Hono();
      app.all('/*', (c) => {
        const mountPath = c.req.routePath.replace(/\/?\*$/, '');
        return authRoutes.handle(c.req.raw, {
          path: c.req.path.slice(mountPath.length),
          mountPath,
          ip: clientIp(c),
        });
      });
      return app;
    },
    /**
     * Requires a valid access token (Bearer, or the cookie in cookie mode); sets `c.get('auth')`,
     * typed `Principal` after it (`Principal | null` with `{ optional: true }`).
     */
    authenticate,
    /**
     * A route's handler behind `authenticate()`, as one handler: `app.get('/me',
     * gh.authenticated((c) => c.json({ id: c.get('auth').userId })))` answers exactly as
     * `app.get('/me', gh.authenticate(), handler)` does, without Hono's middleware chain (a few
     * microseconds a request). `c.get('auth')` is a `Principal`; to type the path's params, name
     * the path: `gh.authenticated<'/docs/:id'>((c) => ...)`. For routes with further guards, or an
     * optional principal, use the middleware.
     */
    authenticated,
    /** HTTP Basic against the user store or static credentials; sets `c.get('auth')`. */
    basicAuth: (opts: BasicAuthOptions = {}): MiddlewareHandler<AuthenticatedEnv> =>
      guard((c) => guards.basic(credentials(c), opts)),
    /** After `authenticate`: 403 unless the principal has one of the roles. */
    requireRole: (...roles: string[]): MiddlewareHandler<AuthenticatedEnv> =>
      guard((c) => guards.requireRole(c.get('auth'), roles)),
    /** After `authenticate`: 403 `insufficient_scope` unless every scope was granted. */
    requireScope: (...scopes: string[]): MiddlewareHandler<AuthenticatedEnv> =>
      guard((c) => guards.requireScope(c.get('auth'), scopes)),
    /** After `authenticate`: 403 unless the role (with the configured hierarchy) has every permission. */
    requirePermission: (...permissions: string[]): MiddlewareHandler<AuthenticatedEnv> =>
      guard((c) => guards.requirePermission(c.get('auth'), permissions)),
    /**
     * After `authenticate`: asks the configured policy decider whether the principal may
     * `action` on the resource that `resourceFrom` names; 401 without a principal (then
     * `resourceFrom` is not called), 403 when denied (or 404 with `hideForbidden`).
     * `resourceFrom` gets the context typed with the route's path `P`, so for `'/docs/:id'`
     * `c.req.param('id')` is a `string`. Hono infers `P` only for the last handler of a route;
     * in front of a handler, name the path: `gh.authorize<'/docs/:id'>('viewer', (c) => ...)`.
     */
    authorize: <P extends string = string>(
      action: string,
      resourceFrom: (c: Context<AuthenticatedEnv, P>) => ResourceRef | Promise<ResourceRef>,
    ): MiddlewareHandler<AuthenticatedEnv, P> =>
      guard<AuthenticatedEnv, P>((c) =>
        guards.authorize(c.get('auth'), action, () =>
          resourceFrom(c as unknown as Context<AuthenticatedEnv, P>),
        ),
      ),
    /** The framework-independent parts, for custom wiring. */
    guards,
    authRoutes,
  };
}

export type { AuthenticateOptions, BasicAuthOptions, Principal, ResourceRef };
export { PrincipalMissingError };
