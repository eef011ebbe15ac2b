/**
 * CompactTupleIndex (the memory store's index: interned names and objects, tuples as integer
 * rows) answers every read exactly like a straightforward reference — a list of tuples searched
 * linearly — on generated graphs with writes, condition rewrites, deletes and re-adds, and never
 * confuses ids that contain the separators of other notations (`a:b#c`, `x@y`, `t#member`).
 */
import { describe, expect, it } from 'vitest';
import { CompactTupleIndex } from '../../src/policy/engine/compact-tuple-index.js';
import {
  MemoryRelationshipStore,
  type ObjectRef,
  type RelationshipTuple,
  readEach,
  type SubjectRef,
  type TupleFilter,
  type TupleRead,
} from '../../src/policy/relationship-store.js';

/** The reference: insertion order, a rewrite keeps its place, a delete and re-add goes last. */
class Reference {
  readonly tuples: RelationshipTuple[] = [];

  private at(o: ObjectRef, relation: string, s: SubjectRef): number {
    return this.tuples.findIndex(
      (t) =>
        t.object.type === o.type &&
        t.object.id === o.id &&
        t.relation === relation &&
        t.subject.type === s.type &&
        t.subject.id === s.id &&
        t.subject.relation === s.relation,
    );
  }

  add(t: RelationshipTuple): void {
    const i = this.at(t.object, t.relation, t.subject);
    if (i >= 0) this.tuples[i] = t;
    else this.tuples.push(t);
  }

  remove(t: RelationshipTuple): void {
    const i = this.at(t.object, t.relation, t.subject);
    if (i >= 0) this.tuples.splice(i, 1);
  }

  get(o: ObjectRef, relation: string, s: SubjectRef): RelationshipTuple | undefined {
    return this.tuples[this.at(o, relation, s)];
  }

  relationOf(o: ObjectRef, relation: string): RelationshipTuple[] {
    return this.tuples.filter(
      (t) => t.object.type === o.type && t.object.id === o.id && t.relation === relation,
    );
  }

  bySubject(s: SubjectRef): RelationshipTuple[] {
    return this.tuples.filter(
      (t) => t.subject.type === s.type && t.subject.id === s.id && t.subject.relation === s.relation,
    );
  }
}

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Ids that look like other notations' keys, empty-looking and unusual ones.
const IDS = [
  'a',
  'b',
  'a:b',
  'a:b#c',
  'b#c',
  'x@y',
  't#member',
  'doc:1#viewer@user:anne',
  ':',
  '#',
  ' ',
  '文書',
  '😀',
  'a\u0000b',
  'x'.repeat(512),
];
const TYPES = ['doc', 'team', 'user'];
const RELATIONS = ['viewer', 'member', 'parent'];

function randomTuple(random: () => number): RelationshipTuple {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const object = { type: pick(TYPES), id: pick(IDS) };
  const kind = random();
  const subject: SubjectRef =
    kind < 0.15
      ? { type: pick(TYPES), id: '*' }
      : kind < 0.45
        ? { type: pick(TYPES), id: pick(IDS), relation: pick(RELATIONS) }
        : { type: pick(TYPES), id: pick(IDS) };
  const condition =
    random() < 0.2 ? { name: pick(['c1', 'c2']), context: { n: Math.floor(random() * 3) } } : undefined;
  return { object, relation: pick(RELATIONS), subject, ...(condition ? { condition } : {}) };
}

const ALL_OBJECTS = TYPES.flatMap((type) => IDS.map((id) => ({ type, id })));
const ALL_SUBJECTS: SubjectRef[] = TYPES.flatMap((type) => [
  { type, id: '*' },
  ...IDS.flatMap((id) => [{ type, id }, ...RELATIONS.map((relation) => ({ type, id, relation }))]),
]);

const key = (t: RelationshipTuple) => JSON.stringify(t);
const sortedKeys = (ts: readonly RelationshipTuple[]) => ts.map(key).sort();

