/**
 * How the document's operations are written: one {@link OperationSpec} per route, turned into an
 * OpenAPI operation with its request body (from the route's zod schema), its security
 * requirement and the responses every route of its kind shares.
 *
 * @module
 */
import type { z } from 'zod';
import type { Gatehouse } from '../../gatehouse.js';
import { BODY_ERRORS, jsonSchemaOf, ref, SESSION_ERRORS } from './components.js';
import type {
  JsonSchema,
  OpenApiMethod,
  OpenApiOperation,
  OpenApiParameter,
  OpenApiResponse,
} from './types.js';

/** What the operation builders need to know about the gatehouse being documented. */
export interface DocumentContext {
  readonly gatehouse: Gatehouse;
  readonly cookieMode: boolean;
  /** The body of a started session: tokens, or in cookie mode the cookie summary. */
  readonly session: JsonSchema;
}

/** Who may call a route. */
export type Caller =
  /** anyone (in cookie mode, unsafe methods pass the origin check) */
  | 'anyone'
  /** a signed-in user: an access token of this gatehouse (Bearer, or the cookie with the CSRF header) */
  | 'user'
  /** a registered client: HTTP Basic, or `client_id` (+ `client_secret`) in the body */
  | 'client';

/** One route, as written in the `*-paths.ts` modules. */
export interface OperationSpec {
  /** Path relative to the mount point, exactly as the router matches it. */
  readonly path: string;
  readonly method: OpenApiMethod;
  readonly id: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly caller: Caller;
  /** The zod schema the route's body is validated with or described by. */
  readonly body?: z.ZodType;
  /** Form-encoded first (the OAuth endpoints, RFC 6749 §4); both types are always accepted. */
  readonly formFirst?: boolean;
  readonly parameters?: readonly OpenApiParameter[];
  /** The route's own responses; they override the shared ones {@link toOperation} adds. */
  readonly responses: Readonly<Record<string, OpenApiResponse>>;
}

/** The security requirement of a caller kind (alternatives: any one suffices). */
function securityOf(
  caller: Caller,
  method: OpenApiMethod,
  cookieMode: boolean,
): OpenApiOperation['security'] | undefined {
  if (caller === 'anyone') return undefined;
  if (caller === 'client') return [{ clientBasic: [] }, {}];
  if (!cookieMode) return [{ bearerAuth: [] }];
  return [
    { bearerAuth: [] },
    method === 'post' ? { sessionCookie: [], csrfHeader: [] } : { sessionCookie: [] },
  ];
}

/** An {@link OperationSpec} as an OpenAPI operation. */
export function toOperation(spec: OperationSpec, context: DocumentContext): OpenApiOperation {
  const security = securityOf(spec.caller, spec.method, context.cookieMode);
  const responses: Record<string, OpenApiResponse> = {
    ...(spec.body ? BODY_ERRORS : {}),
    ...(spec.caller === 'user' ? SESSION_ERRORS : {}),
    ...(spec.caller === 'anyone' && context.cookieMode && spec.method === 'post'
      ? { '403': crossSiteRefused }
      : {}),
    '500': { description: 'Unexpected error (`server_error`).', content: errorContent },
    '503': { description: 'A store is unreachable (`store_unavailable`).', content: errorContent },
  };
  for (const [status, response] of Object.entries(spec.responses)) {
    const shared = responses[status];
    responses[status] = shared ? mergeResponses(shared, response) : response;
  }
  const sorted = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
  let requestBody: OpenApiOperation['requestBody'];
  if (spec.body) {
    const schema = jsonSchemaOf(spec.body, 'input');
    const types = spec.formFirst
      ? ['application/x-www-form-urlencoded', 'application/json']
      : ['application/json', 'application/x-www-form-urlencoded'];
    requestBody = { required: true, content: Object.fromEntries(types.map((type) => [type, { schema }])) };
  }
  return {
    operationId: spec.id,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    ...(spec.parameters ? { parameters: spec.parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: sorted,
    ...(security ? { security } : {}),
  };
}

const errorContent = { 'application/json': { schema: ref('Error') } };

const crossSiteRefused: OpenApiResponse = {
  description: 'Cookie mode: a cross-site request (`csrf_failed`).',
  content: errorContent,
};

/** Two answers with one status: both descriptions, either body (`oneOf` when they differ), all headers. */
function mergeResponses(shared: OpenApiResponse, own: OpenApiResponse): OpenApiResponse {
  const a = shared.content?.['application/json']?.schema;
  const b = own.content?.['application/json']?.schema;
  const schema = a && b && JSON.stringify(a) !== JSON.stringify(b) ? { oneOf: [b, a] } : (b ?? a);
  const headers = { ...shared.headers, ...own.headers };
  return {
    description: `${own.description} Also: ${shared.description}`,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(schema ? { content: { 'application/json': { schema } } } : {}),
  };
}
