/**
 * Fixed-window rate limits on a {@link CounterStore}: per client IP, per account, per route.
 *
 * @module
 */
import { RateLimitedError, StoreUnavailableError } from '../errors.js';
import type { SecurityEvents } from '../events.js';
import type { CounterStore } from '../storage/types.js';

/** One limit: at most `limit` hits per `window` seconds. */
export interface RateLimit {
  readonly limit: number;
  readonly window: number;
}

/**
 * Counts hits per bucket and key and refuses with {@link RateLimitedError} (429 with
 * `Retry-After`) once a key is over its limit. A missing key (e.g. no client IP known) is not
 * limited by that key. Store failures fail closed.
 */
export class RateLimiter {
  readonly #counters: CounterStore;
  readonly #clock: () => Date;

  readonly #events: SecurityEvents | undefined;

  constructor(counters: CounterStore, clock: () => Date, events?: SecurityEvents) {
    this.#counters = counters;
    this.#clock = clock;
    this.#events = events;
  }

  #refuse(bucket: string, resetAt: Date, now: Date): never {
    const error = new RateLimitedError((resetAt.getTime() - now.getTime()) / 1000);
    this.#events?.emit('rate.limited', undefined, now, { bucket, retryAfter: error.retryAfter });
    throw error;
  }

  static #key(bucket: string, key: string): string {
    return `rl:${bucket}:${key}`;
  }

  /** Counts one hit and throws {@link RateLimitedError} when it is over the limit. */
  async hit(bucket: string, key: string | null | undefined, limit: RateLimit): Promise<void> {
    if (!key) return;
    const now = this.#clock();
    let value: Awaited<ReturnType<CounterStore['increment']>>;
    try {
      value = await this.#counters.increment(RateLimiter.#key(bucket, key), limit.window, now);
    } catch (error) {
      throw new StoreUnavailableError({ cause: error });
    }
    if (value.count > limit.limit) this.#refuse(bucket, value.resetAt, now);
  }

  /** Throws {@link RateLimitedError} when the key is already at its limit, without counting. */
  async check(bucket: string, key: string | null | undefined, limit: RateLimit): Promise<void> {
    if (!key) return;
    const now = this.#clock();
    let value: Awaited<ReturnType<CounterStore['get']>>;
    try {
      value = await this.#counters.get(RateLimiter.#key(bucket, key), now);
    } catch (error) {
      throw new StoreUnavailableError({ cause: error });
    }
    if (value && value.count >= limit.limit) this.#refuse(bucket, value.resetAt, now);
  }

  /** Counts one hit without checking (e.g. a failure recorded after the fact). */
  async record(bucket: string, key: string | null | undefined, limit: RateLimit): Promise<void> {
    if (!key) return;
    try {
      await this.#counters.increment(RateLimiter.#key(bucket, key), limit.window, this.#clock());
    } catch (error) {
      throw new StoreUnavailableError({ cause: error });
    }
  }

  /** Forgets a key's count. */
  async reset(bucket: string, key: string): Promise<void> {
    try {
      await this.#counters.reset(RateLimiter.#key(bucket, key));
    } catch (error) {
      throw new StoreUnavailableError({ cause: error });
    }
  }
}
