/**
 * The search endpoints of the decision service (`/access/v1/search/action|subject|resource`):
 * each resolves the entity it names through the PIP, then asks the evaluator. See
 * `decision-service.ts` for the answers' shape.
 *
 * @module
 */

import type { z } from 'zod';
import {
  type actionSearchSchema,
  HttpError,
  type Page,
  type resourceSearchSchema,
  safeMessage,
  type subjectSearchSchema,
} from './authzen-http.js';
import type { AttributeResolution, Attributes, RequestEntity } from './decision-pip.js';
import type { CheckRequest, PolicyEvaluator } from './evaluator.js';

/** Resolves `entities` for one request; `undefined` (after logging `request`) when the PIP failed. */
export type ResolveAttributes = (
  resolution: AttributeResolution,
  entities: readonly RequestEntity[],
  action: string | undefined,
  context: Attributes,
  request: CheckRequest,
) => Promise<Attributes[] | undefined>;

/** The three search handlers over `evaluator`, listing `actions` in the action search. */
export function createSearches(
  evaluator: PolicyEvaluator,
  actions: ReadonlyMap<string, readonly string[]>,
  attributesOf: ResolveAttributes,
) {
  const searchAction = async (resolution: AttributeResolution, body: z.infer<typeof actionSearchSchema>) => {
    if (!evaluator.model.types.has(body.resource.type)) {
      throw new HttpError(400, 'invalid_request', 'resource.type: not a type of the model');
    }
    const names = actions.get(body.resource.type) ?? [];
    const context = body.context ?? {};
    const base: CheckRequest = {
      subject: body.subject,
      action: '(search)',
      resource: body.resource,
      context,
    };
    const a = await attributesOf(resolution, [body.subject, body.resource], undefined, context, base);
    if (!a) {
      return {
        results: [],
        page: { next_token: '' },
        context: { complete: false, incomplete_reason: 'pip_error' },
      };
    }
    const subject = { type: body.subject.type, id: body.subject.id, attributes: a[0]! };
    const resource = { type: body.resource.type, id: body.resource.id, attributes: a[1]! };
    const results = await evaluator.batchCheck(
      names.map((action) => ({ subject, action, resource, context })),
      { explain: false },
    );
    const invalid = results.find((r) => r.code === 'invalid_request');
    if (invalid) throw new HttpError(400, 'invalid_request', safeMessage(invalid.reason.message));
    // A fail-closed error leaves the action out: say that the list may be incomplete.
    const failed = results.some((r) => !r.allowed && r.reason.outcome === 'error');
    return {
      results: names.filter((_, i) => results[i]?.allowed === true).map((name) => ({ name })),
      page: { next_token: '' },
      context: failed ? { complete: false, incomplete_reason: 'check_error' } : { complete: true },
    };
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
  // A PIP failure in a search: nothing listed, flagged incomplete (fail closed, never a 500).
  const pipFailedSearch = listed([], { cursor: null, complete: false, incompleteReason: 'pip_error' });

  const searchSubject = async (
    resolution: AttributeResolution,
    body: z.infer<typeof subjectSearchSchema>,
  ) => {
    const context = body.context ?? {};
    const probe = {
      subject: { type: body.subject.type, id: '(search)' },
      action: body.action.name,
      resource: body.resource,
    };
    const a = await attributesOf(resolution, [body.resource], body.action.name, context, probe);
    if (!a) return pipFailedSearch;
    const r = await evaluator.listSubjects({
      resource: { type: body.resource.type, id: body.resource.id, attributes: a[0]! },
      action: body.action.name,
      subjectType: body.subject.type,
      context,
      ...pageOptions(body.page),
    });
    // `{ type, id: '*' }` means every subject of the type except those in `excluded`.
    return listed(r.subjects, r, r.excluded.length > 0 ? { excluded: r.excluded } : {});
  };
  const searchResource = async (
    resolution: AttributeResolution,
    body: z.infer<typeof resourceSearchSchema>,
  ) => {
    const context = body.context ?? {};
    const probe = {
      subject: body.subject,
      action: body.action.name,
      resource: { type: body.resource.type, id: '(search)' },
    };
    const a = await attributesOf(resolution, [body.subject], body.action.name, context, probe);
    if (!a) return pipFailedSearch;
    const r = await evaluator.listResources({
      subject: { type: body.subject.type, id: body.subject.id, attributes: a[0]! },
      action: body.action.name,
      type: body.resource.type,
      context,
      ...pageOptions(body.page),
    });
    return listed(r.resources, r);
  };

  return { searchAction, searchSubject, searchResource };
}
