/**
 * Writing the core's web `Response` to Node's `ServerResponse` as it comes, chunk by chunk, so a
 * Server-Sent Events stream reaches the browser while it is generated (Express and Fastify).
 *
 * @module
 */
import type { ServerResponse } from 'node:http';

/** Streams `response` (status, headers, cookies, body) into `res`. */
export async function writeWebResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) if (name !== 'set-cookie') res.setHeader(name, value);
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  if (!response.body) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  res.once('close', () => void reader.cancel().catch(() => undefined));
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    res.write(value);
  }
  res.end();
}
