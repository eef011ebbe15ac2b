/**
 * The client of the decision service: the same `check` / `batchCheck` API as the in-process
 * {@link PolicyEvaluator}, answered by a remote AuthZEN PDP (see {@link createDecisionService}),
 * so a service's guards delegate to it unchanged.
 *
 * Fails closed (OWASP ASVS 5.0 16.5.3): a timeout, a network error, a non-200 answer or a malformed one is
 * `{ allowed: false, code: 'pdp_unavailable' }`, within `timeoutMs`, and the client never throws.
 * A request the PDP refuses as invalid (a 400 `invalid_request`, or a per-item error with status
 * 400 in an `evaluations` answer) is `{ allowed: false, code: 'invalid_request' }`, as the
 * in-process evaluator answers it. Contextual tuples and userset subjects have no AuthZEN form: a
 * request carrying them is denied with `invalid_request` (dropping them silently could turn a
 * `but not` into a grant, or ask about `group:eng` instead of `group:eng#member`).
 * An optional decision cache (`cache`, off by default) reuses definite decisions for a short time;
 * see {@link DecisionCacheOptions}.
 *
 * @module
 */

import { z } from 'zod';
import type { ConfigError } from '../errors.js';
import { cacheKey, DecisionCache, type DecisionCacheOptions, parseCacheOptions } from './decision-cache.js';
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
  /**
   * A short-lived decision cache: `{ maxEntries, ttlMs }`, both required. Off by default. It
   * delays revocation by up to `ttlMs` (see {@link DecisionCacheOptions}).
   */
  readonly cache?: DecisionCacheOptions;
}

/**
 * A remote decision: `allowed` and a code. `pdp_unavailable` means the PDP could not be asked
 * (denied); `invalid_request` that it refused the request. Otherwise, without `exposeReasons` on
 * the service, the code is `granted` or `not_granted`; with it, the service's code (`pip_error`
 * when its policy information point failed).
 */
export interface RemoteCheckResult {
  readonly allowed: boolean;
  readonly code: DecisionCode | 'pdp_unavailable' | 'pip_error';
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
  'pip_error',
]);

const decisionSchema = z.looseObject({
  decision: z.boolean(),
  context: z
    .looseObject({
      code: z.string().optional(),
      error: z.looseObject({ status: z.number().optional() }).optional(),
    })
    .optional(),
});
const evaluationsSchema = z.looseObject({ evaluations: z.array(decisionSchema) });
const invalidSchema = z.looseObject({ error: z.literal('invalid_request') });

function toResult(d: z.infer<typeof decisionSchema>): RemoteCheckResult {
  const code = d.context?.code;
  if (d.decision === true) return { allowed: true, code: 'granted' };
  // A per-item error (AuthZEN 1.0, Access Evaluations API, "Errors"): a refused request, or a PDP fault.
  const status = d.context?.error?.status;
  if (status === 400) return INVALID;
  if (status !== undefined && status >= 500) return UNAVAILABLE;
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
  if (r.subject?.relation !== undefined || r.resource?.relation !== undefined) {
    // AuthZEN 1.0 entities have no userset form; sending `group:eng` for `group:eng#member` would ask another question.
    throw new UnsupportedRequest('a userset subject cannot be sent to a remote PDP');
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

/** A request as sent, or the result it gets without being sent. */
function prepare(request: CheckRequest): { body: unknown } | { result: RemoteCheckResult } {
  try {
    return { body: toEvaluation(request) };
  } catch (error) {
    return { result: error instanceof UnsupportedRequest ? INVALID : UNAVAILABLE };
  }
}

/** The marker of a 400 `invalid_request` answer. */
const REFUSED = Symbol('refused');

/**
 * Creates a client of the AuthZEN decision service at `options.url`. Throws {@link ConfigError}
 * for an invalid `cache` option.
 */
export function createDecisionClient(options: DecisionClientOptions): DecisionClient {
  const base = String(options.url).replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 1000;
  const maxBatchSize = Math.max(1, options.maxBatchSize ?? 100);
  const cache =
    options.cache === undefined
      ? undefined
      : new DecisionCache<RemoteCheckResult>(parseCacheOptions(options.cache));
  const headers = {
    ...options.headers,
    'content-type': 'application/json',
    accept: 'application/json',
  };

  /**
   * POSTs `body`: the parsed JSON of a 200, {@link REFUSED} for a 400 `invalid_request`, or
   * `undefined` on any other answer, any failure, or after the deadline.
   */
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
      if (response.status === 400) {
        return invalidSchema.safeParse(await response.json()).success ? REFUSED : undefined;
      }
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
  async function batch(bodies: readonly unknown[]): Promise<RemoteCheckResult[]> {
    const answer = await post('/access/v1/evaluations', {
      evaluations: bodies,
      options: { evaluations_semantic: 'execute_all' },
    });
    if (answer === REFUSED) return bodies.map(() => INVALID);
    const parsed = evaluationsSchema.safeParse(answer);
    if (!parsed.success || parsed.data.evaluations.length !== bodies.length) {
      return bodies.map(() => UNAVAILABLE);
    }
    return parsed.data.evaluations.map(toResult);
  }

  const log = new DecisionEvents(options);
  const record = (request: CheckRequest, result: RemoteCheckResult, started: number) => {
    if (log.enabled) log.record(request, result.allowed, result.code, performance.now() - started);
    return result;
  };

  return {
    async check(request) {
      const started = performance.now();
      const prepared = prepare(request);
      if ('result' in prepared) return record(request, prepared.result, started);
      const key = cache ? cacheKey(prepared.body) : undefined;
      const cached = cache?.get(key);
      if (cached) return record(request, cached, started);
      const answer = await post('/access/v1/evaluation', prepared.body);
      const parsed = decisionSchema.safeParse(answer);
      const result = answer === REFUSED ? INVALID : parsed.success ? toResult(parsed.data) : UNAVAILABLE;
      cache?.set(key, result);
      return record(request, result, started);
    },

    async batchCheck(requests) {
      if (!Array.isArray(requests)) return [];
      const started = performance.now();
      const results: RemoteCheckResult[] = new Array(requests.length);
      // Only the requests neither refused here nor answered from the cache are sent.
      const pending: { index: number; body: unknown; key: string | undefined }[] = [];
      for (const [index, request] of requests.entries()) {
        const prepared = prepare(request);
        if ('result' in prepared) {
          results[index] = prepared.result;
          continue;
        }
        const key = cache ? cacheKey(prepared.body) : undefined;
        const cached = cache?.get(key);
        if (cached) results[index] = cached;
        else pending.push({ index, body: prepared.body, key });
      }
      const chunks: (typeof pending)[] = [];
      for (let k = 0; k < pending.length; k += maxBatchSize) chunks.push(pending.slice(k, k + maxBatchSize));
      const answers = await Promise.all(chunks.map((chunk) => batch(chunk.map((p) => p.body))));
      for (const [c, chunk] of chunks.entries()) {
        for (const [j, p] of chunk.entries()) {
          const result = answers[c]![j]!;
          results[p.index] = result;
          cache?.set(p.key, result);
        }
      }
      for (const [i, r] of results.entries()) record(requests[i]!, r, started);
      return results;
    },
  };
}
