/**
 * The evaluator over `SqliteRelationshipStore`'s synchronous reads (`sync`) decides exactly as over
 * the memory store and as over the SQLite store's asynchronous reads (fetched in rounds): on the
 * consistency oracle's generated models, for role unions (one `readTuples`), with conditions and
 * with stray tuples no type restriction admits; and `sync` answers like the async reads.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../../adapters/sqlite/index.js';
import {
  type CheckRequest,
  type CheckResult,
  defineRoles,
  MemoryRelationshipStore,
  PolicyEvaluator,
  type RelationshipStore,
  type RelationshipTuple,
  rolesTypeDefinition,
  validateModel,
} from '../../src/policy/index.js';
import { RELATIONSHIP_CONTRACT_MODEL } from '../../src/testing.js';
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

/** The same store without `sync`: the evaluator fetches its reads in rounds. */
function asyncOnly(store: RelationshipStore): RelationshipStore {
  return {
    write: (t) => store.write(t),
    delete: (t) => store.delete(t),
    read: (f) => store.read(f),
    readTuple: (o, r, s) => store.readTuple(o, r, s),
    readUsersets: (o, r) => store.readUsersets(o, r),
    readRelation: (o, r) => store.readRelation(o, r),
  };
}

const decision = (r: CheckResult) => ({ allowed: r.allowed, code: r.code });
const tuple = (o: [string, string], relation: string, s: [string, string, string?]): RelationshipTuple => ({
  object: { type: o[0], id: o[1] },
  relation,
  subject: s[2] ? { type: s[0], id: s[1], relation: s[2] } : { type: s[0], id: s[1] },
});

describe('SQLite with sync reads decides like the memory store (consistency oracle models)', () => {
  for (const seed of Array.from({ length: 12 }, (_, i) => i + 1)) {
    it(`model and tuples from seed ${seed}`, async () => {
      // The oracle's model and tuples for this seed (same draws from the generator).
      const rand = mulberry32(seed);
      const source = genModel(rand);
      const model = validateModel(source);
      const tuples = genTuples(rand, source, 25 + Math.floor(rand() * 20));
      const contextual = genTuples(rand, source, 4).slice(0, 2);
      const memory = new MemoryRelationshipStore({ model });
      const sqlite = sqliteStore(model);
      await memory.write(tuples);
      await sqlite.relationships.write(tuples);
      const onMemory = new PolicyEvaluator({ model, store: memory });
      const onSqlite = new PolicyEvaluator({ model, store: sqlite.relationships });
      const rounds = new PolicyEvaluator({ model, store: asyncOnly(sqlite.relationships) });
      expect(onSqlite.canCheckSync).toBe(true);
      expect(rounds.canCheckSync).toBe(false);
      let granted = 0;
      for (const [type, ids] of Object.entries(OBJECTS)) {
        for (const action of Object.keys(source.types[type]!.relations ?? {})) {
          for (const id of ids) {
            for (const user of [...USERS, 'unmentioned']) {
              for (const contextualTuples of [undefined, contextual]) {
                const request: CheckRequest = {
                  subject: { type: 'user', id: user },
                  action,
                  resource: { type, id },
                  ...(contextualTuples ? { contextualTuples } : {}),
                };
                const where = `${type}:${id}#${action}@user:${user}${contextualTuples ? ' +ctx' : ''}`;
                const expected = decision(await onMemory.check(request));
                expect(decision(await onSqlite.check(request)), `check ${where}`).toEqual(expected);
                expect(decision(onSqlite.checkSync(request)), `checkSync ${where}`).toEqual(expected);
                expect(decision(await onSqlite.explain(request)), `explain ${where}`).toEqual(expected);
                expect(decision(await rounds.check(request)), `rounds ${where}`).toEqual(expected);
                if (expected.allowed) granted++;
              }
            }
          }
          // Reverse lookups confirm with `checkSync` on a sync store: same answers as the memory store.
          for (const user of USERS) {
            const request = { subject: { type: 'user', id: user }, action, type, pageSize: 1000 };
            const [a, b] = [await onMemory.listResources(request), await onSqlite.listResources(request)];
            expect(b.complete).toBe(true);
            expect(b.resources.map((r) => r.id).sort(), `listResources ${user} ${action}`).toEqual(
              a.resources.map((r) => r.id).sort(),
            );
          }
          for (const id of ids) {
            const request = { resource: { type, id }, action, subjectType: 'user', pageSize: 1000 };
            const [a, b] = [await onMemory.listSubjects(request), await onSqlite.listSubjects(request)];
            const ids = (r: typeof a) => ({
              subjects: r.subjects.map((s) => s.id).sort(),
              excluded: r.excluded.map((s) => s.id).sort(),
            });
            expect(ids(b), `listSubjects ${type}:${id}#${action}`).toEqual(ids(a));
          }
        }
      }
      expect(granted).toBeGreaterThan(0);
    });
  }
});

