/**
 * Checks over a store with `sync.readObject` (SQLite: one query per object a check visits) decide
 * exactly as over the same store asked question by question, for objects under and over the
 * per-object limit; `readObject` lists each relation's tuples as `readRelation` does, and a
 * failing `readObject` denies with `store_error`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../../adapters/sqlite/index.js';
import { OBJECT_READ_LIMIT } from '../../src/policy/engine/object-reads.js';
import {
  type CheckRequest,
  type CheckResult,
  PolicyEvaluator,
  type RelationshipStore,
  type RelationshipTuple,
  type SyncTupleReader,
  validateModel,
} from '../../src/policy/index.js';
import { genModel, genTuples, mulberry32, OBJECTS, USERS } from './generate.js';

const opened: SqliteStore[] = [];
function sqliteStore(model?: ReturnType<typeof validateModel>): SqliteStore {
  const store = createSqliteStore(model ? { relationships: { model } } : {});
  opened.push(store);
  return store;
}
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

/** The same store with `sync` reads replaced by `reader`. */
function withReader(store: RelationshipStore, reader: SyncTupleReader): RelationshipStore {
  return {
    write: (t) => store.write(t),
    delete: (t) => store.delete(t),
    read: (f) => store.read(f),
    readTuple: (o, r, s) => store.readTuple(o, r, s),
    readUsersets: (o, r) => store.readUsersets(o, r),
    readRelation: (o, r) => store.readRelation(o, r),
    sync: reader,
  };
}

/** `reader` without `readObject`: every question is its own read. */
function perQuestion(reader: SyncTupleReader): SyncTupleReader {
  return {
    readTuple: (o, r, s) => reader.readTuple(o, r, s),
    readUsersets: (o, r) => reader.readUsersets(o, r),
    readRelation: (o, r) => reader.readRelation(o, r),
    ...(reader.readTuples ? { readTuples: reader.readTuples.bind(reader) } : {}),
  };
}

const decision = (r: CheckResult) => ({ allowed: r.allowed, code: r.code });

const teamModel = validateModel({
  types: {
    user: {},
    team: { relations: { member: { directly: [{ type: 'user' }, { type: 'team', relation: 'member' }] } } },
    doc: {
      relations: {
        parent: { directly: [{ type: 'doc' }] },
        viewer: {
          directly: [
            { type: 'user' },
            { type: 'user', wildcard: true },
            { type: 'team', relation: 'member' },
          ],
          rewrite: {
            union: [{ this: true }, { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } }],
          },
        },
      },
    },
  },
});

