/**
 * The public types of the reverse queries (`listResources`, `listSubjects`): requests, pages,
 * completeness, limits and the typed error for a query that cannot be answered. See `reverse.ts`.
 *
 * @module
 */

import type { CheckRequest, CheckResult, Entity } from './evaluator.js';
import type { CompiledModel } from './model.js';
import type { ObjectRef, RelationshipStore, RelationshipTuple, SubjectRef } from './relationship-store.js';

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
  /**
   * The subject: an object (`user:anne`), a userset (`{ type: 'group', id: 'eng', relation:
   * 'member' }`: the objects its members may act on as a set) or the type wildcard (`user:*`:
   * the objects open to every user), with the meaning they have in `check`.
   */
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

/**
 * The subjects a `listSubjects` query lists: a type (`'user'`), or the usersets of a type and
 * relation (`{ type: 'group', relation: 'member' }`), as OpenFGA's ListUsers `user_filters`.
 */
export type SubjectTypeFilter = string | { readonly type: string; readonly relation?: string };

/** A `listSubjects` request. */
export interface ListSubjectsRequest extends ListOptions {
  readonly resource: Entity;
  readonly action: string;
  /**
   * The subjects to list: a type, e.g. `'user'` (objects of the type, and `{ type, id: '*' }` for
   * its wildcard), or `{ type: 'group', relation: 'member' }` for the usersets `group:<id>#member`
   * that may do the action (see the module doc of `engine/reverse.ts`).
   */
  readonly subjectType: SubjectTypeFilter;
}

/**
 * One page of `listSubjects`. `{ type, id: '*' }` in `subjects` is the type wildcard (module doc);
 * with a userset filter, each subject carries the filter's `relation` (`group:eng#member`).
 */
export interface ListSubjectsResult {
  readonly subjects: SubjectRef[];
  /** Only when the wildcard is allowed: the mentioned subjects of this page's id range it does not cover. */
  readonly excluded: ObjectRef[];
  readonly cursor: string | null;
  readonly complete: boolean;
  readonly incompleteReason?: IncompleteReason;
}

/**
 * The stable codes of {@link ListQueryError}, after OpenFGA's validation errors for ListObjects
 * and ListUsers (`validation_error`, `type_not_found`, `relation_not_found`, and the condition
 * evaluation error naming the missing context parameters):
 * - `ERR_INVALID_LIST_REQUEST`: a malformed request (not an object, a bad entity or id, page
 *   size, budget or contextual tuple).
 * - `ERR_UNKNOWN_TYPE`: the object type or subject type is not a type of the model.
 * - `ERR_UNKNOWN_RELATION`: the action is not a relation of the type (or the subject's userset
 *   relation is not a relation of its type).
 * - `ERR_MISSING_CONDITION_PARAMETER`: a condition on a path that could grant needs an input the
 *   request did not give (a `context` parameter, or an attribute); `parameters` names them.
 * - `ERR_INVALID_CONDITION_PARAMETER`: such an input was given with the wrong type.
 *
 * A typo is therefore never answered like "no access", and a path a condition could not decide is
 * never silently left out of an answer that says it is complete.
 */
export type ListQueryErrorCode =
  | 'ERR_INVALID_LIST_REQUEST'
  | 'ERR_UNKNOWN_TYPE'
  | 'ERR_UNKNOWN_RELATION'
  | 'ERR_MISSING_CONDITION_PARAMETER'
  | 'ERR_INVALID_CONDITION_PARAMETER';

/** Details of a {@link ListQueryError} about a condition's input. */
export interface ListQueryErrorDetails {
  /** The condition that could not be evaluated. */
  readonly condition?: string;
  /** The input paths concerned, e.g. `context.ip` (a CEL condition's parameters are under `context`). */
  readonly parameters?: readonly string[];
}

/**
 * Thrown for a list query that cannot be answered as asked: a malformed request, an unknown type
 * or relation, or a condition input the request lacks (see `ListQueryErrorCode`). It is the
 * caller's error (an HTTP adapter answers 400), never a store failure, which is rethrown as is.
 */
export class ListQueryError extends Error {
  /** Stable, machine-readable code. */
  readonly code: ListQueryErrorCode;
  /** For the condition codes: the condition. */
  readonly condition: string | undefined;
  /** For the condition codes: the missing or wrongly typed input paths. */
  readonly parameters: readonly string[];
  constructor(
    message: string,
    code: ListQueryErrorCode = 'ERR_INVALID_LIST_REQUEST',
    details: ListQueryErrorDetails = {},
  ) {
    super(message);
    this.name = 'ListQueryError';
    this.code = code;
    this.condition = details.condition;
    this.parameters = details.parameters ?? [];
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
