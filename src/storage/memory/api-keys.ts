/**
 * {@link ApiKeyRepository} kept in process memory: for tests and prototypes.
 *
 * @module
 */
import type { ApiKeyRecord, ApiKeyRepository } from '../types.js';

const freeze = (record: ApiKeyRecord): ApiKeyRecord =>
  Object.freeze({ ...record, scopes: Object.freeze([...record.scopes]) });

/**
 * API keys in a `Map`. Every operation runs synchronously from check to write, so the per-user cap
 * of {@link MemoryApiKeyRepository.create} cannot be overrun by concurrent calls.
 */
export class MemoryApiKeyRepository implements ApiKeyRepository {
  readonly #byId = new Map<string, ApiKeyRecord>();

  async create(record: ApiKeyRecord, maxActive: number): Promise<boolean> {
    if (this.#byId.has(record.id)) throw new Error('duplicate api key id');
    const now = record.createdAt.getTime();
    let active = 0;
    for (const key of this.#byId.values()) {
      if (key.userId === record.userId && key.revokedAt === null && key.expiresAt.getTime() > now) active++;
    }
    if (active >= maxActive) return false;
    this.#byId.set(record.id, freeze(record));
    return true;
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    return this.#byId.get(id) ?? null;
  }

  async listForUser(userId: string): Promise<ApiKeyRecord[]> {
    return [...this.#byId.values()]
      .filter((key) => key.userId === userId)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : 1));
  }

  async revoke(id: string, userId: string, now: Date): Promise<boolean> {
    const key = this.#byId.get(id);
    if (!key || key.userId !== userId || key.revokedAt !== null) return false;
    this.#byId.set(id, freeze({ ...key, revokedAt: now }));
    return true;
  }

  async touch(id: string, usedAt: Date): Promise<void> {
    const key = this.#byId.get(id);
    if (!key || (key.lastUsedAt !== null && key.lastUsedAt.getTime() >= usedAt.getTime())) return;
    this.#byId.set(id, freeze({ ...key, lastUsedAt: usedAt }));
  }

  async deleteAllForUser(userId: string): Promise<number> {
    let deleted = 0;
    for (const key of [...this.#byId.values()]) {
      if (key.userId === userId) {
        this.#byId.delete(key.id);
        deleted++;
      }
    }
    return deleted;
  }
}
