/**
 * The read half of the {@link RelationshipStore} contract: an empty store, `readTuple`,
 * `readRelation`, `readUsersets` and filtered `read`, each matching exactly (a userset subject is
 * not the plain subject; a wildcard is stored literally).
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { RelationshipStore } from '../../policy/relationship-store.js';
import {
  anneInEng,
  anneOwns1,
  anneViews1,
  anneViews10,
  bobViews1,
  engViews1,
  everyoneViews1,
  FIXTURE,
  opsInEng,
  opsViews1,
  parentOf2,
  sorted,
  t,
} from './relationship-fixtures.js';

/** Registers the read tests in the current `describe`; `store` returns the store of the running test. */
export function defineRelationshipReadTests(store: () => RelationshipStore): void {
  describe('empty store', () => {
    it('answers every read with nothing', async () => {
      expect(await store().read({})).toEqual([]);
      expect(await store().read({ object: { type: 'folder', id: '1' } })).toEqual([]);
      expect(
        await store().readTuple({ type: 'folder', id: '1' }, 'viewer', { type: 'user', id: 'anne' }),
      ).toBeUndefined();
      expect(await store().readUsersets({ type: 'folder', id: '1' }, 'viewer')).toEqual([]);
      expect(await store().readRelation({ type: 'folder', id: '1' }, 'viewer')).toEqual([]);
    });

    it('accepts empty batches', async () => {
      await store().write([]);
      await store().delete([]);
      expect(await store().read({})).toEqual([]);
    });
  });

  describe('readTuple', () => {
    it('returns the one written tuple, matching object, relation and subject exactly', async () => {
      await store().write(FIXTURE);
      const folder1 = { type: 'folder', id: '1' };
      expect(await store().readTuple(folder1, 'viewer', { type: 'user', id: 'anne' })).toEqual(anneViews1);
      expect(await store().readTuple(folder1, 'owner', { type: 'user', id: 'anne' })).toEqual(anneOwns1);
      expect(
        await store().readTuple(folder1, 'viewer', { type: 'team', id: 'eng', relation: 'member' }),
      ).toEqual(engViews1);
      expect(await store().readTuple(folder1, 'viewer', { type: 'user', id: 'carol' })).toBeUndefined();
      expect(await store().readTuple(folder1, 'editor', { type: 'user', id: 'anne' })).toBeUndefined();
      expect(
        await store().readTuple({ type: 'folder', id: '10' }, 'owner', { type: 'user', id: 'anne' }),
      ).toBeUndefined();
      expect(
        await store().readTuple({ type: 'document', id: '1' }, 'viewer', { type: 'user', id: 'anne' }),
      ).toBeUndefined();
    });

    it('tells a userset subject from a plain subject with the same type and id', async () => {
      await store().write([engViews1]);
      const folder1 = { type: 'folder', id: '1' };
      expect(await store().readTuple(folder1, 'viewer', { type: 'team', id: 'eng' })).toBeUndefined();
      expect(
        await store().readTuple(folder1, 'viewer', { type: 'team', id: 'eng', relation: 'admin' }),
      ).toBeUndefined();
      const plain = t(['folder', '1'], 'viewer', ['team', 'eng']);
      await store().write([plain]);
      expect(await store().readTuple(folder1, 'viewer', { type: 'team', id: 'eng' })).toEqual(plain);
      expect(
        await store().readTuple(folder1, 'viewer', { type: 'team', id: 'eng', relation: 'member' }),
      ).toEqual(engViews1);
    });

    it('stores a wildcard subject literally: user:* is found as user:*, not as user:anne', async () => {
      await store().write([everyoneViews1]);
      const folder1 = { type: 'folder', id: '1' };
      expect(await store().readTuple(folder1, 'viewer', { type: 'user', id: '*' })).toEqual(everyoneViews1);
      expect(await store().readTuple(folder1, 'viewer', { type: 'user', id: 'anne' })).toBeUndefined();
      expect(await store().readTuple(folder1, 'viewer', { type: 'team', id: '*' })).toBeUndefined();
    });
  });

  describe('readRelation and readUsersets', () => {
    it('readRelation returns every tuple of one object and relation, and nothing else', async () => {
      await store().write(FIXTURE);
      expect(sorted(await store().readRelation({ type: 'folder', id: '1' }, 'viewer'))).toEqual(
        sorted([anneViews1, bobViews1, everyoneViews1, engViews1, opsViews1]),
      );
      expect(await store().readRelation({ type: 'folder', id: '2' }, 'parent')).toEqual([parentOf2]);
      expect(await store().readRelation({ type: 'folder', id: '10' }, 'viewer')).toEqual([anneViews10]);
      expect(await store().readRelation({ type: 'folder', id: '1' }, 'parent')).toEqual([]);
      expect(await store().readRelation({ type: 'team', id: '1' }, 'viewer')).toEqual([]);
    });

    it('readUsersets returns the userset-subject tuples only', async () => {
      await store().write(FIXTURE);
      expect(sorted(await store().readUsersets({ type: 'folder', id: '1' }, 'viewer'))).toEqual(
        sorted([engViews1, opsViews1]),
      );
      expect(await store().readUsersets({ type: 'team', id: 'eng' }, 'member')).toEqual([opsInEng]);
      expect(await store().readUsersets({ type: 'folder', id: '1' }, 'owner')).toEqual([]);
      expect(await store().readUsersets({ type: 'folder', id: '10' }, 'viewer')).toEqual([]);
    });
  });

  describe('read', () => {
    it('by object (type and id), optionally with a relation', async () => {
      await store().write(FIXTURE);
      expect(sorted(await store().read({ object: { type: 'folder', id: '1' } }))).toEqual(
        sorted([anneViews1, bobViews1, everyoneViews1, engViews1, opsViews1, anneOwns1]),
      );
      expect(await store().read({ object: { type: 'folder', id: '1' }, relation: 'owner' })).toEqual([
        anneOwns1,
      ]);
      expect(await store().read({ object: { type: 'team', id: '1' } })).toEqual([]);
    });

    it('by object type alone, and by relation alone', async () => {
      await store().write(FIXTURE);
      expect(sorted(await store().read({ object: { type: 'team' } }))).toEqual(sorted([anneInEng, opsInEng]));
      expect(sorted(await store().read({ object: { type: 'folder' }, relation: 'viewer' }))).toEqual(
        sorted([anneViews1, bobViews1, everyoneViews1, engViews1, opsViews1, anneViews10]),
      );
      expect(sorted(await store().read({ relation: 'member' }))).toEqual(sorted([anneInEng, opsInEng]));
      expect(await store().read({ relation: 'editor' })).toEqual([]);
    });

    it('by subject (reverse lookup), with or without a relation and a subject relation', async () => {
      await store().write(FIXTURE);
      expect(sorted(await store().read({ subject: { type: 'user', id: 'anne' } }))).toEqual(
        sorted([anneViews1, anneOwns1, anneViews10, anneInEng]),
      );
      expect(
        sorted(await store().read({ subject: { type: 'user', id: 'anne' }, relation: 'viewer' })),
      ).toEqual(sorted([anneViews1, anneViews10]));
      expect(
        await store().read({
          subject: { type: 'user', id: 'anne' },
          object: { type: 'folder', id: '10' },
        }),
      ).toEqual([anneViews10]);
      expect(
        sorted(await store().read({ subject: { type: 'team', id: 'ops', relation: 'member' } })),
      ).toEqual(sorted([opsViews1, opsInEng]));
      expect(await store().read({ subject: { type: 'user', id: '*' } })).toEqual([everyoneViews1]);
      expect(await store().read({ subject: { type: 'user', id: 'carol' } })).toEqual([]);
    });

    it('a subject with an id is one exact subject: without a relation, the plain subject only', async () => {
      // Reverse lookups ("what is team:eng itself related to") rely on this.
      const plainEng = t(['folder', '3'], 'viewer', ['team', 'eng']);
      await store().write([...FIXTURE, plainEng]);
      expect(await store().read({ subject: { type: 'team', id: 'eng' } })).toEqual([plainEng]);
      expect(await store().read({ subject: { type: 'team', id: 'eng', relation: 'member' } })).toEqual([
        engViews1,
      ]);
      expect(await store().read({ subject: { type: 'team', id: 'ops' } })).toEqual([]);
      expect(await store().read({ subject: { type: 'folder', id: '1' } })).toEqual([parentOf2]);
      // The same holds when the object is part of the filter too.
      expect(
        await store().read({ object: { type: 'folder', id: '1' }, subject: { type: 'team', id: 'eng' } }),
      ).toEqual([]);
      expect(
        await store().read({
          object: { type: 'folder', id: '1' },
          subject: { type: 'team', id: 'eng', relation: 'member' },
        }),
      ).toEqual([engViews1]);
    });

    it('by subject type alone, optionally with a subject relation', async () => {
      await store().write(FIXTURE);
      expect(sorted(await store().read({ subject: { type: 'team' } }))).toEqual(
        sorted([engViews1, opsViews1, opsInEng]),
      );
      expect(sorted(await store().read({ subject: { type: 'team', relation: 'member' } }))).toEqual(
        sorted([engViews1, opsViews1, opsInEng]),
      );
      expect(await store().read({ subject: { type: 'team', relation: 'admin' } })).toEqual([]);
      expect(await store().read({ subject: { type: 'folder' } })).toEqual([parentOf2]);
    });

    it('an empty filter lists every tuple', async () => {
      await store().write(FIXTURE);
      expect(sorted(await store().read({}))).toEqual(sorted(FIXTURE));
    });
  });
}
