/**
 * An {@link InvalidationChannel} over PostgreSQL `LISTEN/NOTIFY`, for the token-record cache of
 * several instances sharing one database (`tokens.recordCache`). Publishing is `pg_notify` on the
 * store's pool; listening holds one dedicated connection per instance, outside the pool.
 *
 * When the listening connection fails (PostgreSQL restarted, the connection was terminated, a
 * heartbeat query got no answer) the channel reports `onStatus(false)` at once, so the cache stops
 * serving, and reconnects with a bounded back-off; `onStatus(true)` follows once `LISTEN` is in
 * place again. A notification is delivered only to connections listening when it is committed, so
 * the cache never relies on one it could have missed.
 *
 * @module
 */
import pg from 'pg';
import {
  decodeInvalidation,
  encodeInvalidation,
  type Invalidation,
  type InvalidationChannel,
} from '../../src/storage/invalidation.js';

/** Options of {@link createPostgresInvalidationChannel}. */
export interface PostgresInvalidationChannelOptions {
  /** The pool to publish through (usually the store's, `store.pool`). */
  readonly pool: pg.Pool;
  /**
   * How to open the listening connection; default: the pool's own connection settings. It must
   * reach the same database as `pool` (not through a transaction-pooling proxy: `LISTEN` needs a
   * session of its own).
   */
  readonly connection?: pg.ClientConfig;
  /** The notification channel (lower-case letters, digits, `_`; at most 63). Default `gatehouse_invalidate`. */
  readonly channel?: string;
  /** Milliseconds between heartbeat queries on the listening connection. Default 5000. */
  readonly heartbeatMs?: number;
  /** Longest wait between reconnection attempts, milliseconds. Default 5000 (from 100, doubling). */
  readonly maxReconnectDelayMs?: number;
}

const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates the channel. Nothing connects until `subscribe` (the cache subscribes when
 * `createGatehouse` runs).
 *
 * @throws TypeError for a channel name that is not a plain lower-case identifier.
 */
export function createPostgresInvalidationChannel(
  options: PostgresInvalidationChannelOptions,
): InvalidationChannel {
  const channel = options.channel ?? 'gatehouse_invalidate';
  if (!CHANNEL_NAME.test(channel)) {
    throw new TypeError(
      `gatehouse postgres: channel must match ${CHANNEL_NAME}, got ${JSON.stringify(channel)}`,
    );
  }
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const maxDelay = options.maxReconnectDelayMs ?? 5_000;
  const connection: pg.ClientConfig = options.connection ?? {
    ...(options.pool.options as pg.ClientConfig),
  };

  return {
    async publish(message: Invalidation): Promise<void> {
      await options.pool.query('SELECT pg_notify($1, $2)', [channel, encodeInvalidation(message)]);
    },

    async subscribe(listener, onStatus) {
      let stopped = false;
      let client: pg.Client | null = null;
      let heartbeat: NodeJS.Timeout | null = null;
      let retry: NodeJS.Timeout | null = null;
      let delay = 100;
      let up = false;

      const setUp = (value: boolean) => {
        if (up === value) return;
        up = value;
        onStatus(value);
      };
      const drop = (failed: pg.Client) => {
        if (client !== failed) return;
        client = null;
        if (heartbeat) clearInterval(heartbeat);
        heartbeat = null;
        setUp(false);
        failed.removeAllListeners('notification');
        failed.on('error', () => undefined);
        void failed.end().catch(() => undefined);
        if (!stopped) {
          retry = setTimeout(() => void connect(), delay);
          retry.unref();
          delay = Math.min(delay * 2, maxDelay);
        }
      };
      const connect = async (): Promise<void> => {
        retry = null;
        if (stopped) return;
        const next = new pg.Client({
          application_name: 'gatehouse-invalidation',
          ...connection,
          query_timeout: Math.max(1_000, heartbeatMs),
        });
        next.on('error', () => drop(next));
        next.on('end', () => drop(next));
        next.on('notification', (notification) => {
          if (notification.channel !== channel || notification.payload === undefined) return;
          const message = decodeInvalidation(notification.payload);
          if (message) listener(message);
        });
        client = next;
        try {
          await next.connect();
          await next.query(`LISTEN ${channel}`);
        } catch {
          drop(next);
          return;
        }
        if (stopped || client !== next) return;
        delay = 100;
        heartbeat = setInterval(() => {
          next.query('SELECT 1').catch(() => drop(next));
        }, heartbeatMs);
        heartbeat.unref();
        setUp(true);
      };

      await connect();
      return async () => {
        stopped = true;
        if (retry) clearTimeout(retry);
        const current = client;
        if (current) drop(current);
        setUp(false);
      };
    },
  };
}
