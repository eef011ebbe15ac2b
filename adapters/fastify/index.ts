/**
 * `gatehouse/fastify`: the auth routes as a Fastify plugin and the guards as hooks (Fastify 5).
 * Translation only: every behaviour is in the core.
 *
 * `plugin` decorates every request with `request.auth` (register it once, at the root); `routes`
 * is an encapsulated plugin that hands the raw body to the auth routes, so your own content-type
 * parsers and limits are untouched. Guards are async hooks, usable as `preHandler` or, to refuse
 * before the body is even read, as `onRequest`. Both work through `app.inject()` as over HTTP.
 *
 * Types: every `FastifyRequest` has `auth: Principal | null` (a module augmentation), and
 * {@link requireAuth} reads it as a `Principal` behind a guard. `authorize`'s callback gets the
 * route's typed request (`request.params` from the route's `Params`).
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { gatehouseFastify, requireAuth } from 'gatehouse/fastify';
 *
 * const gh = gatehouseFastify(gatehouse);
 * const app = Fastify();
 * await app.register(gh.plugin);
 * await app.register(gh.routes, { prefix: '/auth' });
 * app.post('/generate/text', { preHandler: [gh.authenticate()] }, async (request) => ({ user: requireAuth(request).userId }));
 * app.get<{ Params: { id: string } }>('/docs/:id', {
 *   preHandler: [gh.authenticate(), gh.authorize('viewer', (request) => ({ type: 'doc', id: request.params.id }))],
 * }, handler);
 * ```
 *
 * @module gatehouse/fastify
 */
import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  FastifyTypeProvider,
  FastifyTypeProviderDefault,
  HookHandlerDoneFunction,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
} from 'fastify';
import type { Gatehouse } from '../../src/gatehouse.js';
import {
  type AuthenticateOptions,
  type BasicAuthOptions,
  type GuardOutcome,
  HttpGuards,
  type Principal,
  type ResourceRef,
} from '../../src/http/guards.js';
import { NodeCredentials, requestFromNode } from '../../src/http/node.js';
import { PrincipalMissingError, requirePrincipal } from '../../src/http/principal.js';
import { clientError, type HttpResult, serverError } from '../../src/http/responses.js';
import { AuthRoutes } from '../../src/http/routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The principal set by a gatehouse guard (`null` before a guard ran, or for an anonymous optional request). */
    auth: Principal | null;
  }
}

/** Options of {@link gatehouseFastify}. */
export interface FastifyAdapterOptions {
  /** The client IP for a request. Default `request.ip`, which follows Fastify's `trustProxy` setting. */
  readonly clientIp?: (request: FastifyRequest) => string | undefined;
}

/**
 * A guard as a Fastify hook (`preHandler` or `onRequest`); it fits any route. It calls `done` when
 * it decides at once, and otherwise returns a promise (as an async hook does).
 */
export type GatehouseHook = (
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
) => Promise<unknown> | undefined;

/**
 * The request of a route with the given route generic (`{ Params, Querystring, Body, Headers }`),
 * schema and type provider, as Fastify types it for the route's own handler.
 */
export type RouteRequest<
  RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
  SchemaCompiler extends FastifySchema = FastifySchema,
  TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
> = FastifyRequest<RouteGeneric, RawServerDefault, RawRequestDefaultExpression, SchemaCompiler, TypeProvider>;

/**
 * The principal a gatehouse guard set on `request`, typed `Principal` (never `null`). Behind
 * `authenticate()`, `basicAuth()`, `requireRole()` and the other guards that refuse anonymous
 * requests it always returns; without one before the handler (or behind
 * `authenticate({ optional: true })` on an anonymous request) it throws
 * {@link PrincipalMissingError}, which Fastify answers with a 500: the handler never runs as
 * nobody.
 */
export function requireAuth(request: { readonly auth?: Principal | null | undefined }): Principal {
  return requirePrincipal(request.auth);
}

function sendResult(reply: FastifyReply, result: HttpResult): FastifyReply {
  reply.code(result.status).headers(result.headers);
  if (result.cookies?.length) reply.header('set-cookie', [...result.cookies]);
  if (result.body === undefined) return reply.send();
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(result.body));
}

async function sendResponse(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  for (const [name, value] of response.headers) if (name !== 'set-cookie') reply.header(name, value);
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) reply.header('set-cookie', cookies);
  if (response.body === null) return reply.send();
  return reply.send(Buffer.from(await response.arrayBuffer()));
}

