/**
 * The {@link TokenRepository} contract suite: every implementation (memory, SQLite, a user's own)
 * must pass it unchanged. The rotation tests are the important ones: refresh-token reuse
 * detection is only as good as the store's compare-and-swap.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TokenRecord, TokenRepository } from '../types.js';
import {
  addMs,
  buildSuccessor,
  buildTokenRecord,
  CONTRACT_EPOCH,
  randomTokenHash,
  randomTokenId,
} from './fixtures.js';
import { byId, type ContractFactory, useFreshSubject } from './lifecycle.js';
import { defineTokenRevocationTests, type TokenContractOptions } from './token-revocation.js';

const MINUTE = 60_000;

async function expectRejects(promise: Promise<unknown>): Promise<void> {
  const rejected = await promise.then(
    () => false,
    () => true,
  );
  expect(rejected, 'expected the write to be rejected').toBe(true);
}

/**
 * Registers the token-repository tests in the current `describe`; `repo` returns the repository
 * of the running test. Used by {@link describeTokenRepositoryContract} and `describeStoreContract`.
 */
export function defineTokenRepositoryTests(
  repo: () => TokenRepository,
  options: TokenContractOptions = {},
): void {
  defineTokenRevocationTests(repo, options);

  describe('create and find', () => {
    it('create returns the stored record; findById and findByHash return it', async () => {
      const token = buildTokenRecord();
      expect(await repo().create(token)).toEqual(token);
      expect(await repo().findById(token.id)).toEqual(token);
      expect(token.tokenHash).not.toBeNull();
      expect(await repo().findByHash(token.tokenHash ?? '')).toEqual(token);
    });

    it('stores an access token (no hash) and finds it by id', async () => {
      const token = buildTokenRecord({ kind: 'access' });
      expect(token.tokenHash).toBeNull();
      await repo().create(token);
      expect(await repo().findById(token.id)).toEqual(token);
    });

    it('allows any number of records without a hash', async () => {
      const family = randomTokenId();
      const tokens = [0, 1, 2].map(() => buildTokenRecord({ kind: 'access', familyId: family }));
      for (const token of tokens) await repo().create(token);
      for (const token of tokens) expect(await repo().findById(token.id)).toEqual(token);
    });

    it('returns null for an unknown id or hash', async () => {
      await repo().create(buildTokenRecord());
      expect(await repo().findById(randomTokenId())).toBeNull();
      expect(await repo().findByHash(randomTokenHash())).toBeNull();
      expect(await repo().findById('')).toBeNull();
      expect(await repo().findByHash('')).toBeNull();
    });

    it('round-trips every field: dates to the millisecond, booleans, nulls', async () => {
      const full = buildTokenRecord({
        active: false,
        ipAddress: '2001:db8::1',
        replacedBy: randomTokenId(),
        usedAt: addMs(CONTRACT_EPOCH, 1),
        expiresAt: new Date(Date.UTC(2038, 0, 19, 3, 14, 7, 999)),
        familyExpiresAt: new Date(Date.UTC(2040, 1, 29, 12, 0, 0, 1)),
        createdAt: new Date(Date.UTC(2001, 8, 9, 1, 46, 40, 7)),
        updatedAt: new Date(Date.UTC(2001, 8, 9, 1, 46, 40, 8)),
      });
      const sparse = buildTokenRecord({
        kind: 'access',
        tokenHash: null,
        ipAddress: null,
        userAgent: null,
        scope: null,
        clientId: null,
      });
      await repo().create(full);
      await repo().create(sparse);
      const foundFull = await repo().findById(full.id);
      const foundSparse = await repo().findById(sparse.id);
      expect(foundFull).toEqual(full);
      expect(foundSparse).toEqual(sparse);
      expect(foundFull?.active).toBe(false);
      expect(foundSparse?.active).toBe(true);
      expect(foundFull?.usedAt).toBeInstanceOf(Date);
      expect(foundFull?.expiresAt.getTime()).toBe(full.expiresAt.getTime());
      expect(foundFull?.familyExpiresAt.getTime()).toBe(full.familyExpiresAt.getTime());
      expect(foundSparse?.ipAddress).toBeNull();
      expect(foundSparse?.userAgent).toBeNull();
      expect(foundSparse?.scope).toBeNull();
      expect(foundSparse?.clientId).toBeNull();
      expect(foundSparse?.usedAt).toBeNull();
      expect(foundSparse?.replacedBy).toBeNull();
    });

    it('stores metacharacters verbatim and never matches them as patterns', async () => {
      const token = buildTokenRecord({
        userAgent: `Mozilla/5.0 ("quoted"); DROP TABLE tokens;-- \\ % _ 🔐 ünïcödé`,
        scope: "openid profile' OR '1'='1",
        clientId: '100%_client\\',
        ipAddress: "::ffff:192.0.2.1'--",
      });
      await repo().create(token);
      expect(await repo().findById(token.id)).toEqual(token);
      expect(await repo().findByHash('%')).toBeNull();
      expect(await repo().findByHash(`${(token.tokenHash ?? '').slice(0, 10)}%`)).toBeNull();
      expect(await repo().findByHash("' OR '1'='1")).toBeNull();
      expect(await repo().findById('%')).toBeNull();
      expect(await repo().findById('_'.repeat(token.id.length))).toBeNull();
      expect(await repo().listActiveForUser('%', CONTRACT_EPOCH)).toEqual([]);
      expect(await repo().revokeFamily('%', CONTRACT_EPOCH)).toBe(0);
      expect(await repo().revokeAllForUser("' OR '1'='1", CONTRACT_EPOCH)).toBe(0);
      expect(await repo().deleteAllForUser('%')).toBe(0);
      expect(await repo().findById(token.id)).toEqual(token);
    });

    it('rejects a second record with the same id and keeps the first', async () => {
      const token = await repo().create(buildTokenRecord());
      await expectRejects(repo().create(buildTokenRecord({ id: token.id })));
      expect(await repo().findById(token.id)).toEqual(token);
    });

    it('rejects a second record with the same hash and keeps the first', async () => {
      const token = await repo().create(buildTokenRecord());
      const clash = buildTokenRecord({ tokenHash: token.tokenHash });
      await expectRejects(repo().create(clash));
      expect(await repo().findById(clash.id)).toBeNull();
      expect(await repo().findByHash(token.tokenHash ?? '')).toEqual(token);
    });
  });

  describe('rotate (compare-and-swap)', () => {
    it('rotates an active, unused token: marks it used and stores the successor', async () => {
      const current = await repo().create(buildTokenRecord());
      const now = addMs(CONTRACT_EPOCH, 5 * MINUTE + 321);
      const next = buildSuccessor(current, now);
      expect(await repo().rotate(current.id, next, now)).toEqual({ status: 'rotated' });
      expect(await repo().findById(current.id)).toEqual({
        ...current,
        replacedBy: next.id,
        usedAt: now,
        updatedAt: now,
      });
      expect(await repo().findById(next.id)).toEqual(next);
      expect(await repo().findByHash(next.tokenHash ?? '')).toEqual(next);
    });

    it('a second rotate of the same token returns already_rotated with the current record and writes nothing', async () => {
      const current = await repo().create(buildTokenRecord());
      const t1 = addMs(CONTRACT_EPOCH, MINUTE);
      const first = buildSuccessor(current, t1);
      expect(await repo().rotate(current.id, first, t1)).toEqual({ status: 'rotated' });

      const t2 = addMs(CONTRACT_EPOCH, 2 * MINUTE);
      const second = buildSuccessor(current, t2);
      const result = await repo().rotate(current.id, second, t2);
      expect(result.status).toBe('already_rotated');
      if (result.status !== 'already_rotated') return;
      const expected: TokenRecord = { ...current, replacedBy: first.id, usedAt: t1, updatedAt: t1 };
      expect(result.current).toEqual(expected);
      expect(await repo().findById(current.id)).toEqual(expected);
      expect(await repo().findById(second.id)).toBeNull();
      expect(await repo().findByHash(second.tokenHash ?? '')).toBeNull();
      expect(await repo().findById(first.id)).toEqual(first);
    });

    it('returns inactive for a revoked token and writes nothing', async () => {
      const current = await repo().create(buildTokenRecord());
      const revokedAt = addMs(CONTRACT_EPOCH, MINUTE);
      expect(await repo().revoke(current.id, revokedAt)).toBe(true);
      const now = addMs(CONTRACT_EPOCH, 2 * MINUTE);
      const next = buildSuccessor(current, now);
      expect(await repo().rotate(current.id, next, now)).toEqual({ status: 'inactive' });
      expect(await repo().findById(next.id)).toBeNull();
      expect(await repo().findById(current.id)).toEqual({ ...current, active: false, updatedAt: revokedAt });
    });

    it('returns inactive for an unknown token and writes nothing', async () => {
      const now = addMs(CONTRACT_EPOCH, MINUTE);
      const next = buildTokenRecord({ createdAt: now, updatedAt: now });
      expect(await repo().rotate(randomTokenId(), next, now)).toEqual({ status: 'inactive' });
      expect(await repo().findById(next.id)).toBeNull();
      expect(await repo().findByHash(next.tokenHash ?? '')).toBeNull();
    });

    it('follows a chain: the successor can be rotated in turn, the old link stays used', async () => {
      const t0 = await repo().create(buildTokenRecord());
      const at1 = addMs(CONTRACT_EPOCH, MINUTE);
      const t1 = buildSuccessor(t0, at1);
      const at2 = addMs(CONTRACT_EPOCH, 2 * MINUTE);
      const t2 = buildSuccessor(t1, at2);
      expect(await repo().rotate(t0.id, t1, at1)).toEqual({ status: 'rotated' });
      expect(await repo().rotate(t1.id, t2, at2)).toEqual({ status: 'rotated' });
      expect((await repo().findById(t0.id))?.replacedBy).toBe(t1.id);
      expect((await repo().findById(t1.id))?.replacedBy).toBe(t2.id);
      expect(await repo().findById(t2.id)).toEqual(t2);
      const reuse = await repo().rotate(t0.id, buildSuccessor(t0, at2), at2);
      expect(reuse.status).toBe('already_rotated');
    });

    it('of 20 concurrent rotates of one token exactly one returns rotated and exactly one successor is stored', async () => {
      const current = await repo().create(buildTokenRecord());
      const now = addMs(CONTRACT_EPOCH, MINUTE);
      const successors = Array.from({ length: 20 }, () => buildSuccessor(current, now));
      const results = await Promise.all(successors.map((next) => repo().rotate(current.id, next, now)));

      const rotated = results.filter((r) => r.status === 'rotated');
      expect(rotated).toHaveLength(1);
      expect(results.filter((r) => r.status === 'already_rotated')).toHaveLength(19);

      const stored: TokenRecord[] = [];
      for (const next of successors) {
        const found = await repo().findById(next.id);
        if (found) stored.push(found);
      }
      expect(stored).toHaveLength(1);
      const winnerIndex = results.findIndex((r) => r.status === 'rotated');
      expect(stored[0]).toEqual(successors[winnerIndex]);
      const after = await repo().findById(current.id);
      expect(after?.replacedBy).toBe(stored[0]?.id);
      for (const r of results) {
        if (r.status === 'already_rotated') expect(r.current.replacedBy).toBe(stored[0]?.id);
      }
    });

    it('does not mark the token used when the successor cannot be stored', async () => {
      const existing = await repo().create(buildTokenRecord());
      const current = await repo().create(buildTokenRecord());
      const now = addMs(CONTRACT_EPOCH, MINUTE);
      const clash = buildSuccessor(current, now, { id: existing.id });
      await expectRejects(repo().rotate(current.id, clash, now));
      expect(await repo().findById(current.id)).toEqual(current);
      expect(await repo().findById(existing.id)).toEqual(existing);
      const next = buildSuccessor(current, now);
      expect(await repo().rotate(current.id, next, now)).toEqual({ status: 'rotated' });
    });
  });

  describe('revocation', () => {
    it('revoke marks one record inactive: true, then false; other fields untouched', async () => {
      const token = await repo().create(buildTokenRecord());
      const sibling = await repo().create(
        buildTokenRecord({ familyId: token.familyId, userId: token.userId }),
      );
      const now = addMs(CONTRACT_EPOCH, MINUTE);
      expect(await repo().revoke(token.id, now)).toBe(true);
      expect(await repo().findById(token.id)).toEqual({ ...token, active: false, updatedAt: now });
      expect(await repo().revoke(token.id, addMs(now, 1))).toBe(false);
      expect(await repo().findById(token.id)).toEqual({ ...token, active: false, updatedAt: now });
      expect(await repo().findById(sibling.id)).toEqual(sibling);
    });

    it('revoke of an unknown id returns false', async () => {
      expect(await repo().revoke(randomTokenId(), CONTRACT_EPOCH)).toBe(false);
    });

    it('revokeFamily revokes every active record of the family, counts them, and leaves other families alone', async () => {
      const userId = randomUUID();
      const family = randomTokenId();
      const other = randomTokenId();
      const a = await repo().create(buildTokenRecord({ userId, familyId: family }));
      const b = await repo().create(buildTokenRecord({ userId, familyId: family, kind: 'access' }));
      const alreadyRevoked = await repo().create(
        buildTokenRecord({ userId, familyId: family, active: false }),
      );
      const keep = await repo().create(buildTokenRecord({ userId, familyId: other }));
      const now = addMs(CONTRACT_EPOCH, MINUTE);

      expect(await repo().revokeFamily(family, now)).toBe(2);
      expect(await repo().findById(a.id)).toEqual({ ...a, active: false, updatedAt: now });
      expect(await repo().findById(b.id)).toEqual({ ...b, active: false, updatedAt: now });
      expect(await repo().findById(alreadyRevoked.id)).toEqual(alreadyRevoked);
      expect(await repo().findById(keep.id)).toEqual(keep);
      expect(await repo().revokeFamily(family, addMs(now, 1))).toBe(0);
      expect(await repo().revokeFamily(randomTokenId(), now)).toBe(0);
    });

    it('revokeAllForUser revokes every family of the user and leaves other users alone', async () => {
      const alice = randomUUID();
      const bob = randomUUID();
      const a1 = await repo().create(buildTokenRecord({ userId: alice }));
      const a2 = await repo().create(
        buildTokenRecord({ userId: alice, familyId: a1.familyId, kind: 'access' }),
      );
      const a3 = await repo().create(buildTokenRecord({ userId: alice }));
      const aRevoked = await repo().create(buildTokenRecord({ userId: alice, active: false }));
      const b1 = await repo().create(buildTokenRecord({ userId: bob }));
      const now = addMs(CONTRACT_EPOCH, MINUTE);

      expect(await repo().revokeAllForUser(alice, now)).toBe(3);
      for (const t of [a1, a2, a3])
        expect(await repo().findById(t.id)).toEqual({ ...t, active: false, updatedAt: now });
      expect(await repo().findById(aRevoked.id)).toEqual(aRevoked);
      expect(await repo().findById(b1.id)).toEqual(b1);
      expect(await repo().revokeAllForUser(alice, now)).toBe(0);
      expect(await repo().revokeAllForUser(randomUUID(), now)).toBe(0);
    });

    it('revokeAllForUser with exceptFamilyId keeps that family and leaves other users alone', async () => {
      const alice = randomUUID();
      const bob = randomUUID();
      const current = randomTokenId();
      const keep1 = await repo().create(buildTokenRecord({ userId: alice, familyId: current }));
      const keep2 = await repo().create(
        buildTokenRecord({ userId: alice, familyId: current, kind: 'access' }),
      );
      const gone1 = await repo().create(buildTokenRecord({ userId: alice }));
      const gone2 = await repo().create(buildTokenRecord({ userId: alice, kind: 'access' }));
      const bobSameFamilyId = await repo().create(buildTokenRecord({ userId: bob }));
      const bobOther = await repo().create(buildTokenRecord({ userId: bob, familyId: current }));
      const now = addMs(CONTRACT_EPOCH, MINUTE);

      expect(await repo().revokeAllForUser(alice, now, current)).toBe(2);
      expect(await repo().findById(keep1.id)).toEqual(keep1);
      expect(await repo().findById(keep2.id)).toEqual(keep2);
      expect(await repo().findById(gone1.id)).toEqual({ ...gone1, active: false, updatedAt: now });
      expect(await repo().findById(gone2.id)).toEqual({ ...gone2, active: false, updatedAt: now });
      expect(await repo().findById(bobSameFamilyId.id)).toEqual(bobSameFamilyId);
      expect(await repo().findById(bobOther.id)).toEqual(bobOther);
      expect(await repo().revokeAllForUser(alice, now, current)).toBe(0);
    });

    it('revokeAllForClient revokes every record of that client id, of every user, and nothing else', async () => {
      const cli = `cli-${randomTokenId().slice(0, 12)}`;
      const alice = randomUUID();
      const bob = randomUUID();
      const aRefresh = await repo().create(buildTokenRecord({ userId: alice, clientId: cli }));
      const aAccess = await repo().create(
        buildTokenRecord({ userId: alice, familyId: aRefresh.familyId, kind: 'access', clientId: cli }),
      );
      const bRefresh = await repo().create(buildTokenRecord({ userId: bob, clientId: cli }));
      const own = await repo().create(
        buildTokenRecord({
          userId: `client:${cli}`,
          familyId: `client:${cli}`,
          kind: 'access',
          clientId: cli,
        }),
      );
      const alreadyRevoked = await repo().create(
        buildTokenRecord({ userId: alice, clientId: cli, active: false }),
      );
      // Same user and family, other clients: untouched. So are ids that merely look alike.
      const firstParty = await repo().create(buildTokenRecord({ userId: alice, clientId: 'gatehouse' }));
      const other = await repo().create(buildTokenRecord({ userId: bob, clientId: `${cli}-2` }));
      const prefix = await repo().create(buildTokenRecord({ userId: bob, clientId: cli.slice(0, -1) }));
      const upper = await repo().create(buildTokenRecord({ userId: bob, clientId: cli.toUpperCase() }));
      const none = await repo().create(buildTokenRecord({ userId: alice, clientId: null }));
      const now = addMs(CONTRACT_EPOCH, MINUTE);

      expect(await repo().revokeAllForClient(cli, now)).toBe(4);
      for (const t of [aRefresh, aAccess, bRefresh, own])
        expect(await repo().findById(t.id)).toEqual({ ...t, active: false, updatedAt: now });
      for (const t of [alreadyRevoked, firstParty, other, prefix, upper, none])
        expect(await repo().findById(t.id)).toEqual(t);
      expect(await repo().revokeAllForClient(cli, now)).toBe(0);
      expect(await repo().revokeAllForClient('%', now)).toBe(0);
      expect(await repo().revokeAllForClient("' OR '1'='1", now)).toBe(0);
      expect(await repo().revokeAllForClient('', now)).toBe(0);
      expect(await repo().findById(other.id)).toEqual(other);
    });
  });

  describe('listing and deletion', () => {
    it('listActiveForUser returns the active, unexpired records of that user only', async () => {
      const alice = randomUUID();
      const now = addMs(CONTRACT_EPOCH, 10 * MINUTE);
      const live1 = await repo().create(buildTokenRecord({ userId: alice, expiresAt: addMs(now, 1) }));
      const live2 = await repo().create(
        buildTokenRecord({ userId: alice, kind: 'access', expiresAt: addMs(now, MINUTE) }),
      );
      await repo().create(buildTokenRecord({ userId: alice, active: false, expiresAt: addMs(now, MINUTE) }));
      await repo().create(buildTokenRecord({ userId: alice, expiresAt: addMs(now, -1) }));
      await repo().create(buildTokenRecord({ userId: alice, expiresAt: now }));
      await repo().create(buildTokenRecord({ userId: randomUUID(), expiresAt: addMs(now, MINUTE) }));
      const revokedLater = await repo().create(
        buildTokenRecord({ userId: alice, expiresAt: addMs(now, MINUTE) }),
      );
      await repo().revoke(revokedLater.id, now);

      const listed = await repo().listActiveForUser(alice, now);
      expect(byId(listed)).toEqual(byId([live1, live2]));
      expect(await repo().listActiveForUser(randomUUID(), now)).toEqual([]);
    });

    it('deleteAllForUser deletes every record of the user, counts them, and leaves other users alone', async () => {
      const alice = randomUUID();
      const bob = randomUUID();
      const mine = [
        await repo().create(buildTokenRecord({ userId: alice })),
        await repo().create(buildTokenRecord({ userId: alice, kind: 'access' })),
        await repo().create(buildTokenRecord({ userId: alice, active: false })),
      ];
      const theirs = await repo().create(buildTokenRecord({ userId: bob }));

      expect(await repo().deleteAllForUser(alice)).toBe(3);
      for (const t of mine) {
        expect(await repo().findById(t.id)).toBeNull();
        if (t.tokenHash !== null) expect(await repo().findByHash(t.tokenHash)).toBeNull();
      }
      expect(await repo().findById(theirs.id)).toEqual(theirs);
      expect(await repo().deleteAllForUser(alice)).toBe(0);
    });

    it('deleteExpired deletes records that expired strictly before the cutoff and counts them', async () => {
      const cutoff = addMs(CONTRACT_EPOCH, 60 * MINUTE);
      const old1 = await repo().create(buildTokenRecord({ expiresAt: addMs(cutoff, -1) }));
      const old2 = await repo().create(
        buildTokenRecord({ kind: 'access', expiresAt: addMs(cutoff, -MINUTE) }),
      );
      const oldRevoked = await repo().create(
        buildTokenRecord({ active: false, expiresAt: addMs(cutoff, -MINUTE) }),
      );
      const atCutoff = await repo().create(buildTokenRecord({ expiresAt: cutoff }));
      const live = await repo().create(buildTokenRecord({ expiresAt: addMs(cutoff, 1) }));
      const liveRevoked = await repo().create(
        buildTokenRecord({ active: false, expiresAt: addMs(cutoff, MINUTE) }),
      );

      expect(await repo().deleteExpired(cutoff)).toBe(3);
      for (const t of [old1, old2, oldRevoked]) expect(await repo().findById(t.id)).toBeNull();
      expect(await repo().findByHash(old1.tokenHash ?? '')).toBeNull();
      for (const t of [atCutoff, live, liveRevoked]) expect(await repo().findById(t.id)).toEqual(t);
      expect(await repo().deleteExpired(cutoff)).toBe(0);
    });

    it('a deleted hash can be stored again', async () => {
      const token = await repo().create(buildTokenRecord({ expiresAt: addMs(CONTRACT_EPOCH, -1) }));
      await repo().deleteExpired(CONTRACT_EPOCH);
      const again = buildTokenRecord({ tokenHash: token.tokenHash });
      expect(await repo().create(again)).toEqual(again);
      expect(await repo().findByHash(token.tokenHash ?? '')).toEqual(again);
    });
  });
}

/**
 * Declares a vitest `describe(name)` block that checks a {@link TokenRepository} against the
 * repository contract of `src/storage/types.ts`, including the compare-and-swap of `rotate` under
 * 20 concurrent calls, and revocations interleaved with (and racing, from `options.peer`) the writes
 * of a login or a rotation. `createRepository` is called before every test and must return an empty
 * repository; if the result has a `close()` method it is called after the test.
 *
 * @example
 * describeTokenRepositoryContract('my tokens', () => new MyTokenRepository(freshDb()));
 */
export function describeTokenRepositoryContract(
  name: string,
  createRepository: ContractFactory<TokenRepository>,
  options: TokenContractOptions = {},
): void {
  describe(name, () => {
    const repo = useFreshSubject(createRepository);
    defineTokenRepositoryTests(repo, options);
  });
}
