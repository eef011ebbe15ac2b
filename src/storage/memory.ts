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
import type {
  NewTokenRecord,
  NewUser,
  RotateResult,
  Store,
  TokenRecord,
  TokenRepository,
  TokenWithUser,
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
};

function copyUser(user: UserRecord): UserRecord {
  return Object.freeze({ ...user });
}

/** {@link UserRepository} kept in process memory. */
export class MemoryUserRepository implements UserRepository {
  readonly #byId = new Map<string, UserRecord>();
  readonly #idByEmail = new Map<string, string>();
  readonly #idByUsername = new Map<string, string>();

  async create(user: NewUser): Promise<UserRecord> {
    if (this.#byId.has(user.id) || this.#idByEmail.has(user.email)) throw new AlreadyRegisteredError();
    if (user.username !== null && this.#idByUsername.has(user.username)) throw new AlreadyRegisteredError();
    const stored = copyUser(user);
    this.#byId.set(stored.id, stored);
    this.#idByEmail.set(stored.email, stored.id);
    if (stored.username !== null) this.#idByUsername.set(stored.username, stored.id);
    return stored;
  }

  async findById(id: string): Promise<UserRecord | null> {
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
    return true;
  }

  async count(): Promise<number> {
    return this.#byId.size;
  }
}

function stripUndefined<T extends object>(patch: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(patch) as (keyof T)[]) {
    if (patch[key] !== undefined) out[key] = patch[key];
  }
  return out;
}

/** What the memory token table knows of a family (see `TokenRepository` on revocation). */
interface FamilyState {
  readonly userId: string;
  readonly clientId: string | null;
  /** The user's generation when the family started; raised only by `revokeAllForUser`'s exception. */
  generation: number;
  revoked: boolean;
  readonly expiresAt: number;
}

/**
 * {@link TokenRepository} kept in process memory; revocation checks are `Map` lookups. Revocation
 * is recorded on the family and as the user's generation, and every read reports a record's
 * effective state, exactly as the SQL stores do (see {@link TokenRepository}).
 */
export class MemoryTokenRepository implements TokenRepository {
  readonly #users: UserRepository | undefined;
  readonly #byId = new Map<string, TokenRecord>();
  readonly #idByHash = new Map<string, string>();
  readonly #families = new Map<string, FamilyState>();
  readonly #generations = new Map<string, number>();

  /** `options.users`: the user repository of the same store, which `findByIdWithUser` reads. */
  constructor(options: { users?: UserRepository } = {}) {
    this.#users = options.users;
  }

  async create(record: NewTokenRecord): Promise<TokenRecord> {
    return this.#insert(record);
  }

  #insert(record: NewTokenRecord): TokenRecord {
    if (this.#byId.has(record.id)) throw new Error('duplicate token id');
    if (record.tokenHash !== null && this.#idByHash.has(record.tokenHash))
      throw new Error('duplicate token hash');
    const stored = Object.freeze({ ...record });
    this.#byId.set(stored.id, stored);
    if (stored.tokenHash !== null) this.#idByHash.set(stored.tokenHash, stored.id);
    if (!this.#families.has(stored.familyId)) {
      this.#families.set(stored.familyId, {
        userId: stored.userId,
        clientId: stored.clientId,
        generation: this.#generations.get(stored.userId) ?? 0,
        revoked: false,
        expiresAt: stored.familyExpiresAt.getTime(),
      });
    }
    return stored;
  }

  /** Whether the family is neither revoked nor older than its user's last "revoke all". */
  #familyLive(familyId: string): boolean {
    const family = this.#families.get(familyId);
    return (
      family !== undefined &&
      !family.revoked &&
      family.generation === (this.#generations.get(family.userId) ?? 0)
    );
  }

