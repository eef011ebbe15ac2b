import { describe, expect, it } from 'vitest';
import {
  type AuthorizationModel,
  defineModel,
  findExplanation,
  MemoryRelationshipStore,
  PolicyEvaluator,
  PolicyModelError,
  type RelationshipTuple,
  validateModel,
} from '../../src/policy/index.js';
import { brokenStore } from './broken-store.js';

const folderModel = defineModel((m) => ({
  user: m.type(),
  group: m.type({ member: m.relation(['user', 'group#member']) }),
  folder: m.type({
    parent: m.relation(['folder']),
    viewer: m.relation(['user', 'group#member']).or(m.from('parent', 'viewer')),
  }),
}));

const folderParent = (child: number, parent: number): RelationshipTuple => ({
  object: { type: 'folder', id: `f${child}` },
  relation: 'parent',
  subject: { type: 'folder', id: `f${parent}` },
});

async function chain(depth: number) {
  const store = new MemoryRelationshipStore({ model: validateModel(folderModel) });
  const tuples: RelationshipTuple[] = [
    {
      object: { type: 'folder', id: `f${depth}` },
      relation: 'viewer',
      subject: { type: 'user', id: 'anne' },
    },
  ];
  for (let i = 0; i < depth; i++) tuples.push(folderParent(i, i + 1));
  await store.write(tuples);
  return new PolicyEvaluator({ model: folderModel, store });
}

const anneViews = (id: string) => ({
  subject: { type: 'user', id: 'anne' },
  action: 'viewer',
  resource: { type: 'folder', id },
});

