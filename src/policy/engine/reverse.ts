/**
 * Reverse queries: "which objects of this type may the subject do this action on?"
 * ({@link listResources}) and "which subjects of this type may do this action on the resource?"
 * ({@link listSubjects}), with opaque cursor pagination and an explicit completeness flag.
 *
 * Strategy: candidate generation through the store's indexes, then a `check` of every candidate.
 * Generation over-approximates (it ignores intersections, exclusions, denies and conditions) and
 * the check decides, so a listed result is always one that `check` allows (OWASP ASVS 5.0 8.2.2, 8.4.1) and the two
 * can never disagree.
 *
 * - `listResources` walks the model backwards from the subject: the tuples naming the subject or
 *   its type wildcard (`user:*`), then the usersets (`team:eng#member`) it is in, the relations
 *   computed from those and the children that inherit them (`viewer from parent`), restricted to
 *   the relations that can lead to `type#action`. Every read is an index read by subject.
 * - `listSubjects` walks forward from the resource through its direct tuples, usersets, computed
 *   relations and parents (every position, including exclusions and denies, so every subject a
 *   check could look at is seen). Every read is an index read by object and relation.
 *
 * Both walks go level by level: the reads of every node of a breadth-first level are planned in
 * node order and fetched together (one `readBatch`, so one query on PostgreSQL, per level; see
 * `ReadRound`), then the nodes are expanded in the same order, so the answer is the one a
 * node-by-node walk gives. On an asynchronous store the candidates are confirmed by concurrent
 * checks (see `confirm`); on a synchronous one with per-object reads (SQLite) the candidate checks
 * of one call share their store reads (see `object-reads.ts`), so the parents and teams most
 * candidates have in common are read once per call.
 *
 * Usersets and the wildcard as subjects, with OpenFGA's meaning (ListObjects with a userset or
 * `user:*` user; ListUsers with a `user_filters` relation): a `listResources` subject
 * `group:eng#member` starts the walk at its own node `group:eng#member` (a userset is a member of
 * itself), `user:*` at the tuples naming `user:*` only. `listSubjects` with a filter
 * `{ type: 'group', relation: 'member' }` lists the usersets `group:<id>#member` its forward walk
 * reaches (directly assigned, nested, through computed relations and parents, and the resource's
 * own `type:id#action` when it matches), each confirmed by a check with that userset as subject,
 * as `{ type, id, relation }`; such a filter has no wildcard and `excluded` is empty.
 *
 * Wildcards: `listSubjects` reports a type wildcard as `{ type, id: '*' }`, meaning "every
 * subject of this type that no tuple mentions is allowed" (decided by checking a probe subject
 * that appears in no tuple). Mentioned subjects are checked one by one: allowed ones are listed
 * explicitly too, denied ones (e.g. `user:*` but not `blocked`) are returned in `excluded`. So
 * subject `s` is allowed iff it is in `subjects`, or `'*'` is and `s` is not in `excluded`.
 * `listResources` includes the objects reachable through wildcard tuples.
 *
 * Completeness: `complete: false` whenever the answer may miss results: the call's `budget`
 * (store reads, and separately checks; default 10 000 each) ran out, the walk went deeper than the evaluator's
 * `maxDepth`, a candidate's check ended in `depth_exceeded`, `budget_exceeded`, `store_error` or
 * `internal_error`, or (listResources) the action can be granted without any tuple (a condition
 * leaf, e.g. `viewer: condition(is_public)`), so the objects cannot be enumerated from the indexes.
 * A candidate whose check fails for want of a condition input (a `context` parameter the request
 * did not give, or gave with the wrong type) refuses the whole query with a `ListQueryError`
 * (`ERR_MISSING_CONDITION_PARAMETER` / `ERR_INVALID_CONDITION_PARAMETER`) naming the condition
 * and the parameters, as OpenFGA's ListObjects does: the path it could not decide is never left
 * out of an answer called complete. Candidate checks get no attributes for the listed entities
 * (listResources' resources, listSubjects' subjects), so a condition on those attributes refuses
 * the query too. Other fail-closed denies the same `check` would give (a condition that throws, a
 * cycle in a negative position) are ordinary denies and do not make a result incomplete.
 *
 * Strict requests: an object type, relation or subject type (or subject relation) that the model
 * does not have is refused with `ERR_UNKNOWN_TYPE` / `ERR_UNKNOWN_RELATION`, as OpenFGA refuses
 * it (`type_not_found`, `relation_not_found`), never answered with an empty, complete list.
 * Results are ordered by id (UTF-16 code unit order); `cursor` is `null` on the last page.
 *
 * @module
 */

