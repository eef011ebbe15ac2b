/**
 * The relation walk of one check: evaluates `object#relation` for one subject over the compiled
 * {@link Program} (direct tuples, wildcards, usersets, computed relations, tuple-to-userset,
 * union, intersection, exclusion, conditions, deny rules), synchronously, over {@link TupleReads}.
 * The subject is an object, the type wildcard `user:*` or a userset `group:eng#member`; a userset
 * subject is granted at once where the walk reaches that very `object#relation` (OpenFGA's check
 * allows every subproblem `X#r@X#r`, openfga.dev "Check": implicit tuples of set theory).
 *
 * It runs in one of two modes, with the same outcome in both:
 * - `explain: false` (what `check` does): no explanation nodes are built; granted and not-granted
 *   results are shared constants, so a check allocates almost nothing. An error result keeps its
 *   root-cause node (a depth, budget or condition failure), which becomes the decision's reason.
 * - `explain: true`: every step builds its {@link Explanation} node, giving the full tree.
 *
 * Guarantees (see the evaluator): a path that revisits an `object#relation` is cut and taints the
 * result (a tainted not-granted is neither memoized nor allowed to turn an exclusion or a deny
 * into a grant); a path longer than `maxDepth` or a walk of more than `maxEvaluations` relations
 * ends in an error, i.e. a deny. A role union answered by one `readTuples` counts every operand
 * as evaluated and is only taken when its operands could not hit the depth or budget limit.
 *
 * @module
 */

import type { Explanation } from '../explanation.js';
import type { ObjectRef } from '../relationship-store.js';
import {
  anyOf,
  DENIED,
  fail,
  GRANTED,
  NOT_GRANTED,
  NOT_GRANTED_TAINTED,
  type Result,
} from './condition-eval.js';
import { Kind, type RelationProgram, type Step } from './program.js';
import { Visits } from './visits.js';
import { type Acc, note, quiet, ref, TupleSteps } from './walk-tuples.js';

/** The result of a walk, as the evaluator turns it into a decision. */
export type WalkResult = Result;

/** Marks an `object#relation` being evaluated on the current path. */
const ON_PATH: Result = { ...NOT_GRANTED_TAINTED };

export type { WalkOptions } from './walk-tuples.js';

/** One walk: per-check memo and path, evaluation count. Create one per check (or per walk round). */
export class Walk extends TupleSteps {
  /** `object#relation` -> its result, or {@link ON_PATH} while it is being evaluated. */
  private readonly state = new Visits<Result>();
  private evaluations = 0;

  /** Evaluates `p` on `object` at `depth` (the root is depth 1). */
  relation(object: ObjectRef, p: RelationProgram, depth: number): Result {
    if (this.selfRelation !== undefined && this.isSubjectItself(object, p)) return this.itself(object, p);
    const known = this.state.get(p, object.id);
    if (known === ON_PATH) {
      if (!this.explain) return NOT_GRANTED_TAINTED;
      const exp: Explanation = {
        object: ref(object),
        relation: p.rel.name,
        outcome: 'not_granted',
        rule: 'cycle',
        message: 'cycle: already being evaluated on this path',
      };
      return { outcome: 'not_granted', exp, tainted: true };
    }
    if (known) return known;
    if (depth > this.o.maxDepth) {
      return fail('depth_exceeded', `depth limit ${this.o.maxDepth} exceeded; denied`, {
        object: ref(object),
        relation: p.rel.name,
      });
    }
    if (++this.evaluations > this.o.maxEvaluations) {
      return fail('budget_exceeded', `more than ${this.o.maxEvaluations} relations evaluated; denied`, {
        object: ref(object),
        relation: p.rel.name,
      });
    }
    const slot = this.state.add(p, object.id, ON_PATH);
    let result: Result;
    try {
      result = this.relationBody(object, p, depth);
    } catch (error) {
      this.state.clear(slot);
      throw error;
    }
    if (result.outcome === 'granted' || (result.outcome === 'not_granted' && !result.tainted)) {
      this.state.put(slot, result);
    } else this.state.clear(slot);
    return result;
  }

  /** `true` when `object#p` is the userset subject itself (`group:eng#member` asked about `group:eng#member`). */
  private isSubjectItself(object: ObjectRef, p: RelationProgram): boolean {
    const { subject } = this.o;
    return p.rel.name === this.selfRelation && object.id === subject.id && p.type === subject.type;
  }

  /** A userset is a member of itself (OpenFGA's implicit tuple `document:1#viewer@document:1#viewer`). */
  private itself(object: ObjectRef, p: RelationProgram): Result {
    if (!this.explain) return GRANTED;
    const exp: Explanation = {
      object: ref(object),
      relation: p.rel.name,
      outcome: 'granted',
      rule: 'relation',
      message: 'the subject is this userset itself',
    };
    return { outcome: 'granted', exp, tainted: false };
  }

