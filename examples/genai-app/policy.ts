/**
 * Where the example's authorization decisions are made, chosen by configuration:
 *
 * - `AUTHZ_MODE=in-process` (default): a `PolicyEvaluator` of `access-model.ts` in this process,
 *   over the relationship tuples in the app's own SQLite file.
 * - `AUTHZ_MODE=service`: the decision service of `examples/authz-service` (AuthZEN over HTTP) at
 *   `AUTHZ_URL`, with `AUTHZ_SHARED_SECRET` as its bearer secret; it reads the same SQLite file
 *   (`AUTHZ_DB`). A PDP that is down or slow (`AUTHZ_TIMEOUT_MS`, default 1000) denies.
 *
 * Either way the guards get an object with the same `check`, so the routes do not change; the
 * guards report every fail-closed deny as an `authz.decision` security event. The reverse query
 * of "my conversations" (`lister`) runs in-process over the same tuples in both modes.
 *
 * @module
 */
import { createDecisionClient, type RelationshipStore } from '../../src/index.js';
import { createAppEvaluator } from './access-model.js';

/** How decisions are made. */
export type AuthzMode = 'in-process' | 'service';

/** The decider for the guards, the reverse queries, and which mode it runs in. */
export interface ExamplePolicy {
  readonly mode: AuthzMode;
  readonly decider: { check: ReturnType<typeof createDecisionClient>['check'] };
  readonly lister: Pick<ReturnType<typeof createAppEvaluator>, 'listResources'>;
}

/** Reads `AUTHZ_MODE`, `AUTHZ_URL`, `AUTHZ_SHARED_SECRET`, `AUTHZ_TIMEOUT_MS` from `env`. */
export function createExamplePolicy(
  env: Readonly<Record<string, string | undefined>>,
  relationships: RelationshipStore,
): ExamplePolicy {
  const mode = env.AUTHZ_MODE ?? 'in-process';
  const evaluator = createAppEvaluator(relationships);
  if (mode === 'in-process') return { mode, decider: evaluator, lister: evaluator };
  if (mode !== 'service')
    throw new Error(`AUTHZ_MODE must be in-process or service, not ${JSON.stringify(mode)}`);
  if (!env.AUTHZ_URL) throw new Error('AUTHZ_MODE=service needs AUTHZ_URL (the decision service)');
  const decider = createDecisionClient({
    url: env.AUTHZ_URL,
    timeoutMs: Number(env.AUTHZ_TIMEOUT_MS ?? 1000),
    ...(env.AUTHZ_SHARED_SECRET ? { headers: { authorization: `Bearer ${env.AUTHZ_SHARED_SECRET}` } } : {}),
  });
  return { mode, decider, lister: evaluator };
}
