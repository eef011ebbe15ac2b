/**
 * The in-memory store: for tests and prototypes. Everything is lost when the process exits.
 * It follows the same contract as the SQLite and PostgreSQL stores (see `gatehouse/testing`).
 *
 * @module
 */
import { AlreadyRegisteredError } from '../errors.js';
import {
  MemoryRelationshipStore,
  type MemoryRelationshipStoreOptions,
} from '../policy/relationship-store.js';
import { MemoryApiKeyRepository } from './memory/api-keys.js';
import { MemoryClientRepository } from './memory/clients.js';
import { MemoryCounterStore } from './memory/counters.js';
import { MemoryAccountRepository } from './memory/identities.js';
import { MemoryMfaRepository } from './memory/mfa.js';
import { MemoryStateStore } from './memory/state.js';
import { MemoryTokenRepository } from './memory/tokens.js';
import type {
  NewUser,
  Store,
  UserListPosition,
  UserListQuery,
  UserPatch,
  UserRecord,
  UserRepository,
} from './types.js';

export {
  MemoryAccountRepository,
  MemoryApiKeyRepository,
  MemoryClientRepository,
  MemoryCounterStore,
  MemoryMfaRepository,
  MemoryStateStore,
  MemoryTokenRepository,
};

function copyUser(user: UserRecord): UserRecord {
  return Object.freeze({ ...user });
}

/** Creation order, then id: negative when `a` comes before `b`. */
function compareByCreation(a: UserListPosition, b: UserListPosition): number {
  const byTime = a.createdAt.getTime() - b.createdAt.getTime();
  if (byTime !== 0) return byTime;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** {@link UserRepository} kept in process memory. */
export class MemoryUserRepository implements UserRepository {
  readonly #byId = new Map<string, UserRecord>();
  readonly #idByEmail = new Map<string, string>();
  readonly #idByUsername = new Map<string, string>();
  /** Every user's position in creation order, sorted (the creation time never changes). */
  readonly #byCreation: UserListPosition[] = [];

  /** The index in {@link #byCreation} of the first position not before `position`. */
  #lowerBound(position: UserListPosition): number {
    let low = 0;
    let high = this.#byCreation.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareByCreation(this.#byCreation[middle] as UserListPosition, position) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  async create(user: NewUser): Promise<UserRecord> {
    if (this.#byId.has(user.id) || this.#idByEmail.has(user.email)) throw new AlreadyRegisteredError();
    if (user.username !== null && this.#idByUsername.has(user.username)) throw new AlreadyRegisteredError();
    const stored = copyUser(user);
    this.#byId.set(stored.id, stored);
    this.#idByEmail.set(stored.email, stored.id);
    if (stored.username !== null) this.#idByUsername.set(stored.username, stored.id);
    const position = { createdAt: stored.createdAt, id: stored.id };
    this.#byCreation.splice(this.#lowerBound(position), 0, position);
    return stored;
  }

  async findById(id: string): Promise<UserRecord | null> {
    return this.#byId.get(id) ?? null;
  }

  /** {@link MemoryUserRepository.findById} without a promise, for the token table's synchronous read. */
  findByIdSync(id: string): UserRecord | null {
    return this.#byId.get(id) ?? null;
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    const id = this.#idByEmail.get(email);
    return id === undefined ? null : (this.#byId.get(id) ?? null);
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const id = this.#idByUsername.get(username);
    return id === undefined ? null : (this.#byId.get(id) ?? null);
  }

  async update(id: string, patch: UserPatch, updatedAt: Date): Promise<UserRecord | null> {
    const current = this.#byId.get(id);
    if (!current) return null;
    const next = copyUser({ ...current, ...stripUndefined(patch), updatedAt });
    const emailOwner = this.#idByEmail.get(next.email);
    if (emailOwner !== undefined && emailOwner !== id) throw new AlreadyRegisteredError();
    if (next.username !== null) {
      const usernameOwner = this.#idByUsername.get(next.username);
      if (usernameOwner !== undefined && usernameOwner !== id) throw new AlreadyRegisteredError();
    }
    this.#idByEmail.delete(current.email);
    if (current.username !== null) this.#idByUsername.delete(current.username);
    this.#idByEmail.set(next.email, id);
    if (next.username !== null) this.#idByUsername.set(next.username, id);
    this.#byId.set(id, next);
    return next;
  }

  async delete(id: string): Promise<boolean> {
    const current = this.#byId.get(id);
    if (!current) return false;
    this.#byId.delete(id);
    this.#idByEmail.delete(current.email);
    if (current.username !== null) this.#idByUsername.delete(current.username);
    this.#byCreation.splice(this.#lowerBound({ createdAt: current.createdAt, id }), 1);
    return true;
  }

  async count(): Promise<number> {
    return this.#byId.size;
  }

  /** A binary search in the sorted creation index, then `limit` steps: no scan of every user. */
  async list(query: UserListQuery): Promise<UserRecord[]> {
    let start = 0;
    if (query.after) {
      start = this.#lowerBound(query.after);
      const at = this.#byCreation[start];
      if (at && compareByCreation(at, query.after) === 0) start += 1;
    }
    const page: UserRecord[] = [];
    for (let i = start; i < this.#byCreation.length && page.length < query.limit; i++) {
      const user = this.#byId.get((this.#byCreation[i] as UserListPosition).id);
      if (user) page.push(user);
    }
    return page;
  }
}

function stripUndefined<T extends object>(patch: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(patch) as (keyof T)[]) {
    if (patch[key] !== undefined) out[key] = patch[key];
  }
  return out;
}

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Options of the relationship store; with `{ model }`, every written tuple is checked against it. */
  readonly relationships?: MemoryRelationshipStoreOptions;
}

/**
 * A complete in-memory {@link Store}: users, tokens, state, counters, MFA factors and relationship
 * tuples (`new PolicyEvaluator({ model, store: store.relationships })`).
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const users = new MemoryUserRepository();
  return {
    users,
    tokens: new MemoryTokenRepository({ users }),
    state: new MemoryStateStore(),
    counters: new MemoryCounterStore(),
    mfa: new MemoryMfaRepository(),
    relationships: new MemoryRelationshipStore(options.relationships),
    apiKeys: new MemoryApiKeyRepository(),
    identities: new MemoryAccountRepository(),
    clients: new MemoryClientRepository(),
  };
}
