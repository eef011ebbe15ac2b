/**
 * The evaluator decides the same way on every path: `check` (no explanation), `explain` (the full
 * tree), `checkSync`, over a store with synchronous reads and over an asynchronous one (reads
 * fetched in rounds), with and without contextual tuples, and for role unions answered by one
 * `readTuples` or role by role.
 */
import { describe, expect, it } from 'vitest';
import {
  type CheckRequest,
  type CheckResult,
  defineRoles,
  MemoryRelationshipStore,
  PolicyEvaluator,
  type RelationshipStore,
  type RelationshipTuple,
  type RoleDefinition,
  rolesTypeDefinition,
  validateModel,
} from '../../src/policy/index.js';
import { genModel, genTuples, mulberry32, OBJECTS, USERS } from './generate.js';

/** The same tuples behind the asynchronous interface only (no `sync`), counting reads. */
function asyncOnly(inner: MemoryRelationshipStore, fail?: (method: string, key: string) => boolean) {
  const counts = { reads: 0 };
  const guard = (method: string, key: string) => {
    counts.reads++;
    if (fail?.(method, key)) throw new Error('connection reset');
  };
  const store: RelationshipStore = {
    write: (t) => inner.write(t),
    delete: (t) => inner.delete(t),
    read: (f) => inner.read(f),
    readTuple: async (o, r, s) => {
      guard('readTuple', `${o.type}:${o.id}#${r}@${s.type}:${s.id}`);
      return inner.readTuple(o, r, s);
    },
    readUsersets: async (o, r) => {
      guard('readUsersets', `${o.type}:${o.id}#${r}`);
      return inner.readUsersets(o, r);
    },
    readRelation: async (o, r) => {
      guard('readRelation', `${o.type}:${o.id}#${r}`);
      return inner.readRelation(o, r);
    },
  };
  return { store, counts };
}

const decision = (r: CheckResult) => ({ allowed: r.allowed, code: r.code });

describe('every evaluation path decides alike', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`generated model and tuples, seed ${seed}`, async () => {
      const rand = mulberry32(seed);
      const source = genModel(rand);
      const model = validateModel(source);
      const memory = new MemoryRelationshipStore({ model });
      const tuples = genTuples(rand, source, 25 + Math.floor(rand() * 20));
      const [extra, ...stored] = tuples;
      await memory.write(stored);
      const sync = new PolicyEvaluator({ model, store: memory });
      const remote = new PolicyEvaluator({ model, store: asyncOnly(memory).store });
      expect(sync.canCheckSync).toBe(true);
      expect(remote.canCheckSync).toBe(false);
      let allowed = 0;
      for (const [type, ids] of Object.entries(OBJECTS)) {
        for (const action of Object.keys(source.types[type]!.relations ?? {})) {
          for (const id of ids) {
            for (const user of [...USERS, 'unmentioned']) {
              for (const contextualTuples of [undefined, [extra as RelationshipTuple]]) {
                const request: CheckRequest = {
                  subject: { type: 'user', id: user },
                  action,
                  resource: { type, id },
                  ...(contextualTuples ? { contextualTuples } : {}),
                };
                const expected = decision(await sync.explain(request));
                const where = `${type}:${id}#${action}@user:${user}${contextualTuples ? ' +ctx' : ''}`;
                expect(decision(await sync.check(request)), `check ${where}`).toEqual(expected);
                expect(decision(sync.checkSync(request)), `checkSync ${where}`).toEqual(expected);
                expect(decision(await remote.check(request)), `async check ${where}`).toEqual(expected);
                expect(decision(await remote.explain(request)), `async explain ${where}`).toEqual(expected);
                if (expected.allowed) allowed++;
              }
            }
          }
        }
      }
      expect(allowed).toBeGreaterThan(0);
    });
  }
});

describe('the quick answer', () => {
  it('carries a one-node reason: the decision, or the root cause of a fail-closed deny', async () => {
    const model = validateModel({
      types: {
        user: {},
        doc: {
          relations: {
            banned: { directly: [{ type: 'user' }] },
            viewer: { directly: [{ type: 'user' }], deny: { computed: 'banned' } },
          },
        },
      },
    });
    const store = new MemoryRelationshipStore({ model });
    const t = (relation: string, user: string) => ({
      object: { type: 'doc', id: '1' },
      relation,
      subject: { type: 'user', id: user },
    });
    await store.write([t('viewer', 'anne'), t('viewer', 'mallory'), t('banned', 'mallory')]);
    const pe = new PolicyEvaluator({ model, store, explain: false });
    const as = (id: string): CheckRequest => ({
      subject: { type: 'user', id },
      action: 'viewer',
      resource: { type: 'doc', id: '1' },
    });
    expect(await pe.check(as('anne'))).toEqual({
      allowed: true,
      code: 'granted',
      reason: {
        outcome: 'granted',
        rule: 'relation',
        message: 'granted',
        object: 'doc:1',
        relation: 'viewer',
      },
    });
    expect((await pe.check(as('mallory'))).reason).toMatchObject({ rule: 'deny', outcome: 'not_granted' });
    expect((await pe.check(as('bob'))).reason).toMatchObject({ rule: 'relation', message: 'not granted' });
    expect((await pe.check(as('anne'))).reason.children).toBeUndefined();
    expect((await pe.explain(as('anne'))).reason.children).toHaveLength(1);
    // By default a direct check explains itself; a caller on a hot path asks per call for the quick answer.
    const explaining = new PolicyEvaluator({ model, store });
    expect((await explaining.check(as('anne'))).reason.children).toHaveLength(1);
    expect((await explaining.check(as('anne'), { explain: false })).reason.children).toBeUndefined();
    expect(explaining.checkSync(as('anne'), { explain: false }).reason.children).toBeUndefined();
    expect(
      (await explaining.batchCheck([as('anne')], { explain: false }))[0]?.reason.children,
    ).toBeUndefined();
  });

  it('checkSync needs a store with synchronous reads', () => {
    const { store } = asyncOnly(new MemoryRelationshipStore());
    const pe = new PolicyEvaluator({ model: { types: { user: {} } }, store });
    expect(() =>
      pe.checkSync({ subject: { type: 'user', id: 'a' }, action: 'x', resource: { type: 'user', id: 'b' } }),
    ).toThrow(TypeError);
  });
});

