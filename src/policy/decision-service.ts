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
 * - `POST /access/v1/search/action`: the actions (relations and permissions of the resource's
 *   type) the subject may perform on the resource, each decided by `check`.
 * - `POST /access/v1/search/subject` (`subject: {type}`, full `resource`) and
 *   `POST /access/v1/search/resource` (full `subject`, `resource: {type}`): the evaluator's
 *   `listSubjects` / `listResources`, so results always agree with `check`. `page.limit` (1-1000)
 *   and `page.token` map to the page size and cursor; the answer is
 *   `{ results: [{type, id}], page: { next_token }, context: { complete, incomplete_reason?, excluded? } }`
 *   with `next_token: ''` on the last page and `complete: false` whenever results may be missing.
 *   A subject result `{ type, id: '*' }` means every subject of the type except those in `excluded`.
 * - `GET /.well-known/authzen-configuration`: the PDP metadata (unauthenticated, as in the spec).
 *
 * Mapping to the engine: `subject.properties` and `resource.properties` are the ABAC attributes,
 * `action.name` is the relation or permission, `context` is the request context. `action.properties`
 * is accepted and not used by the engine.
 *
 * Security:
 * - Strict input: JSON only (`Content-Type: application/json`, 415 otherwise), a body size limit
 *   (413), zod schemas that reject unknown fields and wrong types (400). Errors have the body
 *   `{ error, error_description }` and never echo the input.
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
import {
  actionSearchSchema,
  errorResponse,
  evaluationSchema,
  evaluationsSchema,
  HttpError,
  json,
  type Page,
  parse,
  readJson,
  resourceSearchSchema,
  subjectSearchSchema,
  toCheck,
} from './authzen-http.js';
import { InvalidCursorError } from './cursor.js';
import type { CheckResult, PolicyEvaluator } from './evaluator.js';
import { findExplanation } from './explanation.js';
import { ListQueryError } from './reverse-types.js';

/** Options of {@link createDecisionService}. */
export interface DecisionServiceOptions {
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
}

