import type { IncomingMessage } from 'node:http';
import request from 'supertest';
import { expressApp } from './express.js';
import { inProcessOrigin, type RunningApp, type StartApp } from './types.js';

type SupertestResponse = Awaited<ReturnType<ReturnType<typeof request>['get']>>;

/** Sends one request through supertest, keeping the response bytes as they came. */
async function send(
  app: ReturnType<typeof expressApp>,
  method: string,
  url: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body?: Buffer,
): Promise<SupertestResponse> {
  const target = new URL(url);
  const path = `${target.pathname}${target.search}`;
  const agent = request(app);
  const test = agent[method.toLowerCase() as 'get'](path);
  // Raw bytes, whatever the content type: the caller decodes them as fetch would.
  test.buffer(true).parse((res, done) => {
    // superagent hands the node response to a parser; its types call it a superagent Response.
    const stream = res as unknown as IncomingMessage;
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => done(null, Buffer.concat(chunks)));
    stream.on('error', (error) => done(error, Buffer.alloc(0)));
  });
  test.set('host', target.host);
  // Repeated names as one array: node sends each value as a header line of its own.
  const grouped = new Map<string, string[]>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    grouped.set(key, [...(grouped.get(key) ?? []), value]);
  }
  for (const [name, values] of grouped) test.set(name, (values.length === 1 ? values[0] : values) as string);
  // Written as bytes: `send()` would re-serialize a Buffer under a JSON content type.
  if (body !== undefined) {
    test.set('content-length', String(body.length));
    test.write(body);
  }
  return test;
}

/**
 * Express through supertest, the tool Express users test with (it listens on an ephemeral
 * loopback port per request and sends real HTTP). Requests are first built as web `Request`s so
 * headers and bodies are what `fetch` would send; a stream body is sent buffered with its length.
 */
export const startExpressSupertest: StartApp = async (gatehouse): Promise<RunningApp> => {
  const app = expressApp(gatehouse);
  return {
    url: inProcessOrigin('express-supertest'),
    client: async (url, init) => {
      const incoming = new Request(url, init);
      const body = incoming.body ? Buffer.from(await incoming.arrayBuffer()) : undefined;
      const reply = await send(app, incoming.method, incoming.url, [...incoming.headers], body);
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(reply.headers as Record<string, unknown>)) {
        if (value === undefined) continue;
        for (const item of Array.isArray(value) ? value : [value]) responseHeaders.append(name, String(item));
      }
      const empty = incoming.method === 'HEAD' || [101, 204, 205, 304].includes(reply.status);
      return new Response(empty || !Buffer.isBuffer(reply.body) ? null : new Uint8Array(reply.body), {
        status: reply.status,
        headers: responseHeaders,
      });
    },
    raw: async (url, method, pairs) => {
      const reply = await send(app, method, url, pairs);
      return {
        status: reply.status,
        headers: reply.headers as Record<string, string | string[]>,
        // A HEAD answer has no body to parse: superagent leaves `{}` there.
        text: Buffer.isBuffer(reply.body) ? reply.body.toString('utf8') : '',
      };
    },
    close: async () => {},
  };
};
