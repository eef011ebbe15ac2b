/**
 * Reverse queries: "which objects of this type may the subject do this action on?"
 * ({@link listResources}) and "which subjects of this type may do this action on the resource?"
 * ({@link listSubjects}), with opaque cursor pagination and an explicit completeness flag.
 *
 * Strategy: candidate generation through the store's indexes, then a `check` of every candidate.
 * Generation over-approximates (it ignores intersections, exclusions, denies and conditions) and
 * the check decides, so a listed result is always one that `check` allows (AZ-03) and the two
 * can never disagree.
 *
 * - `listResources` walks the model backwards from the subject: the tuples naming the subject or
 *   its type wildcard (`user:*`), then the usersets (`team:eng#member`) it is in, the relations
 *   computed from those and the children that inherit them (`viewer from parent`), restricted to
 *   the relations that can lead to `type#action`. Every read is an index read by subject.
 * - `listSubjects` walks forward from the resource through its direct tuples, usersets, computed
 *   relations and parents (every position, including exclusions and denies, so every subject a
 *   check could look at is seen). Every read is an index read by object and relation.
 *
 * Wildcards: `listSubjects` reports a type wildcard as `{ type, id: '*' }`, meaning "every
 * subject of this type that no tuple mentions is allowed" (decided by checking a probe subject
 * that appears in no tuple). Mentioned subjects are checked one by one: allowed ones are listed
 * explicitly too, denied ones (e.g. `user:*` but not `blocked`) are returned in `excluded`. So
 * subject `s` is allowed iff it is in `subjects`, or `'*'` is and `s` is not in `excluded`.
 * `listResources` includes the objects reachable through wildcard tuples.
 *
 * Completeness: `complete: false` whenever the answer may miss results: the call's `budget`
 * (store reads, and separately checks; default 10 000 each) ran out, the walk went deeper than the evaluator's
 * `maxDepth`, a candidate's check ended in `depth_exceeded`, `budget_exceeded`, `store_error` or
 * `internal_error`, or (listResources) the action can be granted without any tuple (a condition
 * leaf, e.g. `viewer: condition(is_public)`), so the objects cannot be enumerated from the indexes.
 * Fail-closed denies that the same `check` would give (a condition with missing attributes, a
 * cycle in a negative position) are ordinary denies and do not make a result incomplete.
 * Results are ordered by id (UTF-16 code unit order); `cursor` is `null` on the last page.
 *
 * @module
 */

import { decodeCursor, encodeCursor, queryFingerprint } from './cursor.js';
import type { CheckRequest, CheckResult, Entity } from './evaluator.js';
import { type CompiledModel, findRelation, isSafeName, type Rewrite } from './model.js';
import {
  admittingRestriction,
  MAX_ID_LENGTH,
  type ObjectRef,
  type RelationshipStore,
  type RelationshipTuple,
  type TupleFilter,
  TupleIndex,
  tupleModelError,
} from './relationship-store.js';

/** What the reverse queries need from the evaluator. */
export interface ReverseHost {
  readonly model: CompiledModel;
  readonly store: RelationshipStore;
  readonly maxDepth: number;
  readonly maxContextualTuples: number;
  check(request: CheckRequest): Promise<CheckResult>;
}

/** Options shared by both reverse queries. */
export interface ListOptions {
  /** Request context for conditions, as in `check`. */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Per-request tuples, as in `check`; they take part in candidate generation too. */
  readonly contextualTuples?: readonly RelationshipTuple[];
  /** Results per page, 1 to 1000. Default 100. */
  readonly pageSize?: number;
  /** The `cursor` of the previous page; absent or `null` for the first page. */
  readonly cursor?: string | null;
  /**
   * Most store reads for candidate generation, and separately most candidate checks, this call may
   * make before answering `complete: false`. Default 10 000. When the checks run out, `cursor`
   * continues after the last checked candidate, so paging on covers the rest.
   */
  readonly budget?: number;
}

/** Why a result is not complete. */
export type IncompleteReason = 'budget_exceeded' | 'depth_exceeded' | 'check_error' | 'unbounded';

/** A `listResources` request. */
export interface ListResourcesRequest extends ListOptions {
  readonly subject: Entity;
  readonly action: string;
  /** The object type to list. */
  readonly type: string;
}

