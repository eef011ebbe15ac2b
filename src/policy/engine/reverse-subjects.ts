/**
 * The subjects of the reverse queries beyond plain objects, with OpenFGA's meaning: a userset
 * (`group:eng#member`) or the type wildcard (`user:*`) as the subject of `listResources`
 * (OpenFGA's ListObjects with such a `user`), and a subject filter with a relation
 * (`{ type: 'group', relation: 'member' }`, OpenFGA's ListUsers `user_filters`) for `listSubjects`.
 *
 * @module
 */

import type { Entity } from '../evaluator.js';
import { isSafeName } from '../model.js';
import { MAX_ID_LENGTH } from '../relationship-store.js';
import { ListQueryError, type ListSubjectsRequest } from '../reverse-types.js';
import { validSubjectForm } from './subject-form.js';

/**
 * A well-formed subject of `listResources`: a safe type, an id of bounded length, and either a
 * plain object, the type wildcard (`id: '*'`), or a userset (a safe `relation`, an id other than `*`).
 */
export function validListSubject(e: unknown): e is Entity {
  if (typeof e !== 'object' || e === null) return false;
  const { type, id } = e as Entity;
  if (!isSafeName(type) || typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH)
    return false;
  return validSubjectForm(e as Entity);
}

/** The subjects `listSubjects` lists: of `type`, and when `relation` is set, its usersets `type:id#relation`. */
export interface SubjectFilter {
  readonly type: string;
  readonly relation: string | undefined;
}

/** The subject filter of a `listSubjects` request (`'user'`, or `{ type: 'group', relation: 'member' }`). */
export function subjectFilterOf(request: ListSubjectsRequest): SubjectFilter {
  const given: unknown = request.subjectType;
  if (typeof given === 'string') return { type: given, relation: undefined };
  if (typeof given !== 'object' || given === null) {
    throw new ListQueryError('invalid subjectType');
  }
  const { type, relation } = given as { type?: unknown; relation?: unknown };
  if (
    typeof type !== 'string' ||
    (relation !== undefined && (typeof relation !== 'string' || !isSafeName(relation)))
  ) {
    throw new ListQueryError('invalid subjectType');
  }
  return { type, relation };
}
