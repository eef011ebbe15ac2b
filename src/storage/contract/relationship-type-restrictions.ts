/**
 * The {@link RelationshipStore} contract for a store built with a model: `write` enforces the
 * model's type restrictions (all-or-nothing), `delete` checks the shape only.
 *
 * @module
 */
import { expect, it } from 'vitest';
import type { RelationshipStore } from '../../policy/relationship-store.js';
import {
  anneInEng,
  anneOwns1,
  anneViews1,
  engViews1,
  everyoneViews1,
  expectRejectedTuple,
  opsInEng,
  parentOf2,
  sorted,
  t,
} from './relationship-fixtures.js';

/**
 * Registers the type-restriction tests in the current `describe`; `store` returns a store created
 * with `{ model: RELATIONSHIP_CONTRACT_MODEL }`.
 */
export function defineModelRestrictedRelationshipStoreTests(store: () => RelationshipStore): void {
  const inOffice = { name: 'in_office', context: { allowed: ['10.0.0.1'] } };

  it('accepts the tuples the model allows: users, wildcards, usersets and conditioned users', async () => {
    const allowed = [
      anneViews1,
      everyoneViews1,
      engViews1,
      t(['folder', '1'], 'viewer', ['user', 'bob'], inOffice),
      anneOwns1,
      parentOf2,
      anneInEng,
      opsInEng,
    ];
    await store().write(allowed);
    expect(sorted(await store().read({}))).toEqual(sorted(allowed));
  });

  it('rejects what no type restriction admits, and the batch with it', async () => {
    const rejected = [
      t(['document', '1'], 'viewer', ['user', 'anne']),
      t(['folder', '1'], 'editor', ['user', 'anne']),
      t(['folder', '1'], 'viewer', ['folder', '2']),
      t(['folder', '1'], 'owner', ['user', '*']),
      t(['folder', '1'], 'owner', ['team', 'eng', 'member']),
      t(['folder', '1'], 'owner', ['user', 'anne'], inOffice),
      t(['folder', '1'], 'viewer', ['user', 'anne'], { name: 'weekdays' }),
      t(['folder', '1'], 'viewer', ['user', '*'], inOffice),
      t(['folder', '1'], 'viewer', ['team', 'eng']),
      t(['folder', '1'], 'viewer', ['team', 'eng', 'owner']),
      t(['folder', '1'], 'parent', ['folder', '2', 'viewer']),
      t(['team', 'eng'], 'member', ['user', '*']),
      t(['folder', '1'], 'viewer', ['user', '']),
    ];
    for (const tuple of rejected) {
      await expectRejectedTuple(store().write([anneViews1, engViews1, tuple]), 2);
    }
    expect(await store().read({})).toEqual([]);
  });

  it('deleting checks the shape only, so tuples of a changed model can still be removed', async () => {
    await store().write([anneViews1]);
    await store().delete([t(['folder', '1'], 'editor', ['user', 'anne']), anneViews1]);
    expect(await store().read({})).toEqual([]);
  });
}
