/**
 * Relationship tuples (`folder:1#viewer@team:eng#member`) and where they live.
 *
 * {@link RelationshipStore} is the interface the evaluator reads through; the engine only ever
 * asks indexed questions (one object + relation, optionally one subject), never "all tuples", so
 * a check does not grow with the number of stored tuples. {@link MemoryRelationshipStore} is the
 * in-memory implementation; SQLite and PostgreSQL implementations follow the same contract.
 *
 * @module
 */

import { CompactTupleIndex } from './engine/compact-tuple-index.js';
import { type CompiledModel, type DirectSubjectType, isSafeName } from './model.js';

export { TupleIndex } from './engine/tuple-index.js';

/** An object: `{ type: 'folder', id: '1' }`. */
export interface ObjectRef {
  readonly type: string;
  readonly id: string;
}

/**
 * The subject of a tuple: an object (`user:anne`), a type wildcard (`user:*`, id `'*'`) or a
 * userset (`team:eng#member`, with `relation`).
 */
export interface SubjectRef {
  readonly type: string;
  readonly id: string;
  readonly relation?: string;
}

/** A relationship tuple, optionally guarded by a named condition with stored context. */
export interface RelationshipTuple {
  readonly object: ObjectRef;
  readonly relation: string;
  readonly subject: SubjectRef;
  readonly condition?: { readonly name: string; readonly context?: Readonly<Record<string, unknown>> };
}

/** A read filter; every field present must match. `object.id` / `subject.id` may be left out. */
/**
 * A filter of {@link RelationshipStore.read}; every given field must match. A `subject` with an
 * `id` matches exactly that subject: without `relation` only the plain subject (`team:eng`, never
 * the userset `team:eng#member`), with `relation` only that userset. A `subject` with only a
 * `type` matches every subject of the type.
 */
export interface TupleFilter {
  readonly object?: { readonly type: string; readonly id?: string };
  readonly relation?: string;
  readonly subject?: { readonly type: string; readonly id?: string; readonly relation?: string };
}

/**
 * Storage of relationship tuples. `write` and `delete` are atomic per batch: either every tuple
 * of the batch is applied or none is (a malformed tuple rejects the whole batch). Writing a tuple
 * that exists (same object, relation and subject) replaces its condition; deleting a missing one
 * is a no-op.
 */
export interface RelationshipStore {
  /** Writes a batch atomically (all or none); an existing tuple gets the new condition. A tuple the model does not admit rejects the batch with `TupleValidationError`. */
  write(tuples: readonly RelationshipTuple[]): Promise<void>;
  /** Deletes a batch atomically; a tuple that is not stored is skipped. */
  delete(tuples: readonly RelationshipTuple[]): Promise<void>;
  /** Admin/listing read. With `object` (type+id) or a full `subject` it is indexed; otherwise it scans. */
  read(filter: TupleFilter): Promise<RelationshipTuple[]>;
  /** The one tuple `object#relation@subject`, if written. Used by checks for direct and wildcard grants. */
  readTuple(object: ObjectRef, relation: string, subject: SubjectRef): Promise<RelationshipTuple | undefined>;
  /** Every tuple of `object#relation` whose subject is a userset (`team:x#member`). */
  readUsersets(object: ObjectRef, relation: string): Promise<RelationshipTuple[]>;
  /** Every tuple of `object#relation` (e.g. the parents of a folder for `viewer from parent`). */
  readRelation(object: ObjectRef, relation: string): Promise<RelationshipTuple[]>;
  /**
   * Optional: several reads answered at once (one query for a database store). `result[i]` is the
   * answer to `reads[i]`, exactly what the individual read gives (see {@link TupleRead} and
   * `readEach`); it rejects as a whole when the reads cannot be answered. When present, the
   * evaluator over an asynchronous store fetches each round of a check with one call, and the
   * reverse queries fetch the reads of a whole breadth-first level with one call, instead of one
   * read per tuple (a round trip each).
   */
  readBatch?(reads: readonly TupleRead[]): Promise<RelationshipTuple[][]>;
  /**
   * Optional synchronous versions of the three check reads, for stores that answer without I/O
   * (the memory store; an embedded database with a synchronous driver). When present, `check`
   * walks the relation graph without one `await` per step. They must answer exactly like the
   * async reads.
   */
  readonly sync?: SyncTupleReader;
}

