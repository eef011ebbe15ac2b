/**
 * `CompactTupleIndex`: the tuple index of {@link MemoryRelationshipStore}, built to hold
 * millions of tuples in little memory (under 200 bytes a tuple, ids included, where a tree of
 * `Map`s and tuple objects took over 800).
 *
 * Names and objects are interned as integers ({@link NameTable}, {@link NodeTable}); a tuple is a
 * row of integers in typed-array {@link Rows}: object node, relation, subject node, subject
 * relation, and the links of three doubly-linked lists it belongs to: the tuples of its
 * `object#relation` (an "entry"), the userset tuples of that entry, and the tuples of its subject.
 * Three {@link IdTable}s find a tuple, an entry and a subject's list by hashing their integers.
 * Lists keep insertion order and a rewritten tuple keeps its place, as before. An object is found
 * by its type's number and its id (no composite string key), so ids holding `:`, `#` or `@` are
 * never confused.
 *
 * Tuples are handed out as fresh objects built from a row on each read; conditions (rare) are
 * kept as copied objects beside the rows.
 *
 * @module
 */

import type { ObjectRef, RelationshipTuple, SubjectRef, TupleFilter } from '../relationship-store.js';
import { finishHash, IdTable, mixHash } from './id-table.js';
import { NameTable, NodeMemo, NodeTable } from './interning.js';
import { append, NONE, Rows, unlink } from './rows.js';
import { matchesFilter } from './tuple-filter.js';

type Condition = NonNullable<RelationshipTuple['condition']>;

const NO_TUPLES: RelationshipTuple[] = [];

// A tuple row: object node, relation, subject node, subject relation (0: none), then the links
// (next, previous) of its entry's list, of its entry's userset list and of its subject's list.
const T_OBJ = 0;
const T_REL = 1;
const T_SUBJ = 2;
const T_SREL = 3;
const T_ENTRY_LINK = 4;
const T_USERSET_LINK = 6;
const T_SUBJECT_LINK = 8;
const T_STRIDE = 10;
// An entry row (`object#relation`): object node, relation, tuple count, then the head and tail of
// its tuples and of its userset tuples.
const E_OBJ = 0;
const E_REL = 1;
const E_COUNT = 2;
const E_LIST = 3;
const E_USERSETS = 5;
const E_STRIDE = 7;
// A subject row: node, subject relation, tuple count, head and tail of its tuples.
const S_NODE = 0;
const S_REL = 1;
const S_COUNT = 2;
const S_LIST = 3;
const S_STRIDE = 5;

const hash2 = (a: number, b: number) => finishHash(mixHash(mixHash(0x2545f491, a), b));
const hash4 = (a: number, b: number, c: number, d: number) =>
  finishHash(mixHash(mixHash(mixHash(mixHash(0x3c6ef372, a), b), c), d));

function copyCondition(condition: Condition): Condition {
  return {
    name: condition.name,
    ...(condition.context ? { context: { ...condition.context } } : {}),
  };
}

/** A synchronous, compact tuple index: the same questions as {@link TupleIndex}, answered alike. */
export class CompactTupleIndex {
  private readonly names = new NameTable();
  private readonly nodes = new NodeTable();
  private readonly tuples = new Rows(T_STRIDE);
  private readonly entries = new Rows(E_STRIDE);
  private readonly subjects = new Rows(S_STRIDE);
  private readonly conditions = new Map<number, Condition>();
  private readonly tupleTable = new IdTable((t) => {
    const d = this.tuples.data;
    const at = t * T_STRIDE;
    return hash4(d[at + T_OBJ]!, d[at + T_REL]!, d[at + T_SUBJ]!, d[at + T_SREL]!);
  });
  private readonly entryTable = new IdTable((e) => {
    const d = this.entries.data;
    return hash2(d[e * E_STRIDE + E_OBJ]!, d[e * E_STRIDE + E_REL]!);
  });
  private readonly subjectTable = new IdTable((s) => {
    const d = this.subjects.data;
    return hash2(d[s * S_STRIDE + S_NODE]!, d[s * S_STRIDE + S_REL]!);
  });
  private count = 0;
  private readonly memo = new NodeMemo();

  /** Number of stored tuples. */
  get size(): number {
    return this.count;
  }

