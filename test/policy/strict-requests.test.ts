/**
 * Strict requests: a type or relation the model does not have is refused as an invalid request
 * (OpenFGA: `type_not_found`, `relation_not_found`), so a typo never reads as "no access"; a
 * runtime fault stays a fail-closed `store_error` deny.
 */
import { describe, expect, it } from 'vitest';
import {
  type CheckRequest,
  defineModel,
  ListQueryError,
  type ListResourcesRequest,
  MemoryRelationshipStore,
  PolicyEvaluator,
  type RelationshipStore,
  validateModel,
} from '../../src/policy/index.js';
import { brokenStore } from './broken-store.js';

const model = validateModel(
  defineModel((m) => ({
    user: m.type(),
    team: m.type({ member: m.relation(['user']) }),
    doc: m.type({ viewer: m.relation(['user', 'team#member']) }),
  })),
);

async function evaluator() {
  const store = new MemoryRelationshipStore({ model });
  await store.write([
    { object: { type: 'doc', id: '1' }, relation: 'viewer', subject: { type: 'user', id: 'anne' } },
    { object: { type: 'team', id: 'eng' }, relation: 'member', subject: { type: 'user', id: 'bob' } },
    {
      object: { type: 'doc', id: '2' },
      relation: 'viewer',
      subject: { type: 'team', id: 'eng', relation: 'member' },
    },
  ]);
  return new PolicyEvaluator({ model, store });
}

const anneViews: CheckRequest = {
  subject: { type: 'user', id: 'anne' },
  action: 'viewer',
  resource: { type: 'doc', id: '1' },
};

describe('check refuses names the model does not have', () => {
  const cases: Array<[string, CheckRequest, string]> = [
    [
      'an unknown resource type',
      { ...anneViews, resource: { type: 'dok', id: '1' } },
      "type 'dok' not found",
    ],
    ['an unknown action', { ...anneViews, action: 'veiwer' }, "relation 'doc#veiwer' not found"],
    [
      'an unknown subject type',
      { ...anneViews, subject: { type: 'usr', id: 'anne' } },
      "type 'usr' not found",
    ],
    [
      "an unknown relation of a userset subject's type",
      { ...anneViews, subject: { type: 'team', id: 'eng', relation: 'membr' } },
      "relation 'team#membr' not found",
    ],
  ];
  for (const [what, request, named] of cases) {
    it(`${what}: invalid_request naming it, from check, checkSync and explain`, async () => {
      const pe = await evaluator();
      for (const r of [await pe.check(request), pe.checkSync(request), await pe.explain(request)]) {
        expect(r).toMatchObject({ allowed: false, code: 'invalid_request' });
        expect(r.reason).toMatchObject({ outcome: 'error', rule: 'no_matching_rule' });
        expect(r.reason.message).toBe(`no matching rule: ${named}`);
      }
    });
  }

  it('an empty model denies every check by default, explained as "no matching rule"', async () => {
    const empty = validateModel(defineModel(() => ({})));
    const pe = new PolicyEvaluator({ model: empty, store: new MemoryRelationshipStore({ model: empty }) });
    for (const request of [
      anneViews,
      { ...anneViews, action: '__proto__' },
      { ...anneViews, action: 'constructor' },
    ]) {
      const r = await pe.check(request);
      expect(r.allowed).toBe(false);
      expect(r.reason.rule).toBe('no_matching_rule');
      expect(r.reason.message).toMatch(/^no matching rule: type 'doc' not found$/);
    }
  });

  it('a known subject type that nothing grants is an ordinary deny, not an invalid request', async () => {
    const pe = await evaluator();
    expect(await pe.check({ ...anneViews, subject: { type: 'team', id: 'eng' } })).toMatchObject({
      allowed: false,
      code: 'not_granted',
    });
    expect((await pe.check(anneViews)).code).toBe('granted');
  });

  it('a name is quoted safely and cut short in the reason', async () => {
    const pe = await evaluator();
    const r = await pe.check({ ...anneViews, action: `x'\n${'y'.repeat(500)}` });
    expect(r.code).toBe('invalid_request');
    expect(r.reason.message).not.toContain('\n');
    expect(r.reason.message.length).toBeLessThan(200);
  });

  it('a store failure stays a fail-closed store_error deny', async () => {
    const broken = brokenStore();
    const pe = new PolicyEvaluator({ model, store: broken });
    expect(await pe.check(anneViews)).toMatchObject({ allowed: false, code: 'store_error' });
  });
});

