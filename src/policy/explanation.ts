/**
 * Explanations of policy decisions: a tree saying what granted access (a direct tuple, a
 * wildcard, a userset, a computed relation, a parent relation, a condition that held) or why
 * nothing did. Every decision the evaluator returns carries one, so a deny is never silent.
 *
 * @module
 */

/** Whether a node of the evaluation granted, did not grant, or could not be decided (an error: deny). */
export type Outcome = 'granted' | 'not_granted' | 'error';

/**
 * What a node of the explanation tree evaluated. The error kinds (`depth_exceeded`, `cycle` in a
 * negative position, `condition_input_invalid`, `condition_error`, `budget_exceeded`) always end in a deny.
 */
export type ExplanationRule =
  | 'relation'
  | 'direct'
  | 'wildcard'
  | 'userset'
  | 'computed'
  | 'tuple_to_userset'
  | 'union'
  | 'intersection'
  | 'exclusion'
  | 'condition'
  | 'deny'
  | 'no_matching_rule'
  | 'no_tuple'
  | ErrorRule;

/** The error rules: a subtree with one of these could not be decided and counts as a deny. */
export type ErrorRule =
  | 'cycle'
  | 'depth_exceeded'
  | 'budget_exceeded'
  | 'condition_input_invalid'
  | 'condition_error'
  | 'invalid_request'
  | 'store_error'
  | 'internal_error';

/** One node of an explanation tree. */
export interface Explanation {
  readonly outcome: Outcome;
  readonly rule: ExplanationRule;
  /** Human-readable, safe to log; never contains attribute values. */
  readonly message: string;
  /** The object evaluated, `type:id`. */
  readonly object?: string;
  /** The relation evaluated on `object`. */
  readonly relation?: string;
  /** The tuple that was used, `folder:1#viewer@team:eng#member`. */
  readonly tuple?: string;
  /** The condition evaluated. */
  readonly condition?: string;
  /** For `condition_input_invalid`: the zod issues, `path: message`. */
  readonly issues?: readonly string[];
  /** For `condition_input_invalid`: the input paths that were absent (`context.ip`); the other issues were wrongly typed. */
  readonly missing?: readonly string[];
  readonly children?: readonly Explanation[];
}

/**
 * Stable summary code of a decision: `granted`; `not_granted` (no rule matched the data);
 * `no_matching_rule` (an RBAC check naming a role or permission no definition has: deny by
 * default); `invalid_request` (a check naming a type, relation or subject type the model lacks:
 * denied, with the explanation rule `no_matching_rule`); `deny_rule` (an explicit
 * deny matched: a deny always wins); or the `ErrorRule` that made the evaluation fail closed.
 */
export type DecisionCode = 'granted' | 'not_granted' | 'no_matching_rule' | 'deny_rule' | ErrorRule;

/** Depth-first search of an explanation tree for the first node with `rule`. Useful in tests and logs. */
export function findExplanation(root: Explanation, rule: ExplanationRule): Explanation | undefined {
  if (root.rule === rule) return root;
  for (const child of root.children ?? []) {
    const found = findExplanation(child, rule);
    if (found) return found;
  }
  return undefined;
}

/**
 * The granting path as a list of short steps, root first, e.g.
 * `['folder:1#viewer', 'tuple_to_userset folder:1#parent@folder:root', 'folder:root#viewer', 'direct folder:root#viewer@user:anne']`.
 * Only meaningful for a granted decision; follows the granted child at each level.
 */
export function grantPath(root: Explanation): string[] {
  const steps: string[] = [];
  let node: Explanation | undefined = root;
  while (node) {
    if (node.rule === 'relation') steps.push(`${node.object}#${node.relation}`);
    else if (node.tuple) steps.push(`${node.rule} ${node.tuple}`);
    else if (node.condition) steps.push(`condition ${node.condition}`);
    else if (node.rule !== 'union') steps.push(node.rule);
    node = node.children?.find((c) => c.outcome === 'granted');
  }
  return steps;
}
