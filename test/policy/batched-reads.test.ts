/**
 * `RelationshipStore.readBatch`, independent of any database: an asynchronous store that has it
 * is read with one `readBatch` per round of a check and per breadth-first level of a reverse query
 * (never read by read), decides exactly as the memory store, and fails closed when a batch fails;
 * list queries confirm their candidates concurrently on such a store and still give the memory
 * store's pages, cursors and completeness, whatever the budget.
 */
import { describe, expect, it } from 'vitest';
import {
  type CheckRequest,
  type CheckResult,
  MemoryRelationshipStore,
  PolicyEvaluator,
  type RelationshipStore,
  type RelationshipTuple,
  validateModel,
} from '../../src/policy/index.js';
import { readEach, type TupleRead } from '../../src/policy/relationship-store.js';
import { RELATIONSHIP_CONTRACT_MODEL } from '../../src/testing.js';
import { genModel, genTuples, mulberry32, OBJECTS, USERS } from './generate.js';

/** An asynchronous store over `memory` that answers only through `readBatch`, recording each call. */
function batchedStore(
  memory: MemoryRelationshipStore,
  readBatch: (reads: readonly TupleRead[]) => Promise<RelationshipTuple[][]> = (reads) =>
    readEach(memory, reads),
) {
  const calls: (readonly TupleRead[])[] = [];
  const individual = () => Promise.reject(new Error('read one by one'));
  const store: RelationshipStore = {
    write: (t) => memory.write(t),
    delete: (t) => memory.delete(t),
    read: individual,
    readTuple: individual,
    readUsersets: individual,
    readRelation: individual,
    readBatch: (reads) => {
      calls.push(reads);
      return readBatch(reads);
    },
  };
  return { store, calls };
}

const decision = (r: CheckResult) => ({ allowed: r.allowed, code: r.code });
const tuple = (o: [string, string], relation: string, s: [string, string, string?]): RelationshipTuple => ({
  object: { type: o[0], id: o[1] },
  relation,
  subject: s[2] ? { type: s[0], id: s[1], relation: s[2] } : { type: s[0], id: s[1] },
});

describe('an asynchronous store with readBatch', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`decides and lists like the memory store (oracle model ${seed}), whatever the budget`, async () => {
      const rand = mulberry32(seed);
      const source = genModel(rand);
      const model = validateModel(source);
      const memory = new MemoryRelationshipStore({ model });
      await memory.write(genTuples(rand, source, 25 + Math.floor(rand() * 20)));
      const { store, calls } = batchedStore(memory);
      const onMemory = new PolicyEvaluator({ model, store: memory });
      const batched = new PolicyEvaluator({ model, store });
      for (const [type, ids] of Object.entries(OBJECTS)) {
        for (const action of Object.keys(source.types[type]!.relations ?? {})) {
          const requests = ids.flatMap((id) =>
            [...USERS, 'unmentioned'].map(
              (user): CheckRequest => ({
                subject: { type: 'user', id: user },
                action,
                resource: { type, id },
              }),
            ),
          );
          const expected = await Promise.all(requests.map(async (r) => decision(await onMemory.check(r))));
          for (const [i, r] of requests.entries())
            expect(decision(await batched.check(r))).toEqual(expected[i]);
          expect((await batched.batchCheck(requests)).map(decision)).toEqual(expected);
          for (const budget of [1, 2, 3, 5, 8, 13, 10_000]) {
            for (const pageSize of [1, 2, 100]) {
              for (const user of [...USERS, 'unmentioned']) {
                const request = { subject: { type: 'user', id: user }, action, type, pageSize, budget };
                let cursor: string | null = null;
                do {
                  const page = await onMemory.listResources({ ...request, cursor });
                  expect(await batched.listResources({ ...request, cursor })).toEqual(page);
                  cursor = page.cursor;
                } while (cursor !== null);
              }
              for (const id of ids) {
                const request = { resource: { type, id }, action, subjectType: 'user', pageSize, budget };
                let cursor: string | null = null;
                do {
                  const page = await onMemory.listSubjects({ ...request, cursor });
                  expect(await batched.listSubjects({ ...request, cursor })).toEqual(page);
                  cursor = page.cursor;
                } while (cursor !== null);
              }
            }
          }
        }
      }
      expect(calls.length).toBeGreaterThan(0);
    });
  }

  it('one readBatch per round of a check, and per level of a list query', async () => {
    // team:t0 <- t1 <- ... <- t5 (nested teams), folder:f viewable by t5's members.
    const memory = new MemoryRelationshipStore({ model: RELATIONSHIP_CONTRACT_MODEL });
    const nested = [0, 1, 2, 3, 4].map((i) =>
      tuple(['team', `t${i + 1}`], 'member', ['team', `t${i}`, 'member']),
    );
    await memory.write([
      tuple(['team', 't0'], 'member', ['user', 'anne']),
      ...nested,
      tuple(['folder', 'f'], 'viewer', ['team', 't5', 'member']),
      ...['x', 'y', 'z'].map((u) => tuple(['folder', 'f'], 'viewer', ['user', u])),
    ]);
    const { store, calls } = batchedStore(memory);
    const evaluator = new PolicyEvaluator({ model: RELATIONSHIP_CONTRACT_MODEL, store });
    const anne: CheckRequest = {
      subject: { type: 'user', id: 'anne' },
      action: 'viewer',
      resource: { type: 'folder', id: 'f' },
    };
    expect(await evaluator.check(anne)).toMatchObject({ allowed: true });
    // folder:f#viewer, then one team per round (t5 ... t0), then the walk that decides.
    expect(calls.length).toBe(7);
    expect(Math.max(...calls.map((c) => c.length))).toBeGreaterThan(1);
    calls.length = 0;
    const listed = await evaluator.listSubjects({
      resource: anne.resource,
      action: 'viewer',
      subjectType: 'user',
    });
    expect(listed.subjects.map((s) => s.id)).toEqual(['anne', 'x', 'y', 'z']);
    // Levels: folder:f#viewer, t5 ... t0: 7 reads in 7 calls; then the checks, side by side.
    expect(calls.slice(0, 7).map((c) => c.map((r) => r.kind))).toEqual(Array(7).fill(['relation']));
  });

  it('fails closed: a rejected or malformed batch denies with store_error, a list query rejects', async () => {
    const memory = new MemoryRelationshipStore();
    await memory.write([tuple(['folder', '1'], 'viewer', ['user', 'anne'])]);
    const request: CheckRequest = {
      subject: { type: 'user', id: 'anne' },
      action: 'viewer',
      resource: { type: 'folder', id: '1' },
    };
    const answers: ((reads: readonly TupleRead[]) => Promise<RelationshipTuple[][]>)[] = [
      () => Promise.reject(new Error('connection lost')),
      async () => [],
      async (reads) => reads.map(() => 'nope' as unknown as RelationshipTuple[]),
    ];
    for (const readBatch of answers) {
      const { store } = batchedStore(memory, readBatch);
      const evaluator = new PolicyEvaluator({ model: RELATIONSHIP_CONTRACT_MODEL, store });
      expect(await evaluator.check(request)).toMatchObject({ allowed: false, code: 'store_error' });
    }
    const { store } = batchedStore(memory, answers[0]);
    const evaluator = new PolicyEvaluator({ model: RELATIONSHIP_CONTRACT_MODEL, store });
    await expect(
      evaluator.listResources({ subject: request.subject, action: 'viewer', type: 'folder' }),
    ).rejects.toThrow('connection lost');
  });
});
