/**
 * The HTTP side of the AuthZEN decision service: the request schemas (strict: unknown members are
 * refused), JSON responses and errors, a streamed size-limited JSON body reader, and the mapping
 * of an AuthZEN evaluation to a `check` request. See `decision-service.ts`.
 *
 * @module
 */

import { z } from 'zod';
import { MAX_ID_LENGTH } from './relationship-store.js';

const properties = z.record(z.string(), z.unknown());
const entity = z.strictObject({
  type: z.string().min(1).max(64),
  id: z.string().min(1).max(MAX_ID_LENGTH),
  properties: properties.optional(),
});
const action = z.strictObject({ name: z.string().min(1).max(64), properties: properties.optional() });
/** One AuthZEN evaluation: subject, action, resource (ids bounded), optional context. */
export const evaluationSchema = z.strictObject({
  subject: entity,
  action,
  resource: entity,
  context: properties.optional(),
});
const partialEvaluation = evaluationSchema.partial();
/** An `evaluations` request: defaults plus per-item overrides, and the evaluation semantic. */
export const evaluationsSchema = partialEvaluation.extend({
  evaluations: z.array(partialEvaluation).optional(),
  options: z
    .looseObject({
      evaluations_semantic: z
        .enum(['execute_all', 'deny_on_first_deny', 'permit_on_first_permit'])
        .optional(),
    })
    .optional(),
});
/** An action search: subject and resource, paged. */
export const actionSearchSchema = z.strictObject({
  subject: entity,
  resource: entity,
  action: action.optional(),
  context: properties.optional(),
  page: z.looseObject({}).optional(),
});

const typeOnly = z.strictObject({ type: z.string().min(1).max(64) });
/** AuthZEN paging: `limit` and the opaque `token`. */
export const page = z
  .strictObject({
    token: z.string().max(4096).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .optional();
/** A subject search: a subject type, an action and a resource, paged. */
export const subjectSearchSchema = z.strictObject({
  subject: typeOnly,
  action,
  resource: entity,
  context: properties.optional(),
  page,
});
/** A resource search: a subject, an action and a resource type, paged. */
export const resourceSearchSchema = z.strictObject({
  subject: entity,
  action,
  resource: typeOnly,
  context: properties.optional(),
  page,
});

/** A parsed evaluation. */
export type Evaluation = z.infer<typeof evaluationSchema>;
/** A parsed page request. */
export type Page = z.infer<typeof page>;

/** Machine-readable members of an error body: the engine's stable `code`, the `parameters` concerned. */
export interface ErrorDetails {
  readonly code?: string;
  readonly parameters?: readonly string[];
}

/**
 * An error answered as `{ error, error_description, code?, parameters? }` with `status`; never
 * carries property or context values. `details` come from a refused list query: its stable code
 * and the condition inputs it lacks (`context.ip`).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly details: ErrorDetails = {},
  ) {
    super(description);
  }
}

/**
 * An engine message made fit for an error body or a per-item error: control and line-separator
 * characters replaced, at most 200 characters. Engine messages name types, relations and
 * parameters, never attribute or context values.
 */
export function safeMessage(message: string): string {
  let out = '';
  for (const ch of String(message).slice(0, 200)) {
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 ? ' ' : ch;
  }
  return out;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

/** A JSON response, never cached. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

/** The response of an {@link HttpError}: `WWW-Authenticate` on 401, `Allow` on 405. */
export function errorResponse(e: HttpError): Response {
  const extra: Record<string, string> =
    e.status === 401 ? { 'www-authenticate': 'Bearer' } : e.status === 405 ? { allow: e.description } : {};
  const description = e.status === 405 ? `method not allowed; use ${e.description}` : e.description;
  const { code, parameters } = e.details;
  const body = {
    error: e.error,
    error_description: description,
    ...(code ? { code } : {}),
    ...(parameters && parameters.length > 0 ? { parameters: parameters.slice(0, 20).map(safeMessage) } : {}),
  };
  return json(e.status, body, extra);
}

/** Reads the body as JSON: content type, size limit (streamed, so a lying Content-Length cannot bypass it). */
export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, 'invalid_request', 'Content-Type must be application/json');
  }
  const tooLarge = () => new HttpError(413, 'invalid_request', `request body exceeds ${maxBytes} bytes`);
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError(400, 'invalid_request', 'request body is not valid JSON');
  }
}

/** Parses with `schema` or throws a 400 naming paths and messages only (never the values sent). */
export function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  // Paths and messages only: never the values sent.
  const issues = r.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  throw new HttpError(400, 'invalid_request', `invalid request: ${issues}`);
}
