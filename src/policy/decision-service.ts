/**
 * The decision service: a {@link PolicyEvaluator} served over HTTP as an OpenID AuthZEN
 * Authorization API 1.0 Policy Decision Point (the chapter's separate authorization service).
 *
 * `createDecisionService(evaluator, options).handle` is a web-standard fetch handler
 * (`Request -> Promise<Response>`): mount it in Hono (`app.all('*', (c) => service.handle(c.req.raw))`),
 * serve it with `@hono/node-server`, or call it from any runtime with `fetch` semantics.
 *
 * Endpoints:
 * - `POST /access/v1/evaluation`: `{ subject: {type, id, properties?}, action: {name, properties?},
 *   resource: {type, id, properties?}, context? }` -> `{ decision }`.
 * - `POST /access/v1/evaluations`: top-level `subject`/`action`/`resource`/`context` are defaults
 *   that each entry of `evaluations` may replace; `options.evaluations_semantic` is `execute_all`
 *   (default), `deny_on_first_deny` or `permit_on_first_permit` (the short-circuiting semantics
 *   return the results up to and including the deciding one). -> `{ evaluations: [{ decision }] }`.
 *   Without `evaluations` (or with an empty array) it answers like the single evaluation.
 * - `POST /access/v1/search/action`: the declared actions (see `actions`) of the resource's type
 *   that the subject may perform on the resource, each decided by `check`.
 * - `POST /access/v1/search/subject` (`subject: {type}`, full `resource`) and
 *   `POST /access/v1/search/resource` (full `subject`, `resource: {type}`): the evaluator's
 *   `listSubjects` / `listResources`, so results always agree with `check`. `page.limit` (1-1000)
 *   and `page.token` map to the page size and cursor; the answer is
 *   `{ results: [{type, id}], page: { next_token }, context: { complete, incomplete_reason?, excluded? } }`
 *   with `next_token: ''` on the last page and `complete: false` whenever results may be missing.
 *   A subject result `{ type, id: '*' }` means every subject of the type except those in `excluded`.
 * - `GET /.well-known/authzen-configuration`: the PDP metadata (unauthenticated, as in the spec).
 *
 * Mapping to the engine: `subject.properties` and `resource.properties` are the ABAC attributes
 * (or, for the types a `pip` covers, what the PIP resolves; see `decision-pip.ts`), `action.name`
 * is the relation or permission, `context` is the request context. `action.properties` is
 * accepted and not used by the engine.
 *
 * Errors (AuthZEN 1.0, "Error Responses" of the HTTPS binding and "Errors" of the Access
 * Evaluations API): an invalid request is an HTTP 400 `{ error: 'invalid_request', error_description }`
 * naming the problem: a malformed body, and an evaluation the engine refuses as `invalid_request`
 * (a malformed entity, an unknown type or relation under strict requests), and a search the
 * engine refuses (`ListQueryError`, its `code` in `code`). In an `evaluations` batch an item that is
 * incomplete after the defaults or refused by the engine is answered in its place as
 * `{ decision: false, context: { error: { status: 400, message } } }`, and counts as a deny for
 * `deny_on_first_deny`; a body that is not an evaluations request at all is a 400.
 * Runtime faults are not request errors: a store failure is a fail-closed deny, a PIP failure a
 * deny with the code `pip_error`, anything unexpected a 500 without details.
 *
 * Security:
 * - Strict input: JSON only (`Content-Type: application/json`, 415 otherwise), a body size limit
 *   (413), zod schemas that reject unknown fields and wrong types (400). Errors have the body
 *   `{ error, error_description }` and never echo property or context values.
 * - Decisions carry no internals: `{ decision }` only. With `exposeReasons: true` (for trusted
 *   callers and debugging) the response `context` holds the engine's `code` and a short `reason`.
 * - Deny by default: anything unexpected is an error response without a decision (a PEP treats
 *   it as a deny, as {@link createDecisionClient} does) or `decision: false`.
 * - Caller authentication: `authenticate(request)` runs before every `/access/v1/*` request;
 *   `false` or a throw is a 401. **Without `authenticate` anyone who can reach the service can
 *   ask it questions about your users and resources: run it only on a private network** reachable
 *   by the PEPs alone. {@link bearerAuthenticator} checks a shared secret in constant time.
 *
 * @module
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import type { ConfigError } from '../errors.js';
import {
  actionSearchSchema,
  type Evaluation,
  errorResponse,
  evaluationSchema,
  evaluationsSchema,
  HttpError,
  json,
  parse,
  readJson,
  resourceSearchSchema,
  safeMessage,
  subjectSearchSchema,
} from './authzen-http.js';
import { InvalidCursorError } from './cursor.js';
import { DecisionEvents } from './decision-log.js';
import { AttributeResolution, type Attributes, PIP_FAILED, type RequestEntity } from './decision-pip.js';
import { createSearches } from './decision-search.js';
import { type DecisionServiceOptions, resolveServiceOptions } from './decision-service-options.js';
import type { CheckRequest, CheckResult, PolicyEvaluator } from './evaluator.js';
import { findExplanation } from './explanation.js';
import { ListQueryError } from './reverse-types.js';

export type { DecisionServiceOptions } from './decision-service-options.js';

/** The decision service: a fetch handler. */
export interface DecisionService {
  /** Answers one HTTP request; never throws. */
  handle(request: Request): Promise<Response>;
}

