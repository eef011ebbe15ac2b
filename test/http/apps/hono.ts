import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type GatehouseEnv, gatehouseHono, requireAuth } from '../../../adapters/hono/index.js';
import {
  BASIC_CREDENTIALS,
  inProcessOrigin,
  principalJson,
  type RunningApp,
  type StartApp,
} from './types.js';

/** The spec's routes on Hono. */
export function honoApp(gatehouse: Parameters<StartApp>[0]): Hono<GatehouseEnv> {
  const gh = gatehouseHono(gatehouse);
  const app = new Hono<GatehouseEnv>();
  app.route('/auth', gh.routes());
  // After a guard that requires a principal, `c.get('auth')` is a `Principal` (no `?.` or `!`).
  app.on(['GET', 'POST'], '/generate/text', gh.authenticate(), (c) => c.json(principalJson(c.get('auth'))));
  app.post('/generate/image', gh.authenticate(), gh.requireRole('ADMIN'), (c) =>
    c.json(principalJson(c.get('auth'))),
  );
  app.on(['GET', 'POST'], '/admin', gh.authenticate(), gh.requireRole('ADMIN'), (c) =>
    c.json(principalJson(c.get('auth'))),
  );
  app.get('/scoped', gh.authenticate(), gh.requireScope('read'), (c) => c.json(principalJson(c.get('auth'))));
  app.get('/optional', gh.authenticate({ optional: true }), (c) => c.json(principalJson(c.get('auth'))));
  app.get('/basic', gh.basicAuth({ credentials: BASIC_CREDENTIALS }), (c) =>
    c.json(principalJson(c.get('auth'))),
  );
  app.get('/basic-store', gh.basicAuth(), (c) => c.json(principalJson(c.get('auth'))));
  app.post('/api/data', gh.authenticate(), (c) => c.json(principalJson(c.get('auth'))));
  app.get('/moderate', gh.authenticate(), gh.requireRole('MODERATOR'), (c) =>
    c.json(principalJson(c.get('auth'))),
  );
  app.post('/images', gh.authenticate(), gh.requirePermission('generate_image'), (c) =>
    c.json(principalJson(c.get('auth'))),
  );
  app.get(
    '/docs/:id',
    gh.authenticate(),
    gh.authorize<'/docs/:id'>('viewer', (c) => ({ type: 'doc', id: c.req.param('id') })),
    (c) => c.json(principalJson(c.get('auth'))),
  );
  app.get(
    '/orgs/:org/docs/:id',
    gh.authenticate(),
    gh.authorize<'/orgs/:org/docs/:id'>('viewer', (c) => ({
      type: 'doc',
      id: `${c.req.param('org')}/${c.req.param('id')}`,
    })),
    (c) => c.json(principalJson(c.get('auth'))),
  );
  app.get('/whoami', gh.authenticate(), (c) => c.json(principalJson(requireAuth(c))));
  app.get('/unguarded-whoami', (c) => c.json(principalJson(requireAuth(c))));
  app.get('/public', (c) => c.json({ ok: true }));
  return app;
}

/** Over real HTTP, through `@hono/node-server`. */
export const startHonoApp: StartApp = (gatehouse) => {
  const app = honoApp(gatehouse);
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
};

/**
 * In process, through Hono's own test tool `app.request()`: no socket and no `Host` line (the
 * adapter then reads the host from the request URL, as on fetch runtimes). The env carries a
 * loopback address where `@hono/node-server` puts the socket, as `inject()` reports one, so the
 * per-IP limits apply as over HTTP.
 */
export const startHonoRequest: StartApp = async (gatehouse): Promise<RunningApp> => {
  const app = honoApp(gatehouse);
  const env = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };
  const client = async (url: string, init?: RequestInit) =>
    app.request(new Request(url, init), undefined, env);
  return {
    url: inProcessOrigin('hono-request'),
    client,
    raw: async (url, method, pairs) => {
      // A fetch runtime hands Hono duplicate header lines joined with ", " (as @hono/node-server does).
      const headers = new Headers();
      for (const [name, value] of pairs) headers.append(name, value);
      const response = await client(url, { method, headers });
      return {
        status: response.status,
        headers: nodeStyleHeaders(response.headers),
        text: await response.text(),
      };
    },
    close: async () => {},
  };
};

/** Response headers the way `node:http` reports them: lower-case names, `set-cookie` as an array. */
export function nodeStyleHeaders(headers: Headers): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of headers) if (name !== 'set-cookie') result[name] = value;
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) result['set-cookie'] = cookies;
  return result;
}
