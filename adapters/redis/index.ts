/**
 * `gatehouse/redis`: failed-login counters, lockouts, rate limits and short-lived state (one-time
 * tokens, OAuth state, MFA challenges) on Redis, and an invalidation channel over Redis pub/sub,
 * through node-redis v5 (`redis`, an optional peer dependency: install `redis@5` to use this
 * subpath). Users, tokens and everything else durable stay in a database (`gatehouse/postgres`).
 * See `docs/redis.md`.
 *
 * @example
 * import { createGatehouse, type Store } from 'gatehouse';
 * import { createPostgresStore } from 'gatehouse/postgres';
 * import { createRedisStore } from 'gatehouse/redis';
 *
 * const postgres = await createPostgresStore({ connectionString: process.env.DATABASE_URL });
 * const redis = await createRedisStore({ url: process.env.REDIS_URL });
 * const store: Store = {
 *   ...postgres,
 *   counters: redis.counters,
 *   state: redis.state,
 *   async close() {
 *     await redis.close();
 *     await postgres.close();
 *   },
 * };
 * const gatehouse = createGatehouse({ store, tokens: { secret: process.env.GATEHOUSE_SECRET! } });
 *
 * @module gatehouse/redis
 */
export {
  RECONNECT_MAX_DELAY_MS,
  type RedisClient,
  type RedisConnectionOptions,
  type RedisSocketOptions,
  reconnectDelayMs,
} from './client.js';
export { RedisCounterStore } from './counters.js';
export { EXPIRY_GRACE_MS, expiryTtlMs } from './expiry.js';
export {
  createRedisInvalidationChannel,
  DEFAULT_REDIS_INVALIDATION_CHANNEL,
  type RedisInvalidationChannel,
  type RedisInvalidationChannelOptions,
} from './invalidation.js';
export { counterKey, DEFAULT_REDIS_PREFIX, stateKey } from './keys.js';
export { RedisStateStore } from './state.js';
export { createRedisStore, type RedisStore, type RedisStoreOptions } from './store.js';
