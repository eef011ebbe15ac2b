/**
 * The opt-in per-process cache of token records (`tokens.recordCache`): a guarded request whose
 * access token was read from the store less than `maxAge` seconds ago is answered from memory,
 * without a store round trip.
 *
 * Revocation is exact without it (every request reads the store). With it, staleness is bounded
 * and the bound is enforced:
 *
 * - every revocation, user change and account deletion made through gatehouse is published on an
 *   {@link InvalidationChannel} (PostgreSQL `LISTEN/NOTIFY`, Redis pub/sub) and drops the matching
 *   entries on every instance, this one at once;
 * - while the channel is not listening (not yet connected, or its connection dropped, so messages
 *   may have been missed) the cache holds nothing and every request reads the store;
 * - an entry is never served more than `maxAge` seconds after it was read from the store, which
 *   bounds a message lost without the channel noticing (a publisher that died between its write
 *   and its publish, a revocation written to the database by other means).
 *
 * @module
 */
import { z } from 'zod';
import type { Invalidation, InvalidationChannel } from '../storage/invalidation.js';
import type { TokenWithUser } from '../storage/types.js';
import { FifoCache } from './fifo-cache.js';

/** Default {@link TokenRecordCacheOptions.maxAge}, seconds. */
export const DEFAULT_RECORD_CACHE_MAX_AGE = 5;

/** The `tokens.recordCache` part of the configuration. */
export const recordCacheConfigSchema = z
  .object({
    /** Where invalidations travel between instances (`createPostgresInvalidationChannel`, `createRedisInvalidationChannel`). */
    channel: z.custom<InvalidationChannel>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as InvalidationChannel).publish === 'function' &&
        typeof (value as InvalidationChannel).subscribe === 'function',
      { message: 'must be an InvalidationChannel ({ publish, subscribe })' },
    ),
    /**
     * Longest time, seconds, a cached record is served without reading the store again: the bound
     * on how long a revocation can go unseen when its message is lost. Default 5, at most 300.
     */
    maxAge: z.number().positive().max(300).default(DEFAULT_RECORD_CACHE_MAX_AGE),
    /** Most records held; the oldest is dropped first. Default 10,000. */
    maxEntries: z.number().int().positive().max(1_000_000).default(10_000),
  })
  .strict();

/** Options of {@link TokenRecordCache} (the validated `tokens.recordCache`). */
export type TokenRecordCacheOptions = z.output<typeof recordCacheConfigSchema>;

interface Entry {
  readonly value: TokenWithUser;
  /** Epoch ms after which the entry is not served. */
  readonly until: number;
}

/** Whether `message` concerns the cached `value`. */
function concerns(message: Invalidation, value: TokenWithUser): boolean {
  const { record } = value;
  switch (message.kind) {
    case 'token':
      return record.id === message.id;
    case 'family':
      return record.familyId === message.id;
    case 'user':
      return record.userId === message.id;
    case 'client':
      return record.clientId === message.id;
  }
}

/** See the module documentation. */
export class TokenRecordCache {
  readonly #options: TokenRecordCacheOptions;
  readonly #entries: FifoCache<string, Entry>;
  #listening = false;
  /**
   * Raised by every invalidation and status change. A record read from the store is cached only if
   * no invalidation arrived while it was being read: a message may overtake the read it makes stale.
   */
  #epoch = 0;
  #unsubscribe: Promise<(() => Promise<void>) | undefined>;
  #closed = false;

  /** Subscribes to the channel at once; nothing is cached until the channel reports it is listening. */
  constructor(options: TokenRecordCacheOptions) {
    this.#options = options;
    this.#entries = new FifoCache(options.maxEntries);
    this.#unsubscribe = options.channel
      .subscribe(
        (message) => this.invalidate(message),
        (listening) => this.#setListening(listening),
      )
      .catch((error: unknown) => {
        console.error('gatehouse: token record cache could not subscribe; reading through', error);
        return undefined;
      });
  }

  #setListening(listening: boolean): void {
    // Whatever was cached may have missed messages while the channel was down: start empty.
    this.#epoch++;
    this.#entries.clear();
    this.#listening = listening && !this.#closed;
  }

  /** Whether the channel is listening, so that entries are kept and served. */
  get listening(): boolean {
    return this.#listening;
  }

  /** Number of records held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The cached record and user of `tokenId`, if read from the store less than `maxAge` ago. */
  get(tokenId: string, now: Date): TokenWithUser | undefined {
    if (!this.#listening) return undefined;
    const entry = this.#entries.get(tokenId);
    if (entry === undefined) return undefined;
    if (entry.until <= now.getTime()) {
      this.#entries.delete(tokenId);
      return undefined;
    }
    return entry.value;
  }

  /** Call before reading a record from the store; pass the result to {@link TokenRecordCache.set}. */
  beginRead(): number {
    return this.#epoch;
  }

  /**
   * Remembers an active record read from the store at `now`, unless an invalidation arrived since
   * `epoch` (from {@link TokenRecordCache.beginRead}) was taken.
   */
  set(tokenId: string, value: TokenWithUser, now: Date, epoch: number): void {
    if (!this.#listening || !value.record.active || epoch !== this.#epoch) return;
    this.#entries.set(tokenId, { value, until: now.getTime() + this.#options.maxAge * 1000 });
  }

  /** Drops every entry `message` concerns (a message from any instance). */
  invalidate(message: Invalidation): void {
    this.#epoch++;
    if (message.kind === 'token') {
      this.#entries.delete(message.id);
      return;
    }
    this.#entries.deleteWhere((entry) => concerns(message, entry.value));
  }

  /**
   * Drops the matching entries here at once and tells every other instance. A failed publish is
   * reported and otherwise ignored: the change is already in the store, and the other instances see
   * it within `maxAge` at the latest.
   */
  async publish(message: Invalidation): Promise<void> {
    this.invalidate(message);
    try {
      await this.#options.channel.publish(message);
    } catch (error) {
      console.error(
        'gatehouse: could not publish an invalidation; other instances see it within maxAge',
        error,
      );
    }
  }

  /** Ends the subscription and empties the cache. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#setListening(false);
    const unsubscribe = await this.#unsubscribe;
    await unsubscribe?.();
  }
}
