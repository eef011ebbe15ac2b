/**
 * `gatehouse/express`: the auth routes as an Express router and the guards as Express middleware
 * (Express 5). Translation only: every behaviour is in the core.
 *
 * Mount the router **before** any app-wide body parser (`express.json()`, `express.urlencoded()`):
 * the auth routes then read the raw body themselves, with their own size limit and error shapes.
 * If a parser has already consumed the body, the router rebuilds it from `req.body` (JSON
 * re-serialized, forms re-encoded, a `Buffer` or string as is), but a body that parser refuses
 * (malformed JSON, over its own limit) is answered by your error handler, not by gatehouse.
 *
 * Types: every `Request` has `auth?: Principal | null` (a global augmentation), and
 * {@link requireAuth} reads it as a `Principal` behind a guard. The guards are generic over the
 * route, so `req.params` stays typed from the path in your handlers and in `authorize`'s callback.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { gatehouseExpress, requireAuth } from 'gatehouse/express';
 *
 * const gh = gatehouseExpress(gatehouse);
 * const app = express();
 * app.use('/auth', gh.router()); // before the body parsers
 * app.use(express.json());
 * app.post('/generate/text', gh.authenticate(), (req, res) => res.json({ user: requireAuth(req).userId }));
 * app.get('/docs/:id', gh.authenticate(), gh.authorize('viewer', (req) => ({ type: 'doc', id: req.params.id })), handler);
 * ```
 *
 * @module gatehouse/express
 */
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import type { Gatehouse } from '../../src/gatehouse.js';
import {
  type AuthenticateOptions,
  type BasicAuthOptions,
  type GuardOutcome,
  HttpGuards,
  type Principal,
  type ResourceRef,
} from '../../src/http/guards.js';
import { NodeCredentials, requestFromNode, sendResponse, sendResult } from '../../src/http/node.js';
import { normalizeRequestTarget } from '../../src/http/path.js';
import { PrincipalMissingError, requirePrincipal } from '../../src/http/principal.js';
import { serverError } from '../../src/http/responses.js';
import { AuthRoutes } from '../../src/http/routes.js';

declare global {
  namespace Express {
    interface Request {
      /** The principal set by a gatehouse guard (`null` for an anonymous request through an optional guard). */
      auth?: Principal | null;
    }
  }
}

/**
 * A gatehouse guard as Express middleware. Generic over the route's params, bodies, query and
 * locals, so it fits any route without fixing its types: the handlers after it keep `req.params`
 * typed from the path.
 */
export type GuardHandler = <
  P = Request['params'],
  ResBody = unknown,
  ReqBody = unknown,
  ReqQuery = Request['query'],
  // biome-ignore lint/suspicious/noExplicitAny: Express's own constraint on locals
  Locals extends Record<string, any> = Record<string, any>,
>(
  req: Request<P, ResBody, ReqBody, ReqQuery, Locals>,
  res: Response<ResBody, Locals>,
  next: NextFunction,
) => Promise<void> | undefined;

/**
 * The principal a gatehouse guard set on `req`, typed `Principal` (never `null`). Behind
 * `authenticate()`, `basicAuth()`, `requireRole()` and the other guards that refuse anonymous
 * requests it always returns; without one before the handler (or behind
 * `authenticate({ optional: true })` on an anonymous request) it throws
 * {@link PrincipalMissingError}, which Express answers with a 500: the handler never runs as
 * nobody.
 */
export function requireAuth(req: { readonly auth?: Principal | null | undefined }): Principal {
  return requirePrincipal(req.auth);
}

/** Options of {@link gatehouseExpress}. */
export interface ExpressAdapterOptions {
  /** The client IP for a request. Default `req.ip`, which follows Express's `trust proxy` setting. */
  readonly clientIp?: (req: Request) => string | undefined;
}

/** The body a parser already read, back as bytes or text for the route handler. */
function parsedBody(req: Request): Uint8Array | string | 'stream' {
  const body: unknown = req.body;
  if (body === undefined && (req as { _body?: unknown })._body !== true) return 'stream';
  if (body === undefined || body === null) return '';
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return JSON.stringify(body);
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    for (const item of Array.isArray(value) ? value : [value]) form.append(name, String(item));
  }
  return form.toString();
}

