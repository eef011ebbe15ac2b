/**
 * {@link TupleIndex}: the synchronous in-memory tuple index behind {@link MemoryRelationshipStore}
 * and the evaluator's contextual tuples.
 *
 * Tuples are kept by object type, then object id, then relation (each level a `Map` keyed by the
 * names and ids themselves), with the userset-subject tuples of each `object#relation` kept apart,
 * and by subject. A check's reads therefore build no composite key for the object: the type and
 * relation names are the model's, the ids are the very strings of earlier tuples or the request,
 * and V8 hashes a string once. Only the subject key is composed, and the last two subjects asked
 * about (a check asks for one subject and its type wildcard) are remembered.
 *
 * @module
 */

import type { ObjectRef, RelationshipTuple, SubjectRef, TupleFilter } from '../relationship-store.js';
import { matchesFilter } from './tuple-filter.js';

// Subject keys: types and relations match NAME_PATTERN (no ':' or '#'), ids are free-form, so
// `type:id#relation-or-empty` splits at the first ':' and the last '#': no two subjects share one.
const subjectKey = (s: SubjectRef) => `${s.type}:${s.id}#${s.relation ?? ''}`;
// Object+relation keys of the by-subject index, same reasoning.
const objRelKey = (o: ObjectRef, relation: string) => `${o.type}:${o.id}#${relation}`;

interface SubjectMemo {
  readonly type: string;
  readonly id: string;
  readonly relation: string | undefined;
  readonly key: string;
}

/** Entries with at most this many tuples are a plain array (searched linearly); larger ones get a `Map`. */
const SMALL_ENTRY = 8;

const sameSubject = (a: SubjectRef, b: SubjectRef) =>
  a.id === b.id && a.type === b.type && (a.relation ?? undefined) === (b.relation ?? undefined);

/**
 * The tuples of one `object#relation`, in insertion order (a rewritten tuple keeps its place).
 * Small entries (most: a document has one parent) are just an array; past {@link SMALL_ENTRY}
 * tuples, a `Map` by subject key holds them and the array is rebuilt on the first read after a
 * change. The userset tuples are derived on demand. Arrays handed out are never changed
 * afterwards (copy on write), so a reader may keep iterating one while tuples are written.
 */
class RelationEntry {
  /** Small: the tuples. Large: a cache of `map`'s values, `undefined` after a change. */
  list: RelationshipTuple[] | undefined = [];
  map: Map<string, RelationshipTuple> | undefined;
  private usersetList: readonly RelationshipTuple[] | undefined;

  get size(): number {
    return this.map ? this.map.size : this.list!.length;
  }

  /** The tuple naming `subject` in a small entry. */
  find(subject: SubjectRef): RelationshipTuple | undefined {
    for (const t of this.list!) if (sameSubject(t.subject, subject)) return t;
    return undefined;
  }

  /** Adds or replaces the tuple of `t.subject` (key `sk`); `true` when it is new. */
  set(t: RelationshipTuple, sk: string): boolean {
    this.usersetList = undefined;
    if (this.map) {
      const fresh = !this.map.has(sk);
      this.map.set(sk, t);
      this.list = undefined;
      return fresh;
    }
    // Copy on write: an array handed out by `all()` stays a consistent snapshot.
    const list = this.list!;
    const at = list.findIndex((x) => sameSubject(x.subject, t.subject));
    if (at >= 0) {
      this.list = list.with(at, t);
      return false;
    }
    this.list = [...list, t];
    if (this.list.length > SMALL_ENTRY) this.map = new Map(this.list.map((x) => [subjectKey(x.subject), x]));
    return true;
  }

  /** Removes the tuple of `subject` (key `sk`); `true` when there was one. */
  delete(subject: SubjectRef, sk: string): boolean {
    this.usersetList = undefined;
    if (this.map) {
      if (!this.map.delete(sk)) return false;
      this.list = undefined;
      return true;
    }
    const at = this.list!.findIndex((x) => sameSubject(x.subject, subject));
    if (at < 0) return false;
    this.list = this.list!.toSpliced(at, 1);
    return true;
  }

  /** Every tuple, in order; shared, never to be modified. */
  all(): readonly RelationshipTuple[] {
    this.list ??= [...this.map!.values()];
    return this.list;
  }

