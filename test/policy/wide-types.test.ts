/**
 * Over a store with per-object reads (SQLite), a type whose objects keep coming out over the
 * per-object limit is read question by question straight away, and read whole again once its
 * objects are small; the decisions are the store's either way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../../adapters/sqlite/index.js';
import { OBJECT_READ_LIMIT } from '../../src/policy/engine/object-reads.js';
import {
  type ObjectRef,
  PolicyEvaluator,
  type RelationshipStore,
  type RelationshipTuple,
  type SyncTupleReader,
  validateModel,
} from '../../src/policy/index.js';

const opened: SqliteStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

const model = validateModel({
  types: {
    user: {},
    team: { relations: { member: { directly: [{ type: 'user' }, { type: 'team', relation: 'member' }] } } },
    doc: { relations: { viewer: { directly: [{ type: 'user' }, { type: 'team', relation: 'member' }] } } },
  },
});

const member = (team: number, user: string): RelationshipTuple => ({
  object: { type: 'team', id: `t${team}` },
  relation: 'member',
  subject: { type: 'user', id: user },
});

describe('wide types', () => {
  it('skips whole-object reads of a type that is always over the limit, and notices when it shrinks', async () => {
    const sqlite = createSqliteStore({ relationships: { model } });
    opened.push(sqlite);
    const store = sqlite.relationships;
    const tuples: RelationshipTuple[] = [];
    for (let t = 0; t < 200; t++) {
      // Every team has one more member than the limit; doc dN is viewed by team tN.
      for (let u = 0; u <= OBJECT_READ_LIMIT; u++) tuples.push(member(t, `u${t + u}`));
      tuples.push({
        object: { type: 'doc', id: `d${t}` },
        relation: 'viewer',
        subject: { type: 'team', id: `t${t}`, relation: 'member' },
      });
    }
    await store.write(tuples);
    const reader = store.sync!;
    const whole: string[] = [];
    const counting: SyncTupleReader = {
      readTuple: (o, r, s) => reader.readTuple(o, r, s),
      readUsersets: (o, r) => reader.readUsersets(o, r),
      readRelation: (o, r) => reader.readRelation(o, r),
      readObject: (object: ObjectRef, limit: number) => {
        whole.push(object.type);
        return reader.readObject!(object, limit);
      },
    };
    const wrapped: RelationshipStore = { ...bind(store), sync: counting };
    const evaluator = new PolicyEvaluator({ model, store: wrapped, explain: false });
    const check = (t: number, user: string) =>
      evaluator.checkSync({
        subject: { type: 'user', id: user },
        action: 'viewer',
        resource: { type: 'doc', id: `d${t}` },
      }).allowed;

    for (let t = 0; t < 200; t++) {
      expect(check(t, `u${t + OBJECT_READ_LIMIT}`)).toBe(true);
      expect(check(t, `u${t + OBJECT_READ_LIMIT + 1}`)).toBe(false);
    }
    const teamReads = whole.filter((type) => type === 'team').length;
    expect(whole.filter((type) => type === 'doc').length).toBe(400);
    // 400 checks went through a team; only a few read one whole (the first ones, then probes).
    expect(teamReads).toBeLessThan(40);
    expect(teamReads).toBeGreaterThan(0);

    // The teams shrink to one member each: whole-object reads of teams come back.
    await store.delete(
      tuples.filter((t) => t.object.type === 'team' && t.subject.id !== `u${t.object.id.slice(1)}`),
    );
    whole.length = 0;
    for (let round = 0; round < 3; round++) {
      for (let t = 0; t < 200; t++) {
        expect(check(t, `u${t}`)).toBe(true);
        expect(check(t, `u${t + 1}`)).toBe(false);
      }
    }
    expect(whole.filter((type) => type === 'team').length).toBeGreaterThan(1000);
  });
});

function bind(store: RelationshipStore): RelationshipStore {
  return {
    write: (t) => store.write(t),
    delete: (t) => store.delete(t),
    read: (f) => store.read(f),
    readTuple: (o, r, s) => store.readTuple(o, r, s),
    readUsersets: (o, r) => store.readUsersets(o, r),
    readRelation: (o, r) => store.readRelation(o, r),
  };
}
