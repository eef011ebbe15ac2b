export { BodyError, readBody } from './body.js';
export {
  type CookieNames,
  type CookieSettings,
  clearedSessionCookies,
  cookieNames,
  csrfTokenFor,
  csrfTokenValid,
  isSafeMethod,
  originAllowed,
  refreshCookiePath,
  sessionCookies,
} from './cookie-session.js';
export {
  type AuthorizationHeader,
  credentialsFromHeaders,
  decodeBasicCredentials,
  parseAuthorization,
  parseCookies,
  type RequestCredentials,
} from './credentials.js';
export {
  type AuthenticateOptions,
  type BasicAuthOptions,
  type BasicCredentials,
  type GuardOutcome,
  HttpGuards,
  type Principal,
  type ResourceRef,
} from './guards.js';
export { credentialsFromNode, headersFromNode, requestFromNode, sendResponse, sendResult } from './node.js';
export { normalizeRequestTarget } from './path.js';
export {
  type BearerError,
  bearerChallenge,
  bearerErrorResult,
  errorName,
  flowErrorResult,
  forbiddenResult,
  type HttpResult,
  jsonResult,
  NO_STORE_HEADERS,
  rateLimitedResult,
  serverError,
  type TokenEndpointError,
  tokenEndpointError,
  tokenEndpointErrorResult,
  toResponse,
} from './responses.js';
export { AuthRoutes, type RouteRequestOptions } from './routes.js';
