/**
 * The application core, the same whichever framework serves it: a table of routes, each a web
 * `Request` (plus the principal gatehouse's guard found) to a web `Response`. `frameworks/*.ts`
 * mount the table in Hono, Express or Fastify, putting gatehouse's native guards in front of each
 * route as its `access` says; object-level checks (ReBAC, ABAC) happen inside the handlers through
 * the framework-independent `HttpGuards`, so they answer exactly alike everywhere.
 *
 * @module
 */

import { type HttpGuards, requirePrincipal } from '../../src/http/index.js';
import type { Gatehouse, MemoryMailer, Principal } from '../../src/index.js';
import type { AppData } from './app-data.js';

/** Which native guards run before a route: none, `authenticate()`, or `authenticate()` + `requireRole()`. */
export type RouteAccess = 'public' | 'signed-in' | { readonly role: string };

/** A request as the core sees it. */
export interface CoreRequest {
  readonly request: Request;
  /** Set on `signed-in` and role routes (the guard refused anonymous requests before). */
  readonly principal: Principal | null;
  readonly params: Readonly<Record<string, string>>;
}

/** One route of the core. */
export interface CoreRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** `/conversations/:id` style: the same syntax in the three frameworks. */
  readonly path: string;
  readonly access: RouteAccess;
  readonly handle: (request: CoreRequest) => Promise<Response> | Response;
}

/** What the handlers work with. */
export interface CoreContext {
  readonly gatehouse: Gatehouse;
  readonly guards: HttpGuards;
  readonly data: AppData;
  /** The reverse queries ("which conversations may I read?"). */
  readonly lister: {
    listResources(request: {
      subject: { type: string; id: string };
      action: string;
      type: string;
      pageSize?: number;
    }): Promise<{ resources: { id: string }[] }>;
  };
  /** The development outbox; `undefined` with a real mailer. */
  readonly outbox: MemoryMailer | undefined;
}

const MAX_TEXT = 4000;

/** A JSON response, never cached. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/** 400 `invalid_request` with a message. */
export const invalid = (message: string): Response => json(400, { error: 'invalid_request', message });

/** Bodies larger than this are refused with 413, by every framework alike. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Thrown by {@link readFields} for a body over {@link MAX_BODY_BYTES}; {@link runRoute} answers 413. */
export class BodyTooLargeError extends Error {}

/** The answer to a body over the limit. */
export const payloadTooLarge = (): Response =>
  json(413, { error: 'payload_too_large', message: 'Request body too large' });

/** Runs a route's handler, answering 413 for a body over the limit. */
export async function runRoute(route: CoreRoute, request: CoreRequest): Promise<Response> {
  try {
    return await route.handle(request);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return payloadTooLarge();
    throw error;
  }
}

async function readCapped(request: Request): Promise<string | undefined> {
  if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) throw new BodyTooLargeError();
  if (!request.body) return undefined;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new BodyTooLargeError();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The body's fields, or `{}` when it is not a JSON object; throws {@link BodyTooLargeError}. */
export async function readFields(request: Request): Promise<Record<string, unknown>> {
  const text = await readCapped(request);
  let body: unknown;
  try {
    body = text === undefined ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

/** A non-empty string field of at most `max` characters, or `undefined`. */
export function text(fields: Record<string, unknown>, name: string, max = MAX_TEXT): string | undefined {
  const value = fields[name];
  return typeof value === 'string' && value.trim() !== '' && value.length <= max ? value : undefined;
}

/** The principal of a guarded route (the guard set it); gatehouse's `requirePrincipal` fails closed without one. */
export function principalOf(request: CoreRequest): Principal {
  return requirePrincipal(request.principal);
}
