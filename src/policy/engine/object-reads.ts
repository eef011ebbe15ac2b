/**
 * {@link ObjectReads}: the check reads of synchronous walks over a store that can read every
 * tuple of an object at once ({@link SyncTupleReader.readObject}, e.g. SQLite). A walk asks
 * several questions about each object it visits (the direct tuple, the wildcard tuple, the
 * usersets of a relation, the relations it is computed from, its parents); here the first one
 * reads the object's tuples with one query and the others are answered from them, so a check
 * costs one query per object instead of one per question. An object with more than
 * {@link OBJECT_READ_LIMIT} tuples is read question by question, as before, so a large object
 * (an application with thousands of role assignments) never costs more than that limit.
 *
 * A type whose objects keep coming out over the limit is read question by question straight
 * away (see {@link WideTypes}), so a check does not spend a query on each such object to learn it.
 *
 * Two lifetimes, chosen by the evaluator (see {@link syncReadsFor}):
 * - one check: the object's tuples live as long as its walk, so a check never sees data older
 *   than its own start;
 * - one list query: the candidate checks of one `listResources` / `listSubjects` call share one
 *   `ObjectReads`, so the folders, teams and parents that most candidates have in common are read
 *   once per query rather than once per candidate (the answers of a large object's questions are
 *   kept too). The query then decides on the data as it was when each object was first read
 *   during the query. Budgets, depth and memo stay per check: only store answers are shared.
 *
 * The answers are the store's own: the tuples of `object#relation` in the order `readRelation`
 * gives them (the store guarantees that `readObject` lists each relation's tuples in that order).
 *
 * @module
 */

import type { ObjectRef, RelationshipTuple, SubjectRef, SyncTupleReader } from '../relationship-store.js';
import { StoreFailure, subjectKey, syncReads, type TupleReads } from './tuple-reads.js';

/** The most tuples of one object read at once; an object with more is read question by question. */
export const OBJECT_READ_LIMIT = 4;

type ObjectReader = SyncTupleReader & Required<Pick<SyncTupleReader, 'readObject'>>;

/** Where the synchronous walks of the evaluator get their reads. */
export interface SyncReadSource {
  /** The reads of one check. */
  readonly check: () => TupleReads;
  /** The reads shared by the candidate checks of one list query. */
  readonly query: () => TupleReads;
}

/**
 * The reads for synchronous walks over `reader`: with `readObject`, a fresh {@link ObjectReads}
 * per check (and one per list query); without it, one stateless reader shared by every walk.
 */
export function syncReadsFor(reader: SyncTupleReader): SyncReadSource {
  if (reader.readObject) {
    const objects = reader as ObjectReader;
    const wide = new WideTypes();
    return {
      check: () => new ObjectReads(objects, 0, wide),
      query: () => new ObjectReads(objects, QUERY_ANSWERS, wide),
    };
  }
  // Without per-object reads (the memory store, whose reads are integer lookups), a cache keyed
  // by strings costs more than it saves: every check reads the store.
  const shared = syncReads(reader);
  const same = () => shared;
  return { check: same, query: same };
}

/** Objects remembered by one check's walk (the most recent ones; a deep walk may read one again). */
const REMEMBERED = 32;
/** Objects (and answers about larger objects) remembered by one list query's checks. */
const QUERY_ANSWERS = 8192;

/** Objects of one type found over the limit in a row, after which that type is read question by question. */
const WIDE_AFTER = 8;
/** How often a type read question by question is read whole again, to notice that it changed. */
const PROBE_EVERY = 64;

/**
 * The types whose objects were over the limit the last {@link WIDE_AFTER} times (teams with many
 * members, say), shared by the walks of one evaluator. Reading such an object whole only to learn
 * that it is too large costs a query; so it is read question by question at once, as it would be
 * after that query, except every {@link PROBE_EVERY}th time. Only the number of queries depends on
 * this: the answers are the store's either way.
 */
export class WideTypes {
  private readonly streak = new Map<string, number>();

  /** `true` when an object of `type` should be read question by question without trying. */
  skip(type: string): boolean {
    const n = this.streak.get(type);
    if (n === undefined || n < WIDE_AFTER) return false;
    this.streak.set(type, n + 1);
    return (n + 1 - WIDE_AFTER) % PROBE_EVERY !== 0;
  }

  /** Records whether an object of `type` was over the limit. */
  note(type: string, wide: boolean): void {
    if (wide) this.streak.set(type, (this.streak.get(type) ?? 0) + 1);
    else this.streak.delete(type);
  }
}

interface Remembered {
  readonly type: string;
  readonly id: string;
  /** Its tuples, or `undefined` when it has more than the limit. */
  readonly tuples: readonly RelationshipTuple[] | undefined;
}

// Types and relations are safe names (no `:`, `#`, `@`); ids are free-form, so they are
// length-prefixed: no two distinct questions share a key.
const objectKey = (o: ObjectRef) => `${o.type}:${o.id.length}:${o.id}`;

