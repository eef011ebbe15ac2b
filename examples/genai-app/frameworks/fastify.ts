/**
 * The core served by Fastify: gatehouse's plugin (decorates `request.auth`), its auth routes under
 * `/auth`, and each core route with gatehouse's guards as `onRequest` hooks (refused before the
 * body is read). Bodies reach the core's handlers unparsed, as a web `Request`.
 *
 * @module
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import Fastify from 'fastify';
import { type GatehouseHook, gatehouseFastify } from '../../../adapters/fastify/index.js';
import { requestFromNode } from '../../../src/http/index.js';
import type { Gatehouse } from '../../../src/index.js';
import { type CoreRoute, MAX_BODY_BYTES, payloadTooLarge, runRoute } from '../core.js';
import { writeWebResponse } from './node-response.js';

/** A Node request listener serving `routes` and the auth routes with Fastify. */
export async function fastifyListener(
  gatehouse: Gatehouse,
  routes: readonly CoreRoute[],
): Promise<RequestListener> {
  let listener: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const app = Fastify({
    serverFactory: (handler) => {
      listener = handler;
      return createServer();
    },
  });
  const gh = gatehouseFastify(gatehouse);
  await app.register(gh.plugin);
  await app.register(gh.routes, { prefix: '/auth' });
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES },
      (_request, body, done) => done(null, body),
    );
    // Fastify refuses an oversized body itself; answer it as the core does.
    scope.setErrorHandler(async (error: { code?: string }, _request, reply) => {
      if (error.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw error;
      reply.hijack();
      await writeWebResponse(reply.raw, payloadTooLarge());
    });
    for (const route of routes) {
      const onRequest: GatehouseHook[] = [];
      if (route.access !== 'public') onRequest.push(gh.authenticate());
      if (typeof route.access === 'object') onRequest.push(gh.requireRole(route.access.role));
      scope.route({
        method: route.method,
        url: route.path,
        onRequest,
        handler: async (request, reply) => {
          const url = new URL(request.url, `http://${request.host || 'localhost'}`).href;
          const body = Buffer.isBuffer(request.body) ? request.body : undefined;
          const response = await runRoute(route, {
            request: requestFromNode(request.raw, url, body),
            principal: request.auth,
            params: request.params as Record<string, string>,
          });
          reply.hijack();
          await writeWebResponse(reply.raw, response);
        },
      });
    }
  });
  await app.ready();
  if (!listener) throw new Error('Fastify did not create its server');
  return listener;
}
