/**
 * Internal evaluation results (with the shared ones of the non-explaining walk) and ABAC
 * condition evaluation for the {@link PolicyEvaluator}.
 * A condition's input is parsed with its zod schema first: a missing or wrongly typed attribute,
 * a throw or a non-boolean result is an `error` outcome, which denies (fail closed, OWASP ASVS 5.0 16.5.3).
 *
 * @module
 */

import type { ErrorRule, Explanation } from '../explanation.js';
import type { ConditionDefinition, ConditionInput } from '../model.js';

/** The outcome of one node of an evaluation, with its explanation. Internal to the engine. */
export interface Result {
  readonly outcome: Explanation['outcome'];
  /** The explanation node; {@link QUIET} when the walk builds none (an error keeps its root cause). */
  readonly exp: Explanation;
  /** `true` when a not-granted outcome depends on a cut cycle (not memoizable, unsafe to negate). */
  readonly tainted: boolean;
  /** For an error outcome: the root-cause rule. */
  readonly error?: ErrorRule;
  /** `true` when a relation's own deny rule matched (the decision code `deny_rule`). */
  readonly denied?: boolean;
}

/** The placeholder node of results built without explanation; never shown to callers. */
export const QUIET: Explanation = { outcome: 'not_granted', rule: 'relation', message: '' };
/** Shared results of the walk that builds no explanation: a check then allocates almost nothing. */
export const GRANTED: Result = { outcome: 'granted', exp: QUIET, tainted: false };
export const NOT_GRANTED: Result = { outcome: 'not_granted', exp: QUIET, tainted: false };
export const NOT_GRANTED_TAINTED: Result = { outcome: 'not_granted', exp: QUIET, tainted: true };
export const DENIED: Result = { outcome: 'not_granted', exp: QUIET, tainted: false, denied: true };

/** An error outcome (a deny) with its explanation node. */
export function fail(rule: ErrorRule, message: string, extra: Partial<Explanation> = {}): Result {
  return { outcome: 'error', exp: { outcome: 'error', rule, message, ...extra }, tainted: true, error: rule };
}

/** Attributes as a plain record; anything else is treated as no attributes. */
export function attrs(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Combines operand results of a union-like node: granted if any; else error if any; else not granted. */
export function anyOf(results: readonly Result[], node: Omit<Explanation, 'outcome' | 'children'>): Result {
  const granted = results.find((r) => r.outcome === 'granted');
  if (granted)
    return {
      outcome: 'granted',
      exp: { ...node, outcome: 'granted', children: [granted.exp] },
      tainted: false,
    };
  const error = results.find((r) => r.outcome === 'error');
  const children = results.map((r) => r.exp);
  if (error)
    return {
      outcome: 'error',
      exp: { ...node, outcome: 'error', children },
      tainted: true,
      error: error.error!,
    };
  return {
    outcome: 'not_granted',
    exp: { ...node, outcome: 'not_granted', children },
    tainted: results.some((r) => r.tainted),
  };
}

/**
 * Evaluates the named condition on `input`. Granted only when `evaluate` returns exactly `true`;
 * `false` is not granted; an unknown condition, invalid input, a throw or a non-boolean is an error.
 */
export function evaluateCondition(
  conditions: ReadonlyMap<string, ConditionDefinition>,
  name: string,
  input: ConditionInput,
): Result {
  const def = conditions.get(name);
  if (!def) return fail('condition_error', `unknown condition ${name}; denied`, { condition: name });
  try {
    const parsed = def.params.safeParse(input);
    if (!parsed.success) {
      const issues: string[] = [];
      const missing: string[] = [];
      for (const i of parsed.error.issues) {
        const path = i.path.map(String).join('.') || '(root)';
        issues.push(`${path}: ${i.message}`);
        if (i.path.length > 0 && valueAt(input, i.path) === undefined && !missing.includes(path)) {
          missing.push(path);
        }
      }
      return fail('condition_input_invalid', `condition ${name}: missing or invalid input; denied`, {
        condition: name,
        issues,
        ...(missing.length > 0 ? { missing } : {}),
      });
    }
    const value: unknown = def.evaluate(parsed.data);
    if (value === true) {
      return {
        outcome: 'granted',
        exp: { outcome: 'granted', rule: 'condition', condition: name, message: 'condition true' },
        tainted: false,
      };
    }
    if (value === false) {
      return {
        outcome: 'not_granted',
        exp: { outcome: 'not_granted', rule: 'condition', condition: name, message: 'condition false' },
        tainted: false,
      };
    }
    return fail('condition_error', `condition ${name} returned a non-boolean; denied`, { condition: name });
  } catch (error) {
    const kind = error instanceof Error ? error.name : typeof error;
    return fail('condition_error', `condition ${name} threw (${kind}); denied`, { condition: name });
  }
}

/** The value at `path` in `input` (own properties only), or `undefined`. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