/**
 * One read of {@link RelationshipStore.readBatch}, answered as a list of tuples:
 * - `tuple`: `readTuple(object, relation, subject)`, as a list of zero or one tuple;
 * - `usersets`: `readUsersets(object, relation)`;
 * - `relation`: `readRelation(object, relation)`;
 * - `subject`: `read({ subject })`, the tuples whose subject is exactly `subject` (without a
 *   `relation`, the plain subject only), as the reverse queries ask.
 */
export type TupleRead =
  | {
      readonly kind: 'tuple';
      readonly object: ObjectRef;
      readonly relation: string;
      readonly subject: SubjectRef;
    }
  | { readonly kind: 'usersets' | 'relation'; readonly object: ObjectRef; readonly relation: string }
  | { readonly kind: 'subject'; readonly subject: SubjectRef };

/**
 * Answers `reads` with the store's individual reads: what {@link RelationshipStore.readBatch} must
 * give, for a store without it (and to test one that has it).
 */
export async function readEach(
  store: RelationshipStore,
  reads: readonly TupleRead[],
): Promise<RelationshipTuple[][]> {
  return Promise.all(
    reads.map(async (read): Promise<RelationshipTuple[]> => {
      switch (read.kind) {
        case 'tuple': {
          const tuple = await store.readTuple(read.object, read.relation, read.subject);
          return tuple ? [tuple] : [];
        }
        case 'usersets':
          return store.readUsersets(read.object, read.relation);
        case 'relation':
          return store.readRelation(read.object, read.relation);
        default:
          return store.read({ subject: read.subject });
      }
    }),
  );
}

/** Reads answered without a promise, each in a fresh array: what a store's own `readBatch` runs on. */
export interface BatchReads {
  tuple(object: ObjectRef, relation: string, subject: SubjectRef): RelationshipTuple | undefined;
  usersets(object: ObjectRef, relation: string): RelationshipTuple[];
  relation(object: ObjectRef, relation: string): RelationshipTuple[];
  subject(subject: SubjectRef): RelationshipTuple[];
}

/**
 * A synchronous store's {@link RelationshipStore.readBatch}: each read answered, in order, as its
 * individual read answers it (see {@link readEach}); throws a `TypeError` for anything else.
 */
export function answerBatch(reads: readonly TupleRead[], r: BatchReads): RelationshipTuple[][] {
  if (!Array.isArray(reads)) throw new TypeError('readBatch takes an array of reads');
  return reads.map((read): RelationshipTuple[] => {
    switch (read.kind) {
      case 'tuple': {
        const tuple = r.tuple(read.object, read.relation, read.subject);
        return tuple ? [tuple] : [];
      }
      case 'usersets':
        return r.usersets(read.object, read.relation);
      case 'relation':
        return r.relation(read.object, read.relation);
      case 'subject':
        return r.subject(read.subject);
      default:
        throw new TypeError(`unknown read kind ${JSON.stringify((read as { kind?: unknown }).kind)}`);
    }
  });
}

/**
 * The check reads of a {@link RelationshipStore}, answered synchronously. Returned arrays are read
 * at once and never modified or kept, so an implementation may hand out arrays it shares.
 */