const sameSubject = (t: RelationshipTuple, s: SubjectRef) =>
  t.subject.id === s.id && t.subject.type === s.type && t.subject.relation === s.relation;

/**
 * The reads of one walk (or of the checks of one list query, with a `capacity`), one
 * `readObject` per object visited.
 */
export class ObjectReads implements TupleReads {
  private readonly seen: Remembered[] = [];
  private next = 0;
  /** With a capacity: objects by key, and the answers about objects over the limit. */
  private readonly objects: Map<string, readonly RelationshipTuple[] | undefined> | undefined;
  private readonly answers: Map<string, unknown> | undefined;
  readonly tuples: TupleReads['tuples'];

  /**
   * `capacity`: remember up to that many objects (and as many answers about larger objects) for
   * the reader's whole life, instead of the last few of one walk.
   */
  constructor(
    private readonly reader: ObjectReader,
    private readonly capacity = 0,
    private readonly wide = new WideTypes(),
  ) {
    if (capacity > 0) {
      this.objects = new Map();
      this.answers = new Map();
    }
    const many = reader.readTuples?.bind(reader);
    this.tuples = many
      ? (object, relations, subject) => {
          // A role union is one read already: answered from the object only when it is at hand.
          const all = this.remembered(object);
          if (all !== undefined)
            return all.filter((t) => relations.has(t.relation) && sameSubject(t, subject));
          if (!this.answers) return guard(() => many(object, relations, subject));
          const k = `n${objectKey(object)}@${subjectKey(subject)}#${[...relations].join(',')}`;
          return this.ask(k, () => many(object, relations, subject));
        }
      : undefined;
  }

  tuple(object: ObjectRef, relation: string, subject: SubjectRef): RelationshipTuple | undefined {
    const all = this.objectTuples(object);
    if (all !== undefined) return all.find((t) => t.relation === relation && sameSubject(t, subject));
    const read = () => this.reader.readTuple(object, relation, subject);
    if (!this.answers) return guard(read);
    return this.ask(`t${objectKey(object)}#${relation}@${subjectKey(subject)}`, read);
  }

  usersets(object: ObjectRef, relation: string): readonly RelationshipTuple[] {
    const all = this.objectTuples(object);
    if (all !== undefined)
      return all.filter((t) => t.relation === relation && t.subject.relation !== undefined);
    const read = () => this.reader.readUsersets(object, relation);
    if (!this.answers) return guard(read);
    return this.ask(`u${objectKey(object)}#${relation}`, read);
  }

  relation(object: ObjectRef, relation: string): readonly RelationshipTuple[] {
    const all = this.objectTuples(object);
    if (all !== undefined) return all.filter((t) => t.relation === relation);
    const read = () => this.reader.readRelation(object, relation);
    if (!this.answers) return guard(read);
    return this.ask(`r${objectKey(object)}#${relation}`, read);
  }

  /** A question about an object over the limit, answered once per query (capacity permitting). */
  private ask<T>(k: string, read: () => T): T {
    const answers = this.answers!;
    if (answers.has(k)) return answers.get(k) as T;
    const answer = guard(read);
    if (answers.size < this.capacity) answers.set(k, answer);
    return answer;
  }

  /** The object's tuples if already read, else `undefined`. */
  private remembered(object: ObjectRef): readonly RelationshipTuple[] | undefined {
    if (this.objects) return this.objects.get(objectKey(object));
    const { type, id } = object;
    for (const r of this.seen) if (r.id === id && r.type === type) return r.tuples;
    return undefined;
  }

  /** The object's tuples, or `undefined` when it has too many (or is of a wide type). */
  private readWhole(object: ObjectRef): readonly RelationshipTuple[] | undefined {
    if (this.wide.skip(object.type)) return undefined;
    const tuples = guard(() => this.reader.readObject(object, OBJECT_READ_LIMIT));
    this.wide.note(object.type, tuples === undefined);
    return tuples;
  }

  /** The object's tuples (read once), or `undefined` when it has too many. */
  private objectTuples(object: ObjectRef): readonly RelationshipTuple[] | undefined {
    const { objects } = this;
    if (objects) {
      const k = objectKey(object);
      if (objects.has(k)) return objects.get(k);
      const tuples = this.readWhole(object);
      if (objects.size < this.capacity) objects.set(k, tuples);
      return tuples;
    }
    const { type, id } = object;
    for (const r of this.seen) if (r.id === id && r.type === type) return r.tuples;
    const tuples = this.readWhole(object);
    const entry: Remembered = { type, id, tuples };
    if (this.seen.length < REMEMBERED) this.seen.push(entry);
    else {
      this.seen[this.next] = entry;
      this.next = (this.next + 1) % REMEMBERED;
    }
    return tuples;
  }
}

/** Runs a store read; any throw becomes a {@link StoreFailure} (a `store_error` deny). */
function guard<T>(read: () => T): T {
  try {
    return read();
  } catch {
    throw new StoreFailure();
  }
}
