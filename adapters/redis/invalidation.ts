/**
 * {@link InvalidationChannel} over Redis pub/sub: how instances sharing a Redis tell each other's
 * token-record caches that a token, a family, a user's tokens or a client's sessions changed.
 * Publishing uses the main client; each subscription takes a connection of its own (a subscribed
 * connection can run nothing else), duplicated from the main client.
 *
 * @module
 */
import { ConfigError } from '../../src/errors.js';
import {
  decodeInvalidation,
  encodeInvalidation,
  type Invalidation,
  type InvalidationChannel,
} from '../../src/storage/invalidation.js';
import {
  openDuplicate,
  type RedisClient,
  type RedisConnectionOptions,
  reconnectDelayMs,
  resolveConnection,
} from './client.js';

/** The pub/sub channel used unless configured otherwise. */
export const DEFAULT_REDIS_INVALIDATION_CHANNEL = 'gatehouse:invalidation';

/** Options of {@link createRedisInvalidationChannel}: a client or a URL (not both), and the channel. */
export interface RedisInvalidationChannelOptions extends RedisConnectionOptions {
  /** The pub/sub channel name. Default `gatehouse:invalidation`; every instance must use the same. */
  readonly channel?: string;
}

/** An {@link InvalidationChannel} on Redis, with the means to end it. */
export interface RedisInvalidationChannel extends InvalidationChannel {
  /** The pub/sub channel name. */
  readonly channel: string;
  /** Ends every subscription, and closes the main client if it was created here (from `url`). */
  close(): Promise<void>;
}

/** `error` as an `Error` (a listener may throw anything). */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Subscribes a duplicate of `client` to `channel`. Resolves after the first attempt, whether it
 * worked or not: when it did not, attempts go on in the background, {@link reconnectDelayMs}
 * apart. `onStatus(true)` once subscribed, `onStatus(false)` as soon as the connection is lost
 * (messages published from then on are missed); node-redis then reconnects and subscribes again
 * before it reports the connection ready, which is `onStatus(true)` again. The returned function
 * ends the subscription (idempotent); after it, nothing more is delivered or reported.
 */
async function listen(
  client: RedisClient,
  channel: string,
  listener: (message: Invalidation) => void,
  onStatus: (listening: boolean) => void,
  onError: ((error: Error) => void) | undefined,
): Promise<() => Promise<void>> {
  let ended = false;
  let listening = false;
  let subscriber: RedisClient | null = null;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;
  const report = (value: boolean) => {
    if (ended || value === listening) return;
    listening = value;
    onStatus(value);
  };
  const deliver = (payload: string) => {
    const message = ended ? null : decodeInvalidation(payload);
    if (message === null) return;
    try {
      listener(message);
    } catch (error) {
      onError?.(asError(error));
    }
  };
  const attempt = async (): Promise<void> => {
    let next: RedisClient | null = null;
    try {
      next = await openDuplicate(client, (error) => {
        // A lost connection comes as an 'error' with the client no longer ready.
        if (subscriber !== null && !subscriber.isReady) report(false);
        onError?.(error);
      });
      await next.subscribe(channel, deliver);
    } catch (error) {
      if (next?.isOpen) next.destroy();
      onError?.(asError(error));
      if (!ended) {
        retry = setTimeout(() => void attempt(), reconnectDelayMs(failures++));
        retry.unref();
      }
      return;
    }
    if (ended) {
      next.destroy();
      return;
    }
    const connected = next;
    subscriber = connected;
    connected.on('reconnecting', () => report(false));
    connected.on('end', () => report(false));
    connected.on('ready', () => report(true));
    report(true);
  };
  await attempt();
  let ending: Promise<void> | undefined;
  return () => {
    ending ??= (async () => {
      ended = true;
      clearTimeout(retry);
      const current = subscriber;
      subscriber = null;
      await current?.close().catch(() => current.destroy());
    })();
    return ending;
  };
}

/**
 * Returns an {@link InvalidationChannel} on Redis pub/sub (pass it as `tokens.recordCache.channel`).
 * Delivery is at most once: a subscriber whose connection drops misses what is published until it
 * is back, and says so through `onStatus(false)`, so the cache stops serving until `onStatus(true)`.
 * `subscribe` resolves even when Redis cannot be reached (it keeps trying; `onStatus(true)` comes
 * once it succeeds); `publish` rejects while the main client is disconnected.
 *
 * @throws ConfigError when both or neither of `client` and `url` are given, or the channel is empty.
 * @throws Error when the first connection to `url` fails.
 */
export async function createRedisInvalidationChannel(
  options: RedisInvalidationChannelOptions,
): Promise<RedisInvalidationChannel> {
  const channel = options.channel ?? DEFAULT_REDIS_INVALIDATION_CHANNEL;
  if (typeof channel !== 'string' || channel === '') {
    throw new ConfigError([{ path: 'channel', message: 'must be a non-empty string' }]);
  }
  const { client, owned } = await resolveConnection(options);
  const subscriptions = new Set<() => Promise<void>>();
  let closed = false;
  return {
    channel,
    async publish(message) {
      await client.sendCommand(['PUBLISH', channel, encodeInvalidation(message)]);
    },
    async subscribe(listener, onStatus) {
      const end = await listen(client, channel, listener, onStatus, options.onError);
      const unsubscribe = async () => {
        subscriptions.delete(unsubscribe);
        await end();
      };
      subscriptions.add(unsubscribe);
      return unsubscribe;
    },
    async close() {
      await Promise.all([...subscriptions].map((unsubscribe) => unsubscribe()));
      if (closed) return;
      closed = true;
      if (owned) await client.close();
    },
  };
}
