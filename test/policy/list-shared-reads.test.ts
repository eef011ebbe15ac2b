/**
 * The candidate checks of one list query over SQLite share their reads (each object is read once
 * per query, and each question about a larger object asked once): the pages are exactly those of
 * the same store read question by question, on a hand-made graph (objects under and over the
 * per-object limit, nested usersets, a wildcard, parents) and on generated models; and a list
 * query reads no object twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../../adapters/sqlite/index.js';
import {
  type CompiledModel,
  type ListResourcesRequest,
  type ListSubjectsRequest,
  type ObjectRef,
  PolicyEvaluator,
  type RelationshipStore,
  type RelationshipTuple,
  type SyncTupleReader,
  validateModel,
} from '../../src/policy/index.js';
import { readEach, type TupleRead } from '../../src/policy/relationship-store.js';
import { genModel, genTuples, mulberry32, OBJECTS, USERS } from './generate.js';

const opened: SqliteStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

async function sqliteWith(model: CompiledModel, tuples: readonly RelationshipTuple[]) {
  const sqlite = createSqliteStore({ relationships: { model } });
  opened.push(sqlite);
  await sqlite.relationships.write(tuples);
  return sqlite.relationships;
}

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

/** `reader` without `readObject`: every question of every check is its own read. */
function perQuestion(reader: SyncTupleReader): SyncTupleReader {
  return {
    readTuple: (o, r, s) => reader.readTuple(o, r, s),
    readUsersets: (o, r) => reader.readUsersets(o, r),
    readRelation: (o, r) => reader.readRelation(o, r),
    ...(reader.readTuples ? { readTuples: reader.readTuples.bind(reader) } : {}),
  };
}

/** Every page of a list query, followed to the end (small pages, so cursors are exercised). */
async function allResources(evaluator: PolicyEvaluator, request: ListResourcesRequest) {
  const pages: unknown[] = [];
  let cursor: string | null = null;
  do {
    const page = await evaluator.listResources({ ...request, pageSize: 2, cursor });
    pages.push({ ...page, cursor: page.cursor !== null });
    cursor = page.cursor;
  } while (cursor !== null);
  return pages;
}

async function allSubjects(evaluator: PolicyEvaluator, request: ListSubjectsRequest) {
  const pages: unknown[] = [];
  let cursor: string | null = null;
  do {
    const page = await evaluator.listSubjects({ ...request, pageSize: 2, cursor });
    pages.push({ ...page, cursor: page.cursor !== null });
    cursor = page.cursor;
  } while (cursor !== null);
  return pages;
}

const teamModel = validateModel({
  types: {
    user: {},
    team: { relations: { member: { directly: [{ type: 'user' }, { type: 'team', relation: 'member' }] } } },
    doc: {
      relations: {
        parent: { directly: [{ type: 'doc' }] },
        owner: { directly: [{ type: 'user' }] },
        blocked: { directly: [{ type: 'user' }] },
        viewer: {
          directly: [
            { type: 'user' },
            { type: 'user', wildcard: true },
            { type: 'team', relation: 'member' },
          ],
          rewrite: {
            union: [
              { this: true },
              { computed: 'owner' },
              { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } },
            ],
          },
        },
        reader: {
          rewrite: { exclusion: { base: { computed: 'viewer' }, subtract: { computed: 'blocked' } } },
        },
      },
    },
  },
});

function teamGraph(): RelationshipTuple[] {
  const tuples: RelationshipTuple[] = [];
  const team = (id: string) => ({ type: 'team', id });
  for (let t = 0; t < 6; t++) {
    // Teams of 1 to 11 members: under and over the per-object limit.
    for (let u = 0; u < 1 + 2 * t; u++) {
      tuples.push({ object: team(`t${t}`), relation: 'member', subject: { type: 'user', id: `u${u}` } });
    }
    if (t > 0) {
      tuples.push({
        object: team(`t${t}`),
        relation: 'member',
        subject: { type: 'team', id: `t${t - 1}`, relation: 'member' },
      });
    }
  }
  for (let d = 0; d < 24; d++) {
    const doc = { type: 'doc', id: `d${d}` };
    if (d > 0) {
      tuples.push({ object: doc, relation: 'parent', subject: { type: 'doc', id: `d${Math.floor(d / 2)}` } });
    }
    if (d % 3 === 0) {
      tuples.push({
        object: doc,
        relation: 'viewer',
        subject: { type: 'team', id: `t${d % 6}`, relation: 'member' },
      });
    }
    if (d % 5 === 0) {
      // Wide documents: many direct viewers (over the limit).
      for (let u = 20; u < 28; u++) {
        tuples.push({ object: doc, relation: 'viewer', subject: { type: 'user', id: `u${u}` } });
      }
    }
    if (d % 7 === 3)
      tuples.push({ object: doc, relation: 'owner', subject: { type: 'user', id: `u${d % 11}` } });
    if (d % 4 === 1)
      tuples.push({ object: doc, relation: 'blocked', subject: { type: 'user', id: `u${d % 9}` } });
    if (d === 13) tuples.push({ object: doc, relation: 'viewer', subject: { type: 'user', id: '*' } });
  }
  return tuples;
}

