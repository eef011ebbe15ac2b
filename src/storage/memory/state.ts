/**
 * {@link StateStore} kept in process memory.
 *
 * @module
 */
import type { StateStore } from '../types.js';
import { ExpiringMap, isExpired } from './expiring-map.js';

interface StateEntry {
  readonly value: string;
  readonly expiresAt: number | null;
}

/**
 * {@link StateStore} kept in process memory: one `Map`. Every method runs synchronously from
 * check to write, so `take` is atomic without locks. Expired values are never returned; they are
 * dropped when a read finds them, by {@link MemoryStateStore.deleteExpired}, and by a sweep that
 * runs whenever the map has doubled since the last one (using the latest `now` a caller passed,
 * since time is assumed not to run backwards), so memory stays bounded by the live values.
 */
export class MemoryStateStore implements StateStore {
  readonly #entries = new ExpiringMap<StateEntry>();

  /** Number of values held, including expired ones not dropped yet (for tests and monitoring). */
  get size(): number {
    return this.#entries.size;
  }

  async set(key: string, value: string, expiresAt: Date | null): Promise<void> {
    this.#entries.set(key, { value, expiresAt: expiresAt === null ? null : expiresAt.getTime() });
  }

  async get(key: string, now: Date): Promise<string | null> {
    return this.#entries.getLive(key, now.getTime())?.value ?? null;
  }

  async take(key: string, now: Date): Promise<string | null> {
    const at = this.#entries.observe(now.getTime());
    const entry = this.#entries.take(key);
    return entry === undefined || isExpired(entry, at) ? null : entry.value;
  }

  async delete(key: string): Promise<boolean> {
    return this.#entries.delete(key);
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    return this.#entries.deleteByPrefix(prefix);
  }

  async deleteExpired(now: Date): Promise<number> {
    return this.#entries.sweep(this.#entries.observe(now.getTime()));
  }
}
