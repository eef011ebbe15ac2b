/**
 * The {@link RelationshipStore} contract on ids: metacharacters, quotes, unicode and the longest
 * allowed id are stored and matched verbatim, with no prefix, pattern, case or trimming matches,
 * and an id holding `:` or `#` cannot pose as another object, relation or subject.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { MAX_ID_LENGTH, type RelationshipStore } from '../../policy/relationship-store.js';
import { t } from './relationship-fixtures.js';

/** Registers the verbatim-id tests in the current `describe`; `store` returns the store of the running test. */
export function defineVerbatimIdTests(store: () => RelationshipStore): void {
  describe('ids are stored and matched verbatim', () => {
    const tricky = [
      'a:b',
      'a#b',
      'a:b#c',
      '%',
      '_',
      'a%',
      'a_c',
      "o'brien",
      '"double"',
      "'; DROP TABLE relationships; --",
      'back\\slash',
      'zoë@exämple.com',
      '日本語 🔐',
      ' padded ',
      'CaSe',
      'x'.repeat(MAX_ID_LENGTH),
    ];

    it('round-trips metacharacters, quotes, unicode and the longest id in objects and subjects', async () => {
      const tuples = tricky.flatMap((id) => [
        t(['folder', id], 'viewer', ['user', id]),
        t(['folder', 'plain'], 'viewer', ['team', id, 'member']),
      ]);
      await store().write(tuples);
      for (const id of tricky) {
        const object = { type: 'folder', id };
        expect(await store().readTuple(object, 'viewer', { type: 'user', id })).toEqual(
          t(['folder', id], 'viewer', ['user', id]),
        );
        expect(await store().readRelation(object, 'viewer')).toEqual([
          t(['folder', id], 'viewer', ['user', id]),
        ]);
        expect(await store().read({ object })).toEqual([t(['folder', id], 'viewer', ['user', id])]);
        expect(await store().read({ subject: { type: 'user', id } })).toEqual([
          t(['folder', id], 'viewer', ['user', id]),
        ]);
        expect(
          await store().readTuple({ type: 'folder', id: 'plain' }, 'viewer', {
            type: 'team',
            id,
            relation: 'member',
          }),
        ).toEqual(t(['folder', 'plain'], 'viewer', ['team', id, 'member']));
      }
      expect(await store().readUsersets({ type: 'folder', id: 'plain' }, 'viewer')).toHaveLength(
        tricky.length,
      );
      expect(await store().read({})).toHaveLength(tuples.length);
    });

    it('matches exactly: no prefix, pattern, case or trimming matches', async () => {
      await store().write(tricky.map((id) => t(['folder', id], 'viewer', ['user', id])));
      for (const id of [
        'a',
        'b',
        'a:',
        'a#',
        'ac',
        'abc',
        'a:b#',
        '%%',
        'case',
        'CASE',
        'padded',
        'x',
        "o'",
        '*',
      ]) {
        expect(
          await store().readTuple({ type: 'folder', id }, 'viewer', { type: 'user', id }),
          id,
        ).toBeUndefined();
        expect(await store().readRelation({ type: 'folder', id }, 'viewer'), id).toEqual([]);
        expect(await store().read({ object: { type: 'folder', id } }), id).toEqual([]);
        expect(await store().read({ subject: { type: 'user', id } }), id).toEqual([]);
      }
    });

    it('an id with ":" and "#" cannot pose as another object, relation or subject', async () => {
      // folder:"1#viewer@user:anne" must not be folder:1#viewer@user:anne, and so on.
      await store().write([
        t(['folder', '1#viewer@user:anne'], 'viewer', ['user', 'x']),
        t(['folder', '1'], 'viewer', ['user', 'anne#member']),
        t(['folder', '1'], 'viewer', ['team', 'eng:member']),
      ]);
      const folder1 = { type: 'folder', id: '1' };
      expect(await store().readTuple(folder1, 'viewer', { type: 'user', id: 'anne' })).toBeUndefined();
      expect(
        await store().readTuple(folder1, 'viewer', { type: 'user', id: 'anne', relation: 'member' }),
      ).toBeUndefined();
      expect(
        await store().readTuple(folder1, 'viewer', { type: 'team', id: 'eng', relation: 'member' }),
      ).toBeUndefined();
      expect(await store().readUsersets(folder1, 'viewer')).toEqual([]);
      expect(await store().readRelation(folder1, 'viewer')).toHaveLength(2);
    });
  });
}