describe('an asynchronous store', () => {
  const model = validateModel({
    types: {
      user: {},
      team: { relations: { member: { directly: [{ type: 'user' }] } } },
      folder: {
        relations: {
          parent: { directly: [{ type: 'folder' }] },
          viewer: {
            directly: [{ type: 'user' }, { type: 'team', relation: 'member' }],
            rewrite: {
              union: [{ this: true }, { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } }],
            },
          },
        },
      },
    },
  });
  const folder = (id: string) => ({ type: 'folder', id });
  const tuples: RelationshipTuple[] = [
    { object: folder('f0'), relation: 'viewer', subject: { type: 'user', id: 'anne' } },
    { object: folder('f3'), relation: 'viewer', subject: { type: 'team', id: 'eng', relation: 'member' } },
    { object: { type: 'team', id: 'eng' }, relation: 'member', subject: { type: 'user', id: 'carol' } },
    { object: folder('f1'), relation: 'parent', subject: folder('f0') },
    { object: folder('f2'), relation: 'parent', subject: folder('f1') },
    { object: folder('f3'), relation: 'parent', subject: folder('f2') },
  ];
  const views = (user: string, id: string): CheckRequest => ({
    subject: { type: 'user', id: user },
    action: 'viewer',
    resource: folder(id),
  });

  it('is read in rounds and answers like the memory store', async () => {
    const memory = new MemoryRelationshipStore({ model });
    await memory.write(tuples);
    const { store, counts } = asyncOnly(memory);
    const pe = new PolicyEvaluator({ model, store });
    expect((await pe.check(views('anne', 'f3'))).allowed).toBe(true);
    expect((await pe.check(views('carol', 'f3'))).allowed).toBe(true);
    expect((await pe.check(views('carol', 'f2'))).allowed).toBe(false);
    expect(counts.reads).toBeGreaterThan(0);
  });

  it('a failed read fails the check only when the decision depends on it', async () => {
    const memory = new MemoryRelationshipStore({ model });
    await memory.write(tuples);
    // anne's direct tuple on f0 decides before the usersets of f0 are needed.
    const failing = asyncOnly(
      memory,
      (method, key) => method === 'readUsersets' && key === 'folder:f0#viewer',
    );
    const pe = new PolicyEvaluator({ model, store: failing.store });
    expect(await pe.check(views('anne', 'f0'))).toMatchObject({ allowed: true, code: 'granted' });
    expect(await pe.check(views('bob', 'f0'))).toMatchObject({ allowed: false, code: 'store_error' });
    expect(await pe.explain(views('bob', 'f0'))).toMatchObject({ allowed: false, code: 'store_error' });
  });
});

describe('role unions (rolesTypeDefinition) decided with one readTuples', () => {
  function randomRoles(seed: number) {
    const rand = mulberry32(seed);
    const permissions = ['read', 'write', 'share', 'delete', 'admin', 'audit'];
    const definitions: Record<string, RoleDefinition> = {};
    const names: string[] = [];
    for (let i = 0; i < 8; i++) {
      const name = `R${i}`;
      const parent = i > 0 && rand() < 0.6 ? names[Math.floor(rand() * names.length)] : undefined;
      definitions[name] = {
        ...(parent ? { inherits: [parent] } : {}),
        permissions: permissions.filter(() => rand() < 0.3),
        ...(rand() < 0.25 ? { deny: [permissions[Math.floor(rand() * permissions.length)]!] } : {}),
      };
      names.push(name);
    }
    return { roles: defineRoles(definitions), names, permissions, rand };
  }

  for (const seed of [11, 12, 13, 14, 15]) {
    it(`random roles, seed ${seed}: check == explain == Roles.explain`, async () => {
      const { roles, names, permissions, rand } = randomRoles(seed);
      const model = validateModel({ types: { user: {}, app: rolesTypeDefinition(roles) } });
      const store = new MemoryRelationshipStore({ model });
      const held = new Map<string, string[]>();
      for (const user of USERS) {
        const mine = names.filter(() => rand() < 0.2);
        held.set(user, mine);
        await store.write(
          mine.map((role) => ({
            object: { type: 'app', id: 'global' },
            relation: role,
            subject: { type: 'user', id: user },
          })),
        );
      }
      const pe = new PolicyEvaluator({ model, store });
      const shallow = new PolicyEvaluator({ model, store, maxDepth: 1 });
      for (const user of USERS) {
        for (const permission of permissions) {
          const request: CheckRequest = {
            subject: { type: 'user', id: user },
            action: permission,
            resource: { type: 'app', id: 'global' },
          };
          const where = `${user} ${permission}`;
          const quick = decision(await pe.check(request));
          expect(quick, where).toEqual(decision(await pe.explain(request)));
          const expected = roles.explain(held.get(user)!, permission);
          if (model.types.get('app')!.has(permission)) {
            expect(quick.allowed, where).toBe(expected.allowed);
            expect(decision(await shallow.check(request)), where).toEqual(
              decision(await shallow.explain(request)),
            );
          } else expect(quick.code).toBe('invalid_request');
        }
      }
    });
  }
});
