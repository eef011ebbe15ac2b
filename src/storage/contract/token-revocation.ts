/**
 * The revocation part of the {@link TokenRepository} contract: a revocation that commits between
 * the writes of a login or a rotation must end the tokens written after it too (see the interface
 * documentation). The interleavings are played step by step, then raced from a second repository
 * instance over the same database (another connection or pool) when the suite is given one.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { TokenRecord, TokenRepository } from '../types.js';
import { addMs, buildSuccessor, buildTokenRecord, CONTRACT_EPOCH, randomTokenId } from './fixtures.js';

/** A second repository over the same storage as the one under test (see {@link TokenContractOptions}). */
export type TokenPeerFactory = (repository: TokenRepository) => TokenRepository | Promise<TokenRepository>;

/** Options of the token-repository contract. */
export interface TokenContractOptions {
  /**
   * Opens a second repository over the same database as `repository` (another connection, pool
   * or process-local handle), so that the races run as two instances of a service would run them.
   * Its `close()`, when present, is called after the test. Without it both sides of each race use
   * the one repository.
   */
  readonly peer?: TokenPeerFactory;
}

const TRIALS = 25;

/** A login's two rows: the refresh token that starts a family, and its first access token. */
function login(userId: string, at = CONTRACT_EPOCH): { refresh: TokenRecord; access: TokenRecord } {
  const refresh = buildTokenRecord({ userId, createdAt: at, updatedAt: at });
  const access = buildSuccessor(refresh, at, { kind: 'access', tokenHash: null });
  return { refresh, access };
}

async function activeOf(repo: TokenRepository, ...records: TokenRecord[]): Promise<boolean[]> {
  return Promise.all(records.map(async (r) => (await repo.findById(r.id))?.active ?? false));
}

