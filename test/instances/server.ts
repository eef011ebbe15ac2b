/**
 * A minimal service built on gatehouse, spawned several times by the several-instances tests (each
 * process is one instance behind a load balancer). Configured by environment:
 *
 * - `STORE`: `postgres` (default; `DATABASE_URL`, `SCHEMA`) or `sqlite` (`SQLITE_FILE`).
 * - `REDIS_URL`: counters and short-lived state in Redis (`REDIS_PREFIX`) instead of the store.
 * - `RECORD_CACHE`: `postgres` or `redis` turns the token-record cache on (`CACHE_MAX_AGE` seconds).
 * - `SECRET`: the signing secret every instance shares. `LOCKOUT_MAX_FAILURES` (default 5).
 * - `REFRESH_REUSE_INTERVAL`: `tokens.refreshReuseInterval` in seconds (default: gatehouse's, 10).
 * - `OIDC_ISSUER`, `OIDC_CLIENT_SECRET`, `PUBLIC_URL`: the `corp` OIDC provider, reached through a
 *   front door at `PUBLIC_URL`.
 * - `FAIL_OPEN=1`: `rateLimits.failOpen`.
 *
 * Routes: `/auth/*` (gatehouse), `GET /me` (guarded), `POST /tuples` and `GET /check` (the
 * relationship store and the evaluator), `GET /health`. Prints `listening on <url>` when ready.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type GatehouseEnv, gatehouseHono } from '../../adapters/hono/index.js';
import { createPostgresInvalidationChannel, createPostgresStore } from '../../adapters/postgres/index.js';
import { createRedisInvalidationChannel, createRedisStore } from '../../adapters/redis/index.js';
import { createSqliteStore } from '../../adapters/sqlite/index.js';
import {
  createGatehouse,
  defineModel,
  type GatehouseConfig,
  type InvalidationChannel,
  PolicyEvaluator,
  type Store,
  validateModel,
} from '../../src/index.js';

const env = process.env;

const model = validateModel(
  defineModel((m) => ({
    user: m.type(),
    doc: m.type({ owner: m.relation(['user']), viewer: m.relation(['user']).or(m.computed('owner')) }),
  })),
);

async function openStore(): Promise<{ store: Store; channel?: InvalidationChannel; close(): Promise<void> }> {
  const closers: (() => Promise<void>)[] = [];
  let store: Store;
  let channel: InvalidationChannel | undefined;
  if (env.STORE === 'sqlite') {
    const sqlite = createSqliteStore({ filename: env.SQLITE_FILE as string, relationships: { model } });
    closers.push(async () => sqlite.close());
    store = sqlite;
  } else {
    const pg = await createPostgresStore({
      connectionString: env.DATABASE_URL as string,
      schema: env.SCHEMA ?? 'gatehouse',
      relationships: { model },
      poolOptions: { max: 8, connectionTimeoutMillis: 2_000 },
    });
    closers.push(() => pg.close());
    store = pg;
    if (env.RECORD_CACHE === 'postgres') channel = createPostgresInvalidationChannel({ pool: pg.pool });
  }
  if (env.REDIS_URL) {
    const redis = await createRedisStore({ url: env.REDIS_URL, prefix: env.REDIS_PREFIX ?? 'gh:' });
    closers.push(() => redis.close());
    store = { ...store, counters: redis.counters, state: redis.state };
    if (env.RECORD_CACHE === 'redis') channel = await createRedisInvalidationChannel({ url: env.REDIS_URL });
  }
  return {
    store,
    ...(channel ? { channel } : {}),
    close: async () => {
      for (const close of closers.reverse()) await close();
    },
  };
}

async function main(): Promise<void> {
  const { store, channel } = await openStore();
  const config: GatehouseConfig = {
    store,
    tokens: {
      secret: env.SECRET as string,
      ...(env.REFRESH_REUSE_INTERVAL ? { refreshReuseInterval: Number(env.REFRESH_REUSE_INTERVAL) } : {}),
      ...(channel ? { recordCache: { channel, maxAge: Number(env.CACHE_MAX_AGE ?? 5) } } : {}),
    },
    password: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
    lockout: { maxFailures: Number(env.LOCKOUT_MAX_FAILURES ?? 5) },
    rateLimits: {
      loginFailuresPerIp: { limit: 100_000, window: 60 },
      registerPerIp: { limit: 100_000, window: 60 },
      refreshPerIp: { limit: 100_000, window: 60 },
      failOpen: env.FAIL_OPEN === '1',
    },
    ...(env.OIDC_ISSUER
      ? {
          oauth: {
            allowInsecureRequests: true,
            providers: {
              corp: {
                type: 'oidc' as const,
                issuer: env.OIDC_ISSUER,
                clientId: 'gatehouse-app',
                clientSecret: env.OIDC_CLIENT_SECRET as string,
                redirectUri: `${env.PUBLIC_URL}/auth/oauth/corp/callback`,
              },
            },
          },
        }
      : {}),
  };
  const gatehouse = createGatehouse(config);
  const policy = new PolicyEvaluator({ model, store: gatehouse.store.relationships });
  const gh = gatehouseHono(gatehouse);
  const app = new Hono<GatehouseEnv>();
  app.route('/auth', gh.routes());
  app.get('/health', (c) => c.json({ ok: true }));
  app.get('/me', gh.authenticate(), (c) => {
    const auth = c.get('auth');
    return c.json({ id: auth?.user?.id ?? null });
  });
  app.post('/tuples', async (c) => {
    const { object, relation, subject } = (await c.req.json()) as Record<string, string>;
    const [objectType, objectId] = (object as string).split(':');
    const [subjectType, subjectId] = (subject as string).split(':');
    await gatehouse.store.relationships.write([
      {
        object: { type: objectType as string, id: objectId as string },
        relation: relation as string,
        subject: { type: subjectType as string, id: subjectId as string },
      },
    ]);
    return c.json({ ok: true });
  });
  app.get('/check', async (c) => {
    const [objectType, objectId] = (c.req.query('object') ?? '').split(':');
    const [subjectType, subjectId] = (c.req.query('subject') ?? '').split(':');
    const result = await policy.check(
      {
        subject: { type: subjectType as string, id: subjectId as string },
        action: c.req.query('relation') ?? '',
        resource: { type: objectType as string, id: objectId as string },
      },
      { explain: false },
    );
    return c.json({ allowed: result.allowed });
  });
  const server = serve({ fetch: app.fetch, port: Number(env.PORT ?? 0), hostname: '127.0.0.1' }, (info) => {
    console.log(`listening on http://127.0.0.1:${info.port}`);
  });
  const stop = () => {
    server.close();
    void gatehouse.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
