/**
 * The listing part of the {@link UserRepository} contract: `list` returns keyset pages in creation
 * order (then id), continues strictly after a position (even one whose user was deleted since),
 * and is not disturbed by writes between pages.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { UserListPosition, UserListQuery, UserRecord, UserRepository } from '../types.js';
import { addMs, buildUserRecord, CONTRACT_EPOCH } from './fixtures.js';

/** Options of the user-repository contract. */
export interface UserContractOptions {
  /**
   * Whether the repository implements the optional `list` (listing users for administrators).
   * Default `true`: the listing rules run. `false` for a repository that leaves it out on purpose:
   * the suite then checks that `list` is absent, so that `listUsers` reports the store as unable
   * to list (`ERR_UNSUPPORTED_BY_STORE`) rather than failing some other way.
   */
  readonly listing?: boolean;
}

/** The repository's `list`, or a failure that says how to opt out. */
function lister(repository: UserRepository): (query: UserListQuery) => Promise<UserRecord[]> {
  const list = repository.list;
  if (typeof list !== 'function') {
    throw new Error(
      'this UserRepository has no list(): implement it, or pass { listing: false } to the contract suite',
    );
  }
  return (query) => list.call(repository, query);
}

const position = (user: UserRecord): UserListPosition => ({ createdAt: user.createdAt, id: user.id });

const ids = (users: readonly UserRecord[]): string[] => users.map((user) => user.id);

/** Sorts users by creation, then id: the order `list` must return. */
function inCreationOrder(users: readonly UserRecord[]): UserRecord[] {
  return [...users].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** Reads every page of `limit` users and returns them in the order they came. */
async function readAll(repository: UserRepository, limit: number): Promise<UserRecord[]> {
  const list = lister(repository);
  const seen: UserRecord[] = [];
  let after: UserListPosition | null = null;
  for (;;) {
    const page = await list({ limit, after });
    expect(page.length).toBeLessThanOrEqual(limit);
    seen.push(...page);
    const last = page[page.length - 1];
    if (page.length < limit || !last) return seen;
    after = position(last);
  }
}

/**
 * Users created at a few instants, several at the same millisecond (so the id decides), created
 * in an order that is neither their creation order nor their id order.
 */
function mixedUsers(): UserRecord[] {
  const offsets = [5, 0, 3, 3, 3, 1, 0, 7, 3, 2];
  return offsets.map((offset) => {
    const at = addMs(CONTRACT_EPOCH, offset * 1000);
    return buildUserRecord({ createdAt: at, updatedAt: at });
  });
}

/**
 * Registers the listing tests in the current `describe`; `repo` returns the repository of the
 * running test. With `listing: false`, registers the single check that `list` is absent.
 */
export function defineUserListingTests(repo: () => UserRepository, options: UserContractOptions = {}): void {
  if (options.listing === false) {
    describe('list (left out)', () => {
      it('has no list(), so listing users reports the store as unable to list', () => {
        expect(repo().list).toBeUndefined();
      });
    });
    return;
  }
  describe('list', () => {
    it('returns nothing from an empty repository', async () => {
      expect(await lister(repo())({ limit: 10 })).toEqual([]);
      expect(
        await lister(repo())({ limit: 10, after: { createdAt: CONTRACT_EPOCH, id: randomUUID() } }),
      ).toEqual([]);
    });

    it('returns whole records in creation order, then id, at most limit of them', async () => {
      const users = mixedUsers();
      for (const user of users) await repo().create(user);
      const expected = inCreationOrder(users);
      const all = await lister(repo())({ limit: 100 });
      expect(all).toEqual(expected);
      expect(await lister(repo())({ limit: 1 })).toEqual(expected.slice(0, 1));
      expect(await lister(repo())({ limit: 4 })).toEqual(expected.slice(0, 4));
    });

    it('continues strictly after a position: pages of any size cover every user once', async () => {
      const users = mixedUsers();
      for (const user of users) await repo().create(user);
      const expected = ids(inCreationOrder(users));
      for (const limit of [1, 3, 4, 10, 11])
        expect(ids(await readAll(repo(), limit)), `limit ${limit}`).toEqual(expected);
    });

    it('orders users created in the same millisecond by id', async () => {
      const same = Array.from({ length: 6 }, () => buildUserRecord());
      for (const user of same) await repo().create(user);
      const sorted = [...ids(same)].sort();
      expect(ids(await lister(repo())({ limit: 10 }))).toEqual(sorted);
      const second = same.find((user) => user.id === sorted[1]) as UserRecord;
      expect(ids(await lister(repo())({ limit: 2, after: position(second) }))).toEqual(sorted.slice(2, 4));
    });

    it('continues after a position whose user was deleted, and is not moved by updates', async () => {
      const users = inCreationOrder(mixedUsers());
      for (const user of users) await repo().create(user);
      const first = await lister(repo())({ limit: 4 });
      const last = first[3] as UserRecord;
      await repo().delete(last.id);
      // A later user changes its role and email: its place in the listing stays where it was.
      const moved = users[6] as UserRecord;
      await repo().update(
        moved.id,
        { role: 'ADMIN', email: `moved-${moved.id}@example.com` },
        addMs(CONTRACT_EPOCH, 99_000),
      );
      const rest = await lister(repo())({ limit: 100, after: position(last) });
      expect(ids(rest)).toEqual(ids(users.slice(4)));
      expect(rest.find((user) => user.id === moved.id)).toMatchObject({ role: 'ADMIN' });
    });

    it('sees users registered after the position, and none before it', async () => {
      const early = buildUserRecord();
      await repo().create(early);
      const [only] = await lister(repo())({ limit: 1 });
      expect(only?.id).toBe(early.id);
      const later = buildUserRecord({
        createdAt: addMs(CONTRACT_EPOCH, 1),
        updatedAt: addMs(CONTRACT_EPOCH, 1),
      });
      const before = buildUserRecord({
        createdAt: addMs(CONTRACT_EPOCH, -1),
        updatedAt: addMs(CONTRACT_EPOCH, -1),
      });
      await repo().create(later);
      await repo().create(before);
      expect(ids(await lister(repo())({ limit: 10, after: position(early) }))).toEqual([later.id]);
      expect(await lister(repo())({ limit: 10, after: position(later) })).toEqual([]);
    });

    it('keeps the milliseconds of the position', async () => {
      const a = buildUserRecord({ createdAt: addMs(CONTRACT_EPOCH, 0) });
      const b = buildUserRecord({ createdAt: addMs(CONTRACT_EPOCH, 1) });
      await repo().create(b);
      await repo().create(a);
      // After (epoch, the greatest id): a is at that instant with a smaller id, b one millisecond later.
      const after = { createdAt: CONTRACT_EPOCH, id: 'ffffffff-ffff-4fff-bfff-ffffffffffff' };
      expect(ids(await lister(repo())({ limit: 10, after }))).toEqual([b.id]);
    });
  });
}
