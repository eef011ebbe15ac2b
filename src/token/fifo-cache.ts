/**
 * A bounded map that drops its oldest insertion first, in constant time: the verified-token cache,
 * the JOSE header memo and the token-record cache are built on it.
 *
 * Why not a `Map` alone: a `Map` keeps insertion order, but finding its oldest live entry
 * (`map.keys().next()`) walks over every entry deleted since the table was last rebuilt. A full
 * cache that drops one entry per insertion therefore walks thousands of deleted slots on each
 * insertion (about 10 µs at 10,000 entries), and with many distinct tokens every request inserts.
 * Here the insertion order lives in a circular queue of keys beside the map, so dropping the
 * oldest is one array read and one `Map.delete`.
 *
 * @module
 */

/** See the module documentation. Keys are compared as `Map` keys (`SameValueZero`). */
export class FifoCache<K, V> {
  /** Most entries held; 0 holds nothing. */
  readonly capacity: number;
  readonly #map = new Map<K, V>();
  /**
   * Keys in insertion order: `#count` slots from `#head` (the oldest), wrapping around at
   * `capacity`. Grown on demand up to `capacity` slots. A slot whose key was deleted from the map
   * stays queued until it is the oldest.
   */
  readonly #queue: K[] = [];
  #head = 0;
  #count = 0;

  /** An empty cache of at most `capacity` entries (a non-negative integer). */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError('capacity must be an integer >= 0');
    this.capacity = capacity;
  }

  /** Number of entries held. */
  get size(): number {
    return this.#map.size;
  }

  /** The value stored for `key`, or `undefined`. */
  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  /**
   * Stores `value` for `key`. A key already held keeps its place in the insertion order; a new
   * key, when the cache is full, first drops the oldest insertion.
   */
  set(key: K, value: V): void {
    const capacity = this.capacity;
    if (capacity === 0) return;
    const map = this.#map;
    if (map.has(key)) {
      map.set(key, value);
      return;
    }
    if (this.#count === capacity) this.#dropHead();
    const tail = (this.#head + this.#count) % capacity;
    if (tail === this.#queue.length) this.#queue.push(key);
    else this.#queue[tail] = key;
    this.#count++;
    map.set(key, value);
  }

  /** Frees the oldest slot, and drops its key from the map. */
  #dropHead(): void {
    const head = this.#head;
    this.#map.delete(this.#queue[head] as K);
    this.#head = head + 1 === this.capacity ? 0 : head + 1;
    this.#count--;
  }

  /**
   * Drops the oldest entries while `stale` says so of their value, at most `limit` of them (so a
   * caller that inserts one entry and drops up to two keeps the cost constant while the cache
   * shrinks to what is still of use). Stops at the first entry that is not stale.
   */
  dropStale(stale: (value: V) => boolean, limit: number): void {
    for (let dropped = 0; dropped < limit && this.#count > 0; dropped++) {
      const value = this.#map.get(this.#queue[this.#head] as K);
      if (value !== undefined && !stale(value)) return;
      this.#dropHead();
    }
  }

  /**
   * Removes `key`. Its queue slot stays until it is the oldest, so a deleted-then-reinserted key
   * may be dropped a little early: never a wrong answer, at worst one more miss.
   */
  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  /** Removes every entry for which `predicate` is true. Walks all entries: not for hot paths. */
  deleteWhere(predicate: (value: V, key: K) => boolean): void {
    for (const [key, value] of this.#map) if (predicate(value, key)) this.#map.delete(key);
  }

  /** Removes every entry. */
  clear(): void {
    this.#map.clear();
    this.#queue.length = 0;
    this.#head = 0;
    this.#count = 0;
  }
}