describe('list queries refuse names the model does not have, with a code', () => {
  const resources = { subject: { type: 'user', id: 'anne' }, action: 'viewer', type: 'doc' };
  const subjects = { resource: { type: 'doc', id: '1' }, action: 'viewer', subjectType: 'user' };

  it('listResources: unknown object type, relation, subject type or subject relation', async () => {
    const pe = await evaluator();
    const refused = async (request: ListResourcesRequest, code: string, message: string) => {
      const attempt = pe.listResources(request);
      await expect(attempt).rejects.toBeInstanceOf(ListQueryError);
      await expect(attempt).rejects.toMatchObject({ code, message });
    };
    await refused({ ...resources, type: 'dok' }, 'ERR_UNKNOWN_TYPE', "type 'dok' not found");
    await refused(
      { ...resources, action: 'veiwer' },
      'ERR_UNKNOWN_RELATION',
      "relation 'doc#veiwer' not found",
    );
    await refused(
      { ...resources, subject: { type: 'usr', id: 'anne' } },
      'ERR_UNKNOWN_TYPE',
      "type 'usr' not found",
    );
    await refused(
      { ...resources, subject: { type: 'team', id: 'eng', relation: 'membr' } },
      'ERR_UNKNOWN_RELATION',
      "relation 'team#membr' not found",
    );
    expect(await pe.listResources(resources)).toEqual({
      resources: [{ type: 'doc', id: '1' }],
      cursor: null,
      complete: true,
    });
  });

  it('listSubjects: unknown resource type, relation or subject type', async () => {
    const pe = await evaluator();
    await expect(pe.listSubjects({ ...subjects, resource: { type: 'dok', id: '1' } })).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_TYPE',
      message: "type 'dok' not found",
    });
    await expect(pe.listSubjects({ ...subjects, action: 'veiwer' })).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_RELATION',
    });
    await expect(pe.listSubjects({ ...subjects, subjectType: 'usr' })).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_TYPE',
      message: "type 'usr' not found",
    });
    await expect(pe.listSubjects({ ...subjects, subjectType: 'constructor' })).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_TYPE',
    });
    expect((await pe.listSubjects(subjects)).subjects).toEqual([{ type: 'user', id: 'anne' }]);
  });

  it('a malformed request has the code ERR_INVALID_LIST_REQUEST', async () => {
    const pe = await evaluator();
    await expect(pe.listResources({ ...resources, pageSize: 0 })).rejects.toMatchObject({
      code: 'ERR_INVALID_LIST_REQUEST',
    });
    await expect(pe.listResources({ ...resources, subject: { type: 'user', id: '' } })).rejects.toMatchObject(
      {
        code: 'ERR_INVALID_LIST_REQUEST',
      },
    );
    await expect(pe.listSubjects({ ...subjects, resource: { type: 'doc', id: '*' } })).rejects.toMatchObject({
      code: 'ERR_INVALID_LIST_REQUEST',
    });
  });

  it('a store failure is rethrown as it is, not turned into a request error', async () => {
    const broken: RelationshipStore = {
      write: async () => {},
      delete: async () => {},
      read: async () => {
        throw new Error('connection reset');
      },
      readTuple: async () => undefined,
      readUsersets: async () => [],
      readRelation: async () => {
        throw new Error('connection reset');
      },
    };
    const pe = new PolicyEvaluator({ model, store: broken });
    const attempt = pe.listSubjects(subjects);
    await expect(attempt).rejects.toThrow('connection reset');
    await expect(attempt).rejects.not.toBeInstanceOf(ListQueryError);
  });
});
