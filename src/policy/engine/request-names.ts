/**
 * Strict requests: the type and relation names a check or a list query gives must be names of the
 * model. An unknown object type, relation or subject type is a malformed request, refused as
 * OpenFGA's API refuses it (`type_not_found`: "type 'x' not found"; `relation_not_found`:
 * "relation 'x#y' not found"; see openfga.dev, "Check" and "ListObjects" API errors), so a typo can
 * never look like "no access" (OWASP ASVS 5.0 2.2.1: input is validated against what is expected).
 * Names are looked up in the compiled model's `Map`s only, so a prototype member name
 * (`__proto__`, `constructor`) is simply unknown.
 *
 * @module
 */

import type { CompiledModel } from '../model.js';

/** Why a name of a request is not a name of the model. */
export interface NameProblem {
  readonly code: 'ERR_UNKNOWN_TYPE' | 'ERR_UNKNOWN_RELATION';
  readonly message: string;
}

/** A plain name as it is; anything else escaped (no control characters reach a log line), cut short. */
const PLAIN = /^[\w.:@-]{0,128}$/;
const quoted = (value: string) =>
  PLAIN.test(value) ? value : JSON.stringify(value).slice(1, -1).slice(0, 128);

/** `undefined` when `type` is a type of the model. */
export function unknownType(model: CompiledModel, type: string): NameProblem | undefined {
  if (model.types.has(type)) return undefined;
  return { code: 'ERR_UNKNOWN_TYPE', message: `type '${quoted(type)}' not found` };
}

/** `undefined` when `type` is a type of the model and `relation` one of its relations. */
export function unknownRelation(
  model: CompiledModel,
  type: string,
  relation: string,
): NameProblem | undefined {
  const relations = model.types.get(type);
  if (!relations) return unknownType(model, type);
  if (relations.has(relation)) return undefined;
  return {
    code: 'ERR_UNKNOWN_RELATION',
    message: `relation '${quoted(type)}#${quoted(relation)}' not found`,
  };
}

/**
 * `undefined` when the subject's type is a type of the model and, for a userset subject
 * (`group:eng#member`), its relation is a relation of that type.
 */
export function unknownSubject(
  model: CompiledModel,
  subject: { readonly type: string; readonly relation?: string | undefined },
): NameProblem | undefined {
  return subject.relation === undefined
    ? unknownType(model, subject.type)
    : unknownRelation(model, subject.type, subject.relation);
}
