/**
 * Helpers for adapters on Node's `http` module (Express, Fastify): reading guard credentials
 * from an `IncomingMessage`, building a web `Request` for the route handler, and writing a
 * web `Response` or an {@link HttpResult} to a `ServerResponse`. Only `node:` types: no framework.
 *
 * @module
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { RequestCredentials } from './credentials.js';
import type { HttpResult } from './responses.js';

const first = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/**
 * Every header line of a request by lower-case name, duplicates kept. `req.headersDistinct` where
 * Node provides it; otherwise (requests that only look like an `IncomingMessage`, such as
 * light-my-request's behind Fastify's `inject()`) rebuilt from `req.rawHeaders`, or from
 * `req.headers` when even those are missing.
 */
export function distinctHeaders(req: IncomingMessage): Record<string, string[]> {
  const own = (req as Partial<Pick<IncomingMessage, 'headersDistinct'>>).headersDistinct;
  if (own) return own as Record<string, string[]>;
  const result: Record<string, string[]> = Object.create(null);
  const raw: readonly string[] | undefined = req.rawHeaders;
  if (Array.isArray(raw) && raw.length > 0) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = (raw[i] as string).toLowerCase();
      const values = result[name] ?? [];
      values.push(raw[i + 1] as string);
      result[name] = values;
    }
    return result;
  }
  for (const [name, value] of Object.entries(req.headers ?? {})) {
    if (value !== undefined) result[name] = Array.isArray(value) ? [...value] : [String(value)];
  }
  return result;
}

/**
 * Guard credentials from a Node request. Node keeps only the first of duplicate `Authorization`
 * headers in `req.headers`, so all of them are read from `distinctHeaders`: two headers are
 * refused as `invalid_request` (RFC 9110 §5.3: the field is not a list) rather than silently
 * resolved. Several `Cookie` lines are joined with `; ` here too (Node does so in `req.headers`, but
 * a request object that only looks like one, such as `inject()`'s, may not), so that a cookie
 * repeated across lines is seen as repeated.
 */
export function credentialsFromNode(req: IncomingMessage, ip: string | undefined): RequestCredentials {
  const h = req.headers;
  const distinct = distinctHeaders(req);
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    authorization: distinct.authorization,
    // Every `Cookie` line, joined as Node itself joins them, whatever the request object is.
    cookie: distinct.cookie?.join('; '),
    origin: h.origin,
    referer: h.referer,
    secFetchSite: first(h['sec-fetch-site']),
    csrfToken: first(h['x-csrf-token']),
    host: h.host,
    ip,
    userAgent: h['user-agent'],
    header: (name) => distinct[name],
  };
}

/**
 * Every line of the header `name` (lower case), duplicates kept, exactly as
 * `distinctHeaders` has it, but read from `req.rawHeaders` for this one name (no object of
 * every header is built).
 */
function headerLines(req: IncomingMessage, name: string): string[] | undefined {
  const raw: readonly string[] | undefined = req.rawHeaders;
  if (!Array.isArray(raw) || raw.length === 0) return distinctHeaders(req)[name];
  let lines: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const field = raw[i] as string;
    if (field.length !== name.length || field.toLowerCase() !== name) continue;
    if (lines === undefined) lines = [];
    lines.push(raw[i + 1] as string);
  }
  return lines;
}

/**
 * {@link credentialsFromNode}, each header read when a guard first asks for it: a request with a
 * Bearer token reads one header line, and the client IP only when a guard needs it (`ip()`, which
 * may be costly behind a trusted proxy). The same values as {@link credentialsFromNode}. Not
 * spreadable (`{ ...credentials }` copies nothing): pass it as it is.
 */
export class NodeCredentials implements RequestCredentials {
  readonly #req: IncomingMessage;
  readonly #ip: () => string | undefined;

  constructor(req: IncomingMessage, ip: () => string | undefined) {
    this.#req = req;
    this.#ip = ip;
  }

  get method(): string {
    return (this.#req.method ?? 'GET').toUpperCase();
  }
  get authorization(): string[] | undefined {
    return headerLines(this.#req, 'authorization');
  }
  get cookie(): string | undefined {
    return headerLines(this.#req, 'cookie')?.join('; ');
  }
  get origin(): string | undefined {
    return this.#req.headers.origin;
  }
  get referer(): string | undefined {
    return this.#req.headers.referer;
  }
  get secFetchSite(): string | undefined {
    return first(this.#req.headers['sec-fetch-site']);
  }
  get csrfToken(): string | undefined {
    return first(this.#req.headers['x-csrf-token']);
  }
  get host(): string | undefined {
    return this.#req.headers.host;
  }
  get ip(): string | undefined {
    return this.#ip();
  }
  get userAgent(): string | undefined {
    return this.#req.headers['user-agent'];
  }
  header(name: string): string[] | undefined {
    return headerLines(this.#req, name);
  }
}

/** Web `Headers` from Node headers, keeping every duplicate value. */
export function headersFromNode(headers: IncomingHttpHeaders, distinct: Record<string, string[]>): Headers {
  const result = new Headers();
  for (const [name, values] of Object.entries(distinct)) {
    if (name.startsWith(':')) continue;
    for (const value of values) result.append(name, value);
  }
  if (result.get('host') === null && headers.host) result.set('host', headers.host);
  return result;
}

/**
 * A web `Request` for the route handler. `body` is the raw body when the framework has already
 * read it (a `Buffer`), or `undefined` to stream it from `req` itself.
 */
export function requestFromNode(
  req: IncomingMessage,
  url: string,
  body: Uint8Array | string | undefined | 'stream',
): Request {
  const method = (req.method ?? 'GET').toUpperCase();
  const headers = headersFromNode(req.headers, distinctHeaders(req));
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (method !== 'GET' && method !== 'HEAD') {
    if (body === 'stream') {
      init.body = req as unknown as ReadableStream;
      init.duplex = 'half';
    } else if (body !== undefined) {
      init.body = body as BodyInit;
    }
  }
  return new Request(url, init);
}

/** Writes an {@link HttpResult} to a Node response. */
export function sendResult(res: ServerResponse, result: HttpResult): void {
  res.statusCode = result.status;
  for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
  if (result.cookies?.length) res.setHeader('set-cookie', [...result.cookies]);
  if (result.body === undefined) {
    res.end();
    return;
  }
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(result.body));
}

/** Writes a web `Response` to a Node response. */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  const cookies = response.headers.getSetCookie();
  for (const [name, value] of response.headers) if (name !== 'set-cookie') res.setHeader(name, value);
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  res.end(Buffer.from(await response.arrayBuffer()));
}