describe('SqliteRelationshipStore.sync', () => {
  it('answers every check read exactly like the async reads, conditions and odd ids included', async () => {
    const sqlite = sqliteStore();
    const store = sqlite.relationships;
    const stored = [
      tuple(['folder', '1'], 'viewer', ['user', 'anne']),
      tuple(['folder', '1'], 'viewer', ['user', '*']),
      tuple(['folder', '1'], 'viewer', ['team', 'eng', 'member']),
      tuple(['folder', '1'], 'editor', ['team', 'eng']),
      tuple(['folder', '1'], 'owner', ['user', "o'; DROP TABLE relationships; --"]),
      tuple(['folder', 'a:b#c'], 'viewer', ['user', 'x:y#z']),
      {
        ...tuple(['folder', '1'], 'viewer', ['user', 'bob']),
        condition: { name: 'in_office', context: { allowed: ['10.0.0.1'], nested: { n: 1 } } },
      },
      { ...tuple(['folder', '1'], 'editor', ['user', 'bob']), condition: { name: 'stray_condition' } },
    ];
    await store.write(stored);
    const objects = [...new Set(stored.map((t) => t.object.id))].map((id) => ({ type: 'folder', id }));
    const relations = ['viewer', 'editor', 'owner', 'missing'];
    const subjects = [...stored.map((t) => t.subject), { type: 'user', id: 'nobody' }];
    for (const object of objects) {
      for (const relation of relations) {
        expect(store.sync.readRelation(object, relation)).toEqual(await store.readRelation(object, relation));
        expect(store.sync.readUsersets(object, relation)).toEqual(await store.readUsersets(object, relation));
        for (const subject of subjects) {
          expect(store.sync.readTuple(object, relation, subject)).toEqual(
            await store.readTuple(object, relation, subject),
          );
        }
      }
      for (const subject of subjects) {
        // readTuples == readTuple for each relation, in any order.
        const one = (await Promise.all(relations.map((r) => store.readTuple(object, r, subject)))).filter(
          (t) => t !== undefined,
        );
        const key = (t: RelationshipTuple) => t.relation;
        const many = [...store.sync.readTuples!(object, new Set(relations), subject)];
        expect(many.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
          one.sort((a, b) => key(a).localeCompare(key(b))),
        );
        expect(store.sync.readTuples!(object, new Set(), subject)).toEqual([]);
      }
    }
    expect(store.sync.readTuple({ type: 'folder', id: '1' }, 'viewer', { type: 'user', id: 'bob' })).toEqual(
      stored[6],
    );
  });

  it('after close, check and checkSync deny with store_error (fail closed, no throw)', async () => {
    const sqlite = sqliteStore(RELATIONSHIP_CONTRACT_MODEL);
    await sqlite.relationships.write([tuple(['folder', '1'], 'viewer', ['user', 'anne'])]);
    const pe = new PolicyEvaluator({ model: RELATIONSHIP_CONTRACT_MODEL, store: sqlite.relationships });
    const request: CheckRequest = {
      subject: { type: 'user', id: 'anne' },
      action: 'viewer',
      resource: { type: 'folder', id: '1' },
    };
    expect(pe.checkSync(request)).toMatchObject({ allowed: true, code: 'granted' });
    sqlite.close();
    expect(pe.checkSync(request)).toMatchObject({ allowed: false, code: 'store_error' });
    expect(await pe.check(request)).toMatchObject({ allowed: false, code: 'store_error' });
  });
});

