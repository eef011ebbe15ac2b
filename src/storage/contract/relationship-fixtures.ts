/**
 * The tuples and helpers shared by the relationship-store contract tests: a tuple builder,
 * an order-independent sort, the rejection check, and the fixture most tests start from.
 *
 * @module
 */
import { expect } from 'vitest';
import { formatTuple, type RelationshipTuple } from '../../policy/relationship-store.js';

/** Builds a tuple: `t(['folder', '1'], 'viewer', ['team', 'eng', 'member'])`. */
export function t(
  object: readonly [string, string],
  relation: string,
  subject: readonly [string, string, string?],
  condition?: RelationshipTuple['condition'],
): RelationshipTuple {
  const [type, id, subjectRelation] = subject;
  return {
    object: { type: object[0], id: object[1] },
    relation,
    subject: subjectRelation === undefined ? { type, id } : { type, id, relation: subjectRelation },
    ...(condition ? { condition } : {}),
  };
}

/** Sorts tuples so lists can be compared regardless of the order a store returns them in. */
export function sorted(tuples: readonly RelationshipTuple[]): RelationshipTuple[] {
  const key = (x: RelationshipTuple) => `${formatTuple(x)} ${JSON.stringify(x.condition ?? null)}`;
  return [...tuples].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Asserts a batch was refused with a `TupleValidationError` naming the tuple at `index`. */
export async function expectRejectedTuple(promise: Promise<unknown>, index: number): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'TupleValidationError', index });
}

/** The tuples most relationship contract tests start from (see {@link FIXTURE}). */
export const anneViews1 = t(['folder', '1'], 'viewer', ['user', 'anne']);
export const bobViews1 = t(['folder', '1'], 'viewer', ['user', 'bob']);
export const everyoneViews1 = t(['folder', '1'], 'viewer', ['user', '*']);
export const engViews1 = t(['folder', '1'], 'viewer', ['team', 'eng', 'member']);
export const opsViews1 = t(['folder', '1'], 'viewer', ['team', 'ops', 'member']);
export const anneOwns1 = t(['folder', '1'], 'owner', ['user', 'anne']);
export const anneViews10 = t(['folder', '10'], 'viewer', ['user', 'anne']);
export const parentOf2 = t(['folder', '2'], 'parent', ['folder', '1']);
export const anneInEng = t(['team', 'eng'], 'member', ['user', 'anne']);
export const opsInEng = t(['team', 'eng'], 'member', ['team', 'ops', 'member']);
export const FIXTURE = [
  anneViews1,
  bobViews1,
  everyoneViews1,
  engViews1,
  opsViews1,
  anneOwns1,
  anneViews10,
  parentOf2,
  anneInEng,
  opsInEng,
];