describe('list queries share their reads across candidate checks', () => {
  it('pages equal those of question-by-question reads on a graph with small and large objects', async () => {
    const store = await sqliteWith(teamModel, teamGraph());
    const shared = new PolicyEvaluator({ model: teamModel, store, explain: false });
    const plain = new PolicyEvaluator({
      model: teamModel,
      store: withReader(store, perQuestion(store.sync!)),
      explain: false,
    });
    let listed = 0;
    for (const action of ['viewer', 'reader']) {
      for (let u = 0; u < 30; u++) {
        const request = { subject: { type: 'user', id: `u${u}` }, action, type: 'doc' };
        const expected = await allResources(plain, request);
        expect(await allResources(shared, request), `${action} u${u}`).toEqual(expected);
        listed += expected.length;
      }
      for (let t = 0; t < 6; t++) {
        const request = { subject: { type: 'team', id: `t${t}`, relation: 'member' }, action, type: 'doc' };
        expect(await allResources(shared, request)).toEqual(await allResources(plain, request));
      }
      for (let d = 0; d < 24; d++) {
        const request = { resource: { type: 'doc', id: `d${d}` }, action, subjectType: 'user' };
        expect(await allSubjects(shared, request), `${action} d${d}`).toEqual(
          await allSubjects(plain, request),
        );
      }
    }
    expect(listed).toBeGreaterThan(60);
  });

  for (const seed of [5, 13, 29]) {
    it(`pages equal those of question-by-question reads on a generated model (seed ${seed})`, async () => {
      const rand = mulberry32(seed);
      const source = genModel(rand);
      const model = validateModel(source);
      const store = await sqliteWith(model, genTuples(rand, source, 80));
      const shared = new PolicyEvaluator({ model, store, explain: false });
      const plain = new PolicyEvaluator({
        model,
        store: withReader(store, perQuestion(store.sync!)),
        explain: false,
      });
      for (const [type, ids] of Object.entries(OBJECTS)) {
        for (const action of Object.keys(source.types[type]!.relations ?? {})) {
          for (const user of USERS) {
            const request = { subject: { type: 'user', id: user }, action, type };
            expect(await allResources(shared, request), `${type}#${action}@${user}`).toEqual(
              await allResources(plain, request),
            );
          }
          for (const id of ids) {
            const request = { resource: { type, id }, action, subjectType: 'user' };
            expect(await allSubjects(shared, request), `${type}:${id}#${action}`).toEqual(
              await allSubjects(plain, request),
            );
          }
        }
      }
    });
  }

  it('reads each object once per list query, and again in the next query', async () => {
    const store = await sqliteWith(teamModel, teamGraph());
    const reader = store.sync!;
    const reads: string[] = [];
    const counting: SyncTupleReader = {
      ...perQuestion(reader),
      readObject: (object: ObjectRef, limit: number) => {
        reads.push(`${object.type}:${object.id}`);
        return reader.readObject!(object, limit);
      },
    };
    const evaluator = new PolicyEvaluator({ model: teamModel, store: withReader(store, counting) });
    const request = { subject: { type: 'user', id: 'u1' }, action: 'viewer', type: 'doc' };
    const page = await evaluator.listResources(request);
    expect(page.resources.length).toBeGreaterThan(3);
    // Documents share parents and teams: without sharing, those would be read once per candidate.
    expect(reads.length).toBeGreaterThan(page.resources.length);
    expect(new Set(reads).size).toBe(reads.length);
    const first = reads.length;
    await evaluator.listResources(request);
    expect(reads.length).toBe(2 * first);
  });

  it('SQLite answers readBatch like its individual reads (one call per level of a list query)', async () => {
    const store = await sqliteWith(teamModel, teamGraph());
    const objects: ObjectRef[] = [
      ...Array.from({ length: 24 }, (_, d) => ({ type: 'doc', id: `d${d}` })),
      ...Array.from({ length: 6 }, (_, t) => ({ type: 'team', id: `t${t}` })),
    ];
    const subjects = [
      { type: 'user', id: 'u1' },
      { type: 'user', id: 'u21' },
      { type: 'user', id: '*' },
      { type: 'team', id: 't2', relation: 'member' },
      { type: 'doc', id: 'd3' },
    ];
    const reads: TupleRead[] = [
      ...objects.flatMap((object) =>
        ['viewer', 'member', 'parent'].flatMap((relation): TupleRead[] => [
          { kind: 'relation', object, relation },
          { kind: 'usersets', object, relation },
          ...subjects.map((subject): TupleRead => ({ kind: 'tuple', object, relation, subject })),
        ]),
      ),
      ...subjects.map((subject): TupleRead => ({ kind: 'subject', subject })),
    ];
    const answers = await store.readBatch!([...reads, ...reads]);
    const each = await readEach(store, reads);
    for (const [i, read] of reads.entries()) {
      expect(answers[i], JSON.stringify(read)).toEqual(each[i]);
      expect(answers[i + reads.length]).toEqual(each[i]);
    }
    expect(answers.filter((a) => a.length > 0).length).toBeGreaterThan(20);
    await expect(store.readBatch!([{ kind: 'everything' } as unknown as TupleRead])).rejects.toThrow(
      TypeError,
    );
  });
});
