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

import { type CompiledModel, type DirectSubjectType, isSafeName } from './model.js';

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
  write(tuples: readonly RelationshipTuple[]): Promise<void>;
  delete(tuples: readonly RelationshipTuple[]): Promise<void>;
  /** Admin/listing read. With `object` (type+id) or a full `subject` it is indexed; otherwise it scans. */
  read(filter: TupleFilter): Promise<RelationshipTuple[]>;
  /** The one tuple `object#relation@subject`, if written. Used by checks for direct and wildcard grants. */
  readTuple(object: ObjectRef, relation: string, subject: SubjectRef): Promise<RelationshipTuple | undefined>;
  /** Every tuple of `object#relation` whose subject is a userset (`team:x#member`). */
  readUsersets(object: ObjectRef, relation: string): Promise<RelationshipTuple[]>;
  /** Every tuple of `object#relation` (e.g. the parents of a folder for `viewer from parent`). */
  readRelation(object: ObjectRef, relation: string): Promise<RelationshipTuple[]>;
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

// Keys. Types and relations match NAME_PATTERN (no ':' or '#'), ids are free-form, so:
// object+relation `type:id#relation` splits at the first ':' and the last '#', and subject
// `type:id#relation-or-empty` likewise: no two distinct refs share a key.
const objRelKey = (o: ObjectRef, relation: string) => `${o.type}:${o.id}#${relation}`;
const objKey = (o: ObjectRef) => `${o.type}:${o.id}`;
const subjectKey = (s: SubjectRef) => `${s.type}:${s.id}#${s.relation ?? ''}`;

function freeze(tuple: RelationshipTuple): RelationshipTuple {
  const copy: RelationshipTuple = {
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
  return copy;
}

/**
 * A synchronous tuple index: by object+relation (with usersets kept apart), by object and by
 * subject. Shared by {@link MemoryRelationshipStore} and by the evaluator for contextual tuples.
 */
export class TupleIndex {
  private readonly byObjRel = new Map<string, Map<string, RelationshipTuple>>();
  private readonly usersets = new Map<string, Map<string, RelationshipTuple>>();
  private readonly byObject = new Map<string, Set<string>>();
  private readonly bySubject = new Map<string, Map<string, RelationshipTuple>>();

  /** Number of stored tuples. */
  get size(): number {
    let n = 0;
    for (const m of this.byObjRel.values()) n += m.size;
    return n;
  }

  /** Adds (or replaces) a tuple that has already been validated. */
  add(tuple: RelationshipTuple): void {
    const t = freeze(tuple);
    const ork = objRelKey(t.object, t.relation);
    const sk = subjectKey(t.subject);
    getOrCreate(this.byObjRel, ork, () => new Map()).set(sk, t);
    if (t.subject.relation !== undefined) getOrCreate(this.usersets, ork, () => new Map()).set(sk, t);
    getOrCreate(this.byObject, objKey(t.object), () => new Set()).add(ork);
    getOrCreate(this.bySubject, sk, () => new Map()).set(ork, t);
  }

  /** Removes a tuple if present. */
  remove(tuple: RelationshipTuple): void {
    const ork = objRelKey(tuple.object, tuple.relation);
    const sk = subjectKey(tuple.subject);
    const subjects = this.byObjRel.get(ork);
    if (!subjects?.delete(sk)) return;
    if (subjects.size === 0) {
      this.byObjRel.delete(ork);
      const rels = this.byObject.get(objKey(tuple.object));
      rels?.delete(ork);
      if (rels?.size === 0) this.byObject.delete(objKey(tuple.object));
    }
    const us = this.usersets.get(ork);
    if (us?.delete(sk) && us.size === 0) this.usersets.delete(ork);
    const bs = this.bySubject.get(sk);
    if (bs?.delete(ork) && bs.size === 0) this.bySubject.delete(sk);
  }

  /** The exact tuple, if any. O(1). */
  get(object: ObjectRef, relation: string, subject: SubjectRef): RelationshipTuple | undefined {
    return this.byObjRel.get(objRelKey(object, relation))?.get(subjectKey(subject));
  }

  /** Userset-subject tuples of one object+relation. */
  usersetsOf(object: ObjectRef, relation: string): RelationshipTuple[] {
    const m = this.usersets.get(objRelKey(object, relation));
    return m ? [...m.values()] : [];
  }

  /** All tuples of one object+relation. */
  relationOf(object: ObjectRef, relation: string): RelationshipTuple[] {
    const m = this.byObjRel.get(objRelKey(object, relation));
    return m ? [...m.values()] : [];
  }

  /** Filtered read; indexed when the filter names an object id or a full subject. */
  read(filter: TupleFilter): RelationshipTuple[] {
    const { object, relation, subject } = filter;
    let candidates: Iterable<RelationshipTuple>;
    if (object?.id !== undefined && relation !== undefined) {
      candidates = this.relationOf({ type: object.type, id: object.id }, relation);
    } else if (object?.id !== undefined) {
      const rels = this.byObject.get(objKey({ type: object.type, id: object.id })) ?? new Set<string>();
      candidates = [...rels].flatMap((ork) => [...(this.byObjRel.get(ork)?.values() ?? [])]);
    } else if (subject?.id !== undefined) {
      candidates = this.bySubject.get(subjectKey({ ...subject, id: subject.id }))?.values() ?? [];
    } else {
      candidates = [...this.byObjRel.values()].flatMap((m) => [...m.values()]);
    }
    const out: RelationshipTuple[] = [];
    for (const t of candidates) {
      if (
        object &&
        (t.object.type !== object.type || (object.id !== undefined && t.object.id !== object.id))
      ) {
        continue;
      }
      if (relation !== undefined && t.relation !== relation) continue;
      if (subject) {
        if (t.subject.type !== subject.type) continue;
        if (subject.id !== undefined && t.subject.id !== subject.id) continue;
        if (
          t.subject.relation !== subject.relation &&
          (subject.id !== undefined || subject.relation !== undefined)
        ) {
          continue;
        }
      }
      out.push(t);
    }
    return out;
  }
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = create();
    map.set(key, v);
  }
  return v;
}

/** Options of {@link MemoryRelationshipStore}. */
export interface MemoryRelationshipStoreOptions {
  /** When given, every written tuple must satisfy this model's type restrictions. */
  readonly model?: CompiledModel;
}

/**
 * In-memory {@link RelationshipStore} for tests and prototypes. Batches are validated in full
 * before anything is applied, so a bad tuple leaves the store unchanged.
 */
export class MemoryRelationshipStore implements RelationshipStore {
  private readonly index = new TupleIndex();
  private readonly model: CompiledModel | undefined;

  constructor(options: MemoryRelationshipStoreOptions = {}) {
    this.model = options.model;
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

  async write(tuples: readonly RelationshipTuple[]): Promise<void> {
    this.validate(tuples);
    for (const t of tuples) this.index.add(t);
  }

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
}
