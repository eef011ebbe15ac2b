/**
 * The policy evaluator: "may this subject do this action on this resource?", answered in-process
 * over a {@link CompiledModel} and a {@link RelationshipStore}.
 *
 * Semantics follow OpenFGA: union grants if any operand grants, intersection if all do, exclusion
 * if the base does and the subtracted part does not. Added guarantees:
 * - Deny by default (OWASP ASVS 5.0 8.2.1, 15.3.6): an unknown resource type, relation/action or
 *   subject type (or a userset subject's relation), like any malformed request, is denied with
 *   `invalid_request` and a reason naming it ("no matching rule: type 'x' not found", after
 *   OpenFGA's `type_not_found` / `relation_not_found`), so a typo never reads as "no access";
 *   names are looked up in `Map`s only.
 * - Fail closed (OWASP ASVS 5.0 16.5.3): an error anywhere (a condition input that fails its zod schema, a
 *   condition that throws or returns a non-boolean, a store failure) is an `error` outcome that
 *   denies, unless an independent branch of a union grants. `check` never throws. With `events`,
 *   every fail-closed decision is reported as an `authz.decision` security event.
 * - Bounded (OWASP Authorization Cheat Sheet): a path that revisits an `object#relation` is cut (contributes nothing), and
 *   a path longer than `maxDepth` (25) or a check that evaluates more than `maxEvaluations`
 *   relations ends in `depth_exceeded` / `budget_exceeded`, i.e. a deny.
 * - A cut cycle in a negative position (an exclusion's subtracted part or a deny rule) is
 *   treated as an error, so a cycle can never turn into a grant.
 * - Deny rules: a relation's `deny` is evaluated first; if it matches, the relation is denied
 *   whatever else grants it.
 *
 * Speed: `check` builds no explanation tree (its `reason` is one node: the decision, or the root
 * cause of a fail-closed deny); {@link PolicyEvaluator.explain} builds the full tree. Over a store
 * with synchronous reads (the memory store) a check runs without a single `await` per step; over
 * an asynchronous store, reads are fetched in rounds (see `engine/tuple-reads.ts`).
 *
 * @module
 */

import { DecisionLogger, type DecisionLogOptions } from './decision-log.js';
import { attrs } from './engine/condition-eval.js';

export type { DecisionEvent } from './decision-log.js';

import { type SyncReadSource, syncReadsFor } from './engine/object-reads.js';
import { type Program, programOf, type RelationProgram } from './engine/program.js';
import { unknownRelation, unknownSubject } from './engine/request-names.js';
import { listResources, listSubjects } from './engine/reverse.js';
import { validSubjectForm } from './engine/subject-form.js';
import { PrefetchReads, StoreFailure, type TupleReads, withContextual } from './engine/tuple-reads.js';
import { Walk, type WalkOptions, type WalkResult } from './engine/walk.js';
import type { DecisionCode, ErrorRule, Explanation } from './explanation.js';
import { type AuthorizationModel, type CompiledModel, compileModel, isCompiledModel } from './model.js';
import {
  MAX_ID_LENGTH,
  type ObjectRef,
  type RelationshipStore,
  type RelationshipTuple,
  TupleIndex,
  tupleModelError,
} from './relationship-store.js';
import type {
  ListResourcesRequest,
  ListResourcesResult,
  ListSubjectsRequest,
  ListSubjectsResult,
  ReverseHost,
} from './reverse-types.js';

/**
 * An entity in a check: type, id and optional ABAC attributes.
 *
 * As a subject it may also be, with OpenFGA's meaning (openfga.dev, "Check" API: "the user field
 * can be a specific target, a userset or a type-bound public access"):
 * - a userset, with `relation`: `{ type: 'group', id: 'eng', relation: 'member' }` asks about the
 *   members of `group:eng` as a set. It is granted through tuples naming that userset (directly, or
 *   through usersets, computed relations and parents), and a userset always holds its own relation
 *   (`document:1#viewer` is a viewer of `document:1`). It is never granted through a wildcard
 *   tuple, nor through what one member of the set holds;
 * - the type wildcard, with id `'*'`: `{ type: 'user', id: '*' }` asks about public access, granted
 *   only through tuples whose subject is `user:*`, never through one user's tuples.
 */
