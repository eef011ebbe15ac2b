/**
 * The evaluation plan of a compiled model: every relation's rewrite (and deny) turned into
 * {@link Step}s whose references are already resolved — a `computed` step points at the relation
 * it computes from, a tuple-to-userset step at its tupleset and at the target relation per subject
 * type — so the relation walk never looks a name up while it runs. Steps share one shape (one
 * class), which keeps the walk's property accesses monomorphic.
 *
 * Role unions: a union whose operands are all `computed` from plain role relations of the same
 * type (written only as direct tuples, without deny, usersets or conditions: what
 * `rolesTypeDefinition` produces for each permission) carries a {@link RolesUnion}, so that a store
 * with `readTuples` answers "which of these roles does the subject hold here?" in one read.
 *
 * Built once per compiled model (cached) and read-only afterwards.
 *
 * @module
 */

import type { CompiledModel, CompiledRelation, Rewrite } from '../model.js';

/** Step kinds. */
export const Kind = {
  This: 0,
  Computed: 1,
  TupleToUserset: 2,
  Union: 3,
  Intersection: 4,
  Exclusion: 5,
  Condition: 6,
} as const;
/** A step kind. */
export type Kind = (typeof Kind)[keyof typeof Kind];

/** A union of plain role relations, decided by one `readTuples` (see the module doc). */
export interface RolesUnion {
  /** Names of the role relations. */
  readonly names: ReadonlySet<string>;
  readonly relations: ReadonlyMap<string, CompiledRelation>;
  /** Subject types whose wildcard one of the roles admits. */
  readonly wildcardTypes: ReadonlySet<string>;
  /** Number of operands (each counts as one evaluation). */
  readonly size: number;
}

/** One node of a compiled rewrite. Only the fields of its kind are set. */
export class Step {
  kind: Kind = Kind.This as Kind;
  /** Computed: the relation computed from. */
  target: RelationProgram | undefined = undefined;
  /** Union, intersection: the operands. Exclusion: `[base, subtract]`. */
  operands: Step[] = [];
  /** Tuple-to-userset: the tupleset relation. */
  tupleset: CompiledRelation | undefined = undefined;
  /** Tuple-to-userset: the computed relation's name, and that relation per subject type. */
  computed = '';
  targets: Map<string, RelationProgram> | undefined = undefined;
  /** Condition: its name. */
  condition = '';
  /** Union: set when it is a union of plain role relations. */
  roles: RolesUnion | null = null;
}

/** A relation with its compiled rewrite and deny. */
export interface RelationProgram {
  readonly rel: CompiledRelation;
  /** The object type the relation belongs to. */
  readonly type: string;
  rewrite: Step;
  deny: Step | undefined;
}

/** The plan of a whole model: relation programs by type and name. */
export interface Program {
  readonly model: CompiledModel;
  readonly types: ReadonlyMap<string, ReadonlyMap<string, RelationProgram>>;
}

const programs = new WeakMap<CompiledModel, Program>();

/** The (cached) plan of `model`. */
export function programOf(model: CompiledModel): Program {
  const cached = programs.get(model);
  if (cached) return cached;
  const types = new Map<string, Map<string, RelationProgram>>();
  for (const [type, relations] of model.types) {
    const byName = new Map<string, RelationProgram>();
    for (const rel of relations.values())
      byName.set(rel.name, { rel, type, rewrite: new Step(), deny: undefined });
    types.set(type, byName);
  }
  const program: Program = { model, types };
  for (const [type, byName] of types) {
    for (const p of byName.values()) {
      p.rewrite = compileStep(program, type, p.rel.rewrite);
      p.deny = p.rel.deny ? compileStep(program, type, p.rel.deny) : undefined;
    }
  }
  programs.set(model, program);
  return program;
}

function compileStep(program: Program, type: string, rw: Rewrite): Step {
  const step = new Step();
  const own = program.types.get(type)!;
  if ('this' in rw) step.kind = Kind.This;
  else if ('computed' in rw) {
    step.kind = Kind.Computed;
    step.target = own.get(rw.computed);
  } else if ('tupleToUserset' in rw) {
    step.kind = Kind.TupleToUserset;
    const tupleset = own.get(rw.tupleToUserset.tupleset)!.rel;
    step.tupleset = tupleset;
    step.computed = rw.tupleToUserset.computed;
    step.targets = new Map();
    for (const d of tupleset.directly) {
      const target = program.types.get(d.type)?.get(step.computed);
      if (target) step.targets.set(d.type, target);
    }
  } else if ('union' in rw) {
    step.kind = Kind.Union;
    step.operands = rw.union.map((c) => compileStep(program, type, c));
    step.roles = rolesUnion(program, type, rw.union);
  } else if ('intersection' in rw) {
    step.kind = Kind.Intersection;
    step.operands = rw.intersection.map((c) => compileStep(program, type, c));
  } else if ('exclusion' in rw) {
    step.kind = Kind.Exclusion;
    step.operands = [
      compileStep(program, type, rw.exclusion.base),
      compileStep(program, type, rw.exclusion.subtract),
    ];
  } else {
    step.kind = Kind.Condition;
    step.condition = rw.condition;
  }
  return step;
}

function rolesUnion(program: Program, type: string, operands: readonly Rewrite[]): RolesUnion | null {
  const relations = new Map<string, CompiledRelation>();
  const wildcardTypes = new Set<string>();
  const plain = operands.every((operand) => {
    const rel = 'computed' in operand ? program.types.get(type)?.get(operand.computed)?.rel : undefined;
    if (!rel || !('this' in rel.rewrite) || rel.deny !== undefined || rel.hasUsersets) return false;
    if (rel.directly.some((d) => d.condition !== undefined)) return false;
    relations.set(rel.name, rel);
    for (const t of rel.wildcardTypes) wildcardTypes.add(t);
    return true;
  });
  if (!plain || relations.size < 2) return null;
  return { names: new Set(relations.keys()), relations, wildcardTypes, size: operands.length };
}
