/**
 * The public types of the reverse queries (`listResources`, `listSubjects`): requests, pages,
 * completeness, limits and the error for a malformed query. See `reverse.ts`.
 *
 * @module
 */

import type { CheckRequest, CheckResult, Entity } from './evaluator.js';
import type { CompiledModel } from './model.js';
import type { ObjectRef, RelationshipStore, RelationshipTuple } from './relationship-store.js';

/** What the reverse queries need from the evaluator. */
export interface ReverseHost {
  readonly model: CompiledModel;
  readonly store: RelationshipStore;
  readonly maxDepth: number;
  readonly maxContextualTuples: number;
  check(request: CheckRequest): Promise<CheckResult>;
  /** The same decision without a promise, when the store reads synchronously. */
  readonly checkSync?: (request: CheckRequest) => CheckResult;
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

/** The `pageSize` of a list query that gives none. */
export const DEFAULT_PAGE_SIZE = 100;
/** The largest `pageSize` a list query accepts. */
export const MAX_PAGE_SIZE = 1000;
/** Default budget of store reads plus checks per call. */
export const DEFAULT_LIST_BUDGET = 10_000;

/** The id of the probe subject used to decide the wildcard; it must appear in no tuple. */
export const WILDCARD_PROBE_ID = '\u0000gatehouse:wildcard-probe\u0000';
