/**
 * {@link AccountRepository} (linked identities) kept in process memory.
 *
 * @module
 */
import { AlreadyRegisteredError } from '../../errors.js';
import type { AccountRepository, LinkedIdentity, LinkedIdentityPatch } from '../types.js';

function copy(identity: LinkedIdentity): LinkedIdentity {
  return Object.freeze({
    ...identity,
    createdAt: new Date(identity.createdAt.getTime()),
    updatedAt: new Date(identity.updatedAt.getTime()),
    lastLoginAt: identity.lastLoginAt === null ? null : new Date(identity.lastLoginAt.getTime()),
  });
}

/** A key of two strings that cannot collide (JSON keeps them apart whatever they contain). */
const pair = (a: string, b: string): string => JSON.stringify([a, b]);

/**
 * {@link AccountRepository} in a `Map`, with indexes on `(issuer, subject)` and `(userId, provider)`.
 * Every method runs synchronously from check to write, so the uniqueness rules hold under
 * concurrent calls.
 */
export class MemoryAccountRepository implements AccountRepository {
  readonly #byId = new Map<string, LinkedIdentity>();
  readonly #bySubject = new Map<string, string>();
  readonly #byUserProvider = new Map<string, string>();

  async create(identity: LinkedIdentity): Promise<LinkedIdentity> {
    const subjectKey = pair(identity.issuer, identity.subject);
    const userKey = pair(identity.userId, identity.provider);
    if (this.#byId.has(identity.id) || this.#bySubject.has(subjectKey) || this.#byUserProvider.has(userKey)) {
      throw new AlreadyRegisteredError();
    }
    const stored = copy(identity);
    this.#byId.set(stored.id, stored);
    this.#bySubject.set(subjectKey, stored.id);
    this.#byUserProvider.set(userKey, stored.id);
    return copy(stored);
  }

  #get(id: string | undefined): LinkedIdentity | null {
    const found = id === undefined ? undefined : this.#byId.get(id);
    return found === undefined ? null : copy(found);
  }

  async findBySubject(issuer: string, subject: string): Promise<LinkedIdentity | null> {
    return this.#get(this.#bySubject.get(pair(issuer, subject)));
  }

  async findByUserAndProvider(userId: string, provider: string): Promise<LinkedIdentity | null> {
    return this.#get(this.#byUserProvider.get(pair(userId, provider)));
  }

  async listForUser(userId: string): Promise<LinkedIdentity[]> {
    return [...this.#byId.values()]
      .filter((identity) => identity.userId === userId)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
      .map(copy);
  }

  async update(id: string, patch: LinkedIdentityPatch, updatedAt: Date): Promise<LinkedIdentity | null> {
    const current = this.#byId.get(id);
    if (!current) return null;
    const next: LinkedIdentity = {
      ...current,
      ...(patch.email !== undefined ? { email: patch.email } : {}),
      ...(patch.emailVerified !== undefined ? { emailVerified: patch.emailVerified } : {}),
      ...(patch.tokens !== undefined ? { tokens: patch.tokens } : {}),
      ...(patch.lastLoginAt !== undefined ? { lastLoginAt: patch.lastLoginAt } : {}),
      updatedAt,
    };
    this.#byId.set(id, copy(next));
    return copy(next);
  }

  #remove(identity: LinkedIdentity): void {
    this.#byId.delete(identity.id);
    this.#bySubject.delete(pair(identity.issuer, identity.subject));
    this.#byUserProvider.delete(pair(identity.userId, identity.provider));
  }

  async delete(id: string): Promise<boolean> {
    const current = this.#byId.get(id);
    if (!current) return false;
    this.#remove(current);
    return true;
  }

  async deleteAllForUser(userId: string): Promise<number> {
    let deleted = 0;
    for (const identity of [...this.#byId.values()]) {
      if (identity.userId === userId) {
        this.#remove(identity);
        deleted++;
      }
    }
    return deleted;
  }
}