  private relationBody(object: ObjectRef, p: RelationProgram, depth: number): Result {
    const node = this.explain ? { object: ref(object), relation: p.rel.name } : undefined;
    if (p.deny) {
      const d = this.step(object, p, p.deny, depth);
      if (d.outcome === 'granted') {
        if (!node) return DENIED;
        const exp: Explanation = {
          ...node,
          outcome: 'not_granted',
          rule: 'deny',
          message: 'an explicit deny matched',
          children: [d.exp],
        };
        return { outcome: 'not_granted', exp, tainted: false, denied: true };
      }
      if (d.outcome === 'error' || d.tainted) {
        if (!node) return d.outcome === 'error' ? d : fail('cycle', 'a cycle in a deny rule: denied');
        const exp: Explanation = {
          ...node,
          outcome: 'error',
          rule: 'deny',
          message: 'the deny rule could not be decided; denied',
          children: [d.exp],
        };
        return { outcome: 'error', exp, tainted: true, error: d.error ?? 'cycle' };
      }
    }
    const r = this.step(object, p, p.rewrite, depth);
    if (!node) return r;
    const message =
      r.outcome === 'granted'
        ? 'granted'
        : r.outcome === 'error'
          ? 'could not be decided; denied'
          : 'not granted';
    return {
      outcome: r.outcome,
      tainted: r.tainted,
      ...(r.error ? { error: r.error } : {}),
      exp: { ...node, outcome: r.outcome, rule: 'relation', message, children: [r.exp] },
    };
  }

  private step(object: ObjectRef, p: RelationProgram, s: Step, depth: number): Result {
    switch (s.kind) {
      case Kind.This:
        return this.direct(object, p, depth);
      case Kind.Computed: {
        const r = this.relation(object, s.target!, depth + 1);
        if (!this.explain) return r.denied ? NOT_GRANTED : r;
        const name = s.target!.rel.name;
        return anyOf([r], { rule: 'computed', relation: name, message: `computed from ${name}` });
      }
      case Kind.TupleToUserset:
        return this.tupleToUserset(object, s, depth);
      case Kind.Union:
        return this.union(object, p, s, depth);
      case Kind.Intersection:
        return this.intersection(object, p, s.operands, depth);
      case Kind.Exclusion:
        return this.exclusion(object, p, s.operands[0]!, s.operands[1]!, depth);
      default:
        return this.condition(s.condition, undefined);
    }
  }

  private union(object: ObjectRef, p: RelationProgram, s: Step, depth: number): Result {
    if (this.explain) {
      const results: Result[] = [];
      for (const child of s.operands) {
        const r = this.step(object, p, child, depth);
        results.push(r);
        if (r.outcome === 'granted') break;
      }
      return anyOf(results, { rule: 'union', message: 'any of' });
    }
    const roles = s.roles;
    if (
      roles &&
      this.selfRelation === undefined &&
      this.reads.tuples &&
      depth < this.o.maxDepth &&
      this.evaluations + roles.size <= this.o.maxEvaluations
    ) {
      this.evaluations += roles.size;
      return this.holdsAny(object, roles) ? GRANTED : NOT_GRANTED;
    }
    const acc: Acc = { error: undefined, tainted: false, seen: false, results: undefined };
    for (const child of s.operands) {
      const r = this.step(object, p, child, depth);
      if (r.outcome === 'granted') return GRANTED;
      note(acc, r);
    }
    return quiet(acc);
  }

  private intersection(
    object: ObjectRef,
    p: RelationProgram,
    operands: readonly Step[],
    depth: number,
  ): Result {
    const results: Result[] | undefined = this.explain ? [] : undefined;
    let error: Result | undefined;
    for (const child of operands) {
      const r = this.step(object, p, child, depth);
      results?.push(r);
      if (r.outcome === 'not_granted') {
        if (!results) return r.tainted ? NOT_GRANTED_TAINTED : NOT_GRANTED;
        const children = results.map((x) => x.exp);
        const exp: Explanation = {
          outcome: 'not_granted',
          rule: 'intersection',
          message: 'not all of',
          children,
        };
        return { outcome: 'not_granted', exp, tainted: r.tainted };
      }
      if (r.outcome === 'error') error ??= r;
    }
    if (!results) return error ?? GRANTED;
    const children = results.map((x) => x.exp);
    if (error)
      return {
        ...error,
        exp: { outcome: 'error', rule: 'intersection', message: 'all of: undecided', children },
      };
    return {
      outcome: 'granted',
      exp: { outcome: 'granted', rule: 'intersection', message: 'all of', children },
      tainted: false,
    };
  }

  private exclusion(
    object: ObjectRef,
    p: RelationProgram,
    baseStep: Step,
    subStep: Step,
    depth: number,
  ): Result {
    const base = this.step(object, p, baseStep, depth);
    if (base.outcome !== 'granted') {
      if (!this.explain) return base;
      return {
        ...base,
        exp: { outcome: base.outcome, rule: 'exclusion', message: 'base not granted', children: [base.exp] },
      };
    }
    const sub = this.step(object, p, subStep, depth);
    if (!this.explain) {
      if (sub.outcome === 'granted') return NOT_GRANTED;
      if (sub.outcome === 'error') return sub;
      return sub.tainted ? fail('cycle', 'a cycle in an exclusion: denied') : GRANTED;
    }
    const children = [base.exp, sub.exp];
    if (sub.outcome === 'granted') {
      const exp: Explanation = {
        outcome: 'not_granted',
        rule: 'exclusion',
        message: 'excluded (but not)',
        children,
      };
      return { outcome: 'not_granted', exp, tainted: false };
    }
    if (sub.outcome === 'error' || sub.tainted) {
      const message = 'exclusion could not be decided; denied';
      return {
        outcome: 'error',
        exp: { outcome: 'error', rule: 'exclusion', message, children },
        tainted: true,
        error: sub.error ?? 'cycle',
      };
    }
    const exp: Explanation = {
      outcome: 'granted',
      rule: 'exclusion',
      message: 'base and not excluded',
      children,
    };
    return { outcome: 'granted', exp, tainted: false };
  }
}
