/**
 * The policy evaluator: "may this subject do this action on this resource?", answered in-process
 * over a {@link CompiledModel} and a {@link RelationshipStore}, with an {@link Explanation}.
 *
 * Semantics follow OpenFGA: union grants if any operand grants, intersection if all do, exclusion
 * if the base does and the subtracted part does not. Added guarantees:
 * - Deny by default (AZ-01): an unknown type, relation/action or a malformed request is denied
 *   with `no_matching_rule` / `invalid_request`; names are looked up in `Map`s only.
 * - Fail closed (AZ-02): an error anywhere (a condition input that fails its zod schema, a
 *   condition that throws or returns a non-boolean, a store failure) is an `error` outcome that
 *   denies, unless an independent branch of a union grants. `check` never throws.
 * - Bounded (AZ-06): a path that revisits an `object#relation` is cut (contributes nothing), and
 *   a path longer than `maxDepth` (25) or a check that evaluates more than `maxEvaluations`
 *   relations ends in `depth_exceeded` / `budget_exceeded`, i.e. a deny.
 * - A cut cycle in a negative position (an exclusion's subtracted part or a deny rule) is
 *   treated as an error, so a cycle can never turn into a grant.
 * - Deny rules: a relation's `deny` is evaluated first; if it matches, the relation is denied
 *   whatever else grants it.
 *
 * @module
 */

import { anyOf, attrs, evaluateCondition, fail, type Result } from './condition-eval.js';
import type { DecisionCode, ErrorRule, Explanation, ExplanationRule } from './explanation.js';
import {
  type AuthorizationModel,
  type CompiledModel,
  type CompiledRelation,
  compileModel,
  findRelation,
  isCompiledModel,
  isSafeName,
  type Rewrite,
} from './model.js';
import {
  admittingRestriction,
  formatTuple,
  MAX_ID_LENGTH,
  type ObjectRef,
  type RelationshipStore,
  type RelationshipTuple,
  type SubjectRef,
  TupleIndex,
  tupleModelError,
} from './relationship-store.js';
import {
  type ListResourcesRequest,
  type ListResourcesResult,
  type ListSubjectsRequest,
  type ListSubjectsResult,
  listResources,
  listSubjects,
  type ReverseHost,
} from './reverse.js';

/** An entity in a check: type, id and optional ABAC attributes. */
export interface Entity {
  readonly type: string;
  readonly id: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** A check request. `action` is the name of a relation or permission of the resource's type. */
export interface CheckRequest {
  readonly subject: Entity;
  readonly action: string;
  readonly resource: Entity;
  /** Request context for conditions (time, IP, ...). A tuple's stored context wins over it. */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Tuples that hold for this request only; validated against the model. */
  readonly contextualTuples?: readonly RelationshipTuple[];
}

/** A decision: `allowed`, a stable `code`, and the explanation tree. */
export interface CheckResult {
  readonly allowed: boolean;
  readonly code: DecisionCode;
  readonly reason: Explanation;
}

/** A decision as given to the `onDecision` hook. */
export interface DecisionEvent {
  readonly request: CheckRequest;
  readonly result: CheckResult;
  readonly durationMs: number;
}

/** Options of {@link PolicyEvaluator}. */
export interface PolicyEvaluatorOptions {
  /** The model (validated here if not already compiled). */
  readonly model: AuthorizationModel | CompiledModel;
  readonly store: RelationshipStore;
  /** Longest chain of relation hops before `depth_exceeded`. Default 25. */
  readonly maxDepth?: number;
  /** Most relations evaluated by one check before `budget_exceeded`. Default 10 000. */
  readonly maxEvaluations?: number;
  /** Most contextual tuples per request. Default 100. */
  readonly maxContextualTuples?: number;
  /** Decision log hook (off by default). Errors it throws are swallowed. */
  readonly onDecision?: (event: DecisionEvent) => void;
}

interface Ctx {
  readonly subject: SubjectRef;
  readonly subjectAttributes: Readonly<Record<string, unknown>>;
  readonly resourceAttributes: Readonly<Record<string, unknown>>;
  readonly context: Readonly<Record<string, unknown>>;
  readonly contextual: TupleIndex | undefined;
  readonly memo: Map<string, Result>;
  readonly path: Set<string>;
  evaluations: number;
}

class StoreFailure extends Error {}

const ref = (o: ObjectRef) => `${o.type}:${o.id}`;

/**
 * The in-process policy decision point. Create one per model; it is stateless between checks
 * (memoization is per check), so one instance serves concurrent requests.
 */
export class PolicyEvaluator {
  /** The compiled model this evaluator decides with. */
  readonly model: CompiledModel;
  private readonly store: RelationshipStore;
  private readonly maxDepth: number;
  private readonly maxEvaluations: number;
  private readonly maxContextualTuples: number;
  private readonly onDecision: ((event: DecisionEvent) => void) | undefined;

