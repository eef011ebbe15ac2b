import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type GatehouseEnv, gatehouseHono } from '../../../adapters/hono/index.js';
import { BASIC_CREDENTIALS, principalJson, type StartApp } from './types.js';

export const startHonoApp: StartApp = (gatehouse) => {
  const gh = gatehouseHono(gatehouse);
  const app = new Hono<GatehouseEnv>();
  const answer = (c: { get: (k: 'auth') => unknown; json: (v: object) => Response }) =>
    c.json(principalJson(c.get('auth') as never));
  app.route('/auth', gh.routes());
  app.on(['GET', 'POST'], '/generate/text', gh.authenticate(), (c) => answer(c));
  app.post('/generate/image', gh.authenticate(), gh.requireRole('ADMIN'), (c) => answer(c));
  app.on(['GET', 'POST'], '/admin', gh.authenticate(), gh.requireRole('ADMIN'), (c) => answer(c));
  app.get('/scoped', gh.authenticate(), gh.requireScope('read'), (c) => answer(c));
  app.get('/optional', gh.authenticate({ optional: true }), (c) => answer(c));
  app.get('/basic', gh.basicAuth({ credentials: BASIC_CREDENTIALS }), (c) => answer(c));
  app.get('/basic-store', gh.basicAuth(), (c) => answer(c));
  app.post('/api/data', gh.authenticate(), (c) => answer(c));
  app.get('/moderate', gh.authenticate(), gh.requireRole('MODERATOR'), (c) => answer(c));
  app.post('/images', gh.authenticate(), gh.requirePermission('generate_image'), (c) => answer(c));
  app.get(
    '/docs/:id',
    gh.authenticate(),
    gh.authorize('viewer', (c) => ({ type: 'doc', id: c.req.param('id') ?? '' })),
    (c) => answer(c),
  );
  app.get('/public', (c) => c.json({ ok: true }));
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
};
