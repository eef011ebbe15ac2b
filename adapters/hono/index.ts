/**
 * `gatehouse/hono`: the auth routes as a Hono sub-app and the guards as Hono middleware. Runs on
 * `@hono/node-server` and on any fetch runtime. Translation only: every behaviour is in the core.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { gatehouseHono, type GatehouseEnv } from 'gatehouse/hono';
 *
 * const gh = gatehouseHono(gatehouse);
 * const app = new Hono<GatehouseEnv>();
 * app.route('/auth', gh.routes());
 * app.post('/generate/text', gh.authenticate(), (c) => c.json({ user: c.get('auth')?.userId }));
 * app.post('/generate/image', gh.authenticate(), gh.requireRole('ADMIN'), handler);
 * ```
 *
 * @module
 */
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import type { Gatehouse } from '../../src/gatehouse.js';
import { credentialsFromHeaders } from '../../src/http/credentials.js';
import {
  type AuthenticateOptions,
  type BasicAuthOptions,
  type GuardOutcome,
  HttpGuards,
  type Principal,
  type ResourceRef,
} from '../../src/http/guards.js';
import { toResponse } from '../../src/http/responses.js';
import { AuthRoutes } from '../../src/http/routes.js';

/** Hono environment with the typed `auth` variable: `c.get('auth')` is the principal. */
export interface GatehouseEnv {
  Variables: { auth: Principal | null };
}

/** Options of {@link gatehouseHono}. */
export interface HonoAdapterOptions {
  /** The client IP for a request (behind a proxy, from your trusted-proxy logic). Default: the Node socket address, if any. */
  readonly clientIp?: (c: Context) => string | undefined;
}

type Middleware = MiddlewareHandler<GatehouseEnv>;

function socketAddress(c: Context): string | undefined {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress;
}

/** Binds a gatehouse instance to Hono: `routes()` and the guard middleware. */
export function gatehouseHono(gatehouse: Gatehouse, options: HonoAdapterOptions = {}) {
  const guards = new HttpGuards(gatehouse);
  const authRoutes = new AuthRoutes(gatehouse, guards);
  const clientIp = options.clientIp ?? socketAddress;
  const credentials = (c: Context) => credentialsFromHeaders(c.req.method, c.req.raw.headers, clientIp(c));

  const guard =
    (check: (c: Context<GatehouseEnv>) => Promise<GuardOutcome> | GuardOutcome): Middleware =>
    async (c, next) => {
      const outcome = await check(c);
      if (!outcome.ok) return toResponse(outcome.result);
      c.set('auth', outcome.principal);
      await next();
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
    /** Requires a valid access token (Bearer, or the cookie in cookie mode); sets `c.get('auth')`. */
    authenticate: (opts: AuthenticateOptions = {}): Middleware =>
      guard((c) => guards.authenticate(credentials(c), opts)),
    /** HTTP Basic against the user store or static credentials; sets `c.get('auth')`. */
    basicAuth: (opts: BasicAuthOptions = {}): Middleware => guard((c) => guards.basic(credentials(c), opts)),
    /** After `authenticate`: 403 unless the principal has one of the roles. */
    requireRole: (...roles: string[]): Middleware => guard((c) => guards.requireRole(c.get('auth'), roles)),
    /** After `authenticate`: 403 `insufficient_scope` unless every scope was granted. */
    requireScope: (...scopes: string[]): Middleware =>
      guard((c) => guards.requireScope(c.get('auth'), scopes)),
    /** After `authenticate`: 403 unless the role (with the configured hierarchy) has every permission. */
    requirePermission: (...permissions: string[]): Middleware =>
      guard((c) => guards.requirePermission(c.get('auth'), permissions)),
    /**
     * After `authenticate`: asks the configured policy decider whether the principal may
     * `action` on the resource that `resourceFrom` names; 403 (or 404 with `hideForbidden`).
     */
    authorize: (
      action: string,
      resourceFrom: (target: Context<GatehouseEnv>) => ResourceRef | Promise<ResourceRef>,
    ): Middleware => guard(async (c) => guards.authorize(c.get('auth'), action, await resourceFrom(c))),
    /** The framework-independent parts, for custom wiring. */
    guards,
    authRoutes,
  };
}

export type { AuthenticateOptions, BasicAuthOptions, Principal };