describe('per-object reads (readObject)', () => {
  it('readObject lists each relation like readRelation, and refuses objects over the limit', async () => {
    const sqlite = sqliteStore(teamModel);
    const team = (id: string) => ({ type: 'team', id });
    const member = (t: string, u: string): RelationshipTuple => ({
      object: team(t),
      relation: 'member',
      subject: { type: 'user', id: u },
    });
    // `small` holds exactly the limit, `big` one more; ids sort differently from insertion order.
    const small = Array.from({ length: OBJECT_READ_LIMIT }, (_, i) => member('small', `u${9 - i}`));
    const big = Array.from({ length: OBJECT_READ_LIMIT + 1 }, (_, i) => member('big', `u${i}`));
    await sqlite.relationships.write([
      ...small,
      ...big,
      {
        object: team('small'),
        relation: 'member',
        subject: { type: 'team', id: 'a:b#member', relation: 'member' },
      },
    ]);
    const sync = sqlite.relationships.sync!;
    expect(sync.readObject!(team('big'), OBJECT_READ_LIMIT)).toBeUndefined();
    expect(sync.readObject!(team('big'), OBJECT_READ_LIMIT + 1)).toEqual(
      await sqlite.relationships.readRelation(team('big'), 'member'),
    );
    expect(sync.readObject!(team('small'), OBJECT_READ_LIMIT + 1)).toEqual(
      await sqlite.relationships.readRelation(team('small'), 'member'),
    );
    expect(sync.readObject!(team('nobody'), OBJECT_READ_LIMIT)).toEqual([]);
  });

  it('checks decide alike through small and large objects, usersets, wildcards and parents', async () => {
    const sqlite = sqliteStore(teamModel);
    const tuples: RelationshipTuple[] = [];
    for (let t = 0; t < 6; t++) {
      // Teams of 1 to 11 members: under and over the limit.
      for (let u = 0; u < 1 + 2 * t; u++) {
        tuples.push({
          object: { type: 'team', id: `t${t}` },
          relation: 'member',
          subject: { type: 'user', id: `u${u}` },
        });
      }
      if (t > 0) {
        tuples.push({
          object: { type: 'team', id: `t${t}` },
          relation: 'member',
          subject: { type: 'team', id: `t${t - 1}`, relation: 'member' },
        });
      }
    }
    for (let d = 0; d < 20; d++) {
      const doc = { type: 'doc', id: `d${d}` };
      if (d > 0)
        tuples.push({
          object: doc,
          relation: 'parent',
          subject: { type: 'doc', id: `d${Math.floor(d / 2)}` },
        });
      tuples.push({
        object: doc,
        relation: 'viewer',
        subject: { type: 'team', id: `t${d % 6}`, relation: 'member' },
      });
      // Wide documents: many direct viewers (over the limit).
      if (d % 5 === 0) {
        for (let u = 20; u < 30; u++)
          tuples.push({ object: doc, relation: 'viewer', subject: { type: 'user', id: `u${u}` } });
      }
      if (d === 7) tuples.push({ object: doc, relation: 'viewer', subject: { type: 'user', id: '*' } });
    }
    await sqlite.relationships.write(tuples);
    const byObject = new PolicyEvaluator({ model: teamModel, store: sqlite.relationships, explain: false });
    const byQuestion = new PolicyEvaluator({
      model: teamModel,
      store: withReader(sqlite.relationships, perQuestion(sqlite.relationships.sync!)),
      explain: false,
    });
    let allowed = 0;
    for (let d = 0; d < 20; d++) {
      for (let u = 0; u < 32; u++) {
        const request: CheckRequest = {
          subject: { type: 'user', id: `u${u}` },
          action: 'viewer',
          resource: { type: 'doc', id: `d${d}` },
        };
        const expected = decision(await byQuestion.check(request));
        expect(decision(await byObject.check(request))).toEqual(expected);
        expect(decision(byObject.checkSync(request))).toEqual(expected);
        if (expected.allowed) allowed++;
      }
    }
    // Both answers occur, so the comparison means something.
    expect(allowed).toBeGreaterThan(50);
    expect(allowed).toBeLessThan(640);
  });

  for (const seed of [3, 7, 11, 19]) {
    it(`decides like question-by-question reads on a generated model (seed ${seed})`, async () => {
      const rand = mulberry32(seed);
      const source = genModel(rand);
      const model = validateModel(source);
      const sqlite = sqliteStore(model);
      await sqlite.relationships.write(genTuples(rand, source, 60));
      const byObject = new PolicyEvaluator({ model, store: sqlite.relationships, explain: false });
      const byQuestion = new PolicyEvaluator({
        model,
        store: withReader(sqlite.relationships, perQuestion(sqlite.relationships.sync!)),
        explain: false,
      });
      let granted = 0;
      for (const [type, ids] of Object.entries(OBJECTS)) {
        for (const action of Object.keys(source.types[type]!.relations ?? {})) {
          for (const id of ids) {
            for (const user of [...USERS, 'unmentioned']) {
              const request: CheckRequest = {
                subject: { type: 'user', id: user },
                action,
                resource: { type, id },
              };
              const where = `${type}:${id}#${action}@user:${user}`;
              const expected = decision(byQuestion.checkSync(request));
              expect(decision(byObject.checkSync(request)), where).toEqual(expected);
              expect(decision(await byObject.explain(request)), where).toEqual(expected);
              if (expected.allowed) granted++;
            }
          }
        }
      }
      expect(granted).toBeGreaterThan(0);
    });
  }

  it('a failing readObject denies with store_error', async () => {
    const sqlite = sqliteStore(teamModel);
    await sqlite.relationships.write([
      { object: { type: 'doc', id: '1' }, relation: 'viewer', subject: { type: 'user', id: 'anne' } },
    ]);
    const reader = sqlite.relationships.sync!;
    const failing: SyncTupleReader = {
      ...perQuestion(reader),
      readObject: () => {
        throw new Error('disk gone');
      },
    };
    const evaluator = new PolicyEvaluator({
      model: teamModel,
      store: withReader(sqlite.relationships, failing),
      explain: false,
    });
    const request = {
      subject: { type: 'user', id: 'anne' },
      action: 'viewer',
      resource: { type: 'doc', id: '1' },
    };
    expect(decision(evaluator.checkSync(request))).toEqual({ allowed: false, code: 'store_error' });
  });
});
