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
 * @example
 * ```ts
 * import express from 'express';
 * import { gatehouseExpress } from 'gatehouse/express';
 *
 * const gh = gatehouseExpress(gatehouse);
 * const app = express();
 * app.use('/auth', gh.router()); // before the body parsers
 * app.use(express.json());
 * app.post('/generate/text', gh.authenticate(), (req, res) => res.json({ user: req.auth?.userId }));
 * app.post('/generate/image', gh.authenticate(), gh.requireRole('ADMIN'), handler);
 * ```
 *
 * @module
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Gatehouse } from '../../src/gatehouse.js';
import {
  type AuthenticateOptions,
  type BasicAuthOptions,
  type GuardOutcome,
  HttpGuards,
  type Principal,
  type ResourceRef,
} from '../../src/http/guards.js';
import { credentialsFromNode, requestFromNode, sendResponse, sendResult } from '../../src/http/node.js';
import { normalizeRequestTarget } from '../../src/http/path.js';
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

  const guard =
    (check: (req: Request) => Promise<GuardOutcome> | GuardOutcome): RequestHandler =>
    async (req, res, next) => {
      let outcome: GuardOutcome;
      try {
        outcome = await check(req);
      } catch (error) {
        fail(res, error);
        return;
      }
      if (!outcome.ok) {
        sendResult(res, outcome.result);
        return;
      }
      req.auth = outcome.principal;
      next();
    };

  const credentials = (req: Request) => credentialsFromNode(req, clientIp(req));

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
    authenticate: (opts: AuthenticateOptions = {}): RequestHandler =>
      guard((req) => guards.authenticate(credentials(req), opts)),
    /** HTTP Basic against the user store or static credentials; sets `req.auth`. */
    basicAuth: (opts: BasicAuthOptions = {}): RequestHandler =>
      guard((req) => guards.basic(credentials(req), opts)),
    /** After `authenticate`: 403 unless the principal has one of the roles. */
    requireRole: (...roles: string[]): RequestHandler => guard((req) => guards.requireRole(req.auth, roles)),
    /** After `authenticate`: 403 `insufficient_scope` unless every scope was granted. */
    requireScope: (...scopes: string[]): RequestHandler =>
      guard((req) => guards.requireScope(req.auth, scopes)),
    /** After `authenticate`: 403 unless the role (with the configured hierarchy) has every permission. */
    requirePermission: (...permissions: string[]): RequestHandler =>
      guard((req) => guards.requirePermission(req.auth, permissions)),
    /**
     * After `authenticate`: asks the configured policy decider whether the principal may
     * `action` on the resource that `resourceFrom` names; 403 (or 404 with `hideForbidden`).
     */
    authorize: (
      action: string,
      resourceFrom: (target: Request) => ResourceRef | Promise<ResourceRef>,
    ): RequestHandler => guard(async (req) => guards.authorize(req.auth, action, await resourceFrom(req))),
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

export type { AuthenticateOptions, BasicAuthOptions, Principal };
