/**
 * The evaluator over `PostgresRelationshipStore` (an asynchronous store with `readBatch`) against a
 * real PostgreSQL server: it decides exactly as over the memory store (check, explain, batchCheck,
 * listResources and listSubjects page by page) on the consistency oracle's generated models, for
 * role unions, conditions and stray tuples; each round of a check is one query however many reads
 * it queued, and concurrent checks share their rounds' queries; ids PostgreSQL cannot hold decide
 * like ids nobody holds (see `postgres-plans.test.ts` for the query plans).
 */
import type pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PostgresRelationshipStore } from '../../adapters/postgres/relationships.js';
import type { Queryable } from '../../adapters/postgres/sql.js';
import {
  type CheckRequest,
  type CheckResult,
  type CompiledModel,
  defineRoles,
  MemoryRelationshipStore,
  PolicyEvaluator,
  type RelationshipTuple,
  rolesTypeDefinition,
  validateModel,
} from '../../src/policy/index.js';
import { RELATIONSHIP_CONTRACT_MODEL } from '../../src/testing.js';
import { postgresSchemas, testPool } from '../support/postgres-schemas.js';
import { describeWithPostgres } from '../support/services/index.js';
import { genModel, genTuples, mulberry32, OBJECTS, USERS } from './generate.js';

const decision = (r: CheckResult) => ({ allowed: r.allowed, code: r.code });
const tuple = (o: [string, string], relation: string, s: [string, string, string?]): RelationshipTuple => ({
  object: { type: o[0], id: o[1] },
  relation,
  subject: s[2] ? { type: s[0], id: s[1], relation: s[2] } : { type: s[0], id: s[1] },
});
const ask = (user: string, action: string, type: string, id: string): CheckRequest => ({
  subject: { type: 'user', id: user },
  action,
  resource: { type, id },
});

