/**
 * Sliding-window rate limits on a {@link CounterStore}: per client IP, per account, per route.
 *
 * @module
 */
import { RateLimitedError, StoreUnavailableError } from '../errors.js';
import type { SecurityEvents } from '../events.js';
import type { CounterStore } from '../storage/types.js';
import { fitsOneMore, msUntilAllowed, type SlidingCount, SlidingWindowCounter } from './sliding-window.js';

/** One limit: at most `limit` hits in any `window` seconds (a sliding window, see `SlidingWindowCounter`). */
export interface RateLimit {
  readonly limit: number;
  readonly window: number;
}

/**
 * Counts hits per bucket and key and refuses with `RateLimitedError` (429 with
 * `Retry-After`) once a key is over its limit. Windows slide: the count at any moment estimates
 * the hits of the last `window` seconds (see `SlidingWindowCounter`), so a burst across a
 * window boundary is not admitted twice. A refused hit is not counted, so a client that waits
 * `Retry-After` seconds gets through; `Retry-After` is the exact wait for that (it may exceed the
 * window after a burst). A missing key (e.g. no client IP known) is not limited by that key.
 * Store failures fail closed ({@link StoreUnavailableError}, 503) unless `failOpen` is set: then a
 * hit whose counter store fails is let through uncounted and reported as `rate.unchecked`.
 */
export class RateLimiter {
  readonly #windows: SlidingWindowCounter;
  readonly #clock: () => Date;
  readonly #events: SecurityEvents | undefined;

  readonly #failOpen: boolean;

  /**
   * `options.failOpen`: let requests through when the counter store fails (default `false`: refuse
   * them with 503). Only the rate limits: the account lockout and every other store read of
   * gatehouse fail closed whatever this says.
   */
  constructor(
    counters: CounterStore,
    clock: () => Date,
    events?: SecurityEvents,
    options: { readonly failOpen?: boolean } = {},
  ) {
    this.#windows = new SlidingWindowCounter(counters);
    this.#clock = clock;
    this.#events = events;
    this.#failOpen = options.failOpen ?? false;
  }

  #refuse(bucket: string, count: SlidingCount, limit: RateLimit, now: Date): never {
    const error = new RateLimitedError(msUntilAllowed(count, limit.limit) / 1000);
    this.#events?.emit('rate.limited', undefined, now, { bucket, retryAfter: error.retryAfter });
    throw error;
  }

  static #key(bucket: string, key: string): string {
    return `rl:${bucket}:${key}`;
  }

  /** Runs a counter operation; a failure becomes 503, or with `failOpen` `undefined` (let through). */
  async #call<T>(bucket: string, operation: () => Promise<T>): Promise<T | undefined> {
    try {
      return await operation();
    } catch (error) {
      if (!this.#failOpen) throw new StoreUnavailableError({ cause: error });
      this.#events?.emit('rate.unchecked', undefined, this.#clock(), { bucket });
      return undefined;
    }
  }

  /**
   * Counts one hit, or throws `RateLimitedError` without counting it when it would go over
   * the limit. The check and the count are one atomic store step, so of concurrent hits no more
   * are admitted than the limit allows, on every instance sharing the store.
   */
  async hit(bucket: string, key: string | null | undefined, limit: RateLimit): Promise<void> {
    if (!key) return;
    const now = this.#clock();
    const name = RateLimiter.#key(bucket, key);
    const after = await this.#call(bucket, () => this.#windows.add(name, limit.window, now, limit.limit));
    if (after !== undefined && !after.counted) this.#refuse(bucket, after, limit, now);
  }

  /** Throws `RateLimitedError` when one more hit would go over the limit, without counting. */
  async check(bucket: string, key: string | null | undefined, limit: RateLimit): Promise<void> {
    if (!key) return;
    const now = this.#clock();
    const count = await this.#call(bucket, () =>
      this.#windows.read(RateLimiter.#key(bucket, key), limit.window, now),
    );
    if (count !== undefined && !fitsOneMore(count, limit.limit)) this.#refuse(bucket, count, limit, now);
  }

  /** Counts one hit without checking (e.g. a failure recorded after the fact). */
  async record(bucket: string, key: string | null | undefined, limit: RateLimit): Promise<void> {
    if (!key) return;
    const now = this.#clock();
    await this.#call(bucket, () => this.#windows.add(RateLimiter.#key(bucket, key), limit.window, now));
  }

  /** Forgets a key's count. */
  async reset(bucket: string, key: string, limit: RateLimit): Promise<void> {
    const now = this.#clock();
    await this.#call(bucket, () => this.#windows.reset(RateLimiter.#key(bucket, key), limit.window, now));
  }
}
