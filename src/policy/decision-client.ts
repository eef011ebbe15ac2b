/**
 * The client of the decision service: the same `check` / `batchCheck` API as the in-process
 * {@link PolicyEvaluator}, answered by a remote AuthZEN PDP (see {@link createDecisionService}),
 * so a service's guards delegate to it unchanged.
 *
 * Fails closed (OWASP ASVS 5.0 16.5.3): a timeout, a network error, a non-200 answer or a malformed one is
 * `{ allowed: false, code: 'pdp_unavailable' }`, within `timeoutMs`, and the client never throws.
 * Contextual tuples have no AuthZEN form: a request carrying them is denied with `invalid_request`
 * (dropping them silently could turn a `but not` into a grant).
 *
 * @module
 */

import { z } from 'zod';
import { type DecisionEventOptions, DecisionEvents } from './decision-log.js';
import type { CheckRequest } from './evaluator.js';
import type { DecisionCode } from './explanation.js';

/**
 * Options of {@link createDecisionClient}. With `events`, a decision the PDP could not give
 * (`pdp_unavailable`) is reported as an `authz.decision` event (OWASP ASVS 5.0 16.5.3); `logDecisions` widens that.
 */
export interface DecisionClientOptions extends DecisionEventOptions {
  /** Base URL of the PDP, e.g. `http://authz.internal:3100` (the endpoints are appended). */
  readonly url: string | URL;
  /** The `fetch` to use. Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
  /** Deadline of one call, connection and body included; a late answer is a deny. Default 1000 ms. */
  readonly timeoutMs?: number;
  /** Extra headers on every request, e.g. `{ authorization: 'Bearer <shared secret>' }`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Most requests per `evaluations` call; larger batches are split. Default 100 (the service's default limit). */
  readonly maxBatchSize?: number;
}

/**
 * A remote decision: `allowed` and a code. `pdp_unavailable` means the PDP could not be asked
 * (denied). Without `exposeReasons` on the service the code is `granted` or `not_granted`.
 */
export interface RemoteCheckResult {
  readonly allowed: boolean;
  readonly code: DecisionCode | 'pdp_unavailable';
}

/** The decision client. */
export interface DecisionClient {
  /** Decides one request remotely. Never throws; fails closed. */
  check(request: CheckRequest): Promise<RemoteCheckResult>;
  /** Decides several requests in one `evaluations` call; results in request order. Never throws. */
  batchCheck(requests: readonly CheckRequest[]): Promise<RemoteCheckResult[]>;
}

const UNAVAILABLE: RemoteCheckResult = Object.freeze({ allowed: false, code: 'pdp_unavailable' });

const INVALID: RemoteCheckResult = Object.freeze({ allowed: false, code: 'invalid_request' });

class UnsupportedRequest extends Error {}

const DECISION_CODES = new Set<string>([
  'granted',
  'not_granted',
  'no_matching_rule',
  'deny_rule',
  'cycle',
  'depth_exceeded',
  'budget_exceeded',
  'condition_input_invalid',
  'condition_error',
  'invalid_request',
  'store_error',
  'internal_error',
]);

const decisionSchema = z.looseObject({
  decision: z.boolean(),
  context: z.looseObject({ code: z.string().optional() }).optional(),
});
const evaluationsSchema = z.looseObject({ evaluations: z.array(decisionSchema) });

function toResult(d: z.infer<typeof decisionSchema>): RemoteCheckResult {
  const code = d.context?.code;
  if (d.decision === true) return { allowed: true, code: 'granted' };
  if (code !== undefined && code !== 'granted' && DECISION_CODES.has(code)) {
    return { allowed: false, code: code as DecisionCode };
  }
  return { allowed: false, code: 'not_granted' };
}

function toEvaluation(r: CheckRequest) {
  if (typeof r !== 'object' || r === null) throw new TypeError('request must be an object');
  if (r.contextualTuples !== undefined && r.contextualTuples.length > 0) {
    // Not expressible in AuthZEN; dropping them could change a `but not` into a grant.
    throw new UnsupportedRequest('contextual tuples cannot be sent to a remote PDP');
  }
  const entity = (e: CheckRequest['subject']) => ({
    type: e.type,
    id: e.id,
    ...(e.attributes !== undefined ? { properties: e.attributes } : {}),
  });
  return {
    subject: entity(r.subject),
    action: { name: r.action },
    resource: entity(r.resource),
    ...(r.context !== undefined ? { context: r.context } : {}),
  };
}

/** Creates a client of the AuthZEN decision service at `options.url`. */
export function createDecisionClient(options: DecisionClientOptions): DecisionClient {
  const base = String(options.url).replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 1000;
  const maxBatchSize = Math.max(1, options.maxBatchSize ?? 100);
  const headers = {
    ...options.headers,
    'content-type': 'application/json',
    accept: 'application/json',
  };

  /** POSTs `body` and returns the parsed JSON of a 200, or `undefined` on any failure or after the deadline. */
  async function post(path: string, body: unknown): Promise<unknown> {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve(undefined);
      }, timeoutMs);
    });
    const attempt = (async () => {
      const response = await doFetch(`${base}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: controller.signal,
        redirect: 'error',
      });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {});
        return undefined;
      }
      return (await response.json()) as unknown;
    })().catch(() => undefined);
    try {
      return await Promise.race([attempt, deadline]);
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  }

  /** One `evaluations` call; every request denied if it fails. */
  async function batch(requests: readonly CheckRequest[]): Promise<RemoteCheckResult[]> {
    try {
      const body = {
        evaluations: requests.map(toEvaluation),
        options: { evaluations_semantic: 'execute_all' },
      };
      const parsed = evaluationsSchema.safeParse(await post('/access/v1/evaluations', body));
      if (!parsed.success || parsed.data.evaluations.length !== requests.length) {
        return requests.map(() => UNAVAILABLE);
      }
      return parsed.data.evaluations.map(toResult);
    } catch (error) {
      const result = error instanceof UnsupportedRequest ? INVALID : UNAVAILABLE;
      return requests.map(() => result);
    }
  }

  const log = new DecisionEvents(options);
  const record = (request: CheckRequest, result: RemoteCheckResult, started: number) => {
    if (log.enabled) log.record(request, result.allowed, result.code, performance.now() - started);
    return result;
  };

  return {
    async check(request) {
      const started = performance.now();
      try {
        const parsed = decisionSchema.safeParse(await post('/access/v1/evaluation', toEvaluation(request)));
        return record(request, parsed.success ? toResult(parsed.data) : UNAVAILABLE, started);
      } catch (error) {
        return record(request, error instanceof UnsupportedRequest ? INVALID : UNAVAILABLE, started);
      }
    },

    async batchCheck(requests) {
      if (!Array.isArray(requests)) return [];
      const started = performance.now();
      const chunks: CheckRequest[][] = [];
      for (let k = 0; k < requests.length; k += maxBatchSize)
        chunks.push(requests.slice(k, k + maxBatchSize));
      const results = (await Promise.all(chunks.map(batch))).flat();
      for (const [i, r] of results.entries()) record(requests[i]!, r, started);
      return results;
    },
  };
}
