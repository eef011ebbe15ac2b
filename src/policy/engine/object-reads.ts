/**
 * {@link ObjectReads}: the check reads of one synchronous walk over a store that can read every
 * tuple of an object at once ({@link SyncTupleReader.readObject}, e.g. SQLite). A walk asks
 * several questions about each object it visits (the direct tuple, the wildcard tuple, the
 * usersets of a relation, the relations it is computed from, its parents); here the first one
 * reads the object's tuples with one query and the others are answered from them, so a check
 * costs one query per object instead of one per question. An object with more than
 * {@link OBJECT_READ_LIMIT} tuples is read question by question, as before, so a large object
 * (an application with thousands of role assignments) never costs more than that limit.
 *
 * The object's tuples live only as long as the walk (one check), so a check never sees data
 * older than its own start. The answers are the store's own: the tuples of `object#relation` in
 * the order `readRelation` gives them (the store guarantees that `readObject` lists each
 * relation's tuples in that order).
 *
 * @module
 */

import type { ObjectRef, RelationshipTuple, SubjectRef, SyncTupleReader } from '../relationship-store.js';
import { StoreFailure, syncReads, type TupleReads } from './tuple-reads.js';

/** The most tuples of one object read at once; an object with more is read question by question. */
export const OBJECT_READ_LIMIT = 4;

type ObjectReader = SyncTupleReader & Required<Pick<SyncTupleReader, 'readObject'>>;

/**
 * The reads for each synchronous walk over `reader`: a fresh {@link ObjectReads} per walk when the
 * reader has `readObject`, else one stateless reader shared by every walk.
 */
export function syncReadsFor(reader: SyncTupleReader): () => TupleReads {
  if (reader.readObject) {
    const objects = reader as ObjectReader;
    return () => new ObjectReads(objects);
  }
  const shared = syncReads(reader);
  return () => shared;
}

/** Objects remembered by one walk (the most recent ones; a deep walk may read one again). */
const REMEMBERED = 32;

interface Remembered {
  readonly type: string;
  readonly id: string;
  /** Its tuples, or `undefined` when it has more than the limit. */
  readonly tuples: readonly RelationshipTuple[] | undefined;
}

const sameSubject = (t: RelationshipTuple, s: SubjectRef) =>
  t.subject.id === s.id && t.subject.type === s.type && t.subject.relation === s.relation;

/** The reads of one walk, one `readObject` per object visited. Create one per check. */
export class ObjectReads implements TupleReads {
  private readonly seen: Remembered[] = [];
  private next = 0;
  readonly tuples: TupleReads['tuples'];

  constructor(private readonly reader: ObjectReader) {
    const many = reader.readTuples?.bind(reader);
    this.tuples = many
      ? (object, relations, subject) => {
          // A role union is one read already: answered from the object only when it is at hand.
          const all = this.remembered(object);
          if (all === undefined) return guard(() => many(object, relations, subject));
          return all.filter((t) => relations.has(t.relation) && sameSubject(t, subject));
        }
      : undefined;
  }

  tuple(object: ObjectRef, relation: string, subject: SubjectRef): RelationshipTuple | undefined {
    const all = this.objectTuples(object);
    if (all === undefined) return guard(() => this.reader.readTuple(object, relation, subject));
    return all.find((t) => t.relation === relation && sameSubject(t, subject));
  }

  usersets(object: ObjectRef, relation: string): readonly RelationshipTuple[] {
    const all = this.objectTuples(object);
    if (all === undefined) return guard(() => this.reader.readUsersets(object, relation));
    return all.filter((t) => t.relation === relation && t.subject.relation !== undefined);
  }

  relation(object: ObjectRef, relation: string): readonly RelationshipTuple[] {
    const all = this.objectTuples(object);
    if (all === undefined) return guard(() => this.reader.readRelation(object, relation));
    return all.filter((t) => t.relation === relation);
  }

  /** The object's tuples if this walk has read them, else `undefined`. */
  private remembered(object: ObjectRef): readonly RelationshipTuple[] | undefined {
    const { type, id } = object;
    for (const r of this.seen) if (r.id === id && r.type === type) return r.tuples;
    return undefined;
  }

  /** The object's tuples (read once per walk), or `undefined` when it has too many. */
  private objectTuples(object: ObjectRef): readonly RelationshipTuple[] | undefined {
    const { type, id } = object;
    for (const r of this.seen) if (r.id === id && r.type === type) return r.tuples;
    const tuples = guard(() => this.reader.readObject(object, OBJECT_READ_LIMIT));
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
