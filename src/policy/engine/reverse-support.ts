/**
 * The parts both reverse queries share: store reads with a budget (merging contextual tuples),
 * gathered per breadth-first level into one {@link ReadRound} (one `readBatch`, so one query on a
 * database store, per level), request validation, the completeness flag, and the confirmation of
 * candidates by `check`, one page at a time.
 *
 * @module
 */

import type { CheckResult, Entity } from '../evaluator.js';
import { findExplanation } from '../explanation.js';
import { isSafeName } from '../model.js';
import {
  MAX_ID_LENGTH,
  type RelationshipStore,
  type RelationshipTuple,
  readEach,
  TupleIndex,
  type TupleRead,
  tupleModelError,
} from '../relationship-store.js';
import {
  DEFAULT_LIST_BUDGET,
  DEFAULT_PAGE_SIZE,
  type IncompleteReason,
  type ListOptions,
  ListQueryError,
  MAX_PAGE_SIZE,
  type ReverseHost,
} from '../reverse-types.js';

/** Check codes after which a list may miss results (`check_error`). */
export const INCOMPLETE_CODES: ReadonlySet<string> = new Set([
  'depth_exceeded',
  'budget_exceeded',
  'store_error',
  'internal_error',
]);

/**
 * Throws when a candidate's check could not be decided for want of a condition input the request
 * could carry: a missing or wrongly typed parameter. `check` denies such a request (fail closed);
 * a list query cannot leave the path out and still call its answer complete, so, as OpenFGA's
 * ListObjects does ("failed to evaluate relationship condition ... missing context parameters"),
 * it refuses the query, naming the condition and the inputs.
 */
export function refuseUndecidedCondition(result: CheckResult): void {
  if (result.allowed || result.code !== 'condition_input_invalid') return;
  const node = findExplanation(result.reason, 'condition_input_invalid') ?? result.reason;
  const condition = node.condition ?? '(unknown)';
  const missing = node.missing ?? [];
  const name = (path: string) => (path.startsWith('context.') ? path.slice('context.'.length) : path);
  const list = (paths: readonly string[]) => paths.map((p) => `'${name(p)}'`).join(', ');
  if (missing.length > 0) {
    const what = missing.every((p) => p.startsWith('context.')) ? 'context parameters' : 'condition inputs';
    throw new ListQueryError(
      `failed to evaluate condition '${condition}': the request is missing ${what} ${list(missing)}`,
      'ERR_MISSING_CONDITION_PARAMETER',
      { condition, parameters: missing },
    );
  }
  const invalid = [...new Set((node.issues ?? []).map((i) => i.slice(0, i.indexOf(': ')) || i))];
  throw new ListQueryError(
    `parameter type error on condition '${condition}': ${list(invalid) || 'its input'} has the wrong type`,
    'ERR_INVALID_CONDITION_PARAMETER',
    { condition, parameters: invalid },
  );
}

/** Store reads of one query, within its budget. */
export class Reader {
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

  /**
   * Answers reads already taken from the budget (see {@link ReadRound}): one `readBatch` when the
   * store has it, else the individual reads; the contextual tuples come first in each answer.
   */
  async fetch(reads: readonly TupleRead[]): Promise<RelationshipTuple[][]> {
    if (reads.length === 0) return [];
    const stored = this.store.readBatch
      ? await this.store.readBatch(reads)
      : await readEach(this.store, reads);
    if (!Array.isArray(stored) || stored.length !== reads.length) {
      throw new TypeError('readBatch must answer every read');
    }
    const { contextual } = this;
    if (!contextual) return stored;
    return reads.map((read, i) => {
      const extra =
        read.kind === 'subject'
          ? contextual.read({ subject: read.subject })
          : contextual.relationOf(read.object, read.relation);
      return [...extra, ...stored[i]!];
    });
  }
}

/**
 * The store reads of one breadth-first level of a reverse query. The level plans its reads in the
 * order a node-by-node walk would make them, each taken from the budget as it is planned, then
 * fetches them together. A read planned after the budget ran out answers `undefined`, as it would
 * have node by node, so the answer is the same as reading one node at a time, budget included.
 */
