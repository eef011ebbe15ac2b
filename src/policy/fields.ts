/**
 * Field-level authorization (OWASP ASVS 5.0 8.2.3, 15.3.3, ASVS 8.2.3 and 15.3.3): which fields of a resource a subject
 * may read, and whether it may write the fields of an incoming change.
 *
 * A {@link FieldPolicy} names, per field, the action (a relation or permission of the policy
 * model) that reading it and writing it require. Deny by default: a field the policy does not
 * list is never returned and never written, so a client that sends `{ "role": "ADMIN" }` or
 * `{ "owner": "me" }` along with a profile change is refused (mass assignment blocked) rather than
 * silently obeyed. Each distinct action is checked once per call, with the same decider the
 * guards use (a `PolicyEvaluator` or a decision-service client), so a failing decider refuses
 * everything (fail closed).
 *
 * @module
 */

import type { CheckRequest } from './evaluator.js';
import { isSafeName } from './model.js';

/** What field checks ask: a `PolicyEvaluator` or a decision-service client. */
export interface FieldDecider {
  check(
    request: CheckRequest,
    options?: { readonly explain?: boolean },
  ): Promise<{ readonly allowed: boolean }>;
}

/** Per field: the action needed to read it, and (optional) the action needed to write it. */
export interface FieldRule {
  readonly read?: string;
  readonly write?: string;
}

/** A resource type's field rules, by field name. */
export type FieldPolicy<F extends string = string> = Readonly<Record<F, FieldRule>>;

/** Thrown by {@link defineFieldPolicy} for an unsafe field name or action. */
export class FieldPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldPolicyError';
  }
}

/**
 * Refused write: the change names fields the subject may not write, or fields the policy does not
 * know. `code` is stable; `status` is 403; `fields` lists every refused field (names only, never
 * values), so nothing of the change was applied and the caller can say which fields were refused.
 */
export class FieldAccessError extends Error {
  readonly code = 'ERR_FIELD_FORBIDDEN';
  readonly status = 403;
  readonly fields: readonly string[];
  constructor(fields: readonly string[]) {
    super(`not allowed to write: ${fields.join(', ')}`);
    this.name = 'FieldAccessError';
    this.fields = fields;
  }
}

/**
 * Declares field rules, checking that every field name and action is a safe name (never
 * `__proto__` or another `Object.prototype` member), and freezes them. Returns the same rules,
 * typed by their field names.
 */
export function defineFieldPolicy<F extends string>(rules: Readonly<Record<F, FieldRule>>): FieldPolicy<F> {
  const copy: Record<string, FieldRule> = Object.create(null);
  for (const field of Object.keys(rules)) {
    if (!isSafeName(field))
      throw new FieldPolicyError(`field name ${JSON.stringify(field)} is not a safe name`);
    const rule = (rules as Record<string, FieldRule>)[field]!;
    for (const action of [rule.read, rule.write]) {
      if (action !== undefined && !isSafeName(action)) {
        throw new FieldPolicyError(`field ${field}: action ${JSON.stringify(action)} is not a safe name`);
      }
    }
    copy[field] = Object.freeze({ ...rule });
  }
  return Object.freeze(copy) as FieldPolicy<F>;
}

/** Who asks about which resource, as in a check (context and contextual tuples included). */
export type FieldRequest = Omit<CheckRequest, 'action'>;

/** Decides every distinct action once; a throwing decider allows nothing. */
async function allowedActions(
  decider: FieldDecider,
  request: FieldRequest,
  actions: ReadonlySet<string>,
): Promise<ReadonlySet<string>> {
  const list = [...actions];
  const decisions = await Promise.all(
    list.map(async (action) => {
      try {
        return (await decider.check({ ...request, action }, { explain: false })).allowed === true;
      } catch {
        return false;
      }
    }),
  );
  return new Set(list.filter((_, i) => decisions[i]));
}

const own = (policy: FieldPolicy, field: string): FieldRule | undefined =>
  Object.hasOwn(policy, field) ? policy[field] : undefined;

/** The fields of `policy` the subject may read on the resource. */
export async function readableFields<F extends string>(
  decider: FieldDecider,
  request: FieldRequest,
  policy: FieldPolicy<F>,
): Promise<Set<F>> {
  const fields = Object.keys(policy) as F[];
  const actions = new Set(fields.map((f) => policy[f].read).filter((a): a is string => a !== undefined));
  const allowed = await allowedActions(decider, request, actions);
  return new Set(fields.filter((f) => policy[f].read !== undefined && allowed.has(policy[f].read!)));
}

/**
 * A copy of `record` with only the fields the subject may read: fields without a read rule, not
 * in the policy, or whose action is denied are left out.
 */
export async function filterReadable<T extends object>(
  decider: FieldDecider,
  request: FieldRequest,
  policy: FieldPolicy,
  record: T,
): Promise<Partial<T>> {
  const readable = await readableFields(decider, request, policy);
  const out: Record<string, unknown> = {};
  for (const field of readable) {
    if (Object.hasOwn(record, field)) out[field] = (record as Record<string, unknown>)[field];
  }
  return out as Partial<T>;
}

/**
 * Checks that the subject may write every field of `change` (its own enumerable keys). Throws
 * {@link FieldAccessError} naming every refused field — unknown to the policy, without a write
 * rule, or denied — and returns the change otherwise. Apply nothing before this returns.
 */
export async function assertWritable<T extends object>(
  decider: FieldDecider,
  request: FieldRequest,
  policy: FieldPolicy,
  change: T,
): Promise<T> {
  const fields = Object.keys(change);
  const actions = new Set<string>();
  for (const field of fields) {
    const write = own(policy, field)?.write;
    if (write !== undefined) actions.add(write);
  }
  const allowed = await allowedActions(decider, request, actions);
  const refused = fields.filter((field) => {
    const write = own(policy, field)?.write;
    return write === undefined || !allowed.has(write);
  });
  if (refused.length > 0) throw new FieldAccessError(refused);
  return change;
}