  /** The record as reads report it: inactive when its family is no longer live. */
  #read(record: TokenRecord): TokenRecord {
    return !record.active || this.#familyLive(record.familyId)
      ? record
      : Object.freeze({ ...record, active: false });
  }

  async findById(id: string): Promise<TokenRecord | null> {
    const record = this.#byId.get(id);
    return record === undefined ? null : this.#read(record);
  }

  async findByIdWithUser(id: string, users: UserRepository): Promise<TokenWithUser | null | undefined> {
    if (this.#users === undefined || users !== this.#users) return undefined;
    const record = await this.findById(id);
    return record && { record, user: await users.findById(record.userId) };
  }

  async findByHash(hash: string): Promise<TokenRecord | null> {
    const id = this.#idByHash.get(hash);
    const record = id === undefined ? undefined : this.#byId.get(id);
    return record === undefined ? null : this.#read(record);
  }

  async rotate(currentId: string, next: NewTokenRecord, now: Date): Promise<RotateResult> {
    // Synchronous from check to write: no other call can interleave, so this is a true CAS.
    const stored = this.#byId.get(currentId);
    const current = stored === undefined ? undefined : this.#read(stored);
    if (!current?.active) return { status: 'inactive' };
    if (current.replacedBy !== null) return { status: 'already_rotated', current };
    this.#insert(next);
    this.#byId.set(
      currentId,
      Object.freeze({ ...current, replacedBy: next.id, usedAt: now, updatedAt: now }),
    );
    return { status: 'rotated' };
  }

  async revoke(id: string, now: Date): Promise<boolean> {
    const current = this.#byId.get(id);
    if (!current?.active) return false;
    this.#byId.set(id, Object.freeze({ ...current, active: false, updatedAt: now }));
    return true;
  }

  #revokeWhere(predicate: (record: TokenRecord) => boolean, now: Date): number {
    let changed = 0;
    for (const record of this.#byId.values()) {
      if (record.active && predicate(record)) {
        this.#byId.set(record.id, Object.freeze({ ...record, active: false, updatedAt: now }));
        changed++;
      }
    }
    return changed;
  }

  async revokeFamily(familyId: string, now: Date): Promise<number> {
    const family = this.#families.get(familyId);
    if (family) family.revoked = true;
    return this.#revokeWhere((r) => r.familyId === familyId, now);
  }

  async revokeAllForUser(userId: string, now: Date, exceptFamilyId?: string): Promise<number> {
    const before = this.#generations.get(userId) ?? 0;
    this.#generations.set(userId, before + 1);
    const kept = exceptFamilyId === undefined ? undefined : this.#families.get(exceptFamilyId);
    // The kept family moves to the new generation only if it was live: never brought back.
    if (kept && kept.userId === userId && !kept.revoked && kept.generation === before) {
      kept.generation = before + 1;
    }
    return this.#revokeWhere((r) => r.userId === userId && r.familyId !== exceptFamilyId, now);
  }

  async revokeAllForClient(clientId: string, now: Date): Promise<number> {
    for (const family of this.#families.values()) {
      if (family.clientId === clientId) family.revoked = true;
    }
    return this.#revokeWhere((r) => r.clientId === clientId, now);
  }

  async listActiveForUser(userId: string, now: Date): Promise<TokenRecord[]> {
    return [...this.#byId.values()]
      .map((r) => this.#read(r))
      .filter((r) => r.userId === userId && r.active && r.expiresAt.getTime() > now.getTime());
  }

  #deleteWhere(predicate: (record: TokenRecord) => boolean): number {
    let deleted = 0;
    for (const record of [...this.#byId.values()]) {
      if (predicate(record)) {
        this.#byId.delete(record.id);
        if (record.tokenHash !== null) this.#idByHash.delete(record.tokenHash);
        deleted++;
      }
    }
    return deleted;
  }

  async deleteAllForUser(userId: string): Promise<number> {
    for (const [id, family] of this.#families) if (family.userId === userId) this.#families.delete(id);
    this.#generations.delete(userId);
    return this.#deleteWhere((r) => r.userId === userId);
  }

  async deleteExpired(before: Date): Promise<number> {
    const cutoff = before.getTime();
    for (const [id, family] of this.#families) if (family.expiresAt < cutoff) this.#families.delete(id);
    return this.#deleteWhere((r) => r.expiresAt.getTime() < cutoff);
  }
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