describe('the evaluator over SQLite sync reads', () => {
  it('role unions are decided with one readTuples, as on the memory store (wildcards too)', async () => {
    const roles = defineRoles({
      viewer: { permissions: ['read'] },
      editor: { inherits: ['viewer'], permissions: ['write'] },
      admin: { inherits: ['editor'], permissions: ['share'], deny: ['audit'] },
      auditor: { permissions: ['audit', 'read'] },
    });
    const app = rolesTypeDefinition(roles);
    // A role anyone may hold (`user:*`), so the union's wildcard branch is exercised as well.
    const relations = {
      ...app.relations,
      viewer: { directly: [{ type: 'user' }, { type: 'user', wildcard: true }] },
    };
    const model = validateModel({ types: { user: {}, app: { relations } } });
    const memory = new MemoryRelationshipStore({ model });
    const sqlite = sqliteStore(model);
    const grants = [
      tuple(['app', 'a1'], 'admin', ['user', 'ada']),
      tuple(['app', 'a1'], 'auditor', ['user', 'ada']),
      tuple(['app', 'a1'], 'editor', ['user', 'eve']),
      tuple(['app', 'a2'], 'viewer', ['user', '*']),
      tuple(['app', 'a2'], 'auditor', ['user', 'aud']),
    ];
    await memory.write(grants);
    await sqlite.relationships.write(grants);
    const readTuples = vi.spyOn(sqlite.relationships.sync, 'readTuples');
    // The quick answer (no explanation tree) is what answers a role union with one read.
    const fast = { explain: false } as const;
    const onSqlite = new PolicyEvaluator({ model, store: sqlite.relationships, ...fast });
    const rounds = new PolicyEvaluator({ model, store: asyncOnly(sqlite.relationships), ...fast });
    const onMemory = new PolicyEvaluator({ model, store: memory, ...fast });
    // At maxDepth 1 the union cannot be answered by one read (see src/policy/engine/walk.ts): role by role instead.
    const shallowSqlite = new PolicyEvaluator({ model, store: sqlite.relationships, maxDepth: 1, ...fast });
    const shallowMemory = new PolicyEvaluator({ model, store: memory, maxDepth: 1, ...fast });
    const seen: string[] = [];
    for (const user of ['ada', 'eve', 'aud', 'zed']) {
      for (const action of ['read', 'write', 'share', 'audit', 'viewer', 'admin']) {
        for (const id of ['a1', 'a2', 'a3']) {
          const request: CheckRequest = {
            subject: { type: 'user', id: user },
            action,
            resource: { type: 'app', id },
          };
          const where = `${user} ${action} ${id}`;
          const expected = decision(await onMemory.check(request));
          expect(decision(await onSqlite.check(request)), where).toEqual(expected);
          expect(decision(onSqlite.checkSync(request)), where).toEqual(expected);
          expect(decision(await rounds.check(request)), where).toEqual(expected);
          expect(decision(shallowSqlite.checkSync(request)), where).toEqual(
            decision(await shallowMemory.check(request)),
          );
          if (expected.allowed) seen.push(`${user} ${action} ${id}`);
        }
      }
    }
    expect(readTuples).toHaveBeenCalled();
    expect(seen).toEqual(
      expect.arrayContaining(['ada share a1', 'eve write a1', 'zed read a2', 'aud audit a2']),
    );
    expect(seen).not.toContain('ada audit a1'); // admin's deny wins over auditor
    expect(seen).not.toContain('zed write a2');
  });

  it('applies type restrictions and conditions to tuples as stored, ignoring stray ones', async () => {
    const model = RELATIONSHIP_CONTRACT_MODEL;
    // No model on the stores: they accept tuples the evaluator's model does not admit.
    const memory = new MemoryRelationshipStore();
    const sqlite = sqliteStore();
    const inOffice = { name: 'in_office', context: { allowed: ['10.0.0.1'] } };
    const tuples: RelationshipTuple[] = [
      { ...tuple(['folder', '1'], 'viewer', ['user', 'bob']), condition: inOffice },
      { ...tuple(['folder', '1'], 'viewer', ['user', 'carol']), condition: { name: 'other' } },
      { ...tuple(['folder', '1'], 'owner', ['user', 'dan']), condition: inOffice },
      tuple(['folder', '1'], 'owner', ['team', 'eng', 'member']),
      tuple(['folder', '1'], 'viewer', ['group', 'x', 'member']),
      tuple(['team', 'eng'], 'member', ['user', 'erin']),
      tuple(['folder', '1'], 'viewer', ['user', 'anne']),
    ];
    await memory.write(tuples);
    await sqlite.relationships.write(tuples);
    const onMemory = new PolicyEvaluator({ model, store: memory });
    const onSqlite = new PolicyEvaluator({ model, store: sqlite.relationships });
    const results: string[] = [];
    for (const user of ['anne', 'bob', 'carol', 'dan', 'erin']) {
      for (const action of ['viewer', 'owner']) {
        for (const context of [undefined, { ip: '10.0.0.1' }, { ip: '10.9.9.9' }]) {
          const request: CheckRequest = {
            subject: { type: 'user', id: user },
            action,
            resource: { type: 'folder', id: '1' },
            ...(context ? { context } : {}),
          };
          const expected = decision(await onMemory.check(request));
          expect(decision(onSqlite.checkSync(request))).toEqual(expected);
          expect(decision(await onSqlite.check(request))).toEqual(expected);
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
});