/** Binds a gatehouse instance to Express: `router()` and the guard middleware. */
export function gatehouseExpress(gatehouse: Gatehouse, options: ExpressAdapterOptions = {}) {
  const guards = new HttpGuards(gatehouse);
  const authRoutes = new AuthRoutes(gatehouse, guards);
  const clientIp = options.clientIp ?? ((req: Request) => req.ip);

  const fail = (res: Response, error: unknown): void => {
    authRoutes.onError(error);
    if (res.headersSent) res.destroy();
    else sendResult(res, serverError());
  };

  const proceed = (req: Request, res: Response, next: NextFunction, outcome: GuardOutcome): void => {
    if (!outcome.ok) {
      sendResult(res, outcome.result);
      return;
    }
    req.auth = outcome.principal;
    next();
  };

  /** A guard as middleware. A guard that decides without a promise calls `next()` at once. */
  const guard = (check: (req: Request) => Promise<GuardOutcome> | GuardOutcome): GuardHandler => {
    const middleware = (req: Request, res: Response, next: NextFunction): Promise<void> | undefined => {
      let outcome: Promise<GuardOutcome> | GuardOutcome;
      try {
        outcome = check(req);
      } catch (error) {
        fail(res, error);
        return undefined;
      }
      if (!(outcome instanceof Promise)) {
        proceed(req, res, next, outcome);
        return undefined;
      }
      return outcome.then(
        (settled) => proceed(req, res, next, settled),
        (error: unknown) => fail(res, error),
      );
    };
    // Sound for every route: the middleware reads only headers and the socket, and sets `req.auth`.
    return middleware as GuardHandler;
  };

  // Headers are read as the guard asks for them, and `req.ip` (trust-proxy logic) only when needed.
  const credentials = (req: Request) => new NodeCredentials(req, () => clientIp(req));

  return {
    /** The auth routes as a router; mount it with `app.use('/auth', gh.router())`, before body parsers. */
    router(): Router {
      const router = express.Router();
      router.use(async (req, res) => {
        try {
          const host = req.get('host') ?? 'localhost';
          let url: URL;
          try {
            url = new URL(req.originalUrl, `${req.protocol}://${host}`);
          } catch {
            url = new URL(req.originalUrl, 'http://localhost');
          }
          const ip = clientIp(req);
          const request = requestFromNode(req, url.href, parsedBody(req));
          const response = await authRoutes.handle(request, { path: req.path, mountPath: req.baseUrl, ip });
          await sendResponse(res, response);
        } catch (error) {
          fail(res, error);
        }
      });
      return router;
    },
    /** Requires a valid access token (Bearer, or the cookie in cookie mode); sets `req.auth`. */
    authenticate: (opts: AuthenticateOptions = {}): GuardHandler =>
      guard((req) => guards.authenticateMaybeSync(credentials(req), opts)),
    /** HTTP Basic against the user store or static credentials; sets `req.auth`. */
    basicAuth: (opts: BasicAuthOptions = {}): GuardHandler =>
      guard((req) => guards.basic(credentials(req), opts)),
    /** After `authenticate`: 403 unless the principal has one of the roles. */
    requireRole: (...roles: string[]): GuardHandler => guard((req) => guards.requireRole(req.auth, roles)),
    /** After `authenticate`: 403 `insufficient_scope` unless every scope was granted. */
    requireScope: (...scopes: string[]): GuardHandler =>
      guard((req) => guards.requireScope(req.auth, scopes)),
    /** After `authenticate`: 403 unless the role (with the configured hierarchy) has every permission. */
    requirePermission: (...permissions: string[]): GuardHandler =>
      guard((req) => guards.requirePermission(req.auth, permissions)),
    /**
     * After `authenticate`: asks the configured policy decider whether the principal may
     * `action` on the resource that `resourceFrom` names; 401 without a principal (then
     * `resourceFrom` is not called), 403 when denied (or 404 with `hideForbidden`).
     * `resourceFrom` gets the route's typed request: in
     * `app.get('/docs/:id', gh.authenticate(), gh.authorize(...), handler)`, `req.params.id` is a
     * `string`. `P` is inferred from the path behind another guard (where `authorize` belongs);
     * first in line or under `use`, name it: `gh.authorize<{ id: string }>(...)`.
     */
    authorize: <P = Request['params']>(
      action: string,
      resourceFrom: (req: Request<P>) => ResourceRef | Promise<ResourceRef>,
    ): RequestHandler<P> =>
      guard((req) => guards.authorize(req.auth, action, () => resourceFrom(req as unknown as Request<P>))),
    /**
     * App-wide middleware, first in line: decodes percent-encoded unreserved characters in the
     * path, so Express routes `/%61dmin` to the `/admin` route and its guards like Hono and
     * Fastify do. Pair it with `app.set('strict routing', true)` and
     * `app.set('case sensitive routing', true)` for the same matching as those frameworks.
     */
    normalizePath: (): RequestHandler => (req, _res, next) => {
      req.url = normalizeRequestTarget(req.url);
      next();
    },
    /** The framework-independent parts, for custom wiring. */
    guards,
    authRoutes,
  };
}

export type { AuthenticateOptions, BasicAuthOptions, Principal, ResourceRef };
export { PrincipalMissingError };
