/**
 * The store `createGatehouse` uses when the token-record cache is on: the configured store, with
 * every write that can make a cached record or user stale followed by an invalidation message
 * (see `TokenRecordCache`). Reads and every other repository pass through unchanged.
 *
 * @module
 */
import type { Invalidation } from './invalidation.js';
import type {
  NewTokenRecord,
  NewUser,
  RotateResult,
  Store,
  SyncTokenReads,
  TokenRecord,
  TokenRepository,
  TokenWithUser,
  UserListQuery,
  UserPatch,
  UserRecord,
  UserRepository,
} from './types.js';

type Publish = (message: Invalidation) => Promise<void>;

/** A {@link UserRepository} that publishes `user:<id>` after each update and deletion. */
class InvalidatingUserRepository implements UserRepository {
  /** The inner repository's listing, when it has one (a read: nothing to publish). */
  readonly list?: (query: UserListQuery) => Promise<UserRecord[]>;

  constructor(
    readonly inner: UserRepository,
    private readonly publish: Publish,
  ) {
    const list = inner.list?.bind(inner);
    if (list) this.list = list;
  }

  create(user: NewUser): Promise<UserRecord> {
    return this.inner.create(user);
  }
  findById(id: string): Promise<UserRecord | null> {
    return this.inner.findById(id);
  }
  findByEmail(email: string): Promise<UserRecord | null> {
    return this.inner.findByEmail(email);
  }
  findByUsername(username: string): Promise<UserRecord | null> {
    return this.inner.findByUsername(username);
  }
  async update(id: string, patch: UserPatch, updatedAt: Date): Promise<UserRecord | null> {
    const updated = await this.inner.update(id, patch, updatedAt);
    if (updated) await this.publish({ kind: 'user', id });
    return updated;
  }
  async delete(id: string): Promise<boolean> {
    const deleted = await this.inner.delete(id);
    await this.publish({ kind: 'user', id });
    return deleted;
  }
  count(): Promise<number> {
    return this.inner.count();
  }
}

/** A {@link TokenRepository} that publishes after each revocation and deletion. */
class InvalidatingTokenRepository implements TokenRepository {
  readonly findByIdWithUser?: (
    id: string,
    users: UserRepository,
  ) => Promise<TokenWithUser | null | undefined>;
  readonly sync?: SyncTokenReads;

  constructor(
    private readonly inner: TokenRepository,
    private readonly publish: Publish,
  ) {
    const joined = inner.findByIdWithUser?.bind(inner);
    if (joined) {
      // The inner repository joins its own store's users: hand it the repository it knows.
      this.findByIdWithUser = (id, users) =>
        joined(id, users instanceof InvalidatingUserRepository ? users.inner : users);
    }
    const sync = inner.sync;
    if (sync?.mirrors(inner)) {
      this.sync = {
        mirrors: (repository) =>
          repository.findById === InvalidatingTokenRepository.prototype.findById &&
          repository.findByIdWithUser === this.findByIdWithUser,
        findById: (id) => sync.findById(id),
        findByIdWithUser: (id, users) =>
          sync.findByIdWithUser(id, users instanceof InvalidatingUserRepository ? users.inner : users),
      };
    }
  }

  create(record: NewTokenRecord): Promise<TokenRecord> {
    return this.inner.create(record);
  }
  findById(id: string): Promise<TokenRecord | null> {
    return this.inner.findById(id);
  }
  findByHash(hash: string): Promise<TokenRecord | null> {
    return this.inner.findByHash(hash);
  }
  rotate(currentId: string, next: NewTokenRecord, now: Date): Promise<RotateResult> {
    return this.inner.rotate(currentId, next, now);
  }
  async revoke(id: string, now: Date): Promise<boolean> {
    const changed = await this.inner.revoke(id, now);
    await this.publish({ kind: 'token', id });
    return changed;
  }
  async revokeFamily(familyId: string, now: Date): Promise<number> {
    const changed = await this.inner.revokeFamily(familyId, now);
    await this.publish({ kind: 'family', id: familyId });
    return changed;
  }
  async revokeAllForUser(userId: string, now: Date, exceptFamilyId?: string): Promise<number> {
    const changed = await this.inner.revokeAllForUser(userId, now, exceptFamilyId);
    await this.publish({ kind: 'user', id: userId });
    return changed;
  }
  async revokeAllForClient(clientId: string, now: Date): Promise<number> {
    const changed = await this.inner.revokeAllForClient(clientId, now);
    await this.publish({ kind: 'client', id: clientId });
    return changed;
  }
  listActiveForUser(userId: string, now: Date): Promise<TokenRecord[]> {
    return this.inner.listActiveForUser(userId, now);
  }
  async deleteAllForUser(userId: string): Promise<number> {
    const deleted = await this.inner.deleteAllForUser(userId);
    await this.publish({ kind: 'user', id: userId });
    return deleted;
  }
  deleteExpired(before: Date): Promise<number> {
    return this.inner.deleteExpired(before);
  }
}

/**
 * `store` with its `users` and `tokens` publishing an invalidation after every change that can
 * make a cached token record or user stale: revocations (token, family, user, client), user updates
 * and deletions. `publish` runs after the write succeeded; the other repositories, `close` and
 * anything else of `store` are kept as they are.
 */
export function withInvalidation(store: Store, publish: Publish): Store {
  const wrapped: Store = {
    ...store,
    users: new InvalidatingUserRepository(store.users, publish),
    tokens: new InvalidatingTokenRepository(store.tokens, publish),
  };
  if (typeof store.close === 'function') wrapped.close = store.close.bind(store);
  return wrapped;
}
