/**
 * A small TypeScript builder for {@link AuthorizationModel}s with enough inference that a typo in
 * a type name, a userset relation (`team#membr`), a computed relation or a tuple-to-userset
 * (`m.from('parnt', 'viewer')`) is a compile error. The result is validated at run time too
 * (`compileModel`), which also checks condition names.
 *
 * ```ts
 * const model = defineModel((m) => ({
 *   user: m.type(),
 *   team: m.type({ member: m.relation(['user', 'team#member']) }),
 *   folder: m.type({
 *     owner: m.relation(['user']),
 *     parent: m.relation(['folder']),
 *     viewer: m.relation(['user', 'user:*', 'team#member']).or(m.computed('owner')).or(m.from('parent', 'viewer')),
 *   }),
 * }));
 * ```
 *
 * Operators read left to right: `a.or(b).and(c)` is `(a or b) and c`. Type restrictions written
 * as `'type'`, `'type:*'`, `'type#relation'`, optionally followed by `' with condition'`.
 *
 * @module
 */

import {
  type AuthorizationModel,
  type ConditionDefinition,
  type DirectSubjectType,
  PolicyModelError,
  type RelationDefinition,
  type Rewrite,
  type TypeDefinition,
} from './model.js';

/**
 * A relation expression under construction. The type parameters are phantom: `S` the type
 * restrictions used, `C` the same-type relations referenced, `F` the `tupleset#computed` pairs,
 * checked by {@link defineModel} against the whole model.
 */
export interface RelationExpr<S extends string = never, C extends string = never, F extends string = never> {
  readonly directly: readonly string[];
  readonly rewrite: Rewrite;
  readonly denyRule: Rewrite | undefined;
  /** Union: granted if this or `other` grants. */
  or<S2 extends string, C2 extends string, F2 extends string>(
    other: RelationExpr<S2, C2, F2>,
  ): RelationExpr<S | S2, C | C2, F | F2>;
  /** Intersection: granted only if this and `other` both grant. */
  and<S2 extends string, C2 extends string, F2 extends string>(
    other: RelationExpr<S2, C2, F2>,
  ): RelationExpr<S | S2, C | C2, F | F2>;
  /** Exclusion (`but not`): granted if this grants and `other` does not. */
  butNot<S2 extends string, C2 extends string, F2 extends string>(
    other: RelationExpr<S2, C2, F2>,
  ): RelationExpr<S | S2, C | C2, F | F2>;
  /** Explicit deny: if `rule` grants, the relation is denied whatever else grants it (deny wins). */
  deny<C2 extends string, F2 extends string>(
    rule: RelationExpr<never, C2, F2>,
  ): RelationExpr<S, C | C2, F | F2>;
  readonly __specs?: S;
  readonly __computed?: C;
  readonly __from?: F;
}

/** A type under construction: its relations. */
export interface TypeBuilder<R extends Record<string, RelationExpr<string, string, string>>> {
  readonly relations: R;
}

/** The helpers passed to {@link defineModel}'s callback. */
export interface ModelBuilder {
  /** An object type with the given relations (none for a subject-only type like `user`). */
  type<R extends Record<string, RelationExpr<string, string, string>> = Record<never, never>>(
    relations?: R,
  ): TypeBuilder<NoInfer<R>>;
  /** A directly assignable relation: `['user', 'user:*', 'team#member', 'user with paid']`. */
  relation<const S extends readonly string[]>(restrictions: S): RelationExpr<NoInfer<S[number]>>;
  /** A computed relation on the same object (`editor` implies `viewer`). */
  computed<const C extends string>(relation: C): RelationExpr<never, NoInfer<C>>;
  /** Tuple-to-userset: `computed` on every object related through `tupleset` (`viewer from parent`). */
  from<const T extends string, const C extends string>(
    tupleset: T,
    computed: C,
  ): RelationExpr<never, NoInfer<T>, NoInfer<`${T}#${C}`>>;
  /** A condition evaluated on the request alone (no tuple): pure ABAC. */
  condition(name: string): RelationExpr;
}

type RelsOf<TB> = TB extends TypeBuilder<infer R> ? R : never;
type RelNames<M, T> = T extends keyof M ? keyof RelsOf<M[T]> & string : never;
type TypeNames<M> = keyof M & string;
type SpecBase<M> = { [T in TypeNames<M>]: T | `${T}:*` | `${T}#${RelNames<M, T>}` }[TypeNames<M>];
type AllowedSpec<M> = SpecBase<M> | `${SpecBase<M>} with ${string}`;
type PlainTypes<S> = S extends `${infer T} with ${string}`
  ? PlainTypes<T>
  : S extends `${string}:${string}` | `${string}#${string}`
    ? never
    : S;