describe('AZ-01 deny by default, names never hit prototypes', () => {
  it('an empty model denies any check with "no matching rule", as an invalid request naming the type', async () => {
    const pe = new PolicyEvaluator({ model: { types: {} }, store: new MemoryRelationshipStore() });
    const r = await pe.check(anneViews('1'));
    expect(r).toMatchObject({ allowed: false, code: 'invalid_request' });
    expect(r.reason.message).toBe("no matching rule: type 'folder' not found");
  });

  it('unknown type, unknown action and prototype member names are denied', async () => {
    const pe = await chain(1);
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'nope']) {
      const asAction = await pe.check({ ...anneViews('f0'), action: name });
      expect(asAction).toMatchObject({ allowed: false, code: 'invalid_request' });
      expect(asAction.reason.message).toBe(`no matching rule: relation 'folder#${name}' not found`);
      const asType = await pe.check({ ...anneViews('f0'), resource: { type: name, id: 'f0' } });
      expect(asType).toMatchObject({ allowed: false, code: 'invalid_request' });
      expect(asType.reason.message).toBe(`no matching rule: type '${name}' not found`);
      const asSubjectType = await pe.check({ ...anneViews('f0'), subject: { type: name, id: 'anne' } });
      expect(asSubjectType).toMatchObject({ allowed: false, code: 'invalid_request' });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('prototype names in a model are refused and nothing is polluted', () => {
    const evil = JSON.parse(
      '{"types":{"__proto__":{"relations":{"polluted":{"directly":[{"type":"user"}]}}},"user":{}}}',
    ) as AuthorizationModel;
    expect(() => validateModel(evil)).toThrow(PolicyModelError);
    const evilRelation = JSON.parse(
      '{"types":{"user":{},"doc":{"relations":{"constructor":{"directly":[{"type":"user"}]}}}}}',
    ) as AuthorizationModel;
    expect(() => validateModel(evilRelation)).toThrow(/types\.doc\.relations\.constructor/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('prototype names in tuples are refused and conditions cannot pollute via context', async () => {
    const store = new MemoryRelationshipStore();
    await expect(
      store.write([
        { object: { type: '__proto__', id: 'x' }, relation: 'polluted', subject: { type: 'user', id: 'a' } },
      ]),
    ).rejects.toThrow(/invalid object/);
    const pe = await chain(1);
    const r = await pe.check({ ...anneViews('f0'), context: JSON.parse('{"__proto__":{"polluted":true}}') });
    expect(r.allowed).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('malformed requests are denied, never thrown', async () => {
    const pe = await chain(1);
    const bad = [
      null,
      {},
      { ...anneViews('f0'), subject: { type: 'user', id: '' } },
      { ...anneViews('f0'), resource: { type: 'folder', id: 42 } },
      { ...anneViews('f0'), action: 7 },
    ];
    for (const b of bad) {
      // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed input
      const r = await pe.check(b as any);
      expect(r.allowed).toBe(false);
    }
  });
});

describe('AZ-02 fail closed', () => {
  it('a failing store is a deny with store_error, not a throw', async () => {
    const broken = brokenStore();
    const pe = new PolicyEvaluator({ model: folderModel, store: broken });
    expect(await pe.check(anneViews('f0'))).toMatchObject({ allowed: false, code: 'store_error' });
  });
});

describe('AZ-06 cycles terminate, depth is bounded', () => {
  it('a 10-deep folder chain is allowed', async () => {
    const pe = await chain(10);
    expect((await pe.check(anneViews('f0'))).allowed).toBe(true);
  });

  it('a 1000-deep folder chain is denied with depth_exceeded', async () => {
    const pe = await chain(1000);
    const r = await pe.check(anneViews('f0'));
    expect(r).toMatchObject({ allowed: false, code: 'depth_exceeded' });
    expect(findExplanation(r.reason, 'depth_exceeded')?.message).toContain('depth limit 25');
    expect((await pe.check(anneViews('f990'))).allowed).toBe(true);
  });

  it('cyclic groups A -> B -> A terminate with a deny', async () => {
    const store = new MemoryRelationshipStore();
    await store.write([
      {
        object: { type: 'group', id: 'a' },
        relation: 'member',
        subject: { type: 'group', id: 'b', relation: 'member' },
      },
      {
        object: { type: 'group', id: 'b' },
        relation: 'member',
        subject: { type: 'group', id: 'a', relation: 'member' },
      },
      {
        object: { type: 'folder', id: 'x' },
        relation: 'viewer',
        subject: { type: 'group', id: 'a', relation: 'member' },
      },
    ]);
    const pe = new PolicyEvaluator({ model: folderModel, store });
    const r = await pe.explain(anneViews('x'));
    expect(r.allowed).toBe(false);
    expect(findExplanation(r.reason, 'cycle')).toBeDefined();
    await store.write([
      { object: { type: 'group', id: 'b' }, relation: 'member', subject: { type: 'user', id: 'anne' } },
    ]);
    expect((await pe.check(anneViews('x'))).allowed).toBe(true);
  });

  it('a cyclic folder parent chain terminates', async () => {
    const store = new MemoryRelationshipStore();
    await store.write([folderParent(1, 2), folderParent(2, 1)]);
    const pe = new PolicyEvaluator({ model: folderModel, store });
    expect((await pe.check(anneViews('f1'))).allowed).toBe(false);
  });

  it('a cycle in the subtracted part of an exclusion is a deny, never a grant', async () => {
    const model = defineModel((m) => ({
      user: m.type(),
      folder: m.type({
        parent: m.relation(['folder']),
        blocked: m.relation(['user']).or(m.from('parent', 'blocked')),
        viewer: m.relation(['user:*']).butNot(m.computed('blocked')),
      }),
    }));
    const store = new MemoryRelationshipStore();
    await store.write([
      folderParent(1, 2),
      folderParent(2, 1),
      { object: { type: 'folder', id: 'f1' }, relation: 'viewer', subject: { type: 'user', id: '*' } },
    ]);
    const pe = new PolicyEvaluator({ model, store });
    expect(await pe.check(anneViews('f1'))).toMatchObject({ allowed: false, code: 'cycle' });
  });

  it('a wide fan-out is bounded by the evaluation budget', async () => {
    const store = new MemoryRelationshipStore();
    const tuples: RelationshipTuple[] = [];
    for (let i = 0; i < 50; i++) {
      tuples.push({
        object: { type: 'folder', id: 'top' },
        relation: 'viewer',
        subject: { type: 'group', id: `g${i}`, relation: 'member' },
      });
    }
    await store.write(tuples);
    const pe = new PolicyEvaluator({ model: folderModel, store, maxEvaluations: 20 });
    expect(await pe.check(anneViews('top'))).toMatchObject({ allowed: false, code: 'budget_exceeded' });
  });
});
