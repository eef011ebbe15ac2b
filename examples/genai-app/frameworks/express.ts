/**
 * The core served by Express: gatehouse's auth router under `/auth` (before any body parser) and
 * each core route behind Express middleware guards; the handler gets a web `Request` built from
 * the Node request (its body streamed, not parsed by Express).
 *
 * @module
 */
import type { RequestListener } from 'node:http';
import express, { type RequestHandler } from 'express';
import { gatehouseExpress } from '../../../adapters/express/index.js';
import { requestFromNode } from '../../../src/http/index.js';
import type { Gatehouse } from '../../../src/index.js';
import { type CoreRoute, runRoute } from '../core.js';
import { writeWebResponse } from './node-response.js';

/** A Node request listener serving `routes` and the auth routes with Express. */
export function expressListener(gatehouse: Gatehouse, routes: readonly CoreRoute[]): RequestListener {
  const gh = gatehouseExpress(gatehouse);
  const app = express();
  app.set('strict routing', true);
  app.set('case sensitive routing', true);
  app.disable('x-powered-by');
  app.use(gh.normalizePath());
  app.use('/auth', gh.router());
  for (const route of routes) {
    const guards: RequestHandler[] = [];
    if (route.access !== 'public') guards.push(gh.authenticate() as RequestHandler);
    if (typeof route.access === 'object') guards.push(gh.requireRole(route.access.role) as RequestHandler);
    const handler: RequestHandler = (req, res, next) => {
      const url = new URL(req.originalUrl, `http://${req.get('host') ?? 'localhost'}`).href;
      Promise.resolve(
        runRoute(route, {
          request: requestFromNode(req, url, 'stream'),
          principal: req.auth ?? null,
          params: req.params as Record<string, string>,
        }),
      )
        .then((response) => writeWebResponse(res, response))
        .catch(next);
    };
    const method = route.method.toLowerCase() as 'get' | 'post' | 'delete';
    app[method](route.path, ...guards, handler);
  }
  return app as unknown as RequestListener;
}