  /** The userset-subject tuples, in order; shared, never to be modified. */
  usersets(): readonly RelationshipTuple[] {
    this.usersetList ??= this.all().filter((t) => t.subject.relation !== undefined);
    return this.usersetList;
  }
}

const NO_TUPLES: readonly RelationshipTuple[] = [];
const NO_MATCH: RelationshipTuple[] = [];

function freeze(tuple: RelationshipTuple): RelationshipTuple {
  return {
    object: { type: tuple.object.type, id: tuple.object.id },
    relation: tuple.relation,
    subject:
      tuple.subject.relation === undefined
        ? { type: tuple.subject.type, id: tuple.subject.id }
        : { type: tuple.subject.type, id: tuple.subject.id, relation: tuple.subject.relation },
    ...(tuple.condition
      ? {
          condition: {
            name: tuple.condition.name,
            ...(tuple.condition.context ? { context: { ...tuple.condition.context } } : {}),
          },
        }
      : {}),
  };
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = create();
    map.set(key, v);
  }
  return v;
}

/**
 * A synchronous tuple index: by object (type, id, relation; usersets kept apart) and by subject.
 * Shared by {@link MemoryRelationshipStore} and by the evaluator for contextual tuples. Tuples are
 * copied when added, so a caller's later changes to its objects change nothing here.
 */
export class TupleIndex {
  private readonly byObject = new Map<string, Map<string, Map<string, RelationEntry>>>();
  private readonly bySubject = new Map<string, Map<string, RelationshipTuple>>();
  private count = 0;
  // The last two subjects asked about, with their keys (a check alternates subject and wildcard).
  private last: SubjectMemo = { type: '', id: '', relation: undefined, key: '' };
  private prev: SubjectMemo = { type: '', id: '', relation: undefined, key: '' };
  private lastObjectType = '';
  private lastObjectId: string | undefined;
  private lastRelations: Map<string, RelationEntry> | undefined;

  /** Number of stored tuples. */
  get size(): number {
    return this.count;
  }

  /** Adds (or replaces) a tuple that has already been validated. */
  add(tuple: RelationshipTuple): void {
    this.forgetObject();
    const t = freeze(tuple);
    const sk = subjectKey(t.subject);
    const ids = getOrCreate(
      this.byObject,
      t.object.type,
      () => new Map<string, Map<string, RelationEntry>>(),
    );
    const relations = getOrCreate(ids, t.object.id, () => new Map<string, RelationEntry>());
    const entry = getOrCreate(relations, t.relation, () => new RelationEntry());
    if (entry.set(t, sk)) this.count++;
    getOrCreate(this.bySubject, sk, () => new Map()).set(objRelKey(t.object, t.relation), t);
  }

  /** Removes a tuple if present. */
  remove(tuple: RelationshipTuple): void {
    this.forgetObject();
    const ids = this.byObject.get(tuple.object.type);
    const relations = ids?.get(tuple.object.id);
    const entry = relations?.get(tuple.relation);
    const sk = subjectKey(tuple.subject);
    if (!entry?.delete(tuple.subject, sk)) return;
    this.count--;
    if (entry.size === 0) {
      relations!.delete(tuple.relation);
      if (relations!.size === 0) {
        ids!.delete(tuple.object.id);
        if (ids!.size === 0) this.byObject.delete(tuple.object.type);
      }
    }
    const bs = this.bySubject.get(sk);
    if (bs?.delete(objRelKey(tuple.object, tuple.relation)) && bs.size === 0) this.bySubject.delete(sk);
  }

  private entry(object: ObjectRef, relation: string): RelationEntry | undefined {
    return this.relationsOf(object)?.get(relation);
  }

  /** The relations of an object; the last object asked about is remembered (a check asks several in a row). */
  private relationsOf(object: ObjectRef): Map<string, RelationEntry> | undefined {
    const { type, id } = object;
    if (id === this.lastObjectId && type === this.lastObjectType) return this.lastRelations;
    const relations = this.byObject.get(type)?.get(id);
    this.lastObjectType = type;
    this.lastObjectId = id;
    this.lastRelations = relations;
    return relations;
  }