/** One page of `listResources`. */
export interface ListResourcesResult {
  readonly resources: ObjectRef[];
  /** Pass back to get the next page; `null` when there is none. */
  readonly cursor: string | null;
  /** `false` when results may be missing (see the module doc); never a silent truncation. */
  readonly complete: boolean;
  /** Set when `complete` is `false`. */
  readonly incompleteReason?: IncompleteReason;
}

/** A `listSubjects` request. */
export interface ListSubjectsRequest extends ListOptions {
  readonly resource: Entity;
  readonly action: string;
  /** The subject type to list, e.g. `user`. */
  readonly subjectType: string;
}

/** One page of `listSubjects`. `{ type, id: '*' }` in `subjects` is the type wildcard (module doc). */
export interface ListSubjectsResult {
  readonly subjects: ObjectRef[];
  /** Only when the wildcard is allowed: the mentioned subjects of this page's id range it does not cover. */
  readonly excluded: ObjectRef[];
  readonly cursor: string | null;
  readonly complete: boolean;
  readonly incompleteReason?: IncompleteReason;
}

/** Thrown for a malformed reverse query (bad entity, page size, budget or contextual tuple). */
export class ListQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListQueryError';
  }
}

/** Default and largest page size. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/** Default budget of store reads plus checks per call. */
export const DEFAULT_LIST_BUDGET = 10_000;

/** The id of the probe subject used to decide the wildcard; it must appear in no tuple. */
export const WILDCARD_PROBE_ID = '\u0000gatehouse:wildcard-probe\u0000';

const INCOMPLETE_CODES: ReadonlySet<string> = new Set([
  'depth_exceeded',
  'budget_exceeded',
  'store_error',
  'internal_error',
]);

// ---------------------------------------------------------------------------------------------
// Model analysis (cached per compiled model)

interface Analysis {
  /** `type#r` -> relations `s` of the same type whose rewrite positively references `computed: r`. */
  readonly computedBy: ReadonlyMap<string, readonly string[]>;
  /** `type#tupleset` -> `{ computed, relation }` pairs: `relation` is `computed from tupleset`. */
  readonly ttuBy: ReadonlyMap<string, readonly { computed: string; relation: string }[]>;
  /** Relations that can be granted without any tuple (a condition leaf in a generating position). */
  readonly unbounded: ReadonlySet<string>;
}

const analyses = new WeakMap<CompiledModel, Analysis>();
const relevances = new WeakMap<CompiledModel, Map<string, ReadonlySet<string>>>();
const key = (type: string, relation: string) => `${type}#${relation}`;

/** Leaves of `rw` in positions where they can grant (union/intersection operands, exclusion base). */
function positiveLeaves(rw: Rewrite, out: Rewrite[] = []): Rewrite[] {
  if ('union' in rw) for (const c of rw.union) positiveLeaves(c, out);
  else if ('intersection' in rw) for (const c of rw.intersection) positiveLeaves(c, out);
  else if ('exclusion' in rw) positiveLeaves(rw.exclusion.base, out);
  else out.push(rw);
  return out;
}

/** Every leaf of `rw`, negative positions included. */
function allLeaves(rw: Rewrite, out: Rewrite[] = []): Rewrite[] {
  if ('union' in rw) for (const c of rw.union) allLeaves(c, out);
  else if ('intersection' in rw) for (const c of rw.intersection) allLeaves(c, out);
  else if ('exclusion' in rw) {
    allLeaves(rw.exclusion.base, out);
    allLeaves(rw.exclusion.subtract, out);
  } else out.push(rw);
  return out;
}

function push<V>(map: Map<string, V[]>, k: string, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}