/** The AuthZEN paths served. */
export const AUTHZEN_PATHS = {
  evaluation: '/access/v1/evaluation',
  evaluations: '/access/v1/evaluations',
  searchSubject: '/access/v1/search/subject',
  searchResource: '/access/v1/search/resource',
  searchAction: '/access/v1/search/action',
  metadata: '/.well-known/authzen-configuration',
} as const;

/** The values of `options.evaluations_semantic`. */
export type EvaluationsSemantic = 'execute_all' | 'deny_on_first_deny' | 'permit_on_first_permit';

/** A one-line summary of a decision, from the explanation's own (value-free) messages. */
function summarize(result: CheckResult): string {
  if (result.code === 'granted') return 'granted';
  const rule = result.code === 'deny_rule' ? 'deny' : result.code;
  const node = rule === 'not_granted' ? undefined : findExplanation(result.reason, rule);
  return (node ?? result.reason).message.slice(0, 200);
}

/** One evaluation's outcome: decided by the engine, refused as invalid, or not decidable for the PIP. */
type Outcome =
  | { readonly kind: 'decided'; readonly result: CheckResult }
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'pip_error' };

const PIP_REASON = 'attributes could not be resolved';

/**
 * Creates the AuthZEN decision service over `evaluator`. See the module documentation for the
 * endpoints, the error mapping and the security model. Throws {@link ConfigError} for invalid options.
 */
