/**
 * The authorization model as plain data, and its validation.
 *
 * The model follows the semantics of the OpenFGA modeling language (schema 1.1): object types
 * own relations; a relation is satisfied by directly written tuples whose subjects match its
 * type restrictions (`[user, user:*, team#member, user with cond]`) and/or by a rewrite over
 * computed relations, tuple-to-userset (`viewer from parent`), union, intersection and exclusion.
 * gatehouse adds two things: a `{ condition }` rewrite leaf (ABAC without a tuple) and a per
 * relation `deny` rewrite whose match always wins over any grant.
 *
 * `compileModel` validates the data once and turns it into {@link CompiledModel}: every
 * name lives in a `Map`, so `__proto__`, `constructor` or `toString` can never resolve to an
 * object prototype member (OWASP ASVS 5.0 8.2.1, 15.3.6).
 *
 * @module
 */

import type { z } from 'zod';
import { isSafeName, NAME_PATTERN } from './names.js';

export { isSafeName, NAME_PATTERN } from './names.js';

/** One allowed kind of subject of a directly assignable relation (an OpenFGA type restriction). */
export interface DirectSubjectType {
  /** The subject's object type, e.g. `user` or `team`. */
  readonly type: string;
  /** When set, the subject is a userset `type#relation`, e.g. `team#member`. */
  readonly relation?: string;
  /** When `true`, the subject is the type wildcard `type:*` (every object of that type). */
  readonly wildcard?: boolean;
  /** When set, tuples of this kind must carry this named condition (`user with paid_plan`). */
  readonly condition?: string;
}

/** A relation rewrite expression (OpenFGA userset rewrite), plus gatehouse's `condition` leaf. */
export type Rewrite =
  | { readonly this: true }
  | { readonly computed: string }
  | { readonly tupleToUserset: { readonly tupleset: string; readonly computed: string } }
  | { readonly union: readonly Rewrite[] }
  | { readonly intersection: readonly Rewrite[] }
  | { readonly exclusion: { readonly base: Rewrite; readonly subtract: Rewrite } }
  | { readonly condition: string };

/**
 * A relation (or permission) of a type. With only `directly`, it is satisfied by written tuples;
 * with `rewrite`, by the expression (`{ this: true }` inside it stands for the direct tuples).
 * `deny`, when set, is evaluated first and, if it matches, the relation is denied whatever else
 * grants it: a deny always wins.
 */
export interface RelationDefinition {
  readonly directly?: readonly DirectSubjectType[];
  readonly rewrite?: Rewrite;
  readonly deny?: Rewrite;
}

/** An object type: its relations by name. */
export interface TypeDefinition {
  readonly relations?: Readonly<Record<string, RelationDefinition>>;
}

/**
 * The input a condition sees, after its `params` schema has parsed it: the subject's and the
 * resource's attributes from the check request, and the request context merged with the tuple's
 * stored context (the tuple's values win, so a caller cannot override what was written).
 */
export interface ConditionInput {
  readonly subject: Readonly<Record<string, unknown>>;
  readonly resource: Readonly<Record<string, unknown>>;
  readonly context: Readonly<Record<string, unknown>>;
}

/**
 * A named ABAC condition. `params` is a zod schema for the {@link ConditionInput} it reads: a
 * missing or wrongly typed attribute fails the parse and the check is denied with the reason
 * `condition_input_invalid` (fail closed, OWASP ASVS 5.0 16.5.3). `evaluate` must return exactly `true` to grant.
 */
export interface ConditionDefinition<S extends z.ZodType = z.ZodType> {
  readonly params: S;
  readonly evaluate: (input: z.output<S>) => boolean;
}

/** The whole model: object types and named conditions. */
export interface AuthorizationModel {
  readonly types: Readonly<Record<string, TypeDefinition>>;
  readonly conditions?: Readonly<Record<string, ConditionDefinition>>;
}

/**
 * Declares a condition with its input type inferred from the zod schema, so `evaluate` is typed.
 * Checks nothing by itself; it exists for inference.
 */
export function defineCondition<S extends z.ZodType>(
  definition: ConditionDefinition<S>,
): ConditionDefinition {
  return definition as unknown as ConditionDefinition;
}

