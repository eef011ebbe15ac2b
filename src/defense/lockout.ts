import type { RequestContext, SecurityEvents } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import type { CounterStore, StateStore } from '../storage/types.js';
import { SlidingWindowCounter, slidingEstimate } from './sliding-window.js';

/** Lockout settings (from `config.lockout`). */
export interface LockoutSettings {
  /** Consecutive failures that lock the account (at most 100). */
  readonly maxFailures: number;
  /** Seconds over which failures count as consecutive (a sliding window). */
  readonly failureWindow: number;
  /** Seconds of the first lock. */
  readonly lockDuration: number;
  /** Each further lock lasts this many times longer. */
  readonly backoffFactor: number;
  /** Longest temporary lock, seconds. */
  readonly maxLockDuration: number;
  /**
   * After this many locks in one window (from the first lock, `max(1 day, 2 × maxLockDuration)`)
   * the lock no longer expires; 0 = never. The same window carries the back-off.
   */
  readonly escalateAfter: number;
}

/** Whether an account is locked, and until when (`null` with `locked`: until lifted). */
export interface LockState {
  readonly locked: boolean;
  readonly until: Date | null;
}

const UNLOCKED: LockState = Object.freeze({ locked: false, until: null });

/** Counts failures and locks accounts. See the module documentation. */
export class LockoutService {
  readonly #state: StateStore;
  readonly #counters: CounterStore;
  readonly #failures: SlidingWindowCounter;
  readonly #settings: LockoutSettings;
  readonly #clock: () => Date;
  readonly #events: SecurityEvents;

  constructor(
    stores: { state: StateStore; counters: CounterStore },
    settings: LockoutSettings,
    clock: () => Date,
    events: SecurityEvents,
  ) {
    this.#state = stores.state;
    this.#counters = stores.counters;
    this.#failures = new SlidingWindowCounter(stores.counters);
    this.#settings = settings;
    this.#clock = clock;
    this.#events = events;
  }

  /** The account's lock state now. */
  async state(userId: string): Promise<LockState> {
    const raw = await storeCall(() => this.#state.get(`lock:${userId}`, this.#clock()));
    if (raw === null) return UNLOCKED;
    const { until } = JSON.parse(raw) as { until: number | null };
    return { locked: true, until: until === null ? null : new Date(until) };
  }

  /**
   * Records a failed password check; locks the account when the failures of the last
   * `failureWindow` seconds (a sliding-window estimate) reach `maxFailures`.
   */
  async recordFailure(userId: string, context?: RequestContext): Promise<LockState> {
    const now = this.#clock();
    const failures = await storeCall(() =>
      this.#failures.add(`lockout:fail:${userId}`, this.#settings.failureWindow, now),
    );
    const count = Math.floor(slidingEstimate(failures));
    if (count < this.#settings.maxFailures) return UNLOCKED;
    const { count: locks } = await storeCall(() =>
      this.#counters.increment(
        `lockout:locks:${userId}`,
        Math.max(86_400, this.#settings.maxLockDuration * 2),
        now,
      ),
    );
    const escalated = this.#settings.escalateAfter > 0 && locks >= this.#settings.escalateAfter;
    const seconds = Math.min(
      this.#settings.lockDuration * this.#settings.backoffFactor ** (locks - 1),
      this.#settings.maxLockDuration,
    );
    const until = escalated ? null : new Date(now.getTime() + seconds * 1000);
    await storeCall(async () => {
      await this.#state.set(`lock:${userId}`, JSON.stringify({ until: until?.getTime() ?? null }), until);
      await this.#resetFailures(userId, now);
    });
    this.#events.emit('account.locked', context, now, { userId, until, failures: count });
    return { locked: true, until };
  }

  /** Records a successful login: the consecutive-failure count starts again. */
  async recordSuccess(userId: string): Promise<void> {
    await storeCall(() => this.#resetFailures(userId, this.#clock()));
  }

  #resetFailures(userId: string, now: Date): Promise<void> {
    return this.#failures.reset(`lockout:fail:${userId}`, this.#settings.failureWindow, now);
  }

  /**
   * Lifts a lock (administrator, or a completed password reset) and forgets the back-off. `true`
   * (and an `account.unlocked` event) only when the account was locked at that moment: a lock that
   * already ended does not count.
   */
  async unlock(
    userId: string,
    reason: 'admin' | 'password_reset',
    context?: RequestContext,
  ): Promise<boolean> {
    const { locked } = await this.state(userId);
    const existed = await storeCall(async () => {
      await this.#state.delete(`lock:${userId}`);
      await this.#resetFailures(userId, this.#clock());
      await this.#counters.reset(`lockout:locks:${userId}`);
      return locked;
    });
    if (existed) this.#events.emit('account.unlocked', context, this.#clock(), { userId, reason });
    return existed;
  }
}
