/**
 * The node-redis v5 client as `gatehouse/redis` uses it, and the fail-closed way it opens one.
 *
 * Fail closed means: while Redis cannot be reached every store call rejects at once (gatehouse turns
 * that into a 503) instead of waiting in a queue, and the client keeps reconnecting in the
 * background, so that calls succeed again as soon as Redis is back, without a new store.
 *
 * @module
 */
import { createClient, type RedisClientOptions } from 'redis';
import { ConfigError } from '../../src/errors.js';

/** node-redis' socket options (host, port, TLS, timeouts, `reconnectStrategy`). */
export type RedisSocketOptions = NonNullable<RedisClientOptions['socket']>;

/** Event names of {@link RedisClient} that carry no argument. */
type ConnectionEvent = 'ready' | 'reconnecting' | 'end';

/**
 * What `gatehouse/redis` uses of a node-redis v5 client: any `createClient()` result fits,
 * whatever its modules, scripts, RESP version or type mapping. Commands go through `sendCommand`,
 * so replies are read the same way for every such client.
 */
export interface RedisClient {
  /** `true` from `connect()` until the client is closed (while reconnecting too). */
  readonly isOpen: boolean;
  /** `true` while connected and ready for commands. */
  readonly isReady: boolean;
  /** The options the client was created with (duplicates start from them). */
  readonly options: { readonly socket?: RedisSocketOptions } | undefined;
  /** Sends one command; with `disableOfflineQueue` it rejects at once while disconnected. */
  sendCommand(args: ReadonlyArray<string>): Promise<unknown>;
  /** Opens the connection; resolves once it is ready for commands. */
  connect(): Promise<unknown>;
  /** Closes the connection once pending commands have their replies. */
  close(): Promise<void>;
  /** Closes the connection at once, rejecting pending commands. */
  destroy(): void;
  /** A new, unconnected client with the same options, `overrides` applied. */
  duplicate(overrides?: { disableOfflineQueue?: boolean; socket?: RedisSocketOptions }): RedisClient;
  /** Turns the connection into a subscriber and hands `channel`'s messages to `listener`. */
  subscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<void>;
  /** Connection events: `'error'` (a lost connection, a failed attempt), `'ready'`, `'reconnecting'`, `'end'`. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** The other connection events: `'ready'`, `'reconnecting'`, `'end'`. */
  on(event: ConnectionEvent, listener: () => void): unknown;
  /** Removes a listener added with `on`. */
  off(event: 'error', listener: (error: Error) => void): unknown;
  /** Removes a listener of the other connection events added with `on`. */
  off(event: ConnectionEvent, listener: () => void): unknown;
}

/** Longest wait, milliseconds, between two reconnection attempts. */
export const RECONNECT_MAX_DELAY_MS = 5_000;

/**
 * A node-redis `reconnectStrategy`: the wait after `retries` + 1 failed attempts (node-redis tries
 * once at once when a connection is lost): 100 ms doubling with each failure, at most
 * {@link RECONNECT_MAX_DELAY_MS}, plus up to 100 ms at random so that instances cut off together
 * do not all reconnect in the same instant.
 */
export function reconnectDelayMs(retries: number): number {
  const base = Math.min(100 * 2 ** Math.min(retries, 16), RECONNECT_MAX_DELAY_MS);
  return base + Math.floor(Math.random() * 100);
}

/** Where a store or a channel gets its Redis connection: a client of yours, or a URL. */
export interface RedisConnectionOptions {
  /**
   * Your node-redis client. It stays yours: closing the store leaves it open. It is connected if it
   * is not open yet. To fail closed, create it with `disableOfflineQueue: true` (otherwise calls
   * wait for Redis while it is down), and give it an `'error'` listener (without one, a lost
   * connection ends the process).
   */
  readonly client?: RedisClient;
  /**
   * A Redis URL (`redis://user:password@host:6379/0`, `rediss://` for TLS): the client is created
   * fail-closed (no offline queue, reconnection with a bounded backoff, an `'error'` listener) and
   * closed with the store. Creating the store rejects when the first connection fails.
   */
  readonly url?: string;
  /**
   * Called with each error of a client created here (a lost connection, a failed reconnection
   * attempt): for logging. The affected calls reject on their own.
   */
  readonly onError?: (error: Error) => void;
}

/** A connection and whether whoever resolved it must close it. */
export interface ResolvedConnection {
  readonly client: RedisClient;
  /** `true` when the client was created from a URL (close it with the store). */
  readonly owned: boolean;
}

/**
 * Opens a client that fails closed: `create` builds it from the options it is given (no offline
 * queue; a reconnection strategy). The first connection must succeed (otherwise this rejects, the
 * client closed); after it, a lost connection is retried forever, {@link reconnectDelayMs} apart.
 * Errors go to `onError` through an `'error'` listener, so they never end the process.
 */
export async function openFailClosed(
  create: (options: {
    disableOfflineQueue: true;
    reconnectStrategy: (retries: number, cause: Error) => number | Error;
  }) => RedisClient,
  onError?: (error: Error) => void,
): Promise<RedisClient> {
  let connected = false;
  const client = create({
    disableOfflineQueue: true,
    reconnectStrategy: (retries, cause) => (connected ? reconnectDelayMs(retries) : cause),
  });
  client.on('error', (error) => onError?.(error));
  client.on('ready', () => {
    connected = true;
  });
  try {
    await client.connect();
  } catch (error) {
    if (client.isOpen) client.destroy();
    throw error;
  }
  return client;
}

/**
 * The connection of {@link RedisConnectionOptions}: the given client (connected if needed) or a
 * fail-closed one opened from `url`.
 *
 * @throws ConfigError when both or neither of `client` and `url` are given.
 */
export async function resolveConnection(options: RedisConnectionOptions): Promise<ResolvedConnection> {
  const { client, url, onError } = options;
  if ((client === undefined) === (url === undefined)) {
    throw new ConfigError([{ path: 'client', message: 'give either client or url' }]);
  }
  if (client !== undefined) {
    if (!client.isOpen) await client.connect();
    return { client, owned: false };
  }
  const opened = await openFailClosed(
    ({ disableOfflineQueue, reconnectStrategy }) =>
      createClient({ url, disableOfflineQueue, socket: { reconnectStrategy } }),
    onError,
  );
  return { client: opened, owned: true };
}

/**
 * A second connection to the same server as `client` (for pub/sub, which takes a connection over),
 * opened with {@link openFailClosed}: `client`'s options, no offline queue, gatehouse's
 * reconnection strategy.
 */
export function openDuplicate(client: RedisClient, onError?: (error: Error) => void): Promise<RedisClient> {
  return openFailClosed(
    ({ disableOfflineQueue, reconnectStrategy }) =>
      client.duplicate({ disableOfflineQueue, socket: { ...client.options?.socket, reconnectStrategy } }),
    onError,
  );
}