  constructor(options: PolicyEvaluatorOptions) {
    this.model = isCompiledModel(options.model) ? options.model : compileModel(options.model);
    this.store = options.store;
    this.maxDepth = options.maxDepth ?? 25;
    this.maxEvaluations = options.maxEvaluations ?? 10_000;
    this.maxContextualTuples = options.maxContextualTuples ?? 100;
    this.onDecision = options.onDecision;
  }

  /** Decides one request. Never throws: every failure is a deny with a reason. */
  async check(request: CheckRequest): Promise<CheckResult> {
    const started = performance.now();
    let result: CheckResult;
    try {
      result = await this.decide(request);
    } catch (error) {
      const rule: ErrorRule = error instanceof StoreFailure ? 'store_error' : 'internal_error';
      result = {
        allowed: false,
        code: rule,
        reason: { outcome: 'error', rule, message: `evaluation failed (${rule}); denied` },
      };
    }
    if (this.onDecision) {
      try {
        this.onDecision({ request, result, durationMs: performance.now() - started });
      } catch {
        // A broken log hook must not change the decision.
      }
    }
    return result;
  }

  /** Decides several requests independently; results are in request order. */
  async batchCheck(requests: readonly CheckRequest[]): Promise<CheckResult[]> {
    return Promise.all(requests.map((r) => this.check(r)));
  }

  /** Objects of a type the subject may act on, paginated, confirmed by `check`; see `reverse.ts`. */
  async listResources(request: ListResourcesRequest): Promise<ListResourcesResult> {
    return listResources(this.reverseHost(), request);
  }

  /** Subjects of a type that may act on the resource, paginated, confirmed by `check`; see `reverse.ts`. */
  async listSubjects(request: ListSubjectsRequest): Promise<ListSubjectsResult> {
    return listSubjects(this.reverseHost(), request);
  }

  private reverseHost(): ReverseHost {
    return {
      model: this.model,
      store: this.store,
      maxDepth: this.maxDepth,
      maxContextualTuples: this.maxContextualTuples,
      check: (request) => this.check(request),
    };
  }

  private async decide(request: CheckRequest): Promise<CheckResult> {
    const invalid = (message: string): CheckResult => ({
      allowed: false,
      code: 'invalid_request',
      reason: { outcome: 'error', rule: 'invalid_request', message },
    });
    if (typeof request !== 'object' || request === null) return invalid('request must be an object');
    const { subject, resource, action } = request;
    if (!validEntity(subject) || subject.id === '*') return invalid('invalid subject');
    if (!validEntity(resource) || resource.id === '*') return invalid('invalid resource');
    if (typeof action !== 'string') return invalid('invalid action');
    const relation = isSafeName(action) ? findRelation(this.model, resource.type, action) : undefined;
    if (!relation || !isSafeName(subject.type)) {
      return {
        allowed: false,
        code: 'no_matching_rule',
        reason: {
          outcome: 'not_granted',
          rule: 'no_matching_rule',
          message: 'no matching rule',
          object: ref(resource),
          relation: action,
        },
      };
    }
    let contextual: TupleIndex | undefined;
    const extra = request.contextualTuples ?? [];
    if (!Array.isArray(extra) || extra.length > this.maxContextualTuples) {
      return invalid(`contextualTuples must be an array of at most ${this.maxContextualTuples} tuples`);
    }
    if (extra.length > 0) {
      contextual = new TupleIndex();
      for (const [i, t] of extra.entries()) {
        const error = tupleModelError(this.model, t);
        if (error) return invalid(`contextual tuple ${i}: ${error}`);
        contextual.add(t);
      }
    }
    const ctx: Ctx = {
      subject: { type: subject.type, id: subject.id },
      subjectAttributes: attrs(subject.attributes),
      resourceAttributes: attrs(resource.attributes),
      context: attrs(request.context),
      contextual,
      memo: new Map(),
      path: new Set(),
      evaluations: 0,
    };
    const r = await this.relation(ctx, { type: resource.type, id: resource.id }, relation.name, 1);
    let code: DecisionCode;
    if (r.outcome === 'granted') code = 'granted';
    else if (r.outcome === 'error') code = r.error ?? 'internal_error';
    else code = r.exp.rule === 'deny' ? 'deny_rule' : 'not_granted';
    return { allowed: r.outcome === 'granted', code, reason: r.exp };
  }