export function createDecisionService(
  evaluator: PolicyEvaluator,
  options: DecisionServiceOptions = {},
): DecisionService {
  const config = resolveServiceOptions(options, evaluator.model);
  const { maxBodyBytes, maxEvaluations, exposeReasons, pip, actions } = config;
  const log = new DecisionEvents(options);

  // The tree is built only when reasons are sent back; otherwise a decision costs microseconds.
  const checkOptions = { explain: exposeReasons };
  const decision = (r: CheckResult) =>
    exposeReasons
      ? { decision: r.allowed === true, context: { code: r.code, reason: summarize(r) } }
      : { decision: r.allowed === true };
  const answer = (o: Outcome) => {
    if (o.kind === 'decided') return decision(o.result);
    if (o.kind === 'invalid')
      return { decision: false, context: { error: { status: 400, message: o.message } } };
    return exposeReasons
      ? { decision: false, context: { code: 'pip_error', reason: PIP_REASON } }
      : { decision: false };
  };
  const outcome = (r: CheckResult): Outcome =>
    r.code === 'invalid_request'
      ? { kind: 'invalid', message: safeMessage(r.reason.message) }
      : { kind: 'decided', result: r };

  const authenticate = async (request: Request) => {
    if (!config.authenticate) return;
    let ok = false;
    try {
      ok = (await config.authenticate(request)) === true;
    } catch {
      ok = false;
    }
    if (!ok) throw new HttpError(401, 'unauthorized', 'caller authentication failed');
  };

  /** The attributes of `entity`, or `undefined` after logging a PIP failure for `request`. */
  const attributesOf = async (
    resolution: AttributeResolution,
    entities: readonly RequestEntity[],
    action: string | undefined,
    context: Attributes,
    request: CheckRequest,
  ): Promise<Attributes[] | undefined> => {
    const started = performance.now();
    const resolved = await Promise.all(entities.map((e) => resolution.attributes(e, action, context)));
    if (resolved.some((a) => a === PIP_FAILED)) {
      log.record(request, false, 'pip_error', performance.now() - started);
      return undefined;
    }
    return resolved as Attributes[];
  };

  /** The check request of an evaluation, with resolved attributes; `undefined` when the PIP failed. */
  const prepare = async (
    resolution: AttributeResolution,
    e: Evaluation,
  ): Promise<CheckRequest | undefined> => {
    const context = e.context ?? {};
    const request: CheckRequest = {
      subject: { type: e.subject.type, id: e.subject.id },
      action: e.action.name,
      resource: { type: e.resource.type, id: e.resource.id },
      context,
    };
    const a = await attributesOf(resolution, [e.subject, e.resource], e.action.name, context, request);
    if (!a) return undefined;
    return {
      ...request,
      subject: { ...request.subject, attributes: a[0]! },
      resource: { ...request.resource, attributes: a[1]! },
    };
  };

  const evaluateOne = async (resolution: AttributeResolution, e: Evaluation): Promise<Outcome> => {
    const request = await prepare(resolution, e);
    return request ? outcome(await evaluator.check(request, checkOptions)) : { kind: 'pip_error' };
  };

  /** A single evaluation: an invalid one is a 400 naming the problem. */
  const single = async (resolution: AttributeResolution, e: Evaluation) => {
    const o = await evaluateOne(resolution, e);
    if (o.kind === 'invalid') throw new HttpError(400, 'invalid_request', o.message);
    return answer(o);
  };

  const evaluations = async (resolution: AttributeResolution, body: z.infer<typeof evaluationsSchema>) => {
    const defaults = {
      subject: body.subject,
      action: body.action,
      resource: body.resource,
      context: body.context,
    };
    const items = body.evaluations ?? [];
    if (items.length === 0) return single(resolution, parse(evaluationSchema, defaults));
    if (items.length > maxEvaluations) {
      throw new HttpError(400, 'invalid_request', `at most ${maxEvaluations} evaluations per request`);
    }
    // An item incomplete after the defaults is an error of that evaluation, answered in its place.
    const merged = items.map((item, i): Evaluation | Outcome => {
      const r = evaluationSchema.safeParse({ ...defaults, ...item });
      if (r.success) return r.data;
      const missing = r.error.issues.map((x) => x.path.join('.') || '(root)').join(', ');
      return { kind: 'invalid', message: `evaluations.${i}: ${missing} required` };
    });
    const isOutcome = (m: Evaluation | Outcome): m is Outcome => 'kind' in m;
    const semantic = body.options?.evaluations_semantic ?? 'execute_all';
    if (semantic === 'execute_all') {
      const prepared = await Promise.all(merged.map((m) => (isOutcome(m) ? m : prepare(resolution, m))));
      const runnable = prepared.filter((p): p is CheckRequest => p !== undefined && !('kind' in p));
      const results = await evaluator.batchCheck(runnable, checkOptions);
      let next = 0;
      const outcomes = prepared.map((p): Outcome => {
        if (p === undefined) return { kind: 'pip_error' };
        return 'kind' in p ? p : outcome(results[next++]!);
      });
      return { evaluations: outcomes.map(answer) };
    }
    // Short-circuiting semantics: an error is a deny (it stops `deny_on_first_deny`).
    const stopOn = semantic === 'permit_on_first_permit';
    const results = [];
    for (const m of merged) {
      const o = isOutcome(m) ? m : await evaluateOne(resolution, m);
      results.push(answer(o));
      const allowed = o.kind === 'decided' && o.result.allowed;
      if (allowed === stopOn) break;
    }
    return { evaluations: results };
  };

  const { searchAction, searchSubject, searchResource } = createSearches(evaluator, actions, attributesOf);

  const route = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path === AUTHZEN_PATHS.metadata) {
      if (request.method !== 'GET' && request.method !== 'HEAD')
        throw new HttpError(405, 'invalid_request', 'GET');
      const base = (config.issuer ?? url.origin).replace(/\/+$/, '');
      return json(200, {
        policy_decision_point: base,
        access_evaluation_endpoint: `${base}${AUTHZEN_PATHS.evaluation}`,
        access_evaluations_endpoint: `${base}${AUTHZEN_PATHS.evaluations}`,
        search_subject_endpoint: `${base}${AUTHZEN_PATHS.searchSubject}`,
        search_resource_endpoint: `${base}${AUTHZEN_PATHS.searchResource}`,
        search_action_endpoint: `${base}${AUTHZEN_PATHS.searchAction}`,
      });
    }
    const known = Object.values(AUTHZEN_PATHS) as string[];
    if (!known.includes(path)) throw new HttpError(404, 'not_found', 'unknown endpoint');
    if (request.method !== 'POST') throw new HttpError(405, 'invalid_request', 'POST');
    await authenticate(request);
    const body = await readJson(request, maxBodyBytes);
    // One resolution per HTTP request: each entity goes to the PIP once.
    const resolution = new AttributeResolution(pip);
    switch (path) {
      case AUTHZEN_PATHS.evaluation:
        return json(200, await single(resolution, parse(evaluationSchema, body)));
      case AUTHZEN_PATHS.evaluations:
        return json(200, await evaluations(resolution, parse(evaluationsSchema, body)));
      case AUTHZEN_PATHS.searchAction:
        return json(200, await searchAction(resolution, parse(actionSearchSchema, body)));
      case AUTHZEN_PATHS.searchSubject:
        return json(200, await searchSubject(resolution, parse(subjectSearchSchema, body)));
      default:
        return json(200, await searchResource(resolution, parse(resourceSearchSchema, body)));
    }
  };

  return {
    async handle(request: Request): Promise<Response> {
      try {
        return await route(request);
      } catch (error) {
        if (error instanceof HttpError) return errorResponse(error);
        if (error instanceof ListQueryError) {
          // The caller's mistake (an unknown type or relation, a missing condition input): a 400 naming it.
          const { code, parameters } = error as { code?: unknown; parameters?: unknown };
          const details = {
            ...(typeof code === 'string' ? { code } : {}),
            ...(Array.isArray(parameters) ? { parameters: parameters.map(String) } : {}),
          };
          return errorResponse(new HttpError(400, 'invalid_request', safeMessage(error.message), details));
        }
        if (error instanceof InvalidCursorError) {
          return errorResponse(new HttpError(400, 'invalid_request', 'page.token: not a valid page token'));
        }
        // Deny by default: no decision in the answer, nothing about the failure either.
        return json(500, { error: 'server_error', error_description: 'the request could not be decided' });
      }
    },
  };
}

/**
 * An `authenticate` hook that accepts `Authorization: Bearer <secret>` for one of `secrets` (several
 * allow rotation), compared in constant time. Secrets shorter than 32 characters are refused.
 */
export function bearerAuthenticator(secrets: string | readonly string[]): (request: Request) => boolean {
  const list = typeof secrets === 'string' ? [secrets] : [...secrets];
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || s.length < 32)) {
    throw new TypeError('bearerAuthenticator: each shared secret must be a string of at least 32 characters');
  }
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  const expected = list.map(digest);
  return (request) => {
    const header = request.headers.get('authorization') ?? '';
    const match = /^Bearer ([\x21-\x7e]{1,1024})$/i.exec(header);
    if (!match) return false;
    const given = digest(match[1]!);
    let ok = false;
    for (const e of expected) ok = timingSafeEqual(e, given) || ok;
    return ok;
  };
}
