/**
 * Consistency oracle: for generated models and tuple sets, `check` agrees with `listResources` and
 * `listSubjects`, for every subject the model can be asked about:
 * - plain users (`user:u0`, and one no tuple mentions), the type wildcard `user:*` (public access)
 *   and usersets (`group:g0#member`, `folder:f1#viewer`, `doc:d2#editor`...) as the subject of
 *   `check` and `listResources`: an object is listed iff `check` allows it;
 * - `listSubjects` with a type filter (`user`: a user is allowed iff listed explicitly, or `*` is
 *   listed and it is not in `excluded`; `*` is listed iff `check` allows `user:*`) and with userset
 *   filters (`{ type: 'folder', relation: 'viewer' }`: a userset is listed iff `check` allows it).
 *
 * Each check is also made with `explain` (memory, SQLite), which must decide alike. The rich models (see `generate.ts`) have wildcards, nested and self-type usersets, conditions on
 * plain, wildcard and userset tuples and on a parent link, exclusions, intersections and deny
 * rules. Every query runs with a full request context, so no answer is incomplete. It runs on the
 * memory store, on SQLite, and on PostgreSQL when the test server is available.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresRelationshipStore } from '../../adapters/postgres/relationships.js';
import { createSqliteStore } from '../../adapters/sqlite/index.js';
import {
  type Entity,
  MemoryRelationshipStore,
  PolicyEvaluator,
  type RelationshipStore,
  type SubjectTypeFilter,
  validateModel,
} from '../../src/policy/index.js';
import { postgresSchemas, testPool } from '../support/postgres-schemas.js';
import { describeWithPostgres } from '../support/services/index.js';
import { genModel, genTuples, mulberry32, OBJECTS, USERS } from './generate.js';

type Model = ReturnType<typeof validateModel>;

async function allPages<T>(
  fetch: (cursor: string | null) => Promise<{ cursor: string | null; complete: boolean } & T>,
) {
  const pages: T[] = [];
  let cursor: string | null = null;
  do {
    const page = await fetch(cursor);
    expect(page.complete).toBe(true);
    pages.push(page);
    cursor = page.cursor;
  } while (cursor !== null);
  return pages;
}

/** The usersets asked about as subjects, and listed by the userset filters. */
const USERSET_KINDS: ReadonlyArray<{ type: string; relation: string }> = [
  { type: 'group', relation: 'member' },
  { type: 'folder', relation: 'viewer' },
  { type: 'folder', relation: 'owner' },
  { type: 'doc', relation: 'editor' },
  { type: 'doc', relation: 'viewer' },
];
const SUBJECTS: readonly Entity[] = [
  ...[...USERS, 'unmentioned'].map((id) => ({ type: 'user', id })),
  { type: 'user', id: '*' },
  ...USERSET_KINDS.flatMap(({ type, relation }) => OBJECTS[type]!.map((id) => ({ type, id, relation }))),
];
const FILTERS: readonly SubjectTypeFilter[] = ['user', ...USERSET_KINDS];
const show = (s: Entity) => `${s.type}:${s.id}${s.relation ? `#${s.relation}` : ''}`;

/** What the oracle saw allowed, over every seed and store: it must exercise each kind of subject. */
const granted = { user: 0, wildcard: 0, userset: 0, conditioned: 0 };