  /** Adds (or, when it exists, replaces the condition of) a tuple that has already been validated. */
  add(tuple: RelationshipTuple): void {
    this.memo.forget();
    const names = this.names;
    const type = names.intern(tuple.object.type);
    const rel = names.intern(tuple.relation);
    const stype = names.intern(tuple.subject.type);
    const srel = tuple.subject.relation === undefined ? 0 : names.intern(tuple.subject.relation);
    const existing = this.findTuple(
      this.nodes.find(type, tuple.object.id),
      rel,
      this.nodes.find(stype, tuple.subject.id),
      srel,
    );
    if (existing !== NONE) {
      this.setCondition(existing, tuple.condition);
      return;
    }
    const obj = this.nodes.acquire(type, tuple.object.id);
    const subj = this.nodes.acquire(stype, tuple.subject.id);
    const t = this.tuples.alloc();
    const d = this.tuples.data;
    const at = t * T_STRIDE;
    d[at + T_OBJ] = obj;
    d[at + T_REL] = rel;
    d[at + T_SUBJ] = subj;
    d[at + T_SREL] = srel;
    this.tupleTable.insert(t, hash4(obj, rel, subj, srel));
    this.setCondition(t, tuple.condition);
    this.linkEntry(t, obj, rel, srel !== 0);
    this.linkSubject(t, subj, srel);
    this.count++;
  }

  /** Removes a tuple if present (its condition is not compared). */
  remove(tuple: RelationshipTuple): void {
    this.memo.forget();
    const obj = this.objectNode(tuple.object);
    const rel = this.names.find(tuple.relation);
    const [subj, srel] = this.subjectNode(tuple.subject);
    const t = this.findTuple(obj, rel, subj, srel);
    if (t === NONE) return;
    this.tupleTable.remove(t, hash4(obj, rel, subj, srel));
    this.unlinkEntry(t, obj, rel, srel !== 0);
    this.unlinkSubject(t, subj, srel);
    this.conditions.delete(t);
    this.tuples.data[t * T_STRIDE + T_OBJ] = NONE;
    this.tuples.release(t);
    this.nodes.release(obj);
    this.nodes.release(subj);
    this.count--;
  }

  /** The exact tuple, if any. O(1). */
  get(object: ObjectRef, relation: string, subject: SubjectRef): RelationshipTuple | undefined {
    const [subj, srel] = this.subjectNode(subject);
    const t = this.findTuple(this.objectNode(object), this.names.find(relation), subj, srel);
    return t === NONE ? undefined : this.tupleAt(t);
  }

  /**
   * The tuples `object#r@subject` for each `r` of `relations`: by looking each one up, or, when
   * the subject has fewer tuples than there are relations, by scanning the subject's tuples.
   */
  tuplesFor(object: ObjectRef, relations: ReadonlySet<string>, subject: SubjectRef): RelationshipTuple[] {
    const obj = this.objectNode(object);
    const [subj, srel] = this.subjectNode(subject);
    if (obj === NONE || subj === NONE) return NO_TUPLES;
    const list = this.findSubject(subj, srel);
    if (list === NONE) return NO_TUPLES;
    const out: RelationshipTuple[] = [];
    const sd = this.subjects.data;
    if (sd[list * S_STRIDE + S_COUNT]! < relations.size) {
      const d = this.tuples.data;
      const names = this.names.names;
      for (let t = sd[list * S_STRIDE + S_LIST]!; t !== NONE; t = d[t * T_STRIDE + T_SUBJECT_LINK]!) {
        if (d[t * T_STRIDE + T_OBJ] === obj && relations.has(names[d[t * T_STRIDE + T_REL]!]!)) {
          out.push(this.tupleAt(t));
        }
      }
    } else {
      for (const r of relations) {
        const t = this.findTuple(obj, this.names.find(r), subj, srel);
        if (t !== NONE) out.push(this.tupleAt(t));
      }
    }
    return out;
  }

  /** Userset-subject tuples of one object+relation, in order. */
  usersetsView(object: ObjectRef, relation: string): readonly RelationshipTuple[] {
    return this.usersetsOf(object, relation);
  }

  /** All tuples of one object+relation, in order. */
  relationView(object: ObjectRef, relation: string): readonly RelationshipTuple[] {
    return this.relationOf(object, relation);
  }

  /** Userset-subject tuples of one object+relation, in order (a new array). */
  usersetsOf(object: ObjectRef, relation: string): RelationshipTuple[] {
    const e = this.findEntry(this.objectNode(object), this.names.find(relation));
    if (e === NONE) return [];
    return this.chain(this.entries.data[e * E_STRIDE + E_USERSETS]!, T_USERSET_LINK, []);
  }