export interface SyncTupleReader {
  /** As {@link RelationshipStore.readTuple}. */
  readTuple(object: ObjectRef, relation: string, subject: SubjectRef): RelationshipTuple | undefined;
  /** As {@link RelationshipStore.readUsersets}. */
  readUsersets(object: ObjectRef, relation: string): readonly RelationshipTuple[];
  /** As {@link RelationshipStore.readRelation}. */
  readRelation(object: ObjectRef, relation: string): readonly RelationshipTuple[];
  /**
   * Optional: the tuples `object#r@subject` for every `r` of `relations`, in any order — what
   * `readTuple` would give for each, in one call. Used for unions of role relations ("which of
   * these roles does the subject hold here?").
   */
  readTuples?(
    object: ObjectRef,
    relations: ReadonlySet<string>,
    subject: SubjectRef,
  ): readonly RelationshipTuple[];
  /**
   * Optional: every tuple of `object` (all its relations), or `undefined` when it has more than
   * `limit`. Each relation's tuples must come in the order `readRelation` gives them. When present,
   * a check reads each object it visits once (one query on a database) and answers its other
   * questions about that object from those tuples, for the duration of that check only.
   */
  readObject?(object: ObjectRef, limit: number): readonly RelationshipTuple[] | undefined;
}

/** Thrown when a tuple is malformed or violates the model's type restrictions; the batch is not applied. */
export class TupleValidationError extends Error {
  /** Index of the offending tuple in the batch. */
  readonly index: number;
  constructor(index: number, message: string) {
    super(`tuple ${index}: ${message}`);
    this.name = 'TupleValidationError';
    this.index = index;
  }
}

/** Longest accepted object/subject id. */
export const MAX_ID_LENGTH = 512;

function validId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH;
}

/**
 * Checks a tuple's shape: safe type/relation/condition names, non-empty ids of bounded length, an
 * object id that is not `*`, and a wildcard subject without a relation. Returns an error message
 * or `undefined`. Does not consult a model.
 */
export function tupleShapeError(tuple: RelationshipTuple): string | undefined {
  if (typeof tuple !== 'object' || tuple === null) return 'must be an object';
  const { object, relation, subject, condition } = tuple;
  if (!object || !isSafeName(object.type) || !validId(object.id) || object.id === '*')
    return 'invalid object';
  if (!isSafeName(relation)) return 'invalid relation';
  if (!subject || !isSafeName(subject.type) || !validId(subject.id)) return 'invalid subject';
  if (subject.relation !== undefined && (!isSafeName(subject.relation) || subject.id === '*')) {
    return 'invalid subject relation';
  }
  if (condition !== undefined) {
    if (!condition || !isSafeName(condition.name)) return 'invalid condition name';
    if (
      condition.context !== undefined &&
      (typeof condition.context !== 'object' || condition.context === null)
    ) {
      return 'invalid condition context';
    }
  }
  return undefined;
}

/**
 * Returns the type restriction of `restrictions` that admits `tuple`'s subject and condition, or
 * `undefined`. A tuple with a condition needs a restriction with that condition; a tuple without
 * one needs a restriction without one (OpenFGA semantics). The evaluator ignores tuples that no
 * restriction admits, so a stray tuple can never widen access.
 */
export function admittingRestriction(
  restrictions: readonly DirectSubjectType[],
  tuple: RelationshipTuple,
): DirectSubjectType | undefined {
  const { subject } = tuple;
  const wildcard = subject.id === '*';
  return restrictions.find(
    (d) =>
      d.type === subject.type &&
      (d.relation ?? undefined) === (subject.relation ?? undefined) &&
      Boolean(d.wildcard) === wildcard &&
      (d.condition ?? undefined) === (tuple.condition?.name ?? undefined),
  );
}

/**
 * Checks a tuple against a compiled model: the object type and relation exist and one of the
 * relation's type restrictions admits the subject. Returns an error message or `undefined`.
 */
export function tupleModelError(model: CompiledModel, tuple: RelationshipTuple): string | undefined {
  const shape = tupleShapeError(tuple);
  if (shape) return shape;
  const relation = model.types.get(tuple.object.type)?.get(tuple.relation);
  if (!relation) return `unknown relation ${tuple.object.type}#${tuple.relation}`;
  if (!admittingRestriction(relation.directly, tuple)) {
    return `subject ${formatSubject(tuple.subject)}${tuple.condition ? ` with ${tuple.condition.name}` : ''} is not allowed by ${tuple.object.type}#${tuple.relation}`;
  }
  return undefined;
}

