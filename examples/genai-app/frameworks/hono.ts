/**
 * The core served by Hono (the default): gatehouse's auth routes under `/auth`
 * (`gatehouseHono(...).routes()`) and each core route behind Hono middleware guards.
 *
 * @module
 */
import type { RequestListener } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { type GatehouseEnv, gatehouseHono } from '../../../adapters/hono/index.js';
import type { Gatehouse } from '../../../src/index.js';
import { type CoreRoute, runRoute } from '../core.js';

/** A Node request listener serving `routes` and the auth routes with Hono. */
export function honoListener(gatehouse: Gatehouse, routes: readonly CoreRoute[]): RequestListener {
  const gh = gatehouseHono(gatehouse);
  const app = new Hono<GatehouseEnv>();
  app.route('/auth', gh.routes());
  for (const route of routes) {
    // The guards only narrow what `c.get('auth')` is typed as; the handler reads it either way.
    const guards = [] as MiddlewareHandler<GatehouseEnv>[];
    if (route.access !== 'public')
      guards.push(gh.authenticate() as unknown as MiddlewareHandler<GatehouseEnv>);
    if (typeof route.access === 'object') {
      guards.push(gh.requireRole(route.access.role) as unknown as MiddlewareHandler<GatehouseEnv>);
    }
    app.on([route.method], [route.path], ...guards, (c) =>
      runRoute(route, { request: c.req.raw, principal: c.get('auth') ?? null, params: c.req.param() }),
    );
  }
  return getRequestListener(app.fetch);
}
