import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { gatehouseFastify, requireAuth } from '../../../adapters/fastify/index.js';
import {
  BASIC_CREDENTIALS,
  inProcessOrigin,
  principalJson,
  type RunningApp,
  type StartApp,
} from './types.js';

/** The spec's routes on Fastify, ready (not listening). */
export async function fastifyApp(gatehouse: Parameters<StartApp>[0]): Promise<FastifyInstance> {
  const gh = gatehouseFastify(gatehouse);
  const app = Fastify();
  const answer = async (request: FastifyRequest) => principalJson(request.auth);
  await app.register(gh.plugin);
  await app.register(gh.routes, { prefix: '/auth' });
  app.route({
    method: ['GET', 'POST'],
    url: '/generate/text',
    preHandler: [gh.authenticate()],
    handler: answer,
  });
  app.post('/generate/image', { preHandler: [gh.authenticate(), gh.requireRole('ADMIN')] }, answer);
  app.route({
    method: ['GET', 'POST'],
    url: '/admin',
    preHandler: [gh.authenticate(), gh.requireRole('ADMIN')],
    handler: answer,
  });
  app.get('/scoped', { preHandler: [gh.authenticate(), gh.requireScope('read')] }, answer);
  app.get('/optional', { preHandler: [gh.authenticate({ optional: true })] }, answer);
  app.get('/basic', { preHandler: [gh.basicAuth({ credentials: BASIC_CREDENTIALS })] }, answer);
  app.get('/basic-store', { preHandler: [gh.basicAuth()] }, answer);
  app.post('/api/data', { preHandler: [gh.authenticate()] }, answer);
  app.get('/moderate', { preHandler: [gh.authenticate(), gh.requireRole('MODERATOR')] }, answer);
  app.post('/images', { preHandler: [gh.authenticate(), gh.requirePermission('generate_image')] }, answer);
  app.get<{ Params: { id: string } }>(
    '/docs/:id',
    {
      preHandler: [
        gh.authenticate(),
        gh.authorize('viewer', (request) => ({ type: 'doc', id: request.params.id })),
      ],
    },
    answer,
  );
  app.get<{ Params: { org: string; id: string } }>(
    '/orgs/:org/docs/:id',
    {
      preHandler: [
        gh.authenticate(),
        gh.authorize('viewer', (request) => ({
          type: 'doc',
          id: `${request.params.org}/${request.params.id}`,
        })),
      ],
    },
    answer,
  );
  app.get('/whoami', { preHandler: [gh.authenticate()] }, async (request) =>
    principalJson(requireAuth(request)),
  );
  app.get('/unguarded-whoami', async (request) => principalJson(requireAuth(request)));
  app.get('/public', async () => ({ ok: true }));
  await app.ready();
  return app;
}

/** Over real HTTP on 127.0.0.1. */
export const startFastifyApp: StartApp = async (gatehouse) => {
  const app = await fastifyApp(gatehouse);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
};

/**
 * In process, through Fastify's own test tool `app.inject()` (light-my-request). Each request is
 * first built as a web `Request`, so headers and bodies are exactly what `fetch` would send.
 */
export const startFastifyInject: StartApp = async (gatehouse): Promise<RunningApp> => {
  const app = await fastifyApp(gatehouse);
  return {
    url: inProcessOrigin('fastify-inject'),
    client: async (url, init) => {
      const request = new Request(url, init);
      const target = new URL(request.url);
      const headers: Record<string, string> = { host: target.host };
      for (const [name, value] of request.headers) headers[name] = value;
      // As fetch sends them: a stream body chunked, any other with its Content-Length.
      let payload: Buffer | Readable | undefined;
      if (init?.body instanceof ReadableStream && request.body) {
        headers['transfer-encoding'] = 'chunked';
        payload = Readable.fromWeb(request.body as never);
      } else if (request.body) {
        payload = Buffer.from(await request.arrayBuffer());
      }
      const reply = await app.inject({
        method: request.method as 'GET',
        url: `${target.pathname}${target.search}`,
        headers,
        ...(payload === undefined ? {} : { payload }),
      });
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(reply.headers)) {
        if (value === undefined) continue;
        for (const item of Array.isArray(value) ? value : [value]) responseHeaders.append(name, String(item));
      }
      const empty = request.method === 'HEAD' || [101, 204, 205, 304].includes(reply.statusCode);
      return new Response(empty ? null : new Uint8Array(reply.rawPayload), {
        status: reply.statusCode,
        headers: responseHeaders,
      });
    },
    raw: async (url, method, pairs) => {
      const target = new URL(url);
      const headers: Record<string, string | string[]> = { host: target.host };
      for (const [name, value] of pairs) {
        const key = name.toLowerCase();
        const seen = headers[key];
        headers[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
      }
      const reply = await app.inject({
        method: method as 'GET',
        url: `${target.pathname}${target.search}`,
        headers,
      });
      return {
        status: reply.statusCode,
        headers: reply.headers as Record<string, string | string[]>,
        text: reply.payload,
      };
    },
    close: () => app.close(),
  };
};