function analyze(model: CompiledModel): Analysis {
  const cached = analyses.get(model);
  if (cached) return cached;
  const computedBy = new Map<string, string[]>();
  const ttuBy = new Map<string, { computed: string; relation: string }[]>();
  for (const [type, relations] of model.types) {
    for (const rel of relations.values()) {
      for (const leaf of positiveLeaves(rel.rewrite)) {
        if ('computed' in leaf) push(computedBy, key(type, leaf.computed), rel.name);
        if ('tupleToUserset' in leaf) {
          const { tupleset, computed } = leaf.tupleToUserset;
          push(ttuBy, key(type, tupleset), { computed, relation: rel.name });
        }
      }
    }
  }
  const unbounded = new Set<string>();
  const bounded = (type: string, rw: Rewrite): boolean => {
    if ('this' in rw) return true;
    if ('condition' in rw) return false;
    if ('computed' in rw) return !unbounded.has(key(type, rw.computed));
    if ('tupleToUserset' in rw) {
      const ts = findRelation(model, type, rw.tupleToUserset.tupleset);
      return (ts?.directly ?? []).every((d) => !unbounded.has(key(d.type, rw.tupleToUserset.computed)));
    }
    if ('union' in rw) return rw.union.every((c) => bounded(type, c));
    if ('intersection' in rw) return rw.intersection.some((c) => bounded(type, c));
    return bounded(type, rw.exclusion.base);
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const [type, relations] of model.types) {
      for (const rel of relations.values()) {
        const k = key(type, rel.name);
        if (!unbounded.has(k) && !bounded(type, rel.rewrite)) {
          unbounded.add(k);
          changed = true;
        }
      }
    }
  }
  const analysis: Analysis = { computedBy, ttuBy, unbounded };
  analyses.set(model, analysis);
  return analysis;
}

/** The `type#relation`s whose members can, through positive edges, become members of `target`. */
function relevantTo(model: CompiledModel, type: string, relation: string): ReadonlySet<string> {
  let perModel = relevances.get(model);
  if (!perModel) {
    perModel = new Map();
    relevances.set(model, perModel);
  }
  const target = key(type, relation);
  const cached = perModel.get(target);
  if (cached) return cached;
  const seen = new Set<string>([target]);
  const work: Array<[string, string]> = [[type, relation]];
  const add = (t: string, r: string) => {
    const k = key(t, r);
    if (!seen.has(k) && findRelation(model, t, r)) {
      seen.add(k);
      work.push([t, r]);
    }
  };
  for (let item = work.pop(); item; item = work.pop()) {
    const [t, r] = item;
    const rel = findRelation(model, t, r);
    if (!rel) continue;
    for (const leaf of positiveLeaves(rel.rewrite)) {
      if ('this' in leaf) {
        for (const d of rel.directly) if (d.relation !== undefined) add(d.type, d.relation);
      } else if ('computed' in leaf) add(t, leaf.computed);
      else if ('tupleToUserset' in leaf) {
        const ts = findRelation(model, t, leaf.tupleToUserset.tupleset);
        for (const d of ts?.directly ?? []) add(d.type, leaf.tupleToUserset.computed);
      }
    }
  }
  perModel.set(target, seen);
  return seen;
}

// ---------------------------------------------------------------------------------------------
// Reads with a budget, merging contextual tuples

class Reader {
  private spent = 0;
  exhausted = false;
  constructor(
    private readonly store: RelationshipStore,
    private readonly contextual: TupleIndex | undefined,
    private readonly budget: number,
  ) {}

  private checks = 0;

  /** Takes one store read from the budget; `false` (and `exhausted`) when none is left. */
  spend(): boolean {
    if (this.spent >= this.budget) {
      this.exhausted = true;
      return false;
    }
    this.spent++;
    return true;
  }

  /** Takes one check from the (separate) check budget; `false` when none is left. */
  spendCheck(): boolean {
    if (this.checks >= this.budget) return false;
    this.checks++;
    return true;
  }

  /** Tuples whose subject is exactly `filter.subject` (indexed by subject), or `undefined` when out of budget. */
  async bySubject(filter: TupleFilter): Promise<RelationshipTuple[] | undefined> {
    if (!this.spend()) return undefined;
    const stored = await this.store.read(filter);
    return this.contextual ? [...this.contextual.read(filter), ...stored] : stored;
  }

  /** Tuples of `object#relation` (indexed by object), or `undefined` when out of budget. */
  async byObject(object: ObjectRef, relation: string): Promise<RelationshipTuple[] | undefined> {
    if (!this.spend()) return undefined;
    const stored = await this.store.readRelation(object, relation);
    return this.contextual ? [...this.contextual.relationOf(object, relation), ...stored] : stored;
  }
}

// ---------------------------------------------------------------------------------------------
// Request validation