/** Registers the revocation tests; `repo` returns the repository of the running test. */
export function defineTokenRevocationTests(
  repo: () => TokenRepository,
  options: TokenContractOptions = {},
): void {
  const now = addMs(CONTRACT_EPOCH, 60_000);
  const opened: TokenRepository[] = [];
  afterEach(async () => {
    for (const peer of opened.splice(0)) {
      const close = (peer as { close?: () => unknown }).close;
      if (typeof close === 'function') await close.call(peer);
    }
  });
  const peer = async (): Promise<TokenRepository> => {
    if (!options.peer) return repo();
    const other = await options.peer(repo());
    if (other !== repo()) opened.push(other);
    return other;
  };

  describe('revocation between writes', () => {
    it('revokeFamily between a rotation and its access row: the access row is born inactive', async () => {
      const { refresh } = login(randomUUID());
      await repo().create(refresh);
      const next = buildSuccessor(refresh, now);
      expect(await repo().rotate(refresh.id, next, now)).toEqual({ status: 'rotated' });
      await repo().revokeFamily(refresh.familyId, now);
      const access = buildSuccessor(next, now, { kind: 'access', tokenHash: null });
      await repo().create(access);
      expect(await activeOf(repo(), refresh, next, access)).toEqual([false, false, false]);
      expect((await repo().findByHash(next.tokenHash ?? ''))?.active).toBe(false);
      expect(await repo().rotate(next.id, buildSuccessor(next, now), now)).toEqual({ status: 'inactive' });
      expect(await repo().listActiveForUser(refresh.userId, now)).toEqual([]);
    });

    it("revokeAllForUser between a login's refresh row and access row: both inactive", async () => {
      const userId = randomUUID();
      const { refresh, access } = login(userId);
      await repo().create(refresh);
      await repo().revokeAllForUser(userId, now);
      await repo().create(access);
      expect(await activeOf(repo(), refresh, access)).toEqual([false, false]);
      expect(await repo().rotate(refresh.id, buildSuccessor(refresh, now), now)).toEqual({
        status: 'inactive',
      });
    });

    it('a family started after revokeAllForUser is live; the ended one stays ended', async () => {
      const userId = randomUUID();
      const before = login(userId);
      await repo().create(before.refresh);
      await repo().revokeAllForUser(userId, now);
      const after = login(userId, now);
      await repo().create(after.refresh);
      await repo().create(after.access);
      await repo().create(buildSuccessor(before.refresh, now, { kind: 'access', tokenHash: null }));
      expect(await activeOf(repo(), after.refresh, after.access)).toEqual([true, true]);
      expect(await activeOf(repo(), before.refresh)).toEqual([false]);
      expect((await repo().listActiveForUser(userId, now)).map((r) => r.id).sort()).toEqual(
        [after.refresh.id, after.access.id].sort(),
      );
    });

    it('revokeAllForUser keeps exceptFamilyId live, tokens written to it later included, and never revives an ended family', async () => {
      const userId = randomUUID();
      const kept = login(userId);
      const ended = login(userId);
      await repo().create(kept.refresh);
      await repo().create(ended.refresh);
      await repo().revokeFamily(ended.refresh.familyId, now);
      await repo().revokeAllForUser(userId, now, kept.refresh.familyId);
      await repo().create(kept.access);
      expect(await activeOf(repo(), kept.refresh, kept.access)).toEqual([true, true]);
      // Keeping a revoked family, or one ended by an earlier revokeAllForUser, does not bring it back.
      await repo().revokeAllForUser(userId, now, ended.refresh.familyId);
      expect(await activeOf(repo(), ended.refresh, kept.refresh)).toEqual([false, false]);
      await repo().revokeAllForUser(userId, now, kept.refresh.familyId);
      expect(await activeOf(repo(), kept.refresh)).toEqual([false]);
    });

    it("revokeAllForClient ends the client's families: rows written to them later are inactive", async () => {
      const { refresh } = login(randomUUID());
      const device = { ...refresh, clientId: 'cli-device' };
      await repo().create(device);
      await repo().revokeAllForClient('cli-device', now);
      const access = buildSuccessor(device, now, { kind: 'access', tokenHash: null });
      await repo().create(access);
      expect(await activeOf(repo(), device, access)).toEqual([false, false]);
    });

    it('a user deleted and written again starts afresh', async () => {
      const userId = randomUUID();
      await repo().create(login(userId).refresh);
      await repo().revokeAllForUser(userId, now);
      await repo().deleteAllForUser(userId);
      const again = login(userId, now);
      await repo().create(again.refresh);
      expect(await activeOf(repo(), again.refresh)).toEqual([true]);
    });
  });

  describe('revocation racing writes from another instance', () => {
    it(`rotation + access row racing revokeFamily (${TRIALS} trials): every token of the family ends inactive`, async () => {
      const other = await peer();
      for (let trial = 0; trial < TRIALS; trial++) {
        const { refresh } = login(randomUUID());
        await repo().create(refresh);
        const next = buildSuccessor(refresh, now);
        const access = buildSuccessor(next, now, { kind: 'access', tokenHash: null });
        const issue = async () => {
          if ((await repo().rotate(refresh.id, next, now)).status === 'rotated') await repo().create(access);
        };
        await Promise.all([issue(), other.revokeFamily(refresh.familyId, now)]);
        for (const reader of [repo(), other]) {
          expect(await activeOf(reader, refresh, next, access)).toEqual([false, false, false]);
        }
      }
    });

    it(`a login's access row racing revokeAllForUser (${TRIALS} trials): the login ends inactive`, async () => {
      const other = await peer();
      for (let trial = 0; trial < TRIALS; trial++) {
        const userId = randomUUID();
        const { refresh, access } = login(userId);
        await repo().create(refresh);
        await Promise.all([repo().create(access), other.revokeAllForUser(userId, now)]);
        for (const reader of [repo(), other]) {
          expect(await activeOf(reader, refresh, access)).toEqual([false, false]);
        }
      }
    });

    it(`two instances rotating one token (${TRIALS} trials): one wins, and a revocation after it ends the winner's tokens`, async () => {
      const other = await peer();
      for (let trial = 0; trial < TRIALS; trial++) {
        const { refresh } = login(randomUUID());
        await repo().create(refresh);
        const mine = buildSuccessor(refresh, now);
        const theirs = buildSuccessor(refresh, now, { id: randomTokenId() });
        const results = await Promise.all([
          repo().rotate(refresh.id, mine, now),
          other.rotate(refresh.id, theirs, now),
        ]);
        expect(results.filter((r) => r.status === 'rotated')).toHaveLength(1);
        const loser = results.find((r) => r.status !== 'rotated');
        expect(loser?.status).toBe('already_rotated');
        const winner = results[0]?.status === 'rotated' ? mine : theirs;
        const access = buildSuccessor(winner, now, { kind: 'access', tokenHash: null });
        // Reuse detection on the losing instance revokes the family while the winner writes its access row.
        await Promise.all([repo().create(access), other.revokeFamily(refresh.familyId, now)]);
        expect(await activeOf(repo(), winner, access)).toEqual([false, false]);
      }
    });
  });
}