/** Builds a rich model and tuples from `seed` on `store`, then checks the three queries agree. */
async function oracle(
  seed: number,
  makeStore: (model: Model) => Promise<RelationshipStore>,
  { explainToo = true } = {},
) {
  const rand = mulberry32(seed);
  const source = genModel(rand, { rich: true });
  const model = validateModel(source);
  const store = await makeStore(model);
  const tuples = genTuples(rand, source, 30 + Math.floor(rand() * 25));
  await store.write(tuples);
  if (tuples.some((t) => t.condition)) granted.conditioned++;
  const pe = new PolicyEvaluator({ model, store, explain: false });
  const context = { ok: rand() < 0.5 };
  const pageSize = 1 + Math.floor(rand() * 3);
  const checks = new Map<string, boolean>();
  const allowed = async (subject: Entity, action: string, type: string, id: string) => {
    const k = `${type}:${id}#${action}@${show(subject)}`;
    let r = checks.get(k);
    if (r === undefined) {
      const result = await pe.check({ subject, action, resource: { type, id }, context });
      expect(['granted', 'not_granted', 'deny_rule', 'cycle'], `${k}: ${result.code}`).toContain(result.code);
      r = result.allowed;
      // The explaining walk decides alike (it builds every node the fast one skips).
      if (explainToo) {
        const explained = await pe.explain({ subject, action, resource: { type, id }, context });
        expect(explained.allowed, `explain ${k}`).toBe(r);
      }
      checks.set(k, r);
      if (r) granted[subject.relation ? 'userset' : subject.id === '*' ? 'wildcard' : 'user']++;
    }
    return r;
  };

  for (const [type, ids] of Object.entries(OBJECTS)) {
    for (const action of Object.keys(source.types[type]!.relations ?? {})) {
      if (action === 'parent') continue;
      for (const subject of SUBJECTS) {
        const pages = await allPages((cursor) =>
          pe.listResources({ subject, action, type, pageSize, cursor, context }),
        );
        const listed = pages.flatMap((p) => p.resources.map((r) => r.id));
        expect(new Set(listed).size).toBe(listed.length);
        for (const id of listed)
          expect(ids, `listResources ${show(subject)} ${type}#${action}`).toContain(id);
        for (const id of ids) {
          const where = `listResources ${type}:${id}#${action}@${show(subject)}`;
          expect(listed.includes(id), where).toBe(await allowed(subject, action, type, id));
        }
      }
      for (const id of ids) {
        const resource = { type, id };
        for (const filter of FILTERS) {
          const pages = await allPages((cursor) =>
            pe.listSubjects({ resource, action, subjectType: filter, pageSize, cursor, context }),
          );
          const listed = pages.flatMap((p) => p.subjects);
          const where = (s: Entity) => `listSubjects ${type}:${id}#${action}@${show(s)}`;
          if (typeof filter === 'string') {
            const explicit = new Set(listed.map((s) => s.id));
            const excluded = new Set(pages.flatMap((p) => p.excluded.map((s) => s.id)));
            for (const s of listed) expect(s.relation).toBeUndefined();
            for (const user of [...USERS, 'unmentioned']) {
              const subject = { type: 'user', id: user };
              const expected = await allowed(subject, action, type, id);
              const got = explicit.has(user) || (explicit.has('*') && !excluded.has(user));
              expect(got, where(subject)).toBe(expected);
            }
            const star = { type: 'user', id: '*' };
            expect(explicit.has('*'), where(star)).toBe(await allowed(star, action, type, id));
          } else {
            const { type: sType, relation } = filter;
            expect(pages.flatMap((p) => p.excluded)).toEqual([]);
            for (const s of listed) {
              expect(s.type).toBe(sType);
              expect(s.relation).toBe(relation);
              expect(OBJECTS[sType]).toContain(s.id);
            }
            const ids2 = new Set(listed.map((s) => s.id));
            expect(ids2.size).toBe(listed.length);
            for (const sId of OBJECTS[sType]!) {
              const subject = { type: sType, id: sId, relation: relation! };
              expect(ids2.has(sId), where(subject)).toBe(await allowed(subject, action, type, id));
            }
          }
        }
      }
    }
  }
  expect([...checks.values()].some(Boolean)).toBe(true);
}

describe('consistency oracle: check == listResources == listSubjects', () => {
  describe('memory store', () => {
    for (let seed = 1; seed <= 10; seed++) {
      it(`model and tuples from seed ${seed}`, () =>
        oracle(seed, async (model) => new MemoryRelationshipStore({ model })));
    }
  });

  describe('SQLite store', () => {
    const opened: Array<{ close(): void }> = [];
    afterAll(() => {
      for (const s of opened) s.close();
    });
    for (let seed = 101; seed <= 104; seed++) {
      it(`model and tuples from seed ${seed}`, () =>
        oracle(seed, async (model) => {
          const sqlite = createSqliteStore({ relationships: { model } });
          opened.push(sqlite);
          return sqlite.relationships;
        }));
    }
  });

  describeWithPostgres('PostgreSQL store', (url) => {
    const schemas = postgresSchemas(url);
    const pool = testPool(url, 6);
    const created: string[] = [];
    afterAll(async () => {
      for (const schema of created) await schemas.drop(schema);
      await pool.end();
    });
    for (const seed of [201, 202]) {
      it(`model and tuples from seed ${seed}`, { timeout: 120_000 }, () =>
        oracle(
          seed,
          async (model) => {
            const schema = await schemas.create();
            created.push(schema);
            return new PostgresRelationshipStore(pool, { schema, model });
          },
          // The walk is the one of the other stores, only its reads differ: no second, explaining walk.
          { explainToo: false },
        ),
      );
    }
  });

  it('exercised plain users, the wildcard, usersets and conditions as subjects', () => {
    expect(granted.user).toBeGreaterThan(0);
    expect(granted.wildcard).toBeGreaterThan(0);
    expect(granted.userset).toBeGreaterThan(0);
    expect(granted.conditioned).toBeGreaterThan(0);
  });
});