function validEntity(e: unknown): e is Entity {
  if (typeof e !== 'object' || e === null) return false;
  const { type, id } = e as Entity;
  return (
    isSafeName(type) && typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH && id !== '*'
  );
}

interface Common {
  readonly pageSize: number;
  readonly budget: number;
  readonly contextual: TupleIndex | undefined;
}

function common(host: ReverseHost, options: ListOptions): Common {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new ListQueryError(`pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  const budget = options.budget ?? DEFAULT_LIST_BUDGET;
  if (!Number.isInteger(budget) || budget < 1) throw new ListQueryError('budget must be a positive integer');
  const extra = options.contextualTuples ?? [];
  if (!Array.isArray(extra) || extra.length > host.maxContextualTuples) {
    throw new ListQueryError(
      `contextualTuples must be an array of at most ${host.maxContextualTuples} tuples`,
    );
  }
  let contextual: TupleIndex | undefined;
  if (extra.length > 0) {
    contextual = new TupleIndex();
    for (const [i, t] of extra.entries()) {
      const error = tupleModelError(host.model, t);
      if (error) throw new ListQueryError(`contextual tuple ${i}: ${error}`);
      contextual.add(t);
    }
  }
  return { pageSize, budget, contextual };
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Keeps the first reason. */
class Completeness {
  reason: IncompleteReason | undefined;
  mark(reason: IncompleteReason): void {
    this.reason ??= reason;
  }
}

// ---------------------------------------------------------------------------------------------
// listResources

/**
 * The objects of `request.type` on which `request.subject` may perform `request.action`, one page
 * at a time. Every returned object is one `check` allows. Throws {@link ListQueryError} for a
 * malformed request, `InvalidCursorError` for a foreign cursor, and rethrows store failures.
 */
export async function listResources(
  host: ReverseHost,
  request: ListResourcesRequest,
): Promise<ListResourcesResult> {
  if (typeof request !== 'object' || request === null) throw new ListQueryError('request must be an object');
  const { subject, action, type } = request;
  if (!validEntity(subject)) throw new ListQueryError('invalid subject');
  if (typeof action !== 'string' || typeof type !== 'string')
    throw new ListQueryError('invalid action or type');
  const opts = common(host, request);
  const fingerprint = queryFingerprint(['resources', subject.type, subject.id, action, type]);
  const after = request.cursor == null ? undefined : decodeCursor(request.cursor, 'resources', fingerprint);
  const target = isSafeName(action) && isSafeName(type) ? findRelation(host.model, type, action) : undefined;
  if (!target) return { resources: [], cursor: null, complete: true };

  const { model } = host;
  const analysis = analyze(model);
  const relevant = relevantTo(model, type, action);
  const reader = new Reader(host.store, opts.contextual, opts.budget);
  const status = new Completeness();
  if (analysis.unbounded.has(key(type, action))) status.mark('unbounded');

  // Breadth-first walk over "the subject may be in object#relation" nodes.
  const seen = new Set<string>();
  const queue: Array<{ object: ObjectRef; relation: string; depth: number }> = [];
  const candidates = new Set<string>();
  const addNode = (object: ObjectRef, relation: string, depth: number) => {
    if (!relevant.has(key(object.type, relation))) return;
    const k = `${object.type}:${object.id}#${relation}`;
    if (seen.has(k)) return;
    seen.add(k);
    if (object.type === type && relation === action) candidates.add(object.id);
    if (depth > host.maxDepth) {
      status.mark('depth_exceeded');
      return;
    }
    queue.push({ object: { type: object.type, id: object.id }, relation, depth });
  };
  const admitted = (t: RelationshipTuple) => {
    const rel = findRelation(model, t.object.type, t.relation);
    return rel !== undefined && admittingRestriction(rel.directly, t) !== undefined;
  };
  // Usersets `type#relation` and parent links `type` that relevant relations accept.
  const usersetRefs = new Set<string>();
  const parentTypes = new Set<string>();
  for (const k of relevant) {
    const [t, r] = k.split('#') as [string, string];
    const rel = findRelation(model, t, r)!;
    for (const d of rel.directly) if (d.relation !== undefined) usersetRefs.add(key(d.type, d.relation));
    for (const leaf of positiveLeaves(rel.rewrite)) {
      if (!('tupleToUserset' in leaf)) continue;
      for (const d of findRelation(model, t, leaf.tupleToUserset.tupleset)?.directly ?? []) {
        parentTypes.add(key(d.type, leaf.tupleToUserset.computed));
      }
    }
  }

  for (const id of [subject.id, '*']) {
    const tuples = await reader.bySubject({ subject: { type: subject.type, id } });
    for (const t of tuples ?? []) if (admitted(t)) addNode(t.object, t.relation, 1);
  }
  const asParent = new Map<string, RelationshipTuple[] | undefined>();
  for (let i = 0; i < queue.length && !reader.exhausted; i++) {
    const { object, relation, depth } = queue[i]!;
    for (const s of analysis.computedBy.get(key(object.type, relation)) ?? []) addNode(object, s, depth + 1);
    if (usersetRefs.has(key(object.type, relation))) {
      const tuples = await reader.bySubject({ subject: { type: object.type, id: object.id, relation } });
      for (const t of tuples ?? []) if (admitted(t)) addNode(t.object, t.relation, depth + 1);
    }
    if (parentTypes.has(key(object.type, relation))) {
      const ok = `${object.type}:${object.id}`;
      if (!asParent.has(ok)) asParent.set(ok, await reader.bySubject({ subject: object }));
      for (const t of asParent.get(ok) ?? []) {
        if (!admitted(t)) continue;
        for (const use of analysis.ttuBy.get(key(t.object.type, t.relation)) ?? []) {
          if (use.computed === relation) addNode(t.object, use.relation, depth + 1);
        }
      }
    }
  }
  if (reader.exhausted) status.mark('budget_exceeded');

  const page = await confirm(reader, status, [...candidates], after, opts.pageSize, (id) =>
    host.check({
      subject,
      action,
      resource: { type, id },
      ...(request.context ? { context: request.context } : {}),
      ...(request.contextualTuples ? { contextualTuples: request.contextualTuples } : {}),
    }),
  );
  return {
    resources: page.allowed.map((id) => ({ type, id })),
    cursor: page.next === undefined ? null : encodeCursor('resources', fingerprint, page.next),
    complete: status.reason === undefined,
    ...(status.reason ? { incompleteReason: status.reason } : {}),
  };
}

