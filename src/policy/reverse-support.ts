/**
 * The parts both reverse queries share: store reads with a budget (merging contextual tuples),
 * request validation, the completeness flag, and the confirmation of candidates by `check`,
 * one page at a time.
 *
 * @module
 */

import type { CheckResult, Entity } from './evaluator.js';
import { isSafeName } from './model.js';
import {
  MAX_ID_LENGTH,
  type ObjectRef,
  type RelationshipStore,
  type RelationshipTuple,
  type TupleFilter,
  TupleIndex,
  tupleModelError,
} from './relationship-store.js';
import {
  DEFAULT_LIST_BUDGET,
  DEFAULT_PAGE_SIZE,
  type IncompleteReason,
  type ListOptions,
  ListQueryError,
  MAX_PAGE_SIZE,
  type ReverseHost,
} from './reverse-types.js';

/** Check codes after which a list may miss results (`check_error`). */
export const INCOMPLETE_CODES: ReadonlySet<string> = new Set([
  'depth_exceeded',
  'budget_exceeded',
  'store_error',
  'internal_error',
]);

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

/**
 * Checks the candidates after `after` in id order until `pageSize` are allowed and one more
 * allowed one shows that another page exists (or the candidates or the budget run out).
 */
export async function confirm(
  reader: Reader,
  status: Completeness,
  candidates: string[],
  after: string | undefined,
  pageSize: number,
  check: (id: string) => CheckResult | 'allowed' | Promise<CheckResult | 'allowed'>,
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
    const pending = check(id);
    const r = pending instanceof Promise ? await pending : pending;
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
