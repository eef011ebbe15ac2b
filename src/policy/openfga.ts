/**
 * Loading models written in the OpenFGA modeling language (schema 1.1).
 *
 * The DSL is parsed and validated with `@openfga/syntax-transformer` (OpenFGA's own parser and
 * validator), mapped to gatehouse's {@link AuthorizationModel}, and validated again with
 * {@link validateModel}. Every error is an {@link OpenFgaModelError} whose `line` and `column`
 * (1-based) point at the offending place of the DSL. The validator's own errors (syntax and
 * semantic) are reported as they are; a crash inside it (version 0.2.x throws a `TypeError` on a
 * condition on a tuple-to-userset's linking relation, `define parent: [folder with c]` with
 * `viewer from parent`) is not a verdict on the model, which gatehouse's validation then covers,
 * with OpenFGA's "condition is not used" rule checked here.
 *
 * Mapping (OpenFGA semantics are kept): `[user, user:*, team#member, user with cond]` -> `directly`;
 * `this` -> `{ this: true }`; `computedUserset` -> `{ computed }`; `x from y` (tupleToUserset) ->
 * `{ tupleToUserset }`; `or` / `and` / `but not` -> `union` / `intersection` / `exclusion`.
 * Conditions are CEL expressions (see {@link celCondition}): their parameters are read by name from
 * the tuple's condition context merged over the check request's `context` (the tuple wins), as in
 * OpenFGA.
 *
 * @module
 */

import { errors, transformer, validator } from '@openfga/syntax-transformer';
import { CelConditionError, celCondition, type OpenFgaParameterType } from './cel.js';
import {
  type AuthorizationModel,
  type ConditionDefinition,
  type DirectSubjectType,
  PolicyModelError,
  type RelationDefinition,
  type Rewrite,
  type TypeDefinition,
  validateModel,
} from './model.js';
import type { RelationshipTuple } from './relationship-store.js';