import { decodeCursor, encodeCursor, queryFingerprint } from '../cursor.js';
import { findRelation, isSafeName, type Rewrite } from '../model.js';
import { admittingRestriction, type ObjectRef, type RelationshipTuple } from '../relationship-store.js';
import {
  ListQueryError,
  type ListResourcesRequest,
  type ListResourcesResult,
  type ListSubjectsRequest,
  type ListSubjectsResult,
  type ReverseHost,
  WILDCARD_PROBE_ID,
} from '../reverse-types.js';
import { unknownRelation, unknownSubject } from './request-names.js';
import { allLeaves, analyze, key, positiveLeaves, relevantTo } from './reverse-model.js';
import { subjectFilterOf, validListSubject } from './reverse-subjects.js';
import {
  Completeness,
  common,
  confirm,
  INCOMPLETE_CODES,
  Reader,
  ReadRound,
  refuseUndecidedCondition,
  validEntity,
} from './reverse-support.js';

// ---------------------------------------------------------------------------------------------
// listResources

/**
 * The objects of `request.type` on which `request.subject` may perform `request.action`, one page
 * at a time. Every returned object is one `check` allows. Throws {@link ListQueryError} for a
 * malformed request, `InvalidCursorError` for a foreign cursor, and rethrows store failures.
 */