/** Thrown when a model is invalid; `path` points at the offending part, e.g. `types.folder.relations.viewer`. */
export class PolicyModelError extends Error {
  /** Dotted path of the offending definition. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'PolicyModelError';
    this.path = path;
  }
}

/** A validated relation, ready for evaluation. */
export interface CompiledRelation {
  readonly name: string;
  readonly directly: readonly DirectSubjectType[];
  readonly rewrite: Rewrite;
  readonly deny: Rewrite | undefined;
  /** Subject types a plain tuple may name (`[user]`): a check reads `object#relation@subject` for these. */
  readonly plainTypes: ReadonlySet<string>;
  /** Subject types whose wildcard is admitted (`[user:*]`). */
  readonly wildcardTypes: ReadonlySet<string>;
  /** `true` when some restriction is a userset (`[team#member]`). */
  readonly hasUsersets: boolean;
}

/** A validated model: every lookup goes through a `Map`, never through an object's prototype chain. */
export interface CompiledModel {
  readonly types: ReadonlyMap<string, ReadonlyMap<string, CompiledRelation>>;
  readonly conditions: ReadonlyMap<string, ConditionDefinition>;
  /** The model as given, for serialization and the future OpenFGA export. */
  readonly source: AuthorizationModel;
}

/** `true` when `value` is a {@link CompiledModel} produced by `compileModel`. */
export function isCompiledModel(value: unknown): value is CompiledModel {
  return typeof value === 'object' && value !== null && compiledMarker.has(value);
}

const compiledMarker = new WeakSet<object>();

function ownEntries<T>(record: Readonly<Record<string, T>> | undefined, path: string): Array<[string, T]> {
  if (record === undefined) return [];
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new PolicyModelError(path, 'must be an object');
  }
  return Object.keys(record).map((key) => [key, (record as Record<string, T>)[key] as T]);
}

function checkName(name: string, path: string, what: string): void {
  if (!isSafeName(name)) {
    throw new PolicyModelError(
      path,
      `${what} name ${JSON.stringify(name)} is not a safe name (${NAME_PATTERN})`,
    );
  }
}

function usesThis(rewrite: Rewrite): boolean {
  if ('this' in rewrite) return true;
  if ('union' in rewrite) return rewrite.union.some(usesThis);
  if ('intersection' in rewrite) return rewrite.intersection.some(usesThis);
  if ('exclusion' in rewrite) return usesThis(rewrite.exclusion.base) || usesThis(rewrite.exclusion.subtract);
  return false;
}

/**
 * Validates `model` and compiles it for the evaluator. Throws {@link PolicyModelError} for an
 * unsafe or unknown name, an unknown type/relation/condition in a type restriction or rewrite, a
 * tupleset relation that is not directly assignable to plain objects, a `this` without type
 * restrictions (or restrictions never used), and relations that can never be satisfied because
 * they only reference themselves (a cycle without a base case).
 */
