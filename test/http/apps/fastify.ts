import Fastify, { type FastifyRequest } from 'fastify';
import { gatehouseFastify } from '../../../adapters/fastify/index.js';
import { BASIC_CREDENTIALS, principalJson, type StartApp } from './types.js';

export const startFastifyApp: StartApp = async (gatehouse) => {
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
  app.get(
    '/docs/:id',
    {
      preHandler: [
        gh.authenticate(),
        gh.authorize('viewer', (request) => ({ type: 'doc', id: (request.params as { id: string }).id })),
      ],
    },
    answer,
  );
  app.get('/public', async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
};
