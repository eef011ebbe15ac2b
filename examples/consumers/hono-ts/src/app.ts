import { createGatehouse, createMemoryStore } from 'gatehouse';
import { type GatehouseEnv, gatehouseHono } from 'gatehouse/hono';
import { Hono } from 'hono';

/** The service: its own routes, with gatehouse's auth routes mounted and one route guarded. */
export function createApp(secret: string) {
  const gatehouse = createGatehouse({ store: createMemoryStore(), tokens: { secret } });
  const gh = gatehouseHono(gatehouse);
  const app = new Hono<GatehouseEnv>();
  app.get('/health', (c) => c.text('ok'));
  app.route('/auth', gh.routes());
  app.get('/notes', gh.authenticate(), (c) => c.json({ owner: c.get('auth').userId, notes: [] }));
  return app;
}