export interface Entity {
  readonly type: string;
  readonly id: string;
  /** Subjects only: the relation of a userset subject (`member` in `group:eng#member`). */
  readonly relation?: string;
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

/**
 * A decision: `allowed`, a stable `code`, and a `reason`. From `check`, the reason is one node
 * (the decision on `object#relation`, or the root cause of a fail-closed deny, e.g. the condition
 * whose input was invalid); from `explain`, it is the full explanation tree.
 */
export interface CheckResult {
  readonly allowed: boolean;
  readonly code: DecisionCode;
  readonly reason: Explanation;
}

/** Options of {@link PolicyEvaluator}. */
export interface PolicyEvaluatorOptions extends DecisionLogOptions {
  /** The model (validated here if not already compiled). */
  readonly model: AuthorizationModel | CompiledModel;
  readonly store: RelationshipStore;
  /** Longest chain of relation hops before `depth_exceeded`. Default 25. */
  readonly maxDepth?: number;
  /** Most relations evaluated by one check before `budget_exceeded`. Default 10 000. */
  readonly maxEvaluations?: number;
  /** Most contextual tuples per request. Default 100. */
  readonly maxContextualTuples?: number;
  /**
   * Whether `check` builds the full explanation tree (the path of tuples, roles and conditions
   * that granted access, or why nothing did) when the call does not say. Default `true`: a
   * decision asked for directly comes with its reasons. Callers on a hot path that only need
   * `allowed` pass `{ explain: false }` per call, as gatehouse's guards do; then `reason` is one
   * node (the decision, or the root cause of a fail-closed deny) and a check costs microseconds.
   */
  readonly explain?: boolean;
}

/** Per-call options of {@link PolicyEvaluator.check}, `checkSync` and `batchCheck`. */
export interface CheckOptions {
  /** Build the full explanation tree (default: the evaluator's `explain` option, itself default `true`). */
  readonly explain?: boolean;
}

const FAST: CheckOptions = Object.freeze({ explain: false });

/** A validated request, ready to walk from `root#action`. */
interface Prepared {
  readonly walk: WalkOptions;
  readonly contextual: TupleIndex | undefined;
  readonly root: ObjectRef;
  readonly relation: RelationProgram;
}

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
  private readonly explainAll: boolean;
  private readonly log: DecisionLogger;
  private readonly program: Program;
  /** The store's synchronous reads (per check, per list query), when it has them. */
  private readonly syncStore: SyncReadSource | undefined;

  constructor(options: PolicyEvaluatorOptions) {
    this.model = isCompiledModel(options.model) ? options.model : compileModel(options.model);
    this.store = options.store;
    this.maxDepth = options.maxDepth ?? 25;
    this.maxEvaluations = options.maxEvaluations ?? 10_000;
    this.maxContextualTuples = options.maxContextualTuples ?? 100;
    this.explainAll = options.explain !== false;
    this.log = new DecisionLogger(options);
    this.syncStore = options.store.sync ? syncReadsFor(options.store.sync) : undefined;
    this.program = programOf(this.model);
  }

  /**
   * Decides one request. Never throws: every failure is a deny with a reason. `reason` is the full
   * explanation tree unless `{ explain: false }` (or the evaluator's `explain: false`) asks for the
   * fast answer, whose `reason` is one node.
   */
  async check(request: CheckRequest, options: CheckOptions = {}): Promise<CheckResult> {
    return this.run(request, options.explain ?? this.explainAll);
  }

  /** Decides one request like `check`, with the full explanation tree as `reason` (slower). */
  async explain(request: CheckRequest): Promise<CheckResult> {
    return this.run(request, true);
  }

  /**
   * `true` when the store reads synchronously (the memory store), so {@link checkSync} can be used.
   */
  get canCheckSync(): boolean {
    return this.syncStore !== undefined;
  }

  /**
   * Decides one request without a promise, like `check`. Only for stores with synchronous reads
   * ({@link canCheckSync}); otherwise it throws a `TypeError` (a programming error, not a decision).
   */
  checkSync(request: CheckRequest, options: CheckOptions = {}): CheckResult {
    if (!this.syncStore) throw new TypeError('checkSync needs a RelationshipStore with synchronous reads');
    return this.decideSync(request, options.explain ?? this.explainAll, this.syncStore.check());
  }

  /** `checkSync` over the given reads (one check's, or those a list query's checks share). */
  private decideSync(request: CheckRequest, explain: boolean, reads: TupleReads): CheckResult {
    const started = this.log.enabled ? performance.now() : 0;
    let result: CheckResult;
    try {
      const prepared = this.prepare(request, explain);
      result =
        'allowed' in prepared
          ? prepared
          : this.finish(request, this.walkSync(prepared, reads), prepared.walk.explain);
    } catch (error) {
      result = failed(error);
    }
    this.log.record(request, result, started);
    return result;
  }

  /** Decides several requests independently; results are in request order. */
  async batchCheck(requests: readonly CheckRequest[], options: CheckOptions = {}): Promise<CheckResult[]> {
    return Promise.all(requests.map((r) => this.check(r, options)));
  }

  /**
   * Objects of a type the subject may act on, paginated, confirmed by `check`; see `engine/reverse.ts`.
   * Throws `ListQueryError` (its `code` says why) for an unknown type or relation, a malformed
   * request, or a condition input the request lacks; rethrows store failures.
   */
  async listResources(request: ListResourcesRequest): Promise<ListResourcesResult> {
    return listResources(this.reverseHost(), request);
  }

  /** Subjects of a type that may act on the resource, paginated, confirmed by `check`; throws like `listResources`. */
  async listSubjects(request: ListSubjectsRequest): Promise<ListSubjectsResult> {
    return listSubjects(this.reverseHost(), request);
  }