  /** All tuples of one object+relation, in order (a new array). */
  relationOf(object: ObjectRef, relation: string): RelationshipTuple[] {
    const e = this.findEntry(this.objectNode(object), this.names.find(relation));
    if (e === NONE) return [];
    return this.chain(this.entries.data[e * E_STRIDE + E_LIST]!, T_ENTRY_LINK, []);
  }

  /** Filtered read; indexed when the filter names an object id or a full subject. */
  read(filter: TupleFilter): RelationshipTuple[] {
    const { object, relation, subject } = filter;
    let candidates: RelationshipTuple[];
    if (object?.id !== undefined && relation !== undefined) {
      candidates = this.relationOf({ type: object.type, id: object.id }, relation);
    } else if (object?.id !== undefined) {
      const obj = this.objectNode({ type: object.type, id: object.id });
      candidates = [];
      // Every relation name interned so far: far fewer than the tuples.
      for (let r = 1; obj !== NONE && r < this.names.names.length; r++) {
        const e = this.findEntry(obj, r);
        if (e !== NONE) this.chain(this.entries.data[e * E_STRIDE + E_LIST]!, T_ENTRY_LINK, candidates);
      }
    } else if (subject?.id !== undefined) {
      const [subj, srel] = this.subjectNode({
        type: subject.type,
        id: subject.id,
        relation: subject.relation,
      });
      const list = subj === NONE ? NONE : this.findSubject(subj, srel);
      candidates =
        list === NONE ? [] : this.chain(this.subjects.data[list * S_STRIDE + S_LIST]!, T_SUBJECT_LINK, []);
    } else {
      candidates = this.scan(object?.type);
    }
    return candidates.filter((t) => matchesFilter(t, filter));
  }

  /** Every tuple (of one object type), in row order. */
  private scan(type: string | undefined): RelationshipTuple[] {
    const want = type === undefined ? 0 : this.names.find(type);
    if (type !== undefined && want === 0) return [];
    const out: RelationshipTuple[] = [];
    const d = this.tuples.data;
    for (let t = 0; t < this.tuples.highWater; t++) {
      const o = d[t * T_STRIDE + T_OBJ]!;
      if (o !== NONE && (want === 0 || this.nodes.typeOf(o) === want)) out.push(this.tupleAt(t));
    }
    return out;
  }

  /** Appends the tuples of the list starting at `head` (linked by field `link`) to `out`. */
  private chain(head: number, link: number, out: RelationshipTuple[]): RelationshipTuple[] {
    const d = this.tuples.data;
    for (let t = head; t !== NONE; t = d[t * T_STRIDE + link]!) out.push(this.tupleAt(t));
    return out;
  }

  /** The tuple of row `t`, as a new object. */
  private tupleAt(t: number): RelationshipTuple {
    const d = this.tuples.data;
    const at = t * T_STRIDE;
    const names = this.names.names;
    const nodes = this.nodes;
    const o = d[at + T_OBJ]!;
    const s = d[at + T_SUBJ]!;
    const sr = d[at + T_SREL]!;
    const object = { type: names[nodes.typeOf(o)]!, id: nodes.idOf(o) };
    const subject =
      sr === 0
        ? { type: names[nodes.typeOf(s)]!, id: nodes.idOf(s) }
        : { type: names[nodes.typeOf(s)]!, id: nodes.idOf(s), relation: names[sr]! };
    const relation = names[d[at + T_REL]!]!;
    // The walk asks about this subject next (a parent, a userset): remember its node.
    this.memo.set(subject.type, subject.id, s);
    const condition = this.conditions.size === 0 ? undefined : this.conditions.get(t);
    return condition ? { object, relation, subject, condition } : { object, relation, subject };
  }

  private setCondition(t: number, condition: Condition | undefined): void {
    if (condition) this.conditions.set(t, copyCondition(condition));
    else this.conditions.delete(t);
  }

  private objectNode(object: ObjectRef): number {
    return this.nodeOf(object.type, object.id);
  }

  /** The subject's node and relation number; node -1 when no tuple names it. */
  private subjectNode(subject: SubjectRef): [number, number] {
    const srel = subject.relation === undefined ? 0 : this.names.find(subject.relation);
    if (subject.relation !== undefined && srel === 0) return [NONE, 0];
    return [this.nodeOf(subject.type, subject.id), srel];
  }