export function compileModel(model: AuthorizationModel): CompiledModel {
  if (typeof model !== 'object' || model === null) throw new PolicyModelError('model', 'must be an object');
  const conditions = new Map<string, ConditionDefinition>();
  for (const [name, def] of ownEntries(model.conditions, 'conditions')) {
    const path = `conditions.${name}`;
    checkName(name, path, 'condition');
    if (typeof def?.evaluate !== 'function' || typeof def.params?.safeParse !== 'function') {
      throw new PolicyModelError(path, 'needs a zod `params` schema and an `evaluate` function');
    }
    conditions.set(name, def);
  }

  const rawTypes = ownEntries(model.types, 'types');
  const types = new Map<string, Map<string, CompiledRelation>>();
  for (const [typeName, typeDef] of rawTypes) {
    checkName(typeName, `types.${typeName}`, 'type');
    types.set(typeName, new Map());
    for (const [relName] of ownEntries(typeDef?.relations, `types.${typeName}.relations`)) {
      checkName(relName, `types.${typeName}.relations.${relName}`, 'relation');
    }
  }

  for (const [typeName, typeDef] of rawTypes) {
    const relations = types.get(typeName)!;
    for (const [relName, def] of ownEntries(typeDef?.relations, `types.${typeName}.relations`)) {
      const path = `types.${typeName}.relations.${relName}`;
      if (typeof def !== 'object' || def === null) throw new PolicyModelError(path, 'must be an object');
      const directly = def.directly ?? [];
      if (!Array.isArray(directly)) throw new PolicyModelError(`${path}.directly`, 'must be an array');
      directly.forEach((d, i) => {
        validateDirect(d, `${path}.directly[${i}]`, types, conditions);
      });
      const rewrite: Rewrite = def.rewrite ?? { this: true };
      if (usesThis(rewrite) && directly.length === 0) {
        throw new PolicyModelError(
          path,
          'uses direct tuples (`this`) but declares no directly assignable types',
        );
      }
      if (!usesThis(rewrite) && directly.length > 0) {
        throw new PolicyModelError(
          path,
          'declares directly assignable types but its rewrite never uses `this`',
        );
      }
      relations.set(relName, {
        name: relName,
        directly: directly.map((d) => ({ ...d })),
        rewrite,
        deny: def.deny,
        plainTypes: new Set(
          directly.filter((d) => d.relation === undefined && !d.wildcard).map((d) => d.type),
        ),
        wildcardTypes: new Set(
          directly.filter((d) => d.relation === undefined && d.wildcard).map((d) => d.type),
        ),
        hasUsersets: directly.some((d) => d.relation !== undefined),
      });
    }
  }

  const compiled: CompiledModel = { types, conditions, source: model };
  for (const [typeName, relations] of types) {
    for (const relation of relations.values()) {
      const path = `types.${typeName}.relations.${relation.name}`;
      relation.directly.forEach((entry, i) => {
        if (entry.relation !== undefined && !relationOf(compiled, entry.type, entry.relation)) {
          throw new PolicyModelError(
            `${path}.directly[${i}]`,
            `unknown relation ${JSON.stringify(`${entry.type}#${entry.relation}`)}`,
          );
        }
      });
      validateRewrite(compiled, typeName, relation.rewrite, `${path}.rewrite`);
      if (relation.deny !== undefined) {
        if (usesThis(relation.deny))
          throw new PolicyModelError(`${path}.deny`, '`this` is not allowed in a deny');
        validateRewrite(compiled, typeName, relation.deny, `${path}.deny`);
      }
    }
  }
  checkGrounded(compiled);
  compiledMarker.add(compiled);
  return compiled;
}

/** Alias of `compileModel`: validates and throws {@link PolicyModelError}, returning the compiled model. */
export const validateModel: (model: AuthorizationModel) => CompiledModel = compileModel;

function validateDirect(
  d: DirectSubjectType,
  path: string,
  types: ReadonlyMap<string, ReadonlyMap<string, unknown>>,
  conditions: ReadonlyMap<string, unknown>,
): void {
  if (typeof d !== 'object' || d === null) throw new PolicyModelError(path, 'must be an object');
  if (!isSafeName(d.type) || !types.has(d.type)) {
    throw new PolicyModelError(path, `unknown type ${JSON.stringify(d.type)}`);
  }
  if (d.relation !== undefined && d.wildcard)
    throw new PolicyModelError(path, 'a userset cannot also be a wildcard');
  if (d.condition !== undefined && (!isSafeName(d.condition) || !conditions.has(d.condition))) {
    throw new PolicyModelError(path, `unknown condition ${JSON.stringify(d.condition)}`);
  }
}

function relationOf(model: CompiledModel, type: string, relation: string): CompiledRelation | undefined {
  return model.types.get(type)?.get(relation);
}

