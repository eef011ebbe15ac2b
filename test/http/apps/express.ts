import type { AddressInfo } from 'node:net';
import express, { type Response } from 'express';
import { gatehouseExpress, type Principal, requireAuth } from '../../../adapters/express/index.js';
import { BASIC_CREDENTIALS, principalJson, type StartApp } from './types.js';

/** The spec's routes on Express; `parseFirst` puts an app-wide `express.json()` before the auth router. */
export function expressApp(gatehouse: Parameters<StartApp>[0], options: { parseFirst?: boolean } = {}) {
  const gh = gatehouseExpress(gatehouse);
  const app = express();
  // Match routes like Hono and Fastify do by default: `/ADMIN` and `/admin/` are other routes.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.use(gh.normalizePath());
  // Typed by what it reads, not as `Request`: a handler typed `Request` would fix the route's params.
  const answer = (req: { auth?: Principal | null }, res: Response) => {
    res.json(principalJson(req.auth));
  };
  if (options.parseFirst) app.use(express.json(), express.urlencoded());
  app.use('/auth', gh.router());
  if (!options.parseFirst) app.use(express.json());
  app.route('/generate/text').get(gh.authenticate(), answer).post(gh.authenticate(), answer);
  app.post('/generate/image', gh.authenticate(), gh.requireRole('ADMIN'), answer);
  app.route('/admin').all(gh.authenticate(), gh.requireRole('ADMIN')).get(answer).post(answer);
  app.get('/scoped', gh.authenticate(), gh.requireScope('read'), answer);
  app.get('/optional', gh.authenticate({ optional: true }), answer);
  app.get('/basic', gh.basicAuth({ credentials: BASIC_CREDENTIALS }), answer);
  app.get('/basic-store', gh.basicAuth(), answer);
  app.post('/api/data', gh.authenticate(), answer);
  app.get('/moderate', gh.authenticate(), gh.requireRole('MODERATOR'), answer);
  app.post('/images', gh.authenticate(), gh.requirePermission('generate_image'), answer);
  // `req.params` is typed from the route path, inside `authorize` as in the handler.
  app.get(
    '/docs/:id',
    gh.authenticate(),
    gh.authorize('viewer', (req) => ({ type: 'doc', id: req.params.id })),
    answer,
  );
  app.get(
    '/orgs/:org/docs/:id',
    gh.authenticate(),
    gh.authorize('viewer', (req) => ({ type: 'doc', id: `${req.params.org}/${req.params.id}` })),
    answer,
  );
  app.get('/whoami', gh.authenticate(), (req, res) => {
    res.json(principalJson(requireAuth(req)));
  });
  app.get('/unguarded-whoami', (req, res) => {
    res.json(principalJson(requireAuth(req)));
  });
  app.get('/public', (_req, res) => {
    res.json({ ok: true });
  });
  return app;
}

export function listen(app: ReturnType<typeof express>): ReturnType<StartApp> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', (error?: Error) => {
      if (error) return reject(error);
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

export const startExpressApp: StartApp = (gatehouse) => listen(expressApp(gatehouse));
