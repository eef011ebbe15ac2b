/**
 * Reading auth-route request bodies: JSON or `application/x-www-form-urlencoded`, with a hard
 * size limit enforced while reading (not only from `Content-Length`), and strict parsing.
 *
 * @module
 */

/** Why a body was refused; the route answers with the matching status. */
export class BodyError extends Error {
  readonly status: 400 | 413 | 415;
  readonly error: 'invalid_request' | 'payload_too_large' | 'unsupported_media_type';

  constructor(status: 400 | 413 | 415, message: string) {
    super(message);
    this.status = status;
    this.error =
      status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'invalid_request';
  }
}

async function readLimited(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw new BodyError(413, 'Request body too large');
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new BodyError(413, 'Request body too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a request body as a flat record of fields. JSON must be an object; form bodies must not
 * repeat a parameter (RFC 6749 §3.1/§3.2: "parameters MUST NOT be included more than once").
 * An empty body is `{}`. Any other content type is refused with 415.
 */
export async function readBody(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const bytes = await readLimited(request, maxBytes);
  if (bytes.byteLength === 0) return {};
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new BodyError(400, 'Request body is not valid UTF-8');
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new BodyError(400, 'Malformed JSON body');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new BodyError(400, 'JSON body must be an object');
    }
    return value as Record<string, unknown>;
  }
  if (type === 'application/x-www-form-urlencoded') {
    const fields: Record<string, unknown> = Object.create(null);
    for (const [key, value] of new URLSearchParams(text)) {
      if (key in fields) throw new BodyError(400, 'A parameter is repeated');
      fields[key] = value;
    }
    return fields;
  }
  throw new BodyError(415, 'Use application/json or application/x-www-form-urlencoded');
}
