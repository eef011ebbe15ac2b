/**
 * {@link validSubjectForm}: the forms a subject of `check` and the list queries may take, shared by
 * the evaluator and the reverse queries.
 *
 * @module
 */

import { isSafeName } from '../model.js';

/**
 * `true` for the forms OpenFGA accepts as a query's user: an object (`user:anne`), the type
 * wildcard (`user:*`, id `'*'`), or a userset (`group:eng#member`: a safe `relation`, an id other
 * than `*`: there is no `group:*#member` user). The type and id are checked by the caller.
 */
export function validSubjectForm(subject: { readonly id: string; readonly relation?: unknown }): boolean {
  const { relation } = subject;
  if (relation === undefined) return true;
  return typeof relation === 'string' && isSafeName(relation) && subject.id !== '*';
}