export async function listResources(
  host: ReverseHost,
  request: ListResourcesRequest,
): Promise<ListResourcesResult> {
  if (typeof request !== 'object' || request === null) throw new ListQueryError('request must be an object');
  const { subject, action, type } = request;
  if (!validListSubject(subject)) throw new ListQueryError('invalid subject');
  if (typeof action !== 'string' || typeof type !== 'string')
    throw new ListQueryError('invalid action or type');
  const opts = common(host, request);
  const fingerprint = queryFingerprint([
    'resources',
    subject.type,
    subject.id,
    action,
    type,
    ...(subject.relation === undefined ? [] : [`#${subject.relation}`]),
  ]);
  const after = request.cursor == null ? undefined : decodeCursor(request.cursor, 'resources', fingerprint);
  const target = isSafeName(action) && isSafeName(type) ? findRelation(host.model, type, action) : undefined;
  // Strict names: an unknown type or relation is refused, never answered with an empty list.
  const unknown = unknownRelation(host.model, type, action) ?? unknownSubject(host.model, subject);
  if (unknown || !target)
    throw new ListQueryError(unknown?.message ?? 'invalid action or type', unknown?.code);

  const { model } = host;
  const analysis = analyze(model);
  const relevant = relevantTo(model, type, action);
  const reader = new Reader(host.store, opts.contextual, opts.budget);
  const status = new Completeness();
  if (analysis.unbounded.has(key(type, action))) status.mark('unbounded');

  // Breadth-first walk over "the subject may be in object#relation" nodes.
  const seen = new Set<string>();
  const queue: Array<{ object: ObjectRef; relation: string; depth: number }> = [];
  const candidates = new Set<string>();
  const addNode = (object: ObjectRef, relation: string, depth: number) => {
    if (!relevant.has(key(object.type, relation))) return;
    const k = `${object.type}:${object.id}#${relation}`;
    if (seen.has(k)) return;
    seen.add(k);
    if (object.type === type && relation === action) candidates.add(object.id);
    if (depth > host.maxDepth) {
      status.mark('depth_exceeded');
      return;
    }
    queue.push({ object: { type: object.type, id: object.id }, relation, depth });
  };
  const admitted = (t: RelationshipTuple) => {
    const rel = findRelation(model, t.object.type, t.relation);
    return rel !== undefined && admittingRestriction(rel.directly, t) !== undefined;
  };
  // Usersets `type#relation` and parent links `type` that relevant relations accept.
  const usersetRefs = new Set<string>();
  const parentTypes = new Set<string>();
  for (const k of relevant) {
    const [t, r] = k.split('#') as [string, string];
    const rel = findRelation(model, t, r)!;
    for (const d of rel.directly) if (d.relation !== undefined) usersetRefs.add(key(d.type, d.relation));
    for (const leaf of positiveLeaves(rel.rewrite)) {
      if (!('tupleToUserset' in leaf)) continue;
      for (const d of findRelation(model, t, leaf.tupleToUserset.tupleset)?.directly ?? []) {
        parentTypes.add(key(d.type, leaf.tupleToUserset.computed));
      }
    }
  }

  if (subject.relation !== undefined) {
    // A userset subject starts at itself: it is a member of its own userset (see `check`).
    addNode({ type: subject.type, id: subject.id }, subject.relation, 1);
  } else {
    // A plain subject is in the tuples naming it or its type wildcard; `type:*` only in its own.
    const first = new ReadRound(reader);
    const ids = subject.id === '*' ? ['*'] : [subject.id, '*'];
    const slots = ids.map((id) => first.plan({ kind: 'subject', subject: { type: subject.type, id } }));
    await first.fetch();
    for (const slot of slots) {
      for (const t of first.answer(slot) ?? []) if (admitted(t)) addNode(t.object, t.relation, 1);
    }
  }
  // A parent's tuples (read by subject) per `type:id`: -1 when the budget had run out.
  const asParent = new Map<string, { round: ReadRound; slot: number }>();
  for (let i = 0; i < queue.length && !reader.exhausted; ) {
    // One breadth-first level: the nodes queued so far. Plan their reads, in node order.
    const round = new ReadRound(reader);
    const planned: Array<{ usersets: number | undefined; parent: string | undefined }> = [];
    for (let j = i; j < queue.length && !reader.exhausted; j++) {
      const { object, relation } = queue[j]!;
      let usersets: number | undefined;
      if (usersetRefs.has(key(object.type, relation))) {
        usersets = round.plan({ kind: 'subject', subject: { type: object.type, id: object.id, relation } });
      }
      let parent: string | undefined;
      if (parentTypes.has(key(object.type, relation))) {
        parent = `${object.type}:${object.id}`;
        if (!asParent.has(parent)) {
          asParent.set(parent, { round, slot: round.plan({ kind: 'subject', subject: object }) });
        }
      }
      planned.push({ usersets, parent });
    }
    await round.fetch();
    // Expand the level's nodes in order (the ones queued now form the next level).
    for (const { usersets, parent } of planned) {
      const { object, relation, depth } = queue[i++]!;
      for (const s of analysis.computedBy.get(key(object.type, relation)) ?? []) {
        addNode(object, s, depth + 1);
      }
      for (const t of usersets === undefined ? [] : (round.answer(usersets) ?? [])) {
        if (admitted(t)) addNode(t.object, t.relation, depth + 1);
      }
      if (parent !== undefined) {
        const read = asParent.get(parent)!;
        for (const t of read.round.answer(read.slot) ?? []) {
          if (!admitted(t)) continue;
          for (const use of analysis.ttuBy.get(key(t.object.type, t.relation)) ?? []) {
            if (use.computed === relation) addNode(t.object, use.relation, depth + 1);
          }
        }
      }
    }
  }
  if (reader.exhausted) status.mark('budget_exceeded');

  const decide = host.checkSync ?? host.check;
  const page = await confirm(
    reader,
    status,
    [...candidates],
    after,
    opts.pageSize,
    (id) =>
      decide({
        subject,
        action,
        resource: { type, id },
        ...(request.context ? { context: request.context } : {}),
        ...(request.contextualTuples ? { contextualTuples: request.contextualTuples } : {}),
      }),
    host.checkSync === undefined,
  );
  return {
    resources: page.allowed.map((id) => ({ type, id })),
    cursor: page.next === undefined ? null : encodeCursor('resources', fingerprint, page.next),
    complete: status.reason === undefined,
    ...(status.reason ? { incompleteReason: status.reason } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// listSubjects

/**
 * The subjects of `request.subjectType` that may perform `request.action` on `request.resource`,
 * one page at a time, with the type wildcard as `{ type, id: '*' }` (see the module doc). Every
 * listed subject is one `check` allows. Throws like {@link listResources}.
 */
export async function listSubjects(
  host: ReverseHost,
  request: ListSubjectsRequest,
): Promise<ListSubjectsResult> {
  if (typeof request !== 'object' || request === null) throw new ListQueryError('request must be an object');
  const { resource, action } = request;
  if (!validEntity(resource)) throw new ListQueryError('invalid resource');
  if (typeof action !== 'string') throw new ListQueryError('invalid action or subjectType');
  // `user`, or the usersets `group:<id>#member` of `{ type: 'group', relation: 'member' }`.
  const { type: subjectType, relation: subjectRelation } = subjectFilterOf(request);
  const opts = common(host, request);
  const fingerprint = queryFingerprint([
    'subjects',
    resource.type,
    resource.id,
    action,
    subjectType,
    ...(subjectRelation === undefined ? [] : [`#${subjectRelation}`]),
  ]);
  const after = request.cursor == null ? undefined : decodeCursor(request.cursor, 'subjects', fingerprint);
  const target = isSafeName(action) ? findRelation(host.model, resource.type, action) : undefined;
  const unknown =
    unknownRelation(host.model, resource.type, action) ??
    unknownSubject(host.model, { type: subjectType, relation: subjectRelation });
  if (unknown || !target) {
    throw new ListQueryError(unknown?.message ?? 'invalid action or subjectType', unknown?.code);
  }

  const { model } = host;
  const reader = new Reader(host.store, opts.contextual, opts.budget);
  const status = new Completeness();
  const seen = new Set<string>();
  const queue: Array<{ object: ObjectRef; relation: string; depth: number }> = [];
  const candidates = new Set<string>();
  const addNode = (object: ObjectRef, relation: string, depth: number) => {
    if (!findRelation(model, object.type, relation)) return;
    const k = `${object.type}:${object.id}#${relation}`;
    if (seen.has(k)) return;
    seen.add(k);
    // A userset the walk reaches is a candidate, the resource's own `type:id#action` included
    // (OpenFGA's ListUsers returns the usersets it expands into that match the filter).
    if (relation === subjectRelation && object.type === subjectType) candidates.add(object.id);
    if (depth > host.maxDepth) {
      status.mark('depth_exceeded');
      return;
    }
    queue.push({ object: { type: object.type, id: object.id }, relation, depth });
  };
  addNode({ type: resource.type, id: resource.id }, action, 1);
  for (let i = 0; i < queue.length && !reader.exhausted; ) {
    // One breadth-first level: plan the reads of its nodes in node order, then fetch them at once.
    const round = new ReadRound(reader);
    const planned: Array<{ leaves: Rewrite[]; slots: Map<string, number> }> = [];
    for (let j = i; j < queue.length && !reader.exhausted; j++) {
      const { object, relation } = queue[j]!;
      const rel = findRelation(model, object.type, relation)!;
      const leaves = allLeaves(rel.rewrite);
      if (rel.deny) allLeaves(rel.deny, leaves);
      // The relations this node reads (its own for `this`, the tupleset's), in leaf order, once each.
      const slots = new Map<string, number>();
      for (const leaf of leaves) {
        const r =
          'this' in leaf ? relation : 'tupleToUserset' in leaf ? leaf.tupleToUserset.tupleset : undefined;
        if (r !== undefined && !slots.has(r)) {
          slots.set(r, round.plan({ kind: 'relation', object, relation: r }));
        }
      }
      planned.push({ leaves, slots });
    }
    await round.fetch();
    for (const { leaves, slots } of planned) {
      const { object, relation, depth } = queue[i++]!;
      const read = (r: string) => round.answer(slots.get(r)!) ?? [];
      for (const leaf of leaves) {
        if ('this' in leaf) {
          for (const t of read(relation)) {
            const s = t.subject;
            if (s.relation !== undefined) addNode({ type: s.type, id: s.id }, s.relation, depth + 1);
            else if (s.type === subjectType && s.id !== '*' && subjectRelation === undefined) {
              candidates.add(s.id);
            }
          }
        } else if ('computed' in leaf) addNode(object, leaf.computed, depth + 1);
        else if ('tupleToUserset' in leaf) {
          for (const t of read(leaf.tupleToUserset.tupleset)) {
            const s = t.subject;
            if (s.relation === undefined && s.id !== '*') {
              addNode({ type: s.type, id: s.id }, leaf.tupleToUserset.computed, depth + 1);
            }
          }
        }
      }
    }
  }
  if (reader.exhausted) status.mark('budget_exceeded');

  const decide = host.checkSync ?? host.check;
  const checkAs = (id: string) =>
    decide({
      subject:
        subjectRelation === undefined
          ? { type: subjectType, id }
          : { type: subjectType, id, relation: subjectRelation },
      action,
      resource,
      ...(request.context ? { context: request.context } : {}),
      ...(request.contextualTuples ? { contextualTuples: request.contextualTuples } : {}),
    });
  // The wildcard: a subject no tuple mentions. Every unmentioned subject is decided like it.
  // A userset filter has no wildcard (there is no `group:*#member`), so nothing to probe.
  let wildcard = false;
  if (subjectRelation !== undefined) wildcard = false;
  else if (reader.spendCheck()) {
    const probe = await checkAs(WILDCARD_PROBE_ID);
    wildcard = probe.allowed;
    refuseUndecidedCondition(probe);
    if (!probe.allowed && INCOMPLETE_CODES.has(probe.code)) status.mark('check_error');
  } else status.mark('budget_exceeded');
  candidates.delete(WILDCARD_PROBE_ID);
  if (wildcard) candidates.add('*');

  const page = await confirm(
    reader,
    status,
    [...candidates],
    after,
    opts.pageSize,
    (id) => (id === '*' ? ('allowed' as const) : checkAs(id)),
    host.checkSync === undefined,
  );
  return {
    subjects: page.allowed.map((id) =>
      subjectRelation === undefined
        ? { type: subjectType, id }
        : { type: subjectType, id, relation: subjectRelation },
    ),
    excluded: wildcard ? page.denied.map((id) => ({ type: subjectType, id })) : [],
    cursor: page.next === undefined ? null : encodeCursor('subjects', fingerprint, page.next),
    complete: status.reason === undefined,
    ...(status.reason ? { incompleteReason: status.reason } : {}),
  };
}