  private async relation(ctx: Ctx, object: ObjectRef, name: string, depth: number): Promise<Result> {
    const node = { object: ref(object), relation: name };
    const rel = findRelation(this.model, object.type, name);
    if (!rel) {
      return {
        outcome: 'not_granted',
        exp: { ...node, outcome: 'not_granted', rule: 'no_matching_rule', message: 'no matching rule' },
        tainted: false,
      };
    }
    const key = `${object.type}:${object.id}#${name}`;
    const memo = ctx.memo.get(key);
    if (memo) return memo;
    if (ctx.path.has(key)) {
      return {
        outcome: 'not_granted',
        exp: {
          ...node,
          outcome: 'not_granted',
          rule: 'cycle',
          message: 'cycle: already being evaluated on this path',
        },
        tainted: true,
      };
    }
    if (depth > this.maxDepth) {
      return fail('depth_exceeded', `depth limit ${this.maxDepth} exceeded; denied`, node);
    }
    if (++ctx.evaluations > this.maxEvaluations) {
      return fail('budget_exceeded', `more than ${this.maxEvaluations} relations evaluated; denied`, node);
    }
    ctx.path.add(key);
    let result: Result;
    try {
      result = await this.relationBody(ctx, object, rel, depth, node);
    } finally {
      ctx.path.delete(key);
    }
    if (result.outcome === 'granted' || (result.outcome === 'not_granted' && !result.tainted)) {
      ctx.memo.set(key, result);
    }
    return result;
  }

  private async relationBody(
    ctx: Ctx,
    object: ObjectRef,
    rel: CompiledRelation,
    depth: number,
    node: { object: string; relation: string },
  ): Promise<Result> {
    if (rel.deny) {
      const d = await this.rewrite(ctx, object, rel, rel.deny, depth);
      if (d.outcome === 'granted') {
        return {
          outcome: 'not_granted',
          exp: {
            ...node,
            outcome: 'not_granted',
            rule: 'deny',
            message: 'an explicit deny matched',
            children: [d.exp],
          },
          tainted: false,
        };
      }
      if (d.outcome === 'error' || d.tainted) {
        const error = d.error ?? 'cycle';
        return {
          outcome: 'error',
          exp: {
            ...node,
            outcome: 'error',
            rule: 'deny',
            message: 'the deny rule could not be decided; denied',
            children: [d.exp],
          },
          tainted: true,
          error,
        };
      }
    }
    const r = await this.rewrite(ctx, object, rel, rel.rewrite, depth);
    const message =
      r.outcome === 'granted'
        ? 'granted'
        : r.outcome === 'error'
          ? 'could not be decided; denied'
          : 'not granted';
    return { ...r, exp: { ...node, outcome: r.outcome, rule: 'relation', message, children: [r.exp] } };
  }