/** Binds a gatehouse instance to Fastify: `plugin`, `routes` and the guard hooks. */
export function gatehouseFastify(gatehouse: Gatehouse, options: FastifyAdapterOptions = {}) {
  const guards = new HttpGuards(gatehouse);
  const authRoutes = new AuthRoutes(gatehouse, guards);
  const clientIp = options.clientIp ?? ((request: FastifyRequest) => request.ip);
  const maxBodyBytes = gatehouse.config.http.maxBodyBytes;

  // `skip-override` keeps the decorator out of encapsulation, as `fastify-plugin` would.
  const plugin: FastifyPluginAsync = Object.assign(
    async (fastify: FastifyInstance) => {
      if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', null);
    },
    { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'gatehouse' },
  );

  const routes: FastifyPluginAsync = async (fastify) => {
    const mountPath = fastify.prefix;
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: maxBodyBytes },
      (_request, body, done) => done(null, body),
    );
    fastify.setErrorHandler((error: FastifyError, _request, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return sendResult(reply, clientError(413, 'payload_too_large', 'Request body too large'));
      }
      authRoutes.onError(error);
      return sendResult(reply, serverError());
    });
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const pathname = request.url.split('?', 1)[0] ?? '';
      const path = pathname.startsWith(mountPath) ? pathname.slice(mountPath.length) : undefined;
      const body = Buffer.isBuffer(request.body) ? request.body : undefined;
      let url: string;
      try {
        url = new URL(request.url, `${request.protocol}://${request.host}`).href;
      } catch {
        url = new URL(request.url, 'http://localhost').href;
      }
      const response = await authRoutes.handle(requestFromNode(request.raw, url, body), {
        ...(path === undefined ? {} : { path }),
        mountPath,
        ip: clientIp(request),
      });
      return sendResponse(reply, response);
    };
    fastify.setNotFoundHandler(handler);
    fastify.all('/', { bodyLimit: maxBodyBytes }, handler);
    fastify.all('/*', { bodyLimit: maxBodyBytes }, handler);
  };

  /** Sends a refusal, or sets `request.auth`: `true` when the request goes on. */
  const apply = (request: FastifyRequest, reply: FastifyReply, outcome: GuardOutcome): boolean => {
    if (!outcome.ok) {
      sendResult(reply, outcome.result);
      return false;
    }
    request.auth = outcome.principal;
    return true;
  };

  /**
   * A guard as a hook. A guard that decides without a promise answers in the callback style
   * (`done()`, or a reply sent without it); one that needs a promise returns it, resolved once the
   * request may go on or its reply is sent, as an async hook does.
   */
  const guard =
    (check: (request: FastifyRequest) => Promise<GuardOutcome> | GuardOutcome): GatehouseHook =>
    (request, reply, done) => {
      let outcome: Promise<GuardOutcome> | GuardOutcome;
      try {
        outcome = check(request);
      } catch (error) {
        authRoutes.onError(error);
        sendResult(reply, serverError());
        return undefined;
      }
      if (outcome instanceof Promise) {
        return outcome.then(
          (settled) => (apply(request, reply, settled) ? undefined : reply),
          (error: unknown) => {
            authRoutes.onError(error);
            return sendResult(reply, serverError());
          },
        );
      }
      const goesOn = apply(request, reply, outcome);
      // Called as a plain function (no `done`): answer as an async hook would.
      if (typeof done !== 'function') return Promise.resolve(goesOn ? undefined : reply);
      if (goesOn) done();
      return undefined;
    };

  // Headers are read as the guard asks for them, and `request.ip` only when needed.
  const credentials = (request: FastifyRequest) => new NodeCredentials(request.raw, () => clientIp(request));

  return {
    /** Decorates requests with `auth`; register once at the root: `app.register(gh.plugin)`. */
    plugin,
    /** The auth routes: `app.register(gh.routes, { prefix: '/auth' })`. */
    routes,
    /** Requires a valid access token (Bearer, or the cookie in cookie mode); sets `request.auth`. */
    authenticate: (opts: AuthenticateOptions = {}): GatehouseHook =>
      guard((request) => guards.authenticateMaybeSync(credentials(request), opts)),
    /** HTTP Basic against the user store or static credentials; sets `request.auth`. */
    basicAuth: (opts: BasicAuthOptions = {}): GatehouseHook =>
      guard((request) => guards.basic(credentials(request), opts)),
    /** After `authenticate`: 403 unless the principal has one of the roles. */
    requireRole: (...roles: string[]): GatehouseHook =>
      guard((request) => guards.requireRole(request.auth, roles)),
    /** After `authenticate`: 403 `insufficient_scope` unless every scope was granted. */
    requireScope: (...scopes: string[]): GatehouseHook =>
      guard((request) => guards.requireScope(request.auth, scopes)),
    /** After `authenticate`: 403 unless the role (with the configured hierarchy) has every permission. */
    requirePermission: (...permissions: string[]): GatehouseHook =>
      guard((request) => guards.requirePermission(request.auth, permissions)),
    /**
     * After `authenticate`: asks the configured policy decider whether the principal may
     * `action` on the resource that `resourceFrom` names; 401 without a principal (then
     * `resourceFrom` is not called), 403 when denied (or 404 with `hideForbidden`).
     * `resourceFrom` gets the route's typed request: on
     * `app.get<{ Params: { id: string } }>('/docs/:id', ...)`, `request.params.id` is a `string`
     * (the route generic, schema and type provider are inferred from the route).
     */
    authorize: <
      RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
      SchemaCompiler extends FastifySchema = FastifySchema,
      TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
    >(
      action: string,
      resourceFrom: (
        request: RouteRequest<RouteGeneric, SchemaCompiler, TypeProvider>,
      ) => ResourceRef | Promise<ResourceRef>,
    ): ((
      request: RouteRequest<RouteGeneric, SchemaCompiler, TypeProvider>,
      reply: FastifyReply,
      done: HookHandlerDoneFunction,
    ) => Promise<unknown> | undefined) =>
      guard((request) =>
        guards.authorize(request.auth, action, () =>
          resourceFrom(request as RouteRequest<RouteGeneric, SchemaCompiler, TypeProvider>),
        ),
      ),
    /** The framework-independent parts, for custom wiring. */
    guards,
    authRoutes,
  };
}

export type { AuthenticateOptions, BasicAuthOptions, Principal, ResourceRef };
export { PrincipalMissingError };
