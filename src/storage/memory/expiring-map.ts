/**
 * A `Map` whose entries carry an expiry, for the in-memory state and counter stores. Expired
 * entries are never returned, and they are dropped lazily: when a read finds one, and in a sweep
 * that runs whenever the map has doubled in size since the last sweep (amortized O(1) per write),
 * so memory stays proportional to the live entries.
 *
 * The stores receive the time from their callers (`now` arguments), not from a clock of their own.
 * Sweeps triggered by writes, which have no `now`, use the latest `now` a caller has passed: time
 * is assumed not to run backwards, so an entry once seen expired is gone for good.
 *
 * @module
 */

/** Below this size writes never trigger a sweep. */
const MIN_SWEEP_SIZE = 1024;

/** Entries of an {@link ExpiringMap}: anything with an expiry in epoch milliseconds (`null`: never). */
export interface Expiring {
  readonly expiresAt: number | null;
}

/** `true` when `entry` has expired at `now` (expiry is inclusive: expired when `now >= expiresAt`). */
export function isExpired(entry: Expiring, now: number): boolean {
  return entry.expiresAt !== null && now >= entry.expiresAt;
}

/** A string-keyed map of {@link Expiring} entries that drops expired ones lazily. */
export class ExpiringMap<V extends Expiring> {
  readonly #entries = new Map<string, V>();
  /** The latest `now` any caller has passed; sweeps triggered by writes use it. */
  #latestNow = Number.NEGATIVE_INFINITY;
  /** A write that brings the map to this size sweeps it first. */
  #sweepAtSize = MIN_SWEEP_SIZE;

  /** Number of entries held, expired ones not yet dropped included. */
  get size(): number {
    return this.#entries.size;
  }

  /** Records `now` as seen (the clock of later write-triggered sweeps) and returns it. */
  observe(now: number): number {
    if (now > this.#latestNow) this.#latestNow = now;
    return now;
  }

  /** The entry when it is live at `now`; an expired entry is deleted and `undefined` returned. */
  getLive(key: string, now: number): V | undefined {
    this.observe(now);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (isExpired(entry, now)) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** The entry, expired or not. */
  peek(key: string): V | undefined {
    return this.#entries.get(key);
  }

  /** Stores `entry` under `key`, replacing any previous one; sweeps first when the map has grown. */
  set(key: string, entry: V): void {
    if (!this.#entries.has(key) && this.#entries.size + 1 >= this.#sweepAtSize) {
      this.sweep(this.#latestNow);
      this.#sweepAtSize = Math.max(MIN_SWEEP_SIZE, 2 * (this.#entries.size + 1));
    }
    this.#entries.set(key, entry);
  }

  /** Removes the entry and returns it (expired or not), or `undefined` when there was none. */
  take(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined) this.#entries.delete(key);
    return entry;
  }

  /** Deletes the entry; `true` when there was one (expired or not). */
  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  // Deleting the current entry while iterating a Map is well defined: iteration goes on with the next.

  /** Deletes every entry whose key starts with `prefix` (a plain string comparison). Returns how many. */
  deleteByPrefix(prefix: string): number {
    let deleted = 0;
    for (const key of this.#entries.keys()) {
      if (key.startsWith(prefix)) {
        this.#entries.delete(key);
        deleted++;
      }
    }
    return deleted;
  }

  /** Deletes every entry expired at `now`. Returns how many. */
  sweep(now: number): number {
    let deleted = 0;
    for (const [key, entry] of this.#entries) {
      if (isExpired(entry, now)) {
        this.#entries.delete(key);
        deleted++;
      }
    }
    return deleted;
  }
}