  private async rewrite(
    ctx: Ctx,
    object: ObjectRef,
    rel: CompiledRelation,
    rw: Rewrite,
    depth: number,
  ): Promise<Result> {
    if ('this' in rw) return this.direct(ctx, object, rel, depth);
    if ('computed' in rw) {
      const r = await this.relation(ctx, object, rw.computed, depth + 1);
      return anyOf([r], { rule: 'computed', relation: rw.computed, message: `computed from ${rw.computed}` });
    }
    if ('tupleToUserset' in rw) return this.tupleToUserset(ctx, object, rw.tupleToUserset, depth);
    if ('union' in rw) {
      const results: Result[] = [];
      for (const child of rw.union) {
        const r = await this.rewrite(ctx, object, rel, child, depth);
        results.push(r);
        if (r.outcome === 'granted') break;
      }
      return anyOf(results, { rule: 'union', message: 'any of' });
    }
    if ('intersection' in rw) {
      const results: Result[] = [];
      for (const child of rw.intersection) {
        const r = await this.rewrite(ctx, object, rel, child, depth);
        results.push(r);
        if (r.outcome === 'not_granted') {
          return {
            outcome: 'not_granted',
            exp: {
              outcome: 'not_granted',
              rule: 'intersection',
              message: 'not all of',
              children: results.map((x) => x.exp),
            },
            tainted: r.tainted,
          };
        }
      }
      const error = results.find((r) => r.outcome === 'error');
      const children = results.map((x) => x.exp);
      if (error) {
        return {
          ...error,
          exp: { outcome: 'error', rule: 'intersection', message: 'all of: undecided', children },
        };
      }
      return {
        outcome: 'granted',
        exp: { outcome: 'granted', rule: 'intersection', message: 'all of', children },
        tainted: false,
      };
    }
    if ('exclusion' in rw) {
      const base = await this.rewrite(ctx, object, rel, rw.exclusion.base, depth);
      if (base.outcome !== 'granted') {
        return {
          ...base,
          exp: {
            outcome: base.outcome,
            rule: 'exclusion',
            message: 'base not granted',
            children: [base.exp],
          },
        };
      }
      const sub = await this.rewrite(ctx, object, rel, rw.exclusion.subtract, depth);
      const children = [base.exp, sub.exp];
      if (sub.outcome === 'granted') {
        return {
          outcome: 'not_granted',
          exp: { outcome: 'not_granted', rule: 'exclusion', message: 'excluded (but not)', children },
          tainted: false,
        };
      }
      if (sub.outcome === 'error' || sub.tainted) {
        return {
          outcome: 'error',
          exp: {
            outcome: 'error',
            rule: 'exclusion',
            message: 'exclusion could not be decided; denied',
            children,
          },
          tainted: true,
          error: sub.error ?? 'cycle',
        };
      }
      return {
        outcome: 'granted',
        exp: { outcome: 'granted', rule: 'exclusion', message: 'base and not excluded', children },
        tainted: false,
      };
    }
    return this.condition(ctx, rw.condition, undefined);
  }

  private async direct(ctx: Ctx, object: ObjectRef, rel: CompiledRelation, depth: number): Promise<Result> {
    const s = ctx.subject;
    const results: Result[] = [];
    const grantedBy = async (
      tuple: RelationshipTuple,
      rule: ExplanationRule,
    ): Promise<Result | undefined> => {
      if (!admittingRestriction(rel.directly, tuple)) return undefined;
      const node = { rule, tuple: formatTuple(tuple) };
      if (!tuple.condition)
        return { outcome: 'granted', exp: { ...node, outcome: 'granted', message: rule }, tainted: false };
      const c = await this.condition(ctx, tuple.condition.name, tuple.condition.context);
      return {
        ...c,
        exp: { ...node, outcome: c.outcome, message: `${rule} with condition`, children: [c.exp] },
      };
    };
    if (rel.directly.some((d) => d.type === s.type && !d.relation && !d.wildcard)) {
      const t = await this.readTuple(ctx, object, rel.name, s);
      const r = t && (await grantedBy(t, 'direct'));
      if (r?.outcome === 'granted') return r;
      if (r) results.push(r);
    }
    if (rel.directly.some((d) => d.type === s.type && d.wildcard)) {
      const t = await this.readTuple(ctx, object, rel.name, { type: s.type, id: '*' });
      const r = t && (await grantedBy(t, 'wildcard'));
      if (r?.outcome === 'granted') return r;
      if (r) results.push(r);
    }
    if (rel.directly.some((d) => d.relation !== undefined)) {
      for (const t of await this.readUsersets(ctx, object, rel.name)) {
        if (!admittingRestriction(rel.directly, t) || t.subject.relation === undefined) continue;
        const node = {
          rule: 'userset' as const,
          tuple: formatTuple(t),
          message: `member of ${t.subject.type}:${t.subject.id}#${t.subject.relation}`,
        };
        const r = await this.throughTuple(ctx, t, node, t.subject.relation, depth);
        if (r.outcome === 'granted') return r;
        results.push(r);
      }
    }
    if (results.length === 0) {
      return {
        outcome: 'not_granted',
        exp: {
          outcome: 'not_granted',
          rule: 'no_tuple',
          message: 'no matching tuple',
          object: ref(object),
          relation: rel.name,
        },
        tainted: false,
      };
    }
    return anyOf(results, { rule: 'union', message: 'direct tuples' });
  }