  /** Forgets the remembered object (its relations may have been created or removed). */
  private forgetObject(): void {
    this.lastObjectId = undefined;
    this.lastRelations = undefined;
  }

  /** The subject's key; the last two are remembered by value (ids are compared, not trusted). */
  private keyOf(subject: SubjectRef): string {
    const { type, id, relation } = subject;
    const last = this.last;
    if (last.id === id && last.type === type && last.relation === relation) return last.key;
    const prev = this.prev;
    if (prev.id === id && prev.type === type && prev.relation === relation) return prev.key;
    this.prev = last;
    this.last = { type, id, relation, key: subjectKey(subject) };
    return this.last.key;
  }

  /** The exact tuple, if any. O(1). */
  get(object: ObjectRef, relation: string, subject: SubjectRef): RelationshipTuple | undefined {
    const entry = this.entry(object, relation);
    if (!entry) return undefined;
    return entry.map ? entry.map.get(this.keyOf(subject)) : entry.find(subject);
  }

  /**
   * The tuples `object#r@subject` for each `r` of `relations`: by looking each one up, or, when
   * the subject has fewer tuples than there are relations, by scanning the subject's tuples.
   * Either way the cost is bounded by the number of relations asked about, not by the data.
   */
  tuplesFor(object: ObjectRef, relations: ReadonlySet<string>, subject: SubjectRef): RelationshipTuple[] {
    const onObject = this.relationsOf(object);
    if (!onObject) return NO_MATCH;
    const key = this.keyOf(subject);
    const held = this.bySubject.get(key);
    if (!held) return NO_MATCH;
    const out: RelationshipTuple[] = [];
    if (held.size < relations.size) {
      for (const t of held.values()) {
        if (t.object.id === object.id && t.object.type === object.type && relations.has(t.relation))
          out.push(t);
      }
    } else {
      for (const r of relations) {
        const entry = onObject.get(r);
        const t = entry && (entry.map ? entry.map.get(key) : entry.find(subject));
        if (t) out.push(t);
      }
    }
    return out;
  }

  /** Userset-subject tuples of one object+relation; the array is shared: do not modify it. */
  usersetsView(object: ObjectRef, relation: string): readonly RelationshipTuple[] {
    return this.entry(object, relation)?.usersets() ?? NO_TUPLES;
  }

  /** All tuples of one object+relation; the array is shared: do not modify it. */
  relationView(object: ObjectRef, relation: string): readonly RelationshipTuple[] {
    return this.entry(object, relation)?.all() ?? NO_TUPLES;
  }

  /** Userset-subject tuples of one object+relation. */
  usersetsOf(object: ObjectRef, relation: string): RelationshipTuple[] {
    return [...this.usersetsView(object, relation)];
  }

  /** All tuples of one object+relation. */
  relationOf(object: ObjectRef, relation: string): RelationshipTuple[] {
    return [...this.relationView(object, relation)];
  }

  /** Filtered read; indexed when the filter names an object id or a full subject. */
  read(filter: TupleFilter): RelationshipTuple[] {
    const { object, relation, subject } = filter;
    let candidates: Iterable<RelationshipTuple>;
    if (object?.id !== undefined && relation !== undefined) {
      candidates = this.relationView({ type: object.type, id: object.id }, relation);
    } else if (object?.id !== undefined) {
      const relations = this.byObject.get(object.type)?.get(object.id);
      candidates = relations ? [...relations.values()].flatMap((e) => [...e.all()]) : NO_TUPLES;
    } else if (subject?.id !== undefined) {
      candidates = this.bySubject.get(subjectKey({ ...subject, id: subject.id }))?.values() ?? NO_TUPLES;
    } else {
      candidates = this.all(object?.type);
    }
    const out: RelationshipTuple[] = [];
    for (const t of candidates) if (matchesFilter(t, filter)) out.push(t);
    return out;
  }

  private *all(type: string | undefined): Generator<RelationshipTuple> {
    const types = type === undefined ? this.byObject.values() : [this.byObject.get(type) ?? new Map()];
    for (const ids of types) {
      for (const relations of ids.values()) {
        for (const entry of relations.values()) yield* entry.all();
      }
    }
  }
}