/** `user:anne`, `user:*`, `team:eng#member`. */
export function formatSubject(subject: SubjectRef): string {
  return `${subject.type}:${subject.id}${subject.relation ? `#${subject.relation}` : ''}`;
}

/** `folder:1#viewer@team:eng#member`. */
export function formatTuple(tuple: RelationshipTuple): string {
  return `${tuple.object.type}:${tuple.object.id}#${tuple.relation}@${formatSubject(tuple.subject)}`;
}

/** Options of {@link MemoryRelationshipStore}. */
export interface MemoryRelationshipStoreOptions {
  /** When given, every written tuple must satisfy this model's type restrictions. */
  readonly model?: CompiledModel;
}

/**
 * In-memory {@link RelationshipStore}. Batches are validated in full before anything is applied,
 * so a bad tuple leaves the store unchanged. Tuples live in a `CompactTupleIndex` (interned
 * names and ids, tuples as rows of integers in typed arrays: under 200 bytes a tuple at a million
 * tuples, ids included); every read hands out fresh tuple objects.
 */
export class MemoryRelationshipStore implements RelationshipStore {
  private readonly index = new CompactTupleIndex();
  private readonly model: CompiledModel | undefined;
  /** The check reads without a promise: the evaluator's synchronous fast path. */
  readonly sync: SyncTupleReader;

  constructor(options: MemoryRelationshipStoreOptions = {}) {
    this.model = options.model;
    const index = this.index;
    this.sync = {
      readTuple: (object, relation, subject) => index.get(object, relation, subject),
      readUsersets: (object, relation) => index.usersetsView(object, relation),
      readRelation: (object, relation) => index.relationView(object, relation),
      readTuples: (object, relations, subject) => index.tuplesFor(object, relations, subject),
    };
  }

  /** Number of stored tuples. */
  get size(): number {
    return this.index.size;
  }

  private validate(tuples: readonly RelationshipTuple[]): void {
    if (!Array.isArray(tuples)) throw new TupleValidationError(-1, 'tuples must be an array');
    tuples.forEach((t, i) => {
      const error = this.model ? tupleModelError(this.model, t) : tupleShapeError(t);
      if (error) throw new TupleValidationError(i, error);
    });
  }

  /** Writes a batch atomically (all or none); an existing tuple gets the new condition. A tuple the model does not admit rejects the batch with `TupleValidationError`. */
  async write(tuples: readonly RelationshipTuple[]): Promise<void> {
    this.validate(tuples);
    for (const t of tuples) this.index.add(t);
  }

  /** Deletes a batch atomically; a tuple that is not stored is skipped. */
  async delete(tuples: readonly RelationshipTuple[]): Promise<void> {
    if (!Array.isArray(tuples)) throw new TupleValidationError(-1, 'tuples must be an array');
    tuples.forEach((t, i) => {
      const error = tupleShapeError({ ...t, condition: undefined });
      if (error) throw new TupleValidationError(i, error);
    });
    for (const t of tuples) this.index.remove(t);
  }

  async read(filter: TupleFilter): Promise<RelationshipTuple[]> {
    return this.index.read(filter);
  }

  async readTuple(
    object: ObjectRef,
    relation: string,
    subject: SubjectRef,
  ): Promise<RelationshipTuple | undefined> {
    return this.index.get(object, relation, subject);
  }

  async readUsersets(object: ObjectRef, relation: string): Promise<RelationshipTuple[]> {
    return this.index.usersetsOf(object, relation);
  }

  async readRelation(object: ObjectRef, relation: string): Promise<RelationshipTuple[]> {
    return this.index.relationOf(object, relation);
  }

  /** Every read answered at once, as the individual reads answer it (one promise for all). */
  async readBatch(reads: readonly TupleRead[]): Promise<RelationshipTuple[][]> {
    const index = this.index;
    return answerBatch(reads, {
      tuple: (object, relation, subject) => index.get(object, relation, subject),
      usersets: (object, relation) => index.usersetsOf(object, relation),
      relation: (object, relation) => index.relationOf(object, relation),
      subject: (subject) => index.read({ subject }),
    });
  }
}
