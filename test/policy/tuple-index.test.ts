/**
 * TupleIndex keeps insertion order (a rewritten tuple keeps its place) and answers alike whether
 * an `object#relation` holds a few tuples (an array) or many (a map), across writes and deletes.
 */
import { describe, expect, it } from 'vitest';
import { type RelationshipTuple, TupleIndex } from '../../src/policy/index.js';

const doc = { type: 'doc', id: '1' };
const viewer = (id: string, relation?: string, condition?: string): RelationshipTuple => ({
  object: doc,
  relation: 'viewer',
  subject: relation ? { type: 'team', id, relation } : { type: 'user', id },
  ...(condition ? { condition: { name: condition } } : {}),
});
const ids = (tuples: readonly RelationshipTuple[]) =>
  tuples.map((t) => `${t.subject.id}${t.subject.relation ? `#${t.subject.relation}` : ''}`);

describe('TupleIndex', () => {
  for (const count of [3, 8, 9, 40]) {
    it(`${count} tuples on one object#relation: order, replace, get, usersets, delete`, () => {
      const index = new TupleIndex();
      const expected: string[] = [];
      for (let i = 0; i < count; i++) {
        const tuple = i % 3 === 0 ? viewer(`t${i}`, 'member') : viewer(`u${i}`);
        index.add(tuple);
        expected.push(ids([tuple])[0]!);
      }
      expect(index.size).toBe(count);
      expect(ids(index.relationView(doc, 'viewer'))).toEqual(expected);
      expect(ids(index.usersetsView(doc, 'viewer'))).toEqual(expected.filter((x) => x.includes('#')));
      // Rewriting a tuple (new condition) keeps its place and the count.
      index.add(viewer('u1', undefined, 'in_office'));
      expect(index.size).toBe(count);
      expect(ids(index.relationView(doc, 'viewer'))).toEqual(expected);
      expect(index.get(doc, 'viewer', { type: 'user', id: 'u1' })?.condition?.name).toBe('in_office');
      expect(index.get(doc, 'viewer', { type: 'team', id: 't0', relation: 'member' })).toBeDefined();
      expect(index.get(doc, 'viewer', { type: 'team', id: 't0' })).toBeUndefined();
      expect(index.get(doc, 'viewer', { type: 'user', id: 'nobody' })).toBeUndefined();
      // Deleting keeps the order of the rest.
      index.remove(viewer('u1'));
      index.remove(viewer('t0', 'member'));
      const rest = expected.filter((x) => x !== 'u1' && x !== 't0#member');
      expect(ids(index.relationView(doc, 'viewer'))).toEqual(rest);
      expect(index.size).toBe(count - 2);
      expect(index.get(doc, 'viewer', { type: 'user', id: 'u1' })).toBeUndefined();
      expect(ids(index.read({ subject: { type: 'user', id: 'u2' } }))).toEqual(count > 2 ? ['u2'] : []);
      for (const t of index.relationView(doc, 'viewer')) index.remove(t);
      expect(index.size).toBe(0);
      expect(index.relationView(doc, 'viewer')).toEqual([]);
      expect(index.read({})).toEqual([]);
    });
  }

  it('tuplesFor answers "which of these relations does the subject hold" either way round', () => {
    const index = new TupleIndex();
    const app = { type: 'app', id: 'genai' };
    const anne = { type: 'user', id: 'anne' };
    for (let i = 0; i < 12; i++)
      index.add({ object: app, relation: `R${i}`, subject: { type: 'user', id: `u${i}` } });
    index.add({ object: app, relation: 'R3', subject: anne });
    index.add({ object: app, relation: 'R7', subject: anne });
    const few = new Set(['R3', 'R4']);
    const many = new Set(Array.from({ length: 12 }, (_, i) => `R${i}`));
    expect(index.tuplesFor(app, few, anne).map((t) => t.relation)).toEqual(['R3']);
    expect(
      index
        .tuplesFor(app, many, anne)
        .map((t) => t.relation)
        .sort(),
    ).toEqual(['R3', 'R7']);
    expect(index.tuplesFor({ type: 'app', id: 'other' }, many, anne)).toEqual([]);
  });
});
