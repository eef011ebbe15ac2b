/**
 * The steps of the relation walk that read tuples: direct and wildcard tuples, usersets
 * (`team#member`), tuple-to-userset (`viewer from parent`), role unions answered by one
 * `readTuples`, and the conditions tuples carry. {@link TupleSteps} is the base of `Walk`
 * (`walk.ts`), which owns the recursion (`relation`), the memo and the operators.
 *
 * @module
 */

import type { Explanation, ExplanationRule } from '../explanation.js';
import {
  admittingRestriction,
  formatTuple,
  type ObjectRef,
  type RelationshipTuple,
  type SubjectRef,
} from '../relationship-store.js';
import {
  anyOf,
  evaluateCondition,
  GRANTED,
  NOT_GRANTED,
  NOT_GRANTED_TAINTED,
  type Result,
} from './condition-eval.js';
import type { Program, RelationProgram, RolesUnion, Step } from './program.js';
import type { TupleReads } from './tuple-reads.js';

/** Settings of a walk. */
export interface WalkOptions {
  readonly program: Program;
  readonly subject: SubjectRef;
  readonly subjectAttributes: Readonly<Record<string, unknown>>;
  readonly resourceAttributes: Readonly<Record<string, unknown>>;
  readonly context: Readonly<Record<string, unknown>>;
  readonly maxDepth: number;
  readonly maxEvaluations: number;
  readonly explain: boolean;
}

type StepNode = {
  readonly rule: 'userset' | 'tuple_to_userset';
  readonly tuple: string;
  readonly message: string;
};

/** `type:id`. */
export const ref = (o: ObjectRef) => `${o.type}:${o.id}`;

/** Accumulates the non-granting operands of a union-like node. */
export interface Acc {
  error: Result | undefined;
  tainted: boolean;
  seen: boolean;
  results: Result[] | undefined;
}

/** The tuple-reading steps; `relation` (the recursion) is the subclass's. */
export abstract class TupleSteps {
  protected readonly o: WalkOptions;
  protected readonly reads: TupleReads;
  protected readonly explain: boolean;
  protected readonly wildcardSubject: SubjectRef;
  /**
   * `true` for a plain subject (`user:anne`). A userset subject (`group:eng#member`) is matched only
   * by tuples naming that userset and by itself (see {@link selfRelation}); the type wildcard
   * subject (`user:*`) only by tuples naming `user:*`. Neither takes the extra wildcard read, and a
   * userset subject skips the role-union read too (its own userset may be one of the roles).
   */
  protected readonly plainSubject: boolean;
  /**
   * For a userset subject `type:id#relation`: its relation. The walk grants `type:id#relation`
   * itself at once: a userset is a member of itself (OpenFGA's "implicit tuples that exist by
   * virtue of applying set theory", e.g. `document:1#viewer@document:1#viewer`).
   */
  protected readonly selfRelation: string | undefined;

  constructor(options: WalkOptions, reads: TupleReads) {
    this.o = options;
    this.reads = reads;
    this.explain = options.explain;
    const { subject } = options;
    this.wildcardSubject = { type: subject.type, id: '*' };
    this.selfRelation = subject.relation;
    this.plainSubject = subject.relation === undefined && subject.id !== '*';
  }

  /** Evaluates `p` on `object` at `depth`. */
  abstract relation(object: ObjectRef, p: RelationProgram, depth: number): Result;

  protected direct(object: ObjectRef, p: RelationProgram, depth: number): Result {
    const { reads } = this;
    const { subject } = this.o;
    const rel = p.rel;
    const acc: Acc = {
      error: undefined,
      tainted: false,
      seen: false,
      results: this.explain ? [] : undefined,
    };
    if (
      this.selfRelation === undefined &&
      (rel.plainTypes.has(subject.type) || (!this.plainSubject && rel.wildcardTypes.has(subject.type)))
    ) {
      // A plain subject, or `type:*` as the subject: only a tuple naming `type:*` itself matches it.
      const t = reads.tuple(object, rel.name, subject);
      const r = t && this.grantedBy(p, t, 'direct');
      if (r?.outcome === 'granted') return r;
      if (r) note(acc, r);
    }
    if (this.plainSubject && rel.wildcardTypes.has(subject.type)) {
      const t = reads.tuple(object, rel.name, this.wildcardSubject);
      const r = t && this.grantedBy(p, t, 'wildcard');
      if (r?.outcome === 'granted') return r;
      if (r) note(acc, r);
    }
    // A userset subject is found through these too: `team:x#member` is followed, and the walk
    // grants the subject's own userset when it gets there (see `selfRelation`).
    if (rel.hasUsersets) {
      for (const t of reads.usersets(object, rel.name)) {
        const via = t.subject.relation;
        if (via === undefined || !admittingRestriction(rel.directly, t)) continue;
        const target = this.o.program.types.get(t.subject.type)?.get(via);
        if (!target) continue;
        const step: StepNode | undefined = this.explain
          ? {
              rule: 'userset',
              tuple: formatTuple(t),
              message: `member of ${t.subject.type}:${t.subject.id}#${via}`,
            }
          : undefined;
        const r = this.throughTuple(t, step, target, depth);
        if (r.outcome === 'granted') return r;
        note(acc, r);
      }
    }
    return settle(acc, object, rel.name, 'no matching tuple', 'direct tuples');
  }