interface Page {
  readonly allowed: string[];
  readonly denied: string[];
  /** The id to continue after, when more may follow. */
  readonly next: string | undefined;
}

/**
 * Checks the candidates after `after` in id order until `pageSize` are allowed and one more
 * allowed one shows that another page exists (or the candidates or the budget run out).
 */
async function confirm(
  reader: Reader,
  status: Completeness,
  candidates: string[],
  after: string | undefined,
  pageSize: number,
  check: (id: string) => Promise<CheckResult | 'allowed'>,
): Promise<Page> {
  const ordered = candidates.filter((id) => after === undefined || id > after).sort(byId);
  const allowed: string[] = [];
  const denied: string[] = [];
  let lastChecked: string | undefined;
  for (const id of ordered) {
    if (!reader.spendCheck()) {
      status.mark('budget_exceeded');
      return { allowed, denied, next: lastChecked };
    }
    const r = await check(id);
    if (r === 'allowed' || r.allowed) {
      if (allowed.length === pageSize) {
        const last = allowed.at(-1)!;
        return { allowed, denied: denied.filter((d) => d < last), next: last };
      }
      allowed.push(id);
    } else {
      if (INCOMPLETE_CODES.has(r.code)) status.mark('check_error');
      denied.push(id);
    }
    lastChecked = id;
  }
  return { allowed, denied, next: undefined };
}

// ---------------------------------------------------------------------------------------------
// listSubjects

/**
 * The subjects of `request.subjectType` that may perform `request.action` on `request.resource`,
 * one page at a time, with the type wildcard as `{ type, id: '*' }` (see the module doc). Every
 * listed subject is one `check` allows. Throws like {@link listResources}.
 */