type SpecsOf<E> = E extends RelationExpr<infer S, string, string> ? S : never;
type AllowedFrom<M, R> = {
  [K in keyof R & string]: `${K}#${RelNames<M, PlainTypes<SpecsOf<R[K]>>>}`;
}[keyof R & string];

/** Maps a model to the shape it must have: anything referring to an unknown name becomes `never`. */
export type ValidModel<M> = {
  [T in keyof M]: M[T] extends TypeBuilder<infer R>
    ? TypeBuilder<{
        [K in keyof R]: R[K] extends RelationExpr<infer S, infer C, infer F>
          ? RelationExpr<S & AllowedSpec<M>, C & (keyof R & string), F & AllowedFrom<M, R>>
          : never;
      }>
    : never;
};

const SPEC =
  /^([A-Za-z_][A-Za-z0-9_-]*)(?::(\*)|#([A-Za-z_][A-Za-z0-9_-]*))?(?: with ([A-Za-z_][A-Za-z0-9_-]*))?$/;

/** Parses `'team#member with cond'` into a {@link DirectSubjectType}; throws {@link PolicyModelError}. */
export function parseRestriction(spec: string, path = 'restriction'): DirectSubjectType {
  const m = typeof spec === 'string' ? SPEC.exec(spec) : null;
  if (!m) throw new PolicyModelError(path, `invalid type restriction ${JSON.stringify(spec)}`);
  const [, type, star, relation, condition] = m;
  return {
    type: type!,
    ...(star ? { wildcard: true } : {}),
    ...(relation ? { relation } : {}),
    ...(condition ? { condition } : {}),
  };
}

function expr(
  directly: readonly string[],
  rewrite: Rewrite,
  denyRule?: Rewrite,
): RelationExpr<string, string, string> {
  const combine = (other: RelationExpr<string, string, string>, rw: Rewrite) =>
    expr(
      [...directly, ...other.directly.filter((d) => !directly.includes(d))],
      rw,
      merge(denyRule, other.denyRule),
    );
  return {
    directly,
    rewrite,
    denyRule,
    or: (o) => combine(o, { union: [...flat(rewrite, 'union'), ...flat(o.rewrite, 'union')] }),
    and: (o) =>
      combine(o, { intersection: [...flat(rewrite, 'intersection'), ...flat(o.rewrite, 'intersection')] }),
    butNot: (o) => combine(o, { exclusion: { base: rewrite, subtract: o.rewrite } }),
    deny: (rule) => expr(directly, rewrite, merge(denyRule, rule.rewrite)),
  };
}

function flat(rw: Rewrite, op: 'union' | 'intersection'): readonly Rewrite[] {
  if (op === 'union' && 'union' in rw) return rw.union;
  if (op === 'intersection' && 'intersection' in rw) return rw.intersection;
  return [rw];
}

function merge(a: Rewrite | undefined, b: Rewrite | undefined): Rewrite | undefined {
  if (!a) return b;
  if (!b) return a;
  return { union: [...flat(a, 'union'), ...flat(b, 'union')] };
}

const builder: ModelBuilder = {
  type: (relations) => ({ relations: (relations ?? {}) as never }),
  relation: (restrictions) => expr([...restrictions], { this: true }) as never,
  computed: (relation) => expr([], { computed: relation }) as never,
  from: (tupleset, computed) => expr([], { tupleToUserset: { tupleset, computed } }) as never,
  condition: (name) => expr([], { condition: name }) as never,
};

/** Options of {@link defineModel}. */
export interface DefineModelOptions {
  readonly conditions?: Readonly<Record<string, ConditionDefinition>>;
}

/**
 * Builds an {@link AuthorizationModel} from the builder callback. Unknown names are compile
 * errors (see `ValidModel`); malformed restrictions throw {@link PolicyModelError}. The
 * result still goes through `compileModel` when an evaluator is created.
 */
export function defineModel<M>(
  build: (m: ModelBuilder) => M & NoInfer<ValidModel<M>>,
  options: DefineModelOptions = {},
): AuthorizationModel {
  const built = build(builder) as Record<
    string,
    TypeBuilder<Record<string, RelationExpr<string, string, string>>>
  >;
  const types: Record<string, TypeDefinition> = Object.create(null);
  for (const typeName of Object.keys(built)) {
    const relations: Record<string, RelationDefinition> = Object.create(null);
    const source = built[typeName]!.relations;
    for (const relName of Object.keys(source)) {
      const e = source[relName]!;
      const path = `types.${typeName}.relations.${relName}`;
      relations[relName] = {
        ...(e.directly.length > 0
          ? { directly: e.directly.map((s, i) => parseRestriction(s, `${path}.directly[${i}]`)) }
          : {}),
        rewrite: e.rewrite,
        ...(e.denyRule ? { deny: e.denyRule } : {}),
      };
    }
    types[typeName] = { relations };
  }
  return { types, ...(options.conditions ? { conditions: options.conditions } : {}) };
}