export class ReadRound {
  private readonly reads: TupleRead[] = [];
  private answers: RelationshipTuple[][] = [];
  constructor(private readonly reader: Reader) {}

  /** Takes `read` from the budget: its slot for {@link answer}, or `-1` when none is left. */
  plan(read: TupleRead): number {
    if (!this.reader.spend()) return -1;
    return this.reads.push(read) - 1;
  }

  /** Fetches every planned read at once. */
  async fetch(): Promise<void> {
    this.answers = await this.reader.fetch(this.reads);
  }

  /** The tuples read for `slot` (contextual ones first), or `undefined` for `-1` (out of budget). */
  answer(slot: number): RelationshipTuple[] | undefined {
    return slot < 0 ? undefined : this.answers[slot];
  }
}

/** A valid, non-wildcard entity with a safe type. */
export function validEntity(e: unknown): e is Entity {
  if (typeof e !== 'object' || e === null) return false;
  const { type, id } = e as Entity;
  return (
    isSafeName(type) && typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH && id !== '*'
  );
}

/** The validated options of a query. */
export interface Common {
  readonly pageSize: number;
  readonly budget: number;
  readonly contextual: TupleIndex | undefined;
}

/** Validates the shared options; throws {@link ListQueryError}. */
export function common(host: ReverseHost, options: ListOptions): Common {
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

/** UTF-16 code unit order. */
export const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Keeps the first reason. */
export class Completeness {
  reason: IncompleteReason | undefined;
  mark(reason: IncompleteReason): void {
    this.reason ??= reason;
  }
}

/** One page of confirmed candidates. */
export interface Page {
  readonly allowed: string[];
  readonly denied: string[];
  /** The id to continue after, when more may follow. */
  readonly next: string | undefined;
}

/** Most candidate checks {@link confirm} runs at once on an asynchronous store. */
const CONCURRENT_CHECKS = 128;

/**
 * Checks the candidates after `after` in id order until `pageSize` are allowed and one more
 * allowed one shows that another page exists (or the candidates or the budget run out).
 *
 * With `concurrent` (an asynchronous store), the next candidates are checked at once, never more
 * than could still be needed (allowed ones missing for the page, plus one): every one of them is
 * a candidate the one-by-one order checks too, so the page, the budget spent and the cursor are
 * the same, while a store that merges concurrent reads (`readBatch` on PostgreSQL) answers each
 * round of all these checks with one query.
 */
export async function confirm(
  reader: Reader,
  status: Completeness,
  candidates: string[],
  after: string | undefined,
  pageSize: number,
  check: (id: string) => CheckResult | 'allowed' | Promise<CheckResult | 'allowed'>,
  concurrent = false,
): Promise<Page> {
  const ordered = candidates.filter((id) => after === undefined || id > after).sort(byId);
  const allowed: string[] = [];
  const denied: string[] = [];
  let lastChecked: string | undefined;
  let next = 0;
  while (next < ordered.length) {
    const room = concurrent ? Math.min(CONCURRENT_CHECKS, pageSize + 1 - allowed.length) : 1;
    const ids: string[] = [];
    while (ids.length < room && next < ordered.length) {
      if (!reader.spendCheck()) break;
      ids.push(ordered[next++]!);
    }
    const pending = ids.map(check);
    const results = pending.some((r) => r instanceof Promise) ? await Promise.all(pending) : pending;
    for (const [i, id] of ids.entries()) {
      const r = results[i] as CheckResult | 'allowed';
      if (r === 'allowed' || r.allowed) {
        if (allowed.length === pageSize) {
          const last = allowed.at(-1)!;
          return { allowed, denied: denied.filter((d) => d < last), next: last };
        }
        allowed.push(id);
      } else {
        refuseUndecidedCondition(r);
        if (INCOMPLETE_CODES.has(r.code)) status.mark('check_error');
        denied.push(id);
      }
      lastChecked = id;
    }
    if (ids.length < room && next < ordered.length) {
      status.mark('budget_exceeded');
      return { allowed, denied, next: lastChecked };
    }
  }
  return { allowed, denied, next: undefined };
}
