import Fastify from 'fastify';
import { createGatehouse, createMemoryStore } from 'gatehouse';
import { gatehouseFastify, requireAuth } from 'gatehouse/fastify';

/** The service: its own routes, with gatehouse's auth routes mounted and one route guarded. */
export async function createApp(secret: string) {
  const gatehouse = createGatehouse({ store: createMemoryStore(), tokens: { secret } });
  const gh = gatehouseFastify(gatehouse);
  const app = Fastify();
  await app.register(gh.plugin);
  await app.register(gh.routes, { prefix: '/auth' });
  app.get('/health', async () => 'ok');
  app.get('/notes', { onRequest: [gh.authenticate()] }, async (request) => ({
    owner: requireAuth(request).userId,
    notes: [],
  }));
  return app;
}
