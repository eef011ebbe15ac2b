/**
 * `gatehouse/http`: the framework-agnostic HTTP layer, for an adapter to a framework gatehouse
 * ships none for (Koa, NestJS, a bare `node:http` server). The Express, Fastify and Hono adapters
 * are built from these parts alone, each a few dozen lines that translate:
 *
 * - the auth routes are one fetch handler, {@link AuthRoutes} (`Request` -> `Response`); Node's
 *   `IncomingMessage` / `ServerResponse` convert with {@link requestFromNode} / {@link sendResponse};
 * - the guards ({@link HttpGuards}) read only the request's credentials
 *   ({@link credentialsFromHeaders}, {@link credentialsFromNode}) and answer a principal or a
 *   ready-made refusal (an {@link HttpResult}: RFC 6750 / RFC 6749 errors), sent with
 *   {@link sendResult} or {@link toResponse};
 * - {@link openApiDocument} describes the auth routes as OpenAPI 3.1, from the same zod schemas
 *   the routes validate their bodies with, for merging into the application's API docs;
 * - {@link normalizeRequestTarget} gives the path a guard or a route table should see (percent-
 *   decoding of unreserved characters, dot segments), so `/%61dmin` cannot slip past `/admin`.
 *
 * @module gatehouse/http
 */
export { credentialsFromHeaders, type RequestCredentials } from './credentials.js';
export {
  type AuthenticateOptions,
  type BasicAuthOptions,
  type BasicCredentials,
  type GuardOutcome,
  HttpGuards,
  type Principal,
  type ResourceRef,
} from './guards.js';
export { credentialsFromNode, requestFromNode, sendResponse, sendResult } from './node.js';
export {
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiMediaType,
  type OpenApiMethod,
  type OpenApiOperation,
  type OpenApiOptions,
  type OpenApiParameter,
  type OpenApiPathItem,
  type OpenApiResponse,
  type OpenApiSecurityScheme,
  openApiDocument,
} from './openapi/index.js';
export { normalizeRequestTarget } from './path.js';
export { PrincipalMissingError, requirePrincipal } from './principal.js';
export { type HttpResult, serverError, toResponse } from './responses.js';
export { AuthRoutes, type RouteRequestOptions } from './routes.js';