/** One problem found in an OpenFGA model, with its 1-based position when known. */
export interface OpenFgaModelProblem {
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * An invalid OpenFGA model: a syntax error, an OpenFGA validation error (unknown type, ...), an
 * unsupported condition or a gatehouse validation error. `line`/`column` (1-based) locate the first
 * problem; `problems` lists them all.
 */
export class OpenFgaModelError extends PolicyModelError {
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly problems: readonly OpenFgaModelProblem[];
  constructor(path: string, problems: readonly OpenFgaModelProblem[]) {
    const first = problems[0] ?? { message: 'invalid model' };
    const where = first.line === undefined ? '' : ` (line ${first.line}, column ${first.column ?? 1})`;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super(path, `${first.message}${where}${more}`);
    this.name = 'OpenFgaModelError';
    this.line = first.line;
    this.column = first.column;
    this.problems = problems;
  }
}

/** The OpenFGA JSON userset rewrite (the subset of the API's `Userset` that the DSL produces). */
export interface OpenFgaUserset {
  readonly this?: object;
  readonly computedUserset?: { readonly relation?: string };
  readonly tupleToUserset?: {
    readonly tupleset: { readonly relation?: string };
    readonly computedUserset: { readonly relation?: string };
  };
  readonly union?: { readonly child: readonly OpenFgaUserset[] };
  readonly intersection?: { readonly child: readonly OpenFgaUserset[] };
  readonly difference?: { readonly base: OpenFgaUserset; readonly subtract: OpenFgaUserset };
}

/** A type restriction of the OpenFGA JSON (`directly_related_user_types` entry). */
export interface OpenFgaRelationReference {
  readonly type: string;
  readonly relation?: string;
  readonly wildcard?: object;
  readonly condition?: string;
}

/** The OpenFGA authorization model JSON (`schema_version`, `type_definitions`, `conditions`). */
export interface OpenFgaModelJson {
  readonly schema_version: string;
  readonly type_definitions: readonly {
    readonly type: string;
    readonly relations?: Readonly<Record<string, OpenFgaUserset>>;
    readonly metadata?: {
      readonly relations?: Readonly<
        Record<string, { readonly directly_related_user_types?: readonly OpenFgaRelationReference[] }>
      > | null;
    } | null;
  }[];
  readonly conditions?: Readonly<
    Record<
      string,
      {
        readonly name: string;
        readonly expression: string;
        readonly parameters?: Readonly<Record<string, OpenFgaParameterType>>;
      }
    >
  >;
}

interface ErrorLike {
  readonly msg?: string;
  readonly message?: string;
  readonly line?: { readonly start: number };
  readonly column?: { readonly start: number };
}

/** The transformer's errors carry zero-based `line.start` / `column.start`; ours are 1-based. */
function problemsOf(error: unknown): OpenFgaModelProblem[] | undefined {
  const list = (error as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return list.map((e: ErrorLike) => ({
    message: e.msg ?? e.message ?? String(e),
    ...(typeof e.line?.start === 'number' ? { line: e.line.start + 1 } : {}),
    ...(typeof e.column?.start === 'number' ? { column: e.column.start + 1 } : {}),
  }));
}

/** The transformer's own error types: its verdicts on a model, never crashes. */
const TRANSFORMER_ERRORS: ReadonlyArray<abstract new (...args: never[]) => Error> = [
  errors.BaseError,
  errors.BaseMultiError,
  errors.ConfigurationError,
  errors.UnsupportedDSLNestingError,
  errors.ConditionNameDoesntMatchError,
  errors.UnsupportedModularModules,
];

function isTransformerError(error: unknown): boolean {
  return TRANSFORMER_ERRORS.some((type) => error instanceof type);
}

function transformerProblem(error: unknown): OpenFgaModelError {
  const problems = problemsOf(error);
  if (problems) return new OpenFgaModelError(`dsl:${problems[0]?.line ?? 0}`, problems);
  return new OpenFgaModelError('dsl', [{ message: error instanceof Error ? error.message : String(error) }]);
}

/**
 * OpenFGA refuses a model with a condition no type restriction uses. The transformer's validator
 * checks this after its entry-point search, so when that search crashed it is checked here.
 */
function refuseUnusedConditions(json: OpenFgaModelJson, locate: Locate): void {
  const used = new Set<string>();
  for (const td of json.type_definitions ?? []) {
    for (const meta of Object.values(td.metadata?.relations ?? {})) {
      for (const r of meta.directly_related_user_types ?? []) if (r.condition) used.add(r.condition);
    }
  }
  const unused = Object.keys(json.conditions ?? {}).filter((name) => !used.has(name));
  if (unused.length === 0) return;
  throw new OpenFgaModelError(
    `conditions.${unused[0]}`,
    unused.map((name) => ({
      message: `\`${name}\` condition is not used in the model.`,
      ...locate(`conditions.${name}`),
    })),
  );
}

/**
 * Parses, validates and converts an OpenFGA DSL model (schema 1.1). The result is a valid
 * {@link AuthorizationModel} (already checked with {@link validateModel}); pass it to
 * `validateModel`/`PolicyEvaluator` like a builder model. Throws {@link OpenFgaModelError} with
 * the line and column of the problem.
 */
export function loadOpenFgaModel(dsl: string): AuthorizationModel {
  if (typeof dsl !== 'string')
    throw new OpenFgaModelError('dsl', [{ message: 'the model must be a string' }]);
  let json: OpenFgaModelJson;
  let validatorCrashed = false;
  try {
    validator.validateDSL(dsl);
  } catch (error) {
    // The validator's verdicts (syntax and semantic errors) are its own error types. Anything else
    // is a crash inside it (a TypeError in its entry-point search, on a condition on a
    // tuple-to-userset's linking relation): no verdict on the model, which is validated below.
    if (isTransformerError(error)) throw transformerProblem(error);
    validatorCrashed = true;
  }
  try {
    json = transformer.transformDSLToJSONObject(dsl) as unknown as OpenFgaModelJson;
  } catch (error) {
    throw transformerProblem(error);
  }
  const locate = locator(dsl);
  if (validatorCrashed) refuseUnusedConditions(json, locate);
  const model = convert(json, locate);
  try {
    validateModel(model);
  } catch (error) {
    if (error instanceof PolicyModelError) {
      const at = locate(error.path);
      throw new OpenFgaModelError(error.path, [
        { message: error.message.slice(error.path.length + 2) || error.message, ...at },
      ]);
    }
    throw error;
  }
  return model;
}

/**
 * Converts an OpenFGA model JSON (as returned by the OpenFGA API or `fga model transform`) into an
 * {@link AuthorizationModel} and validates it. Errors carry the model path, not a line.
 */
export function openFgaJsonToModel(json: OpenFgaModelJson): AuthorizationModel {
  const model = convert(json, () => ({}));
  validateModel(model);
  return model;
}

type Locate = (path: string) => { line?: number; column?: number };

function convert(json: OpenFgaModelJson, locate: Locate): AuthorizationModel {
  if (json?.schema_version !== '1.1') {
    throw new OpenFgaModelError('schema', [
      {
        message: `unsupported schema version ${JSON.stringify(json?.schema_version)}; only 1.1 is supported`,
        ...locate('schema'),
      },
    ]);
  }
  const conditions: Record<string, ConditionDefinition> = {};
  for (const [name, c] of Object.entries(json.conditions ?? {})) {
    try {
      conditions[name] = celCondition(name, c.expression, c.parameters ?? {});
    } catch (error) {
      if (!(error instanceof CelConditionError)) throw error;
      throw new OpenFgaModelError(`conditions.${name}`, [
        { message: error.message, ...locate(`conditions.${name}`) },
      ]);
    }
  }
  const types: Record<string, TypeDefinition> = {};
  for (const td of json.type_definitions ?? []) {
    const relations: Record<string, RelationDefinition> = {};
    for (const [rel, userset] of Object.entries(td.relations ?? {})) {
      const path = `types.${td.type}.relations.${rel}`;
      const directly = (td.metadata?.relations?.[rel]?.directly_related_user_types ?? []).map(
        (r): DirectSubjectType => ({
          type: r.type,
          ...(r.relation ? { relation: r.relation } : {}),
          ...(r.wildcard ? { wildcard: true } : {}),
          ...(r.condition ? { condition: r.condition } : {}),
        }),
      );
      relations[rel] = {
        ...(directly.length > 0 ? { directly } : {}),
        rewrite: rewriteOf(userset, path, locate),
      };
    }
    types[td.type] = { relations };
  }
  return { types, conditions };
}

function rewriteOf(u: OpenFgaUserset, path: string, locate: Locate): Rewrite {
  if (u.this) return { this: true };
  if (u.computedUserset) return { computed: u.computedUserset.relation ?? '' };
  if (u.tupleToUserset) {
    return {
      tupleToUserset: {
        tupleset: u.tupleToUserset.tupleset.relation ?? '',
        computed: u.tupleToUserset.computedUserset.relation ?? '',
      },
    };
  }
  if (u.union) return { union: u.union.child.map((c) => rewriteOf(c, path, locate)) };
  if (u.intersection) return { intersection: u.intersection.child.map((c) => rewriteOf(c, path, locate)) };
  if (u.difference) {
    return {
      exclusion: {
        base: rewriteOf(u.difference.base, path, locate),
        subtract: rewriteOf(u.difference.subtract, path, locate),
      },
    };
  }
  throw new OpenFgaModelError(path, [{ message: 'unsupported userset rewrite', ...locate(path) }]);
}

/**
 * Maps a model path (`types.doc.relations.viewer...`, `conditions.is_paid`, `schema`) to the
 * 1-based line and column of its declaration in the DSL.
 */
function locator(dsl: string): Locate {
  const index = new Map<string, { line: number; column: number }>();
  let currentType: string | undefined;
  dsl.split(/\r?\n/).forEach((text, i) => {
    // Every pattern ends with the captured name, so the name's column is where the match ends minus its length.
    const at = (m: RegExpExecArray, group: number) => ({
      line: i + 1,
      column: m.index + m[0].length - m[group]!.length + 1,
    });
    const type = /^\s*type\s+([^\s#]+)/.exec(text);
    if (type) {
      currentType = type[1];
      index.set(`types.${currentType}`, at(type, 1));
      return;
    }
    const condition = /^\s*condition\s+([^\s(]+)/.exec(text);
    if (condition) {
      currentType = undefined;
      index.set(`conditions.${condition[1]}`, at(condition, 1));
      return;
    }
    const schema = /^\s*schema\s+(\S+)/.exec(text);
    if (schema) {
      index.set('schema', at(schema, 1));
      return;
    }
    const define = /^\s*define\s+([^\s:]+)/.exec(text);
    if (define && currentType !== undefined) {
      index.set(`types.${currentType}.relations.${define[1]}`, at(define, 1));
    }
  });
  return (path) => {
    const parts = path.split('.');
    for (let n = parts.length; n > 0; n--) {
      const hit = index.get(parts.slice(0, n).join('.'));
      if (hit) return hit;
    }
    return {};
  };
}

/** An OpenFGA tuple as written through its API: `user` `type:id` / `type:*` / `type:id#relation`, `object` `type:id`. */
export interface OpenFgaTupleKey {
  readonly user: string;
  readonly relation: string;
  readonly object: string;
  readonly condition?: { readonly name: string; readonly context?: Readonly<Record<string, unknown>> };
}

/**
 * Converts an OpenFGA tuple key (`{ user: 'team:eng#member', relation, object: 'doc:1' }`) to a
 * {@link RelationshipTuple}. The strings are parsed with OpenFGA's grammar (its API refuses the
 * rest with `validation_error`): `object` is `type:id`, `user` is `type:id`, `type:*` or
 * `type:id#relation`; no part is empty or holds whitespace, and an id holds no `:` or `#`, so
 * `doc:a:b` is refused rather than read as the id `a:b`. Throws a `TypeError` naming the field.
 */
export function fromOpenFgaTuple(key: OpenFgaTupleKey): RelationshipTuple {
  const [objectType, objectId] = splitRef(key.object, 'object');
  if (objectId === '*')
    throw new TypeError(`OpenFGA tuple object must not be a wildcard, got "${objectType}:*"`);
  if (typeof key.user !== 'string') throw new TypeError('OpenFGA tuple user must be a string');
  const hash = key.user.indexOf('#');
  const [userType, userId] = splitRef(hash < 0 ? key.user : key.user.slice(0, hash), 'user');
  const userRelation = hash < 0 ? undefined : key.user.slice(hash + 1);
  if (userRelation !== undefined && (!RELATION.test(userRelation) || userId === '*')) {
    throw new TypeError(`OpenFGA tuple user must be "type:id#relation", got ${quote(key.user)}`);
  }
  if (typeof key.relation !== 'string' || !RELATION.test(key.relation)) {
    throw new TypeError(`OpenFGA tuple relation is not a relation name, got ${quote(key.relation)}`);
  }
  return {
    object: { type: objectType, id: objectId },
    relation: key.relation,
    subject:
      userRelation === undefined
        ? { type: userType, id: userId }
        : { type: userType, id: userId, relation: userRelation },
    ...(key.condition
      ? {
          condition: {
            name: key.condition.name,
            ...(key.condition.context ? { context: key.condition.context } : {}),
          },
        }
      : {}),
  };
}

/** OpenFGA's tuple grammar: a type or id has no `:`, `#` or whitespace; a relation no `:`, `#`, `@` or whitespace. */
const PART = /^[^:#\s]+$/;
const RELATION = /^[^:#@\s]+$/;

const quote = (value: unknown) => JSON.stringify(String(value)).slice(0, 140);

function splitRef(ref: unknown, what: string): [string, string] {
  const colon = typeof ref === 'string' ? ref.indexOf(':') : -1;
  const type = colon > 0 ? (ref as string).slice(0, colon) : '';
  const id = colon > 0 ? (ref as string).slice(colon + 1) : '';
  if (!PART.test(type) || !PART.test(id)) {
    throw new TypeError(`OpenFGA tuple ${what} must be "type:id", got ${quote(ref)}`);
  }
  return [type, id];
}