/** The decision service: a fetch handler. */
export interface DecisionService {
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

/**
 * Creates the AuthZEN decision service over `evaluator`. See the module documentation for the
 * endpoints and the security model.
 */
export function createDecisionService(
  evaluator: PolicyEvaluator,
  options: DecisionServiceOptions = {},
): DecisionService {
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const maxEvaluations = options.maxEvaluations ?? 100;
  const exposeReasons = options.exposeReasons === true;

  // The tree is built only when reasons are sent back; otherwise a decision costs microseconds.
  const checkOptions = { explain: exposeReasons };
  const decision = (r: CheckResult) =>
    exposeReasons
      ? { decision: r.allowed === true, context: { code: r.code, reason: summarize(r) } }
      : { decision: r.allowed === true };

  const authenticate = async (request: Request) => {
    if (!options.authenticate) return;
    let ok = false;
    try {
      ok = (await options.authenticate(request)) === true;
    } catch {
      ok = false;
    }
    if (!ok) throw new HttpError(401, 'unauthorized', 'caller authentication failed');
  };

  const evaluations = async (body: z.infer<typeof evaluationsSchema>) => {
    const defaults = {
      subject: body.subject,
      action: body.action,
      resource: body.resource,
      context: body.context,
    };
    const items = body.evaluations ?? [];
    if (items.length === 0) {
      return decision(await evaluator.check(toCheck(parse(evaluationSchema, defaults)), checkOptions));
    }
    if (items.length > maxEvaluations) {
      throw new HttpError(400, 'invalid_request', `at most ${maxEvaluations} evaluations per request`);
    }
    const requests = items.map((item, i) => {
      const merged = { ...defaults, ...item };
      const r = evaluationSchema.safeParse(merged);
      if (!r.success) {
        throw new HttpError(
          400,
          'invalid_request',
          `evaluations.${i}: subject, action and resource are required`,
        );
      }
      return toCheck(r.data);
    });
    const semantic = body.options?.evaluations_semantic ?? 'execute_all';
    if (semantic === 'execute_all') {
      return { evaluations: (await evaluator.batchCheck(requests, checkOptions)).map(decision) };
    }
    const stopOn = semantic === 'permit_on_first_permit';
    const results = [];
    for (const req of requests) {
      const r = await evaluator.check(req, checkOptions);
      results.push(decision(r));
      if (r.allowed === stopOn) break;
    }
    return { evaluations: results };
  };

  const searchAction = async (body: z.infer<typeof actionSearchSchema>) => {
    const relations = evaluator.model.types.get(body.resource.type);
    const names = relations ? [...relations.keys()] : [];
    const base = { subject: body.subject, resource: body.resource, context: body.context };
    const results = await evaluator.batchCheck(
      names.map((name) => toCheck({ ...base, action: { name } })),
      { explain: false },
    );
    return { results: names.filter((_, i) => results[i]?.allowed === true).map((name) => ({ name })) };
  };

  const pageOptions = (p: Page) => ({
    ...(p?.limit !== undefined ? { pageSize: p.limit } : {}),
    ...(p?.token ? { cursor: p.token } : {}),
  });
  const listed = (
    results: readonly { type: string; id: string }[],
    r: { cursor: string | null; complete: boolean; incompleteReason?: string },
    extra: Record<string, unknown> = {},
  ) => ({
    results: results.map((o) => ({ type: o.type, id: o.id })),
    page: { next_token: r.cursor ?? '' },
    // Never a silent truncation: say when results may be missing.
    context: {
      complete: r.complete,
      ...(r.incompleteReason ? { incomplete_reason: r.incompleteReason } : {}),
      ...extra,
    },
  });
  const searchSubject = async (body: z.infer<typeof subjectSearchSchema>) => {
    const r = await evaluator.listSubjects({
      resource: {
        type: body.resource.type,
        id: body.resource.id,
        attributes: body.resource.properties ?? {},
      },
      action: body.action.name,
      subjectType: body.subject.type,
      context: body.context ?? {},
      ...pageOptions(body.page),
    });
    // `{ type, id: '*' }` means every subject of the type except those in `excluded`.
    return listed(r.subjects, r, r.excluded.length > 0 ? { excluded: r.excluded } : {});
  };
  const searchResource = async (body: z.infer<typeof resourceSearchSchema>) => {
    const r = await evaluator.listResources({
      subject: { type: body.subject.type, id: body.subject.id, attributes: body.subject.properties ?? {} },
      action: body.action.name,
      type: body.resource.type,
      context: body.context ?? {},
      ...pageOptions(body.page),
    });
    return listed(r.resources, r);
  };

  const route = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path === AUTHZEN_PATHS.metadata) {
      if (request.method !== 'GET' && request.method !== 'HEAD')
        throw new HttpError(405, 'invalid_request', 'GET');
      const base = (options.issuer ?? url.origin).replace(/\/+$/, '');
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
    switch (path) {
      case AUTHZEN_PATHS.evaluation: {
        const body = parse(evaluationSchema, await readJson(request, maxBodyBytes));
        return json(200, decision(await evaluator.check(toCheck(body))));
      }
      case AUTHZEN_PATHS.evaluations: {
        const body = parse(evaluationsSchema, await readJson(request, maxBodyBytes));
        return json(200, await evaluations(body));
      }
      case AUTHZEN_PATHS.searchAction: {
        const body = parse(actionSearchSchema, await readJson(request, maxBodyBytes));
        return json(200, await searchAction(body));
      }
      case AUTHZEN_PATHS.searchSubject: {
        const body = parse(subjectSearchSchema, await readJson(request, maxBodyBytes));
        return json(200, await searchSubject(body));
      }
      default: {
        const body = parse(resourceSearchSchema, await readJson(request, maxBodyBytes));
        return json(200, await searchResource(body));
      }
    }
  };

  return {
    async handle(request: Request): Promise<Response> {
      try {
        return await route(request);
      } catch (error) {
        if (error instanceof HttpError) return errorResponse(error);
        if (error instanceof ListQueryError || error instanceof InvalidCursorError) {
          return errorResponse(new HttpError(400, 'invalid_request', 'invalid search request or page token'));
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