export async function listSubjects(
  host: ReverseHost,
  request: ListSubjectsRequest,
): Promise<ListSubjectsResult> {
  if (typeof request !== 'object' || request === null) throw new ListQueryError('request must be an object');
  const { resource, action, subjectType } = request;
  if (!validEntity(resource)) throw new ListQueryError('invalid resource');
  if (typeof action !== 'string' || typeof subjectType !== 'string') {
    throw new ListQueryError('invalid action or subjectType');
  }
  const opts = common(host, request);
  const fingerprint = queryFingerprint(['subjects', resource.type, resource.id, action, subjectType]);
  const after = request.cursor == null ? undefined : decodeCursor(request.cursor, 'subjects', fingerprint);
  const target = isSafeName(action) ? findRelation(host.model, resource.type, action) : undefined;
  const empty: ListSubjectsResult = { subjects: [], excluded: [], cursor: null, complete: true };
  if (!target || !isSafeName(subjectType) || !host.model.types.has(subjectType)) return empty;

  const { model } = host;
  const reader = new Reader(host.store, opts.contextual, opts.budget);
  const status = new Completeness();
  const seen = new Set<string>();
  const queue: Array<{ object: ObjectRef; relation: string; depth: number }> = [];
  const candidates = new Set<string>();
  const addNode = (object: ObjectRef, relation: string, depth: number) => {
    if (!findRelation(model, object.type, relation)) return;
    const k = `${object.type}:${object.id}#${relation}`;
    if (seen.has(k)) return;
    seen.add(k);
    if (depth > host.maxDepth) {
      status.mark('depth_exceeded');
      return;
    }
    queue.push({ object: { type: object.type, id: object.id }, relation, depth });
  };
  addNode({ type: resource.type, id: resource.id }, action, 1);
  for (let i = 0; i < queue.length && !reader.exhausted; i++) {
    const { object, relation, depth } = queue[i]!;
    const rel = findRelation(model, object.type, relation)!;
    const leaves = allLeaves(rel.rewrite);
    if (rel.deny) allLeaves(rel.deny, leaves);
    const reads = new Map<string, RelationshipTuple[] | undefined>();
    const read = async (r: string) => {
      if (!reads.has(r)) reads.set(r, await reader.byObject(object, r));
      return reads.get(r) ?? [];
    };
    for (const leaf of leaves) {
      if ('this' in leaf) {
        for (const t of await read(relation)) {
          const s = t.subject;
          if (s.relation !== undefined) addNode({ type: s.type, id: s.id }, s.relation, depth + 1);
          else if (s.type === subjectType && s.id !== '*') candidates.add(s.id);
        }
      } else if ('computed' in leaf) addNode(object, leaf.computed, depth + 1);
      else if ('tupleToUserset' in leaf) {
        for (const t of await read(leaf.tupleToUserset.tupleset)) {
          const s = t.subject;
          if (s.relation === undefined && s.id !== '*') {
            addNode({ type: s.type, id: s.id }, leaf.tupleToUserset.computed, depth + 1);
          }
        }
      }
    }
  }
  if (reader.exhausted) status.mark('budget_exceeded');

  const checkAs = (id: string) =>
    host.check({
      subject: { type: subjectType, id },
      action,
      resource,
      ...(request.context ? { context: request.context } : {}),
      ...(request.contextualTuples ? { contextualTuples: request.contextualTuples } : {}),
    });
  // The wildcard: a subject no tuple mentions. Every unmentioned subject is decided like it.
  let wildcard = false;
  if (reader.spendCheck()) {
    const probe = await checkAs(WILDCARD_PROBE_ID);
    wildcard = probe.allowed;
    if (!probe.allowed && INCOMPLETE_CODES.has(probe.code)) status.mark('check_error');
  } else status.mark('budget_exceeded');
  candidates.delete(WILDCARD_PROBE_ID);
  if (wildcard) candidates.add('*');

  const page = await confirm(reader, status, [...candidates], after, opts.pageSize, (id) =>
    id === '*' ? Promise.resolve('allowed' as const) : checkAs(id),
  );
  return {
    subjects: page.allowed.map((id) => ({ type: subjectType, id })),
    excluded: wildcard ? page.denied.map((id) => ({ type: subjectType, id })) : [],
    cursor: page.next === undefined ? null : encodeCursor('subjects', fingerprint, page.next),
    complete: status.reason === undefined,
    ...(status.reason ? { incompleteReason: status.reason } : {}),
  };
}