describeWithPostgres('PolicyEvaluator on PostgreSQL', (url) => {
  const schemas = postgresSchemas(url);
  const pool = testPool(url, 6);
  afterAll(() => pool.end());

  /** Every query sent, and the `readBatch` calls (the rounds) made, since the last `reset`. */
  const sent: { text: string; values: unknown[] }[] = [];
  let rounds = 0;
  const counting: Queryable = {
    query: (config) => {
      sent.push({ text: config.text, values: config.values ?? [] });
      return pool.query(config);
    },
  };
  const reset = () => {
    sent.length = 0;
    rounds = 0;
  };

  let schema: string | undefined;
  afterEach(async () => {
    if (schema) await schemas.drop(schema);
    schema = undefined;
  });
  /** A store on a fresh schema, counting its `readBatch` calls, and a memory store, both holding `tuples`. */
  async function stores(model: CompiledModel | undefined, tuples: readonly RelationshipTuple[]) {
    schema = await schemas.create();
    const postgres = new PostgresRelationshipStore(counting, { schema, ...(model ? { model } : {}) });
    const readBatch = postgres.readBatch.bind(postgres);
    postgres.readBatch = (reads) => {
      rounds++;
      return readBatch(reads);
    };
    const memory = new MemoryRelationshipStore(model ? { model } : {});
    await postgres.write(tuples);
    await memory.write(tuples);
    return { postgres, memory };
  }

  describe('decides like the memory store (consistency oracle models)', () => {
    for (const seed of Array.from({ length: 12 }, (_, i) => i + 1)) {
      it(`model and tuples from seed ${seed}`, async () => {
        // The oracle's model and tuples for this seed (same draws from the generator).
        const rand = mulberry32(seed);
        const source = genModel(rand);
        const model = validateModel(source);
        const tuples = genTuples(rand, source, 25 + Math.floor(rand() * 20));
        const contextual = genTuples(rand, source, 4).slice(0, 2);
        const pageSize = 1 + Math.floor(rand() * 3);
        const { postgres, memory } = await stores(model, tuples);
        const onMemory = new PolicyEvaluator({ model, store: memory });
        const onPostgres = new PolicyEvaluator({ model, store: postgres });
        expect(onPostgres.canCheckSync).toBe(false);
        let granted = 0;
        for (const [type, ids] of Object.entries(OBJECTS)) {
          for (const action of Object.keys(source.types[type]!.relations ?? {})) {
            const requests: CheckRequest[] = [];
            for (const id of ids) {
              for (const user of [...USERS, 'unmentioned']) {
                for (const contextualTuples of [undefined, contextual]) {
                  requests.push({
                    ...ask(user, action, type, id),
                    ...(contextualTuples ? { contextualTuples } : {}),
                  });
                }
              }
            }
            const expected: ReturnType<typeof decision>[] = [];
            for (const request of requests) {
              const where = `${type}:${request.resource.id}#${action}@user:${request.subject.id}`;
              const e = decision(await onMemory.check(request));
              expect(decision(await onPostgres.check(request)), `check ${where}`).toEqual(e);
              expect(decision(await onPostgres.explain(request)), `explain ${where}`).toEqual(e);
              expected.push(e);
              if (e.allowed) granted++;
            }
            expect((await onPostgres.batchCheck(requests)).map(decision), `batchCheck ${action}`).toEqual(
              expected,
            );
            // Reverse queries, page by page: the same pages and cursors.
            for (const user of [...USERS, 'unmentioned']) {
              for (const size of [pageSize, 1000]) {
                let cursor: string | null = null;
                do {
                  const request = {
                    subject: { type: 'user', id: user },
                    action,
                    type,
                    pageSize: size,
                    cursor,
                  };
                  const page = await onMemory.listResources(request);
                  expect(await onPostgres.listResources(request), `listResources ${user} ${action}`).toEqual(
                    page,
                  );
                  cursor = page.cursor;
                } while (cursor !== null);
              }
            }
            for (const id of ids) {
              for (const size of [pageSize, 1000]) {
                let cursor: string | null = null;
                do {
                  const request = {
                    resource: { type, id },
                    action,
                    subjectType: 'user',
                    pageSize: size,
                    cursor,
                  };
                  const page = await onMemory.listSubjects(request);
                  expect(
                    await onPostgres.listSubjects(request),
                    `listSubjects ${type}:${id}#${action}`,
                  ).toEqual(page);
                  cursor = page.cursor;
                } while (cursor !== null);
              }
            }
          }
        }
        expect(granted).toBeGreaterThan(0);
      });
    }
  });

  it('role unions, with a wildcard role and a deny, as on the memory store', async () => {
    const roles = defineRoles({
      viewer: { permissions: ['read'] },
      editor: { inherits: ['viewer'], permissions: ['write'] },
      admin: { inherits: ['editor'], permissions: ['share'], deny: ['audit'] },
      auditor: { permissions: ['audit', 'read'] },
    });
    const app = rolesTypeDefinition(roles);
    const relations = {
      ...app.relations,
      viewer: { directly: [{ type: 'user' }, { type: 'user', wildcard: true }] },
    };
    const model = validateModel({ types: { user: {}, app: { relations } } });
    const { postgres, memory } = await stores(model, [
      tuple(['app', 'a1'], 'admin', ['user', 'ada']),
      tuple(['app', 'a1'], 'auditor', ['user', 'ada']),
      tuple(['app', 'a1'], 'editor', ['user', 'eve']),
      tuple(['app', 'a2'], 'viewer', ['user', '*']),
      tuple(['app', 'a2'], 'auditor', ['user', 'aud']),
    ]);
    const onMemory = new PolicyEvaluator({ model, store: memory, explain: false });
    const onPostgres = new PolicyEvaluator({ model, store: postgres, explain: false });
    const seen: string[] = [];
    for (const user of ['ada', 'eve', 'aud', 'zed']) {
      for (const action of ['read', 'write', 'share', 'audit', 'viewer', 'admin']) {
        for (const id of ['a1', 'a2', 'a3']) {
          const expected = decision(await onMemory.check(ask(user, action, 'app', id)));
          expect(
            decision(await onPostgres.check(ask(user, action, 'app', id))),
            `${user} ${action} ${id}`,
          ).toEqual(expected);
          if (expected.allowed) seen.push(`${user} ${action} ${id}`);
        }
      }
    }
    expect(seen).toEqual(
      expect.arrayContaining(['ada share a1', 'eve write a1', 'zed read a2', 'aud audit a2']),
    );
    expect(seen).not.toContain('ada audit a1');
  });

  it('applies type restrictions and conditions to tuples as stored, ignoring stray ones', async () => {
    const inOffice = { name: 'in_office', context: { allowed: ['10.0.0.1'] } };
    // No model on the stores: they accept tuples the evaluator's model does not admit.
    const { postgres, memory } = await stores(undefined, [
      { ...tuple(['folder', '1'], 'viewer', ['user', 'bob']), condition: inOffice },
      { ...tuple(['folder', '1'], 'viewer', ['user', 'carol']), condition: { name: 'other' } },
      { ...tuple(['folder', '1'], 'owner', ['user', 'dan']), condition: inOffice },
      tuple(['folder', '1'], 'owner', ['team', 'eng', 'member']),
      tuple(['team', 'eng'], 'member', ['user', 'erin']),
      tuple(['folder', '1'], 'viewer', ['user', 'anne']),
    ]);
    const model = RELATIONSHIP_CONTRACT_MODEL;
    const onMemory = new PolicyEvaluator({ model, store: memory });
    const onPostgres = new PolicyEvaluator({ model, store: postgres });
    const results: string[] = [];
    for (const user of ['anne', 'bob', 'carol', 'dan', 'erin']) {
      for (const action of ['viewer', 'owner']) {
        for (const context of [undefined, { ip: '10.0.0.1' }, { ip: '10.9.9.9' }]) {
          const request = { ...ask(user, action, 'folder', '1'), ...(context ? { context } : {}) };
          const expected = decision(await onMemory.check(request));
          expect(decision(await onPostgres.check(request))).toEqual(expected);
          results.push(`${user} ${action} ${context?.ip ?? '-'}: ${expected.code}`);
        }
      }
    }
    expect(results).toContain('bob viewer 10.0.0.1: granted');
    expect(results).toContain('bob viewer 10.9.9.9: not_granted');
    for (const stray of ['carol viewer 10.0.0.1', 'dan owner 10.0.0.1', 'erin owner -']) {
      expect(results).toContain(`${stray}: not_granted`);
    }
  });

  describe('one query per round', () => {
    // folder:shared is viewable by 40 teams; user:u39 is in team t39 only.
    const model = RELATIONSHIP_CONTRACT_MODEL;
    const teams = Array.from({ length: 40 }, (_, i) => `t${i}`);
    const graph = [
      ...teams.map((t) => tuple(['folder', 'shared'], 'viewer', ['team', t, 'member'])),
      ...teams.map((t, i) => tuple(['team', t], 'member', ['user', `u${i}`])),
      ...teams.map((t) => tuple(['folder', `own-${t}`], 'owner', ['user', `u${t.slice(1)}`])),
    ];

    it('a check reads a whole round (here 80 reads) with one query', async () => {
      const { postgres } = await stores(model, graph);
      const evaluator = new PolicyEvaluator({ model, store: postgres, explain: false });
      reset();
      let widest = 0;
      const readBatch = postgres.readBatch;
      postgres.readBatch = (reads) => {
        widest = Math.max(widest, reads.length);
        return readBatch(reads);
      };
      expect(await evaluator.check(ask('u39', 'viewer', 'folder', 'shared'))).toMatchObject({
        allowed: true,
      });
      expect(widest).toBeGreaterThanOrEqual(80);
      expect(sent).toHaveLength(rounds);
      expect(rounds).toBeLessThanOrEqual(3);
      reset();
      expect(await evaluator.check(ask('nobody', 'viewer', 'folder', 'shared'))).toMatchObject({
        allowed: false,
      });
      expect(sent).toHaveLength(rounds);
    });

    it('concurrent checks (batchCheck, a list page) share the queries of their rounds', async () => {
      const { postgres } = await stores(model, graph);
      const evaluator = new PolicyEvaluator({ model, store: postgres, explain: false });
      const requests = teams.flatMap((t, i) => [
        ask(`u${i}`, 'viewer', 'folder', 'shared'),
        ask(`u${i}`, 'owner', 'folder', `own-${t}`),
        ask(`u${i}`, 'viewer', 'folder', `own-${teams[(i + 1) % teams.length]}`),
      ]);
      let deepest = 0;
      for (const request of requests) {
        reset();
        await evaluator.check(request);
        deepest = Math.max(deepest, sent.length);
      }
      reset();
      const results = await evaluator.batchCheck(requests);
      expect(results.map((r) => r.allowed)).toEqual(requests.map((_, i) => i % 3 !== 2));
      expect(rounds).toBeGreaterThan(requests.length);
      expect(sent.length).toBeLessThanOrEqual(deepest);
      // listSubjects of folder:shared: 40 teams' members, each confirmed by a check.
      reset();
      const listed = await evaluator.listSubjects({
        resource: { type: 'folder', id: 'shared' },
        action: 'viewer',
        subjectType: 'user',
      });
      expect(listed.subjects).toHaveLength(40);
      expect(rounds).toBeGreaterThan(40);
      // Two breadth-first levels, the wildcard probe's check, then every confirmation at once.
      expect(sent.length).toBeLessThanOrEqual(2 + 2 * deepest);
    });
  });

  describe('ids PostgreSQL cannot hold', () => {
    it('decide like ids nobody holds: no store_error, wildcards and contextual tuples still apply', async () => {
      const model = RELATIONSHIP_CONTRACT_MODEL;
      const { postgres, memory } = await stores(model, [
        tuple(['folder', 'public'], 'viewer', ['user', '*']),
        tuple(['folder', '1'], 'viewer', ['user', 'anne']),
      ]);
      await expect(
        postgres.write([tuple(['folder', '1'], 'viewer', ['user', 'a\u0000'])]),
      ).rejects.toMatchObject({
        name: 'TupleValidationError',
      });
      const onMemory = new PolicyEvaluator({ model, store: memory });
      const onPostgres = new PolicyEvaluator({ model, store: postgres });
      const requests: CheckRequest[] = [];
      for (const id of ['a\u0000', '\u0000', '\uD800', 'x\uDFFF']) {
        requests.push(
          ask(id, 'viewer', 'folder', '1'),
          ask(id, 'viewer', 'folder', 'public'),
          ask('anne', 'viewer', 'folder', id),
          {
            ...ask(id, 'viewer', 'folder', id),
            contextualTuples: [tuple(['folder', id], 'viewer', ['user', id])],
          },
        );
      }
      const expected = await Promise.all(requests.map((r) => onMemory.check(r)));
      expect(expected.map((r) => r.code)).toEqual(
        requests.map((_, i) => (i % 4 === 0 || i % 4 === 2 ? 'not_granted' : 'granted')),
      );
      expect((await onPostgres.batchCheck(requests)).map(decision)).toEqual(expected.map(decision));
      // listSubjects decides the wildcard with a probe subject whose id holds NUL.
      const list = { resource: { type: 'folder', id: 'public' }, action: 'viewer', subjectType: 'user' };
      expect(await onPostgres.listSubjects(list)).toEqual(await onMemory.listSubjects(list));
      expect((await onPostgres.listSubjects(list)).subjects).toEqual([{ type: 'user', id: '*' }]);
      const resources = { subject: { type: 'user', id: '\u0000' }, action: 'viewer', type: 'folder' };
      expect(await onPostgres.listResources(resources)).toEqual(await onMemory.listResources(resources));
    });

    it('a store that cannot be reached denies with store_error, and a list query rejects', async () => {
      const model = RELATIONSHIP_CONTRACT_MODEL;
      schema = await schemas.create();
      const ended: pg.Pool = testPool(url);
      await ended.end();
      const evaluator = new PolicyEvaluator({
        model,
        store: new PostgresRelationshipStore(ended, { schema }),
      });
      expect(await evaluator.check(ask('anne', 'viewer', 'folder', '1'))).toMatchObject({
        allowed: false,
        code: 'store_error',
      });
      await expect(
        evaluator.listResources({ subject: { type: 'user', id: 'anne' }, action: 'viewer', type: 'folder' }),
      ).rejects.toThrow();
    });
  });
});