  /**
   * What a list query needs. Over a synchronous store its candidate checks share one set of reads
   * (see `engine/object-reads.ts`): what many candidates have in common is read once per query.
   */
  private reverseHost(): ReverseHost {
    const shared = this.syncStore?.query();
    return {
      model: this.model,
      store: this.store,
      maxDepth: this.maxDepth,
      maxContextualTuples: this.maxContextualTuples,
      // List queries confirm each candidate: only `allowed` matters there.
      check: (request) => this.check(request, FAST),
      ...(shared ? { checkSync: (request: CheckRequest) => this.decideSync(request, false, shared) } : {}),
    };
  }

  private async run(request: CheckRequest, explain: boolean): Promise<CheckResult> {
    const started = this.log.enabled ? performance.now() : 0;
    let result: CheckResult;
    try {
      const prepared = this.prepare(request, explain);
      if ('allowed' in prepared) result = prepared;
      else {
        const r = this.syncStore
          ? this.walkSync(prepared, this.syncStore.check())
          : await this.walkAsync(prepared);
        result = this.finish(request, r, explain);
      }
    } catch (error) {
      result = failed(error);
    }
    this.log.record(request, result, started);
    return result;
  }

  private walkSync(p: Prepared, reads: TupleReads): WalkResult {
    return new Walk(p.walk, withContextual(reads, p.contextual)).relation(p.root, p.relation, 1);
  }

  /** Walks again after each round of fetches until a walk needed nothing new (see `engine/tuple-reads.ts`). */
  private async walkAsync(prepared: Prepared): Promise<WalkResult> {
    const reads = new PrefetchReads(this.store, prepared.contextual);
    for (;;) {
      const r = new Walk(prepared.walk, reads.walkReads()).relation(prepared.root, prepared.relation, 1);
      if (await reads.settle()) return r;
    }
  }

  /** Validates the request: a ready decision for a bad or unknown one, or the walk's settings. */
  private prepare(request: CheckRequest, explain: boolean): CheckResult | Prepared {
    if (typeof request !== 'object' || request === null) return invalid('request must be an object');
    const { subject, resource, action } = request;
    if (!validEntity(subject) || !validSubjectForm(subject)) return invalid('invalid subject');
    if (!validEntity(resource) || resource.id === '*') return invalid('invalid resource');
    if (typeof action !== 'string') return invalid('invalid action');
    // Strict names: an unknown type or relation is a malformed request, not "no access".
    let relation = this.program.types.get(resource.type)?.get(action);
    const known =
      relation !== undefined && subject.relation === undefined && this.model.types.has(subject.type);
    const unknown = known
      ? undefined
      : (unknownRelation(this.model, resource.type, action) ?? unknownSubject(this.model, subject));
    if (unknown) relation = undefined;
    if (!relation) {
      return {
        allowed: false,
        code: 'invalid_request',
        reason: {
          outcome: 'error',
          // Deny by default (OWASP ASVS 5.0 8.2.1): the explanation is "no matching rule", naming
          // what the model lacks (OpenFGA: type_not_found, relation_not_found); the code says the
          // request itself is at fault, so a typo never reads as an ordinary "no access".
          rule: 'no_matching_rule',
          message: `no matching rule: ${unknown?.message ?? 'unknown relation'}`,
          object: `${resource.type}:${resource.id}`,
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
    return {
      contextual,
      root: { type: resource.type, id: resource.id },
      relation,
      walk: {
        program: this.program,
        subject:
          subject.relation === undefined
            ? { type: subject.type, id: subject.id }
            : { type: subject.type, id: subject.id, relation: subject.relation },
        subjectAttributes: attrs(subject.attributes),
        resourceAttributes: attrs(resource.attributes),
        context: attrs(request.context),
        maxDepth: this.maxDepth,
        maxEvaluations: this.maxEvaluations,
        explain,
      },
    };
  }

  private finish(request: CheckRequest, r: WalkResult, explain: boolean): CheckResult {
    const allowed = r.outcome === 'granted';
    let code: DecisionCode;
    if (allowed) code = 'granted';
    else if (r.outcome === 'error') code = r.error ?? 'internal_error';
    else code = r.denied ? 'deny_rule' : 'not_granted';
    if (explain || r.outcome === 'error') return { allowed, code, reason: r.exp };
    const { resource, action } = request;
    const reason: Explanation = {
      outcome: r.outcome,
      rule: r.denied ? 'deny' : 'relation',
      message: allowed ? 'granted' : r.denied ? 'an explicit deny matched' : 'not granted',
      object: `${resource.type}:${resource.id}`,
      relation: action,
    };
    return { allowed, code, reason };
  }
}

function invalid(message: string): CheckResult {
  return {
    allowed: false,
    code: 'invalid_request',
    reason: { outcome: 'error', rule: 'invalid_request', message },
  };
}

function failed(error: unknown): CheckResult {
  const rule: ErrorRule = error instanceof StoreFailure ? 'store_error' : 'internal_error';
  return {
    allowed: false,
    code: rule,
    reason: { outcome: 'error', rule, message: `evaluation failed (${rule}); denied` },
  };
}

function validEntity(e: unknown): e is Entity {
  if (typeof e !== 'object' || e === null) return false;
  const { type, id } = e as Entity;
  return typeof type === 'string' && typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH;
}
