/**
 * The options of the decision service ({@link createDecisionService}): their documentation, their
 * validation (a {@link ConfigError} names the bad field) and the table of listable actions.
 *
 * @module
 */

import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { SecurityEvents } from '../events.js';
import type { DecisionEventOptions } from './decision-log.js';
import { type PolicyInformationPoint, parsePip } from './decision-pip.js';
import type { CompiledModel } from './model.js';

/**
 * Options of {@link createDecisionService}, validated when the service is created (a
 * {@link ConfigError} names the bad field). With `events`, the decisions the service takes itself
 * (a PIP failure: `pip_error`) are `authz.decision` events; the evaluator's own decisions are
 * reported by the evaluator's decision log.
 */
export interface DecisionServiceOptions extends DecisionEventOptions {
  /**
   * Authenticates the caller (the PEP) of every `/access/v1/*` request; `false` or a throw -> 401.
   * Without it, run the service on a private network only.
   */
  readonly authenticate?: (request: Request) => Promise<boolean> | boolean;
  /** Largest accepted request body in bytes (413 above). Default 65 536. */
  readonly maxBodyBytes?: number;
  /** Most entries in one `evaluations` request (400 above). Default 100. */
  readonly maxEvaluations?: number;
  /**
   * Include the engine's decision `code` and a short `reason` in each decision's `context`.
   * Default `false`: decisions are `{ decision }` only, so callers learn nothing about the policy.
   */
  readonly exposeReasons?: boolean;
  /**
   * The PDP identifier (`policy_decision_point`) and base of the endpoint URLs in the metadata.
   * Default: the origin of the metadata request, i.e. from its `Host` header: set it in production
   * so a forged `Host` cannot make the document point elsewhere.
   */
  readonly issuer?: string;
  /**
   * The actions the action search may list, by resource type: `{ document: ['can_read', 'can_write'] }`.
   * Each type and relation must exist in the model. When given, a type it does not name has no
   * actions: the search lists nothing for it.
   *
   * Default (no `actions`): the relations that cannot be assigned directly, i.e. that no tuple
   * can be written to (`define can_read: viewer or owner`, the permissions of a roles type). A
   * directly assignable relation (`owner: [user]`, a role, and also `viewer: [user] or owner`) holds
   * data about who is related to the object, and listing it as an action would disclose that
   * data; declare it in `actions` to list it. The action search never decides an action it would
   * not list (`check` answers any relation, as before).
   */
  readonly actions?: Readonly<Record<string, readonly string[]>>;
  /** A policy information point resolving subject and resource attributes; see {@link PolicyInformationPoint}. */
  readonly pip?: PolicyInformationPoint;
}

const optionsSchema = z.strictObject({
  authenticate: z
    .custom<(r: Request) => boolean>((v) => typeof v === 'function', 'must be a function')
    .optional(),
  maxBodyBytes: z
    .number()
    .int()
    .min(256)
    .max(16 * 1024 * 1024)
    .default(64 * 1024),
  maxEvaluations: z.number().int().min(1).max(1000).default(100),
  exposeReasons: z.boolean().default(false),
  issuer: z.url().optional(),
  actions: z.record(z.string(), z.array(z.string())).optional(),
  pip: z.unknown().optional(),
  events: z
    .custom<SecurityEvents>(
      (v) => typeof (v as { emit?: unknown })?.emit === 'function',
      'must be a SecurityEvents',
    )
    .optional(),
  logDecisions: z.enum(['off', 'errors', 'denied', 'all']).optional(),
});

function parseOptions(options: DecisionServiceOptions) {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError([{ path: '', message: 'options must be an object' }]);
  }
  const r = optionsSchema.safeParse(options);
  if (!r.success) {
    throw new ConfigError(
      r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    );
  }
  return r.data;
}

/** The listable actions by resource type: declared, or the relations not directly assignable. */
function actionTable(
  model: CompiledModel,
  declared: Readonly<Record<string, readonly string[]>> | undefined,
) {
  const table = new Map<string, readonly string[]>();
  if (declared) {
    for (const [type, names] of Object.entries(declared)) {
      const relations = model.types.get(type);
      if (!relations)
        throw new ConfigError([{ path: `actions.${type}`, message: 'not a type of the model' }]);
      for (const [i, name] of names.entries()) {
        if (!relations.has(name)) {
          throw new ConfigError([
            { path: `actions.${type}.${i}`, message: `not a relation of type ${type}` },
          ]);
        }
      }
      table.set(type, [...new Set(names)]);
    }
    return table;
  }
  for (const [type, relations] of model.types) {
    table.set(
      type,
      [...relations.values()].filter((r) => r.directly.length === 0).map((r) => r.name),
    );
  }
  return table;
}

/** The validated options: defaults filled in, the PIP checked, the action table built. */
export function resolveServiceOptions(options: DecisionServiceOptions, model: CompiledModel) {
  const config = parseOptions(options);
  return {
    ...config,
    pip: options.pip === undefined ? undefined : parsePip(options.pip),
    actions: actionTable(model, config.actions),
  };
}