  /** `true` when the subject (or its wildcard) holds one of the union's role relations on `object`. */
  protected holdsAny(object: ObjectRef, roles: RolesUnion): boolean {
    const { subject } = this.o;
    for (const t of this.reads.tuples!(object, roles.names, subject)) {
      const rel = roles.relations.get(t.relation);
      if (rel?.plainTypes.has(subject.type) && admittingRestriction(rel.directly, t)) return true;
    }
    if (!roles.wildcardTypes.has(subject.type)) return false;
    for (const t of this.reads.tuples!(object, roles.names, this.wildcardSubject)) {
      const rel = roles.relations.get(t.relation);
      if (rel?.wildcardTypes.has(subject.type) && admittingRestriction(rel.directly, t)) return true;
    }
    return false;
  }

  /** A direct or wildcard tuple: granted if admitted, after its condition when it has one. */
  protected grantedBy(
    p: RelationProgram,
    tuple: RelationshipTuple,
    rule: ExplanationRule,
  ): Result | undefined {
    if (!admittingRestriction(p.rel.directly, tuple)) return undefined;
    if (!tuple.condition) {
      if (!this.explain) return GRANTED;
      return {
        outcome: 'granted',
        exp: { rule, tuple: formatTuple(tuple), outcome: 'granted', message: rule },
        tainted: false,
      };
    }
    const c = this.condition(tuple.condition.name, tuple.condition.context);
    if (!this.explain) return c;
    const message = `${rule} with condition`;
    return { ...c, exp: { rule, tuple: formatTuple(tuple), outcome: c.outcome, message, children: [c.exp] } };
  }

  /**
   * Follows one tuple to `target` on its subject (a userset member, or a parent): the tuple's
   * condition first, when it has one, then the relation one level deeper; `step` describes it.
   */
  protected throughTuple(
    t: RelationshipTuple,
    step: StepNode | undefined,
    target: RelationProgram,
    depth: number,
  ): Result {
    let c: Result | undefined;
    if (t.condition) {
      c = this.condition(t.condition.name, t.condition.context);
      if (!step && c.outcome !== 'granted') return c;
    }
    const r =
      c === undefined || c.outcome === 'granted'
        ? this.relation({ type: t.subject.type, id: t.subject.id }, target, depth + 1)
        : undefined;
    if (!step) return r!.denied ? NOT_GRANTED : r!;
    const parts = c ? (r ? [c, r] : [c]) : [r!];
    const bad = parts.find((x) => x.outcome !== 'granted');
    const children = parts.map((x) => x.exp);
    if (bad) return { ...bad, denied: false, exp: { ...step, outcome: bad.outcome, children } };
    return { outcome: 'granted', exp: { ...step, outcome: 'granted', children }, tainted: false };
  }

  protected tupleToUserset(object: ObjectRef, s: Step, depth: number): Result {
    const tupleset = s.tupleset!;
    const acc: Acc = {
      error: undefined,
      tainted: false,
      seen: false,
      results: this.explain ? [] : undefined,
    };
    for (const t of this.reads.relation(object, tupleset.name)) {
      if (t.subject.relation !== undefined || t.subject.id === '*') continue;
      const target = s.targets!.get(t.subject.type);
      if (!target || !admittingRestriction(tupleset.directly, t)) continue;
      const step: StepNode | undefined = this.explain
        ? { rule: 'tuple_to_userset', tuple: formatTuple(t), message: `${s.computed} from ${tupleset.name}` }
        : undefined;
      const r = this.throughTuple(t, step, target, depth);
      if (r.outcome === 'granted') return r;
      note(acc, r);
    }
    return settle(
      acc,
      object,
      tupleset.name,
      `no ${tupleset.name} tuple`,
      `${s.computed} from any ${tupleset.name}`,
    );
  }

  protected condition(name: string, stored: Readonly<Record<string, unknown>> | undefined): Result {
    const r = evaluateCondition(this.o.program.model.conditions, name, {
      subject: this.o.subjectAttributes,
      resource: this.o.resourceAttributes,
      context: { ...this.o.context, ...(stored ?? {}) },
    });
    if (this.explain || r.outcome === 'error') return r;
    return r.outcome === 'granted' ? GRANTED : NOT_GRANTED;
  }
}

/** Records a non-granting operand. */
export function note(acc: Acc, r: Result): void {
  acc.seen = true;
  acc.results?.push(r);
  if (r.outcome === 'error') acc.error ??= r;
  else if (r.tainted) acc.tainted = true;
}

/**
 * What a walk over tuples gave when none granted: without explanations the quiet union; with them
 * `no_tuple` when there was nothing to follow, else the union of what each tuple led to.
 */
function settle(acc: Acc, object: ObjectRef, relation: string, noTuple: string, union: string): Result {
  if (!acc.results) return quiet(acc);
  if (acc.results.length === 0) {
    const exp: Explanation = {
      outcome: 'not_granted',
      rule: 'no_tuple',
      message: noTuple,
      object: ref(object),
      relation,
    };
    return { outcome: 'not_granted', exp, tainted: false };
  }
  return anyOf(acc.results, { rule: 'union', message: union });
}

/** The non-explaining union of the noted operands: the first error, else not granted (tainted if any was). */
export function quiet(acc: Acc): Result {
  if (!acc.seen) return NOT_GRANTED;
  return acc.error ?? (acc.tainted ? NOT_GRANTED_TAINTED : NOT_GRANTED);
}