  /**
   * Follows one tuple to `relation` on its subject (a userset member, or a parent): the tuple's
   * condition first, when it has one, then the relation one level deeper; `node` describes the step.
   */
  private async throughTuple(
    ctx: Ctx,
    t: RelationshipTuple,
    node: { readonly rule: 'userset' | 'tuple_to_userset'; readonly tuple: string; readonly message: string },
    relation: string,
    depth: number,
  ): Promise<Result> {
    const parts: Result[] = [];
    if (t.condition) parts.push(await this.condition(ctx, t.condition.name, t.condition.context));
    if (parts.every((p) => p.outcome === 'granted')) {
      parts.push(await this.relation(ctx, { type: t.subject.type, id: t.subject.id }, relation, depth + 1));
    }
    const bad = parts.find((p) => p.outcome !== 'granted');
    const children = parts.map((p) => p.exp);
    return bad
      ? { ...bad, exp: { ...node, outcome: bad.outcome, children } }
      : { outcome: 'granted', exp: { ...node, outcome: 'granted', children }, tainted: false };
  }

  private async tupleToUserset(
    ctx: Ctx,
    object: ObjectRef,
    ttu: { tupleset: string; computed: string },
    depth: number,
  ): Promise<Result> {
    const tupleset = findRelation(this.model, object.type, ttu.tupleset)!;
    const results: Result[] = [];
    for (const t of await this.readRelation(ctx, object, ttu.tupleset)) {
      if (
        !admittingRestriction(tupleset.directly, t) ||
        t.subject.relation !== undefined ||
        t.subject.id === '*'
      )
        continue;
      if (!findRelation(this.model, t.subject.type, ttu.computed)) continue;
      const node = {
        rule: 'tuple_to_userset' as const,
        tuple: formatTuple(t),
        message: `${ttu.computed} from ${ttu.tupleset}`,
      };
      const r = await this.throughTuple(ctx, t, node, ttu.computed, depth);
      if (r.outcome === 'granted') return r;
      results.push(r);
    }
    if (results.length === 0) {
      return {
        outcome: 'not_granted',
        exp: {
          outcome: 'not_granted',
          rule: 'no_tuple',
          message: `no ${ttu.tupleset} tuple`,
          object: ref(object),
          relation: ttu.tupleset,
        },
        tainted: false,
      };
    }
    return anyOf(results, { rule: 'union', message: `${ttu.computed} from any ${ttu.tupleset}` });
  }

  private async condition(
    ctx: Ctx,
    name: string,
    stored: Readonly<Record<string, unknown>> | undefined,
  ): Promise<Result> {
    return evaluateCondition(this.model.conditions, name, {
      subject: ctx.subjectAttributes,
      resource: ctx.resourceAttributes,
      context: { ...ctx.context, ...(stored ?? {}) },
    });
  }

  private async readTuple(
    ctx: Ctx,
    object: ObjectRef,
    relation: string,
    subject: SubjectRef,
  ): Promise<RelationshipTuple | undefined> {
    const local = ctx.contextual?.get(object, relation, subject);
    if (local) return local;
    try {
      return await this.store.readTuple(object, relation, subject);
    } catch {
      throw new StoreFailure();
    }
  }

  private async readUsersets(ctx: Ctx, object: ObjectRef, relation: string): Promise<RelationshipTuple[]> {
    try {
      const stored = await this.store.readUsersets(object, relation);
      return ctx.contextual ? [...ctx.contextual.usersetsOf(object, relation), ...stored] : stored;
    } catch {
      throw new StoreFailure();
    }
  }

  private async readRelation(ctx: Ctx, object: ObjectRef, relation: string): Promise<RelationshipTuple[]> {
    try {
      const stored = await this.store.readRelation(object, relation);
      return ctx.contextual ? [...ctx.contextual.relationOf(object, relation), ...stored] : stored;
    } catch {
      throw new StoreFailure();
    }
  }
}

function validEntity(e: unknown): e is Entity {
  if (typeof e !== 'object' || e === null) return false;
  const { type, id } = e as Entity;
  return typeof type === 'string' && typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH;
}