function expectSame(index: CompactTupleIndex, ref: Reference, random: () => number): void {
  expect(index.size).toBe(ref.tuples.length);
  for (const o of ALL_OBJECTS) {
    for (const r of RELATIONS) {
      const expected = ref.relationOf(o, r);
      expect(index.relationOf(o, r)).toEqual(expected);
      expect(index.relationView(o, r)).toEqual(expected);
      expect(index.usersetsOf(o, r)).toEqual(expected.filter((t) => t.subject.relation !== undefined));
      expect(index.read({ object: o, relation: r })).toEqual(expected);
    }
    expect(sortedKeys(index.read({ object: o }))).toEqual(
      sortedKeys(ref.tuples.filter((t) => t.object.type === o.type && t.object.id === o.id)),
    );
  }
  for (const s of ALL_SUBJECTS) {
    expect(index.read({ subject: s })).toEqual(ref.bySubject(s));
  }
  // Exact lookups, and "which of these relations", on random triples (most of them absent).
  for (let i = 0; i < 300; i++) {
    const o = ALL_OBJECTS[Math.floor(random() * ALL_OBJECTS.length)]!;
    const s = ALL_SUBJECTS[Math.floor(random() * ALL_SUBJECTS.length)]!;
    const r = RELATIONS[Math.floor(random() * RELATIONS.length)]!;
    expect(index.get(o, r, s)).toEqual(ref.get(o, r, s));
    const relations = new Set(RELATIONS.filter(() => random() < 0.6));
    expect(sortedKeys(index.tuplesFor(o, relations, s))).toEqual(
      sortedKeys([...relations].flatMap((x) => ref.get(o, x, s) ?? [])),
    );
  }
  // Scans by type, relation and subject type.
  const filters: TupleFilter[] = [
    {},
    { object: { type: 'doc' } },
    { relation: 'member' },
    { object: { type: 'team' }, relation: 'viewer' },
    { subject: { type: 'user' } },
    { subject: { type: 'team', relation: 'member' } },
    { object: { type: 'nothing' } },
  ];
  for (const f of filters) {
    const expected = ref.tuples.filter(
      (t) =>
        (!f.object || t.object.type === f.object.type) &&
        (f.relation === undefined || t.relation === f.relation) &&
        (!f.subject ||
          (t.subject.type === f.subject.type &&
            (f.subject.relation === undefined || t.subject.relation === f.subject.relation))),
    );
    expect(sortedKeys(index.read(f))).toEqual(sortedKeys(expected));
  }
}

