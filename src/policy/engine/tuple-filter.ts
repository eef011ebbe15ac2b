/**
 * {@link matchesFilter}: whether a tuple passes a {@link TupleFilter}, the last step of every
 * `read` of the tuple index and of the compact index.
 *
 * @module
 */

import type { RelationshipTuple, TupleFilter } from '../relationship-store.js';

/** Whether `t` passes `filter` (see {@link TupleFilter}). */
export function matchesFilter(t: RelationshipTuple, filter: TupleFilter): boolean {
  const { object, relation, subject } = filter;
  if (object && (t.object.type !== object.type || (object.id !== undefined && t.object.id !== object.id))) {
    return false;
  }
  if (relation !== undefined && t.relation !== relation) return false;
  if (subject) {
    if (t.subject.type !== subject.type) return false;
    if (subject.id !== undefined && t.subject.id !== subject.id) return false;
    if (
      t.subject.relation !== subject.relation &&
      (subject.id !== undefined || subject.relation !== undefined)
    ) {
      return false;
    }
  }
  return true;
}