function validateRewrite(model: CompiledModel, typeName: string, rewrite: Rewrite, path: string): void {
  if (typeof rewrite !== 'object' || rewrite === null) throw new PolicyModelError(path, 'must be an object');
  const own = model.types.get(typeName)!;
  if ('this' in rewrite) return;
  if ('computed' in rewrite) {
    if (!isSafeName(rewrite.computed) || !own.has(rewrite.computed)) {
      throw new PolicyModelError(path, `unknown relation ${JSON.stringify(rewrite.computed)} on ${typeName}`);
    }
    return;
  }
  if ('tupleToUserset' in rewrite) {
    const { tupleset, computed } = rewrite.tupleToUserset;
    const ts = isSafeName(tupleset) ? own.get(tupleset) : undefined;
    if (!ts)
      throw new PolicyModelError(
        path,
        `unknown tupleset relation ${JSON.stringify(tupleset)} on ${typeName}`,
      );
    if (!('this' in ts.rewrite) || ts.deny !== undefined) {
      throw new PolicyModelError(
        path,
        `tupleset relation ${JSON.stringify(tupleset)} must be directly assignable only`,
      );
    }
    if (ts.directly.some((d) => d.relation !== undefined || d.wildcard)) {
      throw new PolicyModelError(
        path,
        `tupleset relation ${JSON.stringify(tupleset)} may only reference plain types, not usersets or wildcards`,
      );
    }
    if (!isSafeName(computed) || !ts.directly.some((d) => relationOf(model, d.type, computed))) {
      throw new PolicyModelError(
        path,
        `relation ${JSON.stringify(computed)} exists on none of the types of ${typeName}#${tupleset}`,
      );
    }
    return;
  }
  if ('union' in rewrite || 'intersection' in rewrite) {
    const children = 'union' in rewrite ? rewrite.union : rewrite.intersection;
    const op = 'union' in rewrite ? 'union' : 'intersection';
    if (!Array.isArray(children) || children.length === 0) {
      throw new PolicyModelError(path, `${op} needs at least one operand`);
    }
    children.forEach((c, i) => {
      validateRewrite(model, typeName, c, `${path}.${op}[${i}]`);
    });
    return;
  }
  if ('exclusion' in rewrite) {
    validateRewrite(model, typeName, rewrite.exclusion.base, `${path}.exclusion.base`);
    validateRewrite(model, typeName, rewrite.exclusion.subtract, `${path}.exclusion.subtract`);
    return;
  }
  if ('condition' in rewrite) {
    if (!isSafeName(rewrite.condition) || !model.conditions.has(rewrite.condition)) {
      throw new PolicyModelError(path, `unknown condition ${JSON.stringify(rewrite.condition)}`);
    }
    return;
  }
  throw new PolicyModelError(path, 'unknown rewrite operator');
}

/**
 * Least fixpoint of "can this relation ever be satisfied by some data": a relation that can only
 * be reached through itself (`viewer: viewer`, or `a: b` with `b: a`) has no base case and is refused.
 */
function checkGrounded(model: CompiledModel): void {
  const grounded = new Set<string>();
  const key = (t: string, r: string) => `${t}#${r}`;
  const isGrounded = (typeName: string, rw: Rewrite): boolean => {
    if ('this' in rw || 'condition' in rw) return true;
    if ('computed' in rw) return grounded.has(key(typeName, rw.computed));
    if ('tupleToUserset' in rw) {
      const ts = model.types.get(typeName)?.get(rw.tupleToUserset.tupleset);
      return (ts?.directly ?? []).some((d) => grounded.has(key(d.type, rw.tupleToUserset.computed)));
    }
    if ('union' in rw) return rw.union.some((c) => isGrounded(typeName, c));
    if ('intersection' in rw) return rw.intersection.every((c) => isGrounded(typeName, c));
    return isGrounded(typeName, rw.exclusion.base);
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const [typeName, relations] of model.types) {
      for (const rel of relations.values()) {
        const k = key(typeName, rel.name);
        if (!grounded.has(k) && isGrounded(typeName, rel.rewrite)) {
          grounded.add(k);
          changed = true;
        }
      }
    }
  }
  for (const [typeName, relations] of model.types) {
    for (const rel of relations.values()) {
      if (!grounded.has(key(typeName, rel.name))) {
        throw new PolicyModelError(
          `types.${typeName}.relations.${rel.name}`,
          'can never be satisfied: it only references itself (a cycle without a base case)',
        );
      }
    }
  }
}

/** Looks up a relation by name through `Map`s only; unknown or unsafe names give `undefined`. */
export function findRelation(
  model: CompiledModel,
  type: string,
  relation: string,
): CompiledRelation | undefined {
  if (typeof type !== 'string' || typeof relation !== 'string') return undefined;
  return model.types.get(type)?.get(relation);
}
