/**
 * The auth routes as an OpenAPI 3.1 document, generated from the same zod schemas that the routes
 * validate their bodies with (`request-bodies.ts`, converted with `z.toJSONSchema`), and shaped by
 * the gatehouse's configuration: routes that are off are left out, the session answers follow
 * cookie or bearer mode, and the security schemes are the ones that instance accepts.
 *
 * @module
 */
import type { Gatehouse } from '../../gatehouse.js';
import { cookieNames } from '../cookie-session.js';
import { accountSpecs, mfaSpecs } from './account-paths.js';
import { componentSchemas, ref } from './components.js';
import { apiKeySpecs, deviceSpecs } from './machine-paths.js';
import { type DocumentContext, toOperation } from './operation.js';
import { providerSpecs } from './provider-paths.js';
import { sessionSpecs } from './session-paths.js';
import type { OpenApiDocument, OpenApiPathItem, OpenApiSecurityScheme } from './types.js';

export type {
  JsonSchema,
  OpenApiDocument,
  OpenApiMediaType,
  OpenApiMethod,
  OpenApiOperation,
  OpenApiParameter,
  OpenApiPathItem,
  OpenApiResponse,
  OpenApiSecurityScheme,
} from './types.js';

/** Options of {@link openApiDocument}. */
export interface OpenApiOptions {
  /** Where the auth routes are mounted, e.g. `/auth`; prefixed to every path. Default `''`. */
  readonly mountPath?: string;
  /** `info.title`. Default `Authentication`. */
  readonly title?: string;
  /** `info.version`: your API's version. Default `1.0.0`. */
  readonly version?: string;
  /** `servers`, e.g. `[{ url: 'https://api.example.com' }]`. Default none (relative to the document). */
  readonly servers?: ReadonlyArray<{ readonly url: string; readonly description?: string }>;
}

const TAGS = [
  { name: 'sessions', description: 'Register, sign in and out, tokens.' },
  { name: 'account', description: 'Email verification, password reset and change, email change, deletion.' },
  { name: 'mfa', description: 'Second factors: TOTP and backup codes.' },
  { name: 'oauth', description: 'Sign in with an identity provider; linked identities.' },
  { name: 'machines', description: 'The device authorization grant (RFC 8628).' },
  { name: 'api-keys', description: 'API keys of the signed-in user.' },
] as const;

/**
 * The OpenAPI 3.1 document of a gatehouse's auth routes, for merging into an application's own
 * API documentation (its `paths`, `components.schemas` and `components.securitySchemes`). It
 * lists exactly the routes this instance answers: providers that are not configured, API keys
 * when `apiKeys.enabled` is false and the JWKS without asymmetric keys are absent; in cookie mode
 * the session answers describe the cookies and signed-in routes take the session cookie with the
 * `X-CSRF-Token` header. Request bodies come from the zod schemas the routes validate with, so
 * the document and the routes cannot drift apart silently (a test sends the same bodies to both).
 *
 * @example
 * ```ts
 * import { openApiDocument } from 'gatehouse/http';
 * const auth = openApiDocument(gatehouse, { mountPath: '/auth', title: 'My API' });
 * const doc = { ...myDoc, paths: { ...myDoc.paths, ...auth.paths } };
 * ```
 */
export function openApiDocument(gatehouse: Gatehouse, options: OpenApiOptions = {}): OpenApiDocument {
  const cookieMode = gatehouse.config.http.cookies.enabled;
  const mountPath = (options.mountPath ?? '').replace(/\/+$/, '');
  const context: DocumentContext = {
    gatehouse,
    cookieMode,
    session: cookieMode ? ref('CookieSession') : ref('TokenResponse'),
  };
  const specs = [
    ...sessionSpecs(context),
    ...accountSpecs(context),
    ...mfaSpecs(context),
    ...providerSpecs(context),
    ...deviceSpecs(),
    ...apiKeySpecs(context),
  ];
  const paths: Record<string, OpenApiPathItem> = {};
  for (const spec of specs) {
    const path = `${mountPath}${spec.path}`;
    paths[path] = { ...paths[path], [spec.method]: toOperation(spec, context) };
  }
  const usedTags = new Set(specs.map((spec) => spec.tag));
  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'Authentication',
      version: options.version ?? '1.0.0',
      description: 'The auth routes of gatehouse.',
    },
    ...(options.servers ? { servers: options.servers } : {}),
    tags: TAGS.filter((tag) => usedTags.has(tag.name)),
    paths,
    components: { schemas: componentSchemas(), securitySchemes: securitySchemes(gatehouse, cookieMode) },
  };
}

/** The security schemes the documented instance accepts. */
function securitySchemes(gatehouse: Gatehouse, cookieMode: boolean): Record<string, OpenApiSecurityScheme> {
  const schemes: Record<string, OpenApiSecurityScheme> = {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'An access token of this gatehouse (RFC 6750).',
    },
    clientBasic: {
      type: 'http',
      scheme: 'basic',
      description:
        'Client authentication at the token and device endpoints: the form-urlencoded client id and secret (RFC 6749 §2.3.1).',
    },
  };
  if (cookieMode) {
    const names = cookieNames(gatehouse.config.http.cookies);
    schemes.sessionCookie = {
      type: 'apiKey',
      in: 'cookie',
      name: names.access,
      description: 'Cookie mode: the `HttpOnly` access-token cookie set by the login routes.',
    };
    schemes.csrfHeader = {
      type: 'apiKey',
      in: 'header',
      name: 'X-CSRF-Token',
      description: `Cookie mode, unsafe methods: the value of the \`${names.csrf}\` cookie (signed double-submit, OWASP CSRF cheat sheet).`,
    };
  }
  return schemes;
}
