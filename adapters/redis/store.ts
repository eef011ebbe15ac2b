/**
 * `createRedisStore`: the counters and the short-lived state of gatehouse on one Redis connection.
 *
 * @module
 */
import { type RedisClient, type RedisConnectionOptions, resolveConnection } from './client.js';
import { RedisCounterStore } from './counters.js';
import { checkPrefix, DEFAULT_REDIS_PREFIX } from './keys.js';
import { RedisStateStore } from './state.js';

/** Options of {@link createRedisStore}: a client or a URL (not both), and the key prefix. */
export interface RedisStoreOptions extends RedisConnectionOptions {
  /** Starts every key the stores write. Default `gatehouse:`; no `{` or `}` (see `docs/redis.md`). */
  readonly prefix?: string;
}

/** The Redis part of a store: counters and state, the client they share, and `close`. */
export interface RedisStore {
  /** Failed-login counters, lockouts, rate limits. */
  readonly counters: RedisCounterStore;
  /** One-time tokens, OAuth state, pending changes. */
  readonly state: RedisStateStore;
  /** The client both use. */
  readonly client: RedisClient;
  /** The key prefix. */
  readonly prefix: string;
  /** Closes the client if the store created it (from `url`); a client passed in stays open. Idempotent. */
  close(): Promise<void>;
}

/**
 * Connects to Redis and returns the {@link RedisStore}: put its `counters` and `state` into the
 * `Store` you give `createGatehouse` (users and tokens stay in a durable database).
 *
 * @throws ConfigError when both or neither of `client` and `url` are given, or the prefix has a brace.
 * @throws Error when the first connection to `url` fails.
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const prefix = checkPrefix(options.prefix ?? DEFAULT_REDIS_PREFIX);
  const { client, owned } = await resolveConnection(options);
  let closed = false;
  return {
    counters: new RedisCounterStore(client, prefix),
    state: new RedisStateStore(client, prefix),
    client,
    prefix,
    async close() {
      if (closed) return;
      closed = true;
      if (owned) await client.close();
    },
  };
}