describe('CompactTupleIndex', () => {
  for (const seed of [1, 2, 3]) {
    it(`answers like a linear reference through writes, rewrites, deletes and re-adds (seed ${seed})`, () => {
      const random = prng(seed);
      const index = new CompactTupleIndex();
      const ref = new Reference();
      const written: RelationshipTuple[] = [];
      for (let step = 0; step < 6; step++) {
        for (let i = 0; i < 400; i++) {
          const op = random();
          if (op < 0.6 || written.length === 0) {
            const t = randomTuple(random);
            index.add(t);
            ref.add(t);
            written.push(t);
          } else if (op < 0.85) {
            const t = written[Math.floor(random() * written.length)]!;
            index.remove(t);
            ref.remove(t);
          } else {
            // Re-add a tuple written before (perhaps deleted since): it goes last, or keeps its place.
            const t = written[Math.floor(random() * written.length)]!;
            index.add(t);
            ref.add(t);
          }
        }
        expectSame(index, ref, random);
      }
      // Deleting everything leaves nothing behind, and the index is usable again.
      for (const t of [...ref.tuples]) {
        index.remove(t);
        ref.remove(t);
      }
      expect(index.size).toBe(0);
      expect(index.read({})).toEqual([]);
      const again = randomTuple(random);
      index.add(again);
      expect(index.read({})).toEqual([again]);
    });
  }

  it('never confuses ids containing separators with other objects or usersets', () => {
    const index = new CompactTupleIndex();
    const t = (oid: string, sub: SubjectRef): RelationshipTuple => ({
      object: { type: 'doc', id: oid },
      relation: 'viewer',
      subject: sub,
    });
    index.add(t('a:b#c', { type: 'user', id: 'x' }));
    index.add(t('a', { type: 'team', id: 't#member' }));
    index.add(t('a', { type: 'team', id: 't', relation: 'member' }));
    expect(index.get({ type: 'doc', id: 'a:b' }, 'viewer', { type: 'user', id: 'x' })).toBeUndefined();
    expect(index.get({ type: 'doc', id: 'a' }, 'b#c', { type: 'user', id: 'x' })).toBeUndefined();
    expect(index.relationOf({ type: 'doc', id: 'a:b#c' }, 'viewer')).toHaveLength(1);
    expect(index.usersetsOf({ type: 'doc', id: 'a' }, 'viewer')).toEqual([
      t('a', { type: 'team', id: 't', relation: 'member' }),
    ]);
    expect(index.read({ subject: { type: 'team', id: 't#member' } })).toEqual([
      t('a', { type: 'team', id: 't#member' }),
    ]);
    expect(index.read({ subject: { type: 'team', id: 't', relation: 'member' } })).toEqual([
      t('a', { type: 'team', id: 't', relation: 'member' }),
    ]);
    expect(index.read({ subject: { type: 'team', id: 't' } })).toEqual([]);
    // A subject relation that no tuple uses, and a type never written, find nothing.
    expect(index.get({ type: 'doc', id: 'a' }, 'viewer', { type: 'team', id: 't', relation: 'nope' })).toBe(
      undefined,
    );
    expect(index.relationOf({ type: 'nothing', id: 'a' }, 'viewer')).toEqual([]);
  });

  it('hands out copies: changing a written or a returned tuple changes nothing stored', () => {
    const index = new CompactTupleIndex();
    const context = { ip: '10.0.0.1' };
    const tuple = {
      object: { type: 'doc', id: '1' },
      relation: 'viewer',
      subject: { type: 'user', id: 'anne' },
      condition: { name: 'in_office', context },
    };
    index.add(tuple);
    tuple.object.id = '2';
    context.ip = 'changed';
    const [stored] = index.relationOf({ type: 'doc', id: '1' }, 'viewer');
    expect(stored).toEqual({
      object: { type: 'doc', id: '1' },
      relation: 'viewer',
      subject: { type: 'user', id: 'anne' },
      condition: { name: 'in_office', context: { ip: '10.0.0.1' } },
    });
    (stored!.object as { id: string }).id = 'x';
    expect(index.relationOf({ type: 'doc', id: '1' }, 'viewer')[0]!.object.id).toBe('1');
  });

  it('keeps answering right while growing past many table resizes, and after shrinking', () => {
    const index = new CompactTupleIndex();
    const doc = (i: number) => ({ type: 'doc', id: `d${i}` });
    const parent = (i: number): RelationshipTuple => ({
      object: doc(i),
      relation: 'parent',
      subject: { type: 'folder', id: `f${i % 97}` },
    });
    for (let i = 0; i < 20_000; i++) index.add(parent(i));
    for (let i = 0; i < 20_000; i += 2) index.remove(parent(i));
    expect(index.size).toBe(10_000);
    for (let i = 0; i < 20_000; i += 997) {
      expect(index.relationOf(doc(i), 'parent')).toEqual(i % 2 === 0 ? [] : [parent(i)]);
    }
    const inFolder = index.read({ subject: { type: 'folder', id: 'f5' } });
    expect(inFolder.map((t) => t.object.id)).toEqual(
      Array.from({ length: 20_000 }, (_, i) => i)
        .filter((i) => i % 97 === 5 && i % 2 === 1)
        .map((i) => `d${i}`),
    );
  });

  it('the memory store answers readBatch like its individual reads, and refuses unknown kinds', async () => {
    const random = prng(9);
    const store = new MemoryRelationshipStore();
    const tuples = Array.from({ length: 300 }, () => randomTuple(random));
    await store.write(tuples);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    const reads: TupleRead[] = Array.from({ length: 200 }, (): TupleRead => {
      const object = pick(ALL_OBJECTS);
      const relation = pick(RELATIONS);
      switch (Math.floor(random() * 4)) {
        case 0:
          return { kind: 'tuple', object, relation, subject: pick(ALL_SUBJECTS) };
        case 1:
          return { kind: 'usersets', object, relation };
        case 2:
          return { kind: 'relation', object, relation };
        default:
          return { kind: 'subject', subject: pick(ALL_SUBJECTS) };
      }
    });
    const answers = await store.readBatch(reads);
    expect(answers).toEqual(await readEach(store, reads));
    expect(answers.flat().length).toBeGreaterThan(0);
    await expect(store.readBatch([{ kind: 'everything' } as unknown as TupleRead])).rejects.toThrow(
      TypeError,
    );
  });
});
