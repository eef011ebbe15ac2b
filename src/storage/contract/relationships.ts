/**
 * The {@link RelationshipStore} contract suite: every implementation (memory, SQLite, a user's own)
 * must pass it unchanged. A check is only as good as the tuples it reads, so exact matching (no
 * prefix, pattern or case folding), verbatim ids and all-or-nothing batches are the important tests.
 *
 * @module
 */
import { describe } from 'vitest';
import { z } from 'zod';
import { defineModel } from '../../policy/builder.js';
import { type CompiledModel, defineCondition, validateModel } from '../../policy/model.js';
import type { RelationshipStore } from '../../policy/relationship-store.js';
import { useFreshSubject } from './lifecycle.js';
import { defineVerbatimIdTests } from './relationship-ids.js';
import { defineRelationshipReadTests } from './relationship-reads.js';
import { defineModelRestrictedRelationshipStoreTests } from './relationship-type-restrictions.js';
import { defineRelationshipWriteTests } from './relationship-writes.js';

export { defineModelRestrictedRelationshipStoreTests };

/** What {@link describeRelationshipStoreContract} passes to the factory. */
export interface RelationshipStoreContractOptions {
  /** When set, the store must enforce this model's type restrictions on `write`. */
  readonly model?: CompiledModel;
}

/**
 * Creates the store under test; called before every test and must return an empty store (a fresh
 * database, schema, or key prefix) configured with `options`. Its `close()`, when present, is
 * called after the test.
 */
export type RelationshipStoreFactory = (
  options: RelationshipStoreContractOptions,
) => RelationshipStore | Promise<RelationshipStore>;

/**
 * The model the suite's type-restriction tests use: `folder#viewer` takes users, every user,
 * team members and users with the `in_office` condition; `folder#owner` takes plain users only.
 */
export const RELATIONSHIP_CONTRACT_MODEL: CompiledModel = validateModel(
  defineModel(
    (m) => ({
      user: m.type(),
      team: m.type({ member: m.relation(['user', 'team#member']) }),
      folder: m.type({
        owner: m.relation(['user']),
        parent: m.relation(['folder']),
        viewer: m.relation(['user', 'user:*', 'team#member', 'user with in_office']),
      }),
    }),
    {
      conditions: {
        in_office: defineCondition({
          params: z.object({ context: z.object({ ip: z.string(), allowed: z.array(z.string()) }) }),
          evaluate: ({ context }) => context.allowed.includes(context.ip),
        }),
      },
    },
  ),
);

/**
 * Registers the relationship-store tests for a store without a model in the current `describe`;
 * `store` returns the store of the running test.
 */
export function defineRelationshipStoreTests(store: () => RelationshipStore): void {
  defineRelationshipReadTests(store);
  defineRelationshipWriteTests(store);
  defineVerbatimIdTests(store);
}

/**
 * Declares a vitest `describe(name)` block that runs the {@link RelationshipStore} contract:
 * reads by tuple, relation, userset, object and subject, wildcards, conditions, idempotent
 * rewrites, deletes, atomic batches, verbatim ids, and the model's type restrictions.
 * `createStore(options)` is called before every test and must return an empty store built with
 * `options` (`{}` for most tests, `{ model }` for the type-restriction tests); its `close()`,
 * when present, is called after the test.
 *
 * @example
 * import { describeRelationshipStoreContract } from 'gatehouse/testing';
 * describeRelationshipStoreContract('my tuples', ({ model }) => new MyTupleStore(freshDb(), { model }));
 */
export function describeRelationshipStoreContract(name: string, createStore: RelationshipStoreFactory): void {
  describe(name, () => {
    describe('without a model', () => {
      const store = useFreshSubject(() => createStore({}));
      defineRelationshipStoreTests(store);
    });
    describe('with a model: type restrictions', () => {
      const store = useFreshSubject(() => createStore({ model: RELATIONSHIP_CONTRACT_MODEL }));
      defineModelRestrictedRelationshipStoreTests(store);
    });
  });
}