  /** The node of `type:id`, or -1 (see {@link NodeMemo}). */
  private nodeOf(type: string, id: string): number {
    const known = this.memo.get(type, id);
    if (known !== undefined) return known;
    const n = this.names.find(type);
    const node = n === 0 ? NONE : this.nodes.find(n, id);
    this.memo.set(type, id, node);
    return node;
  }

  private findTuple(obj: number, rel: number, subj: number, srel: number): number {
    if (obj === NONE || subj === NONE || rel === 0) return NONE;
    const table = this.tupleTable;
    const d = this.tuples.data;
    for (let slot = table.start(hash4(obj, rel, subj, srel)); ; slot = table.next(slot)) {
      const t = table.at(slot);
      if (t === NONE) return NONE;
      const at = t * T_STRIDE;
      if (
        d[at + T_OBJ] === obj &&
        d[at + T_SUBJ] === subj &&
        d[at + T_REL] === rel &&
        d[at + T_SREL] === srel
      )
        return t;
    }
  }

  private findEntry(obj: number, rel: number): number {
    if (obj === NONE || rel === 0) return NONE;
    const table = this.entryTable;
    const d = this.entries.data;
    for (let slot = table.start(hash2(obj, rel)); ; slot = table.next(slot)) {
      const e = table.at(slot);
      if (e === NONE || (d[e * E_STRIDE + E_OBJ] === obj && d[e * E_STRIDE + E_REL] === rel)) return e;
    }
  }

  private findSubject(node: number, srel: number): number {
    const table = this.subjectTable;
    const d = this.subjects.data;
    for (let slot = table.start(hash2(node, srel)); ; slot = table.next(slot)) {
      const s = table.at(slot);
      if (s === NONE || (d[s * S_STRIDE + S_NODE] === node && d[s * S_STRIDE + S_REL] === srel)) return s;
    }
  }

  private linkEntry(t: number, obj: number, rel: number, userset: boolean): void {
    let e = this.findEntry(obj, rel);
    if (e === NONE) {
      e = this.entries.alloc();
      this.entries.data.fill(NONE, e * E_STRIDE, (e + 1) * E_STRIDE);
      const d = this.entries.data;
      d[e * E_STRIDE + E_OBJ] = obj;
      d[e * E_STRIDE + E_REL] = rel;
      d[e * E_STRIDE + E_COUNT] = 0;
      this.entryTable.insert(e, hash2(obj, rel));
    }
    const d = this.entries.data;
    d[e * E_STRIDE + E_COUNT]!++;
    append(d, e * E_STRIDE + E_LIST, this.tuples, T_ENTRY_LINK, t);
    if (userset) append(d, e * E_STRIDE + E_USERSETS, this.tuples, T_USERSET_LINK, t);
  }

  private unlinkEntry(t: number, obj: number, rel: number, userset: boolean): void {
    const e = this.findEntry(obj, rel);
    const d = this.entries.data;
    unlink(d, e * E_STRIDE + E_LIST, this.tuples, T_ENTRY_LINK, t);
    if (userset) unlink(d, e * E_STRIDE + E_USERSETS, this.tuples, T_USERSET_LINK, t);
    if (--d[e * E_STRIDE + E_COUNT]! > 0) return;
    this.entryTable.remove(e, hash2(obj, rel));
    this.entries.release(e);
  }

  private linkSubject(t: number, node: number, srel: number): void {
    let s = this.findSubject(node, srel);
    if (s === NONE) {
      s = this.subjects.alloc();
      this.subjects.data.fill(NONE, s * S_STRIDE, (s + 1) * S_STRIDE);
      const d = this.subjects.data;
      d[s * S_STRIDE + S_NODE] = node;
      d[s * S_STRIDE + S_REL] = srel;
      d[s * S_STRIDE + S_COUNT] = 0;
      this.subjectTable.insert(s, hash2(node, srel));
    }
    const d = this.subjects.data;
    d[s * S_STRIDE + S_COUNT]!++;
    append(d, s * S_STRIDE + S_LIST, this.tuples, T_SUBJECT_LINK, t);
  }

  private unlinkSubject(t: number, node: number, srel: number): void {
    const s = this.findSubject(node, srel);
    const d = this.subjects.data;
    unlink(d, s * S_STRIDE + S_LIST, this.tuples, T_SUBJECT_LINK, t);
    if (--d[s * S_STRIDE + S_COUNT]! > 0) return;
    this.subjectTable.remove(s, hash2(node, srel));
    this.subjects.release(s);
  }
}
