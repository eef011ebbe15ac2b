import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AuthorizationModel,
  type CheckRequest,
  defineCondition,
  defineModel,
  findExplanation,
  grantPath,
  MemoryRelationshipStore,
  PolicyEvaluator,
  type RelationshipTuple,
  validateModel,
} from '../../src/policy/index.js';

const t = (object: string, relation: string, subject: string, condition?: RelationshipTuple['condition']) => {
  const [ot, oid] = object.split(':') as [string, string];
  const [sObj, sRel] = subject.split('#') as [string, string | undefined];
  const [st, sid] = sObj.split(':') as [string, string];
  return {
    object: { type: ot, id: oid },
    relation,
    subject: sRel ? { type: st, id: sid, relation: sRel } : { type: st, id: sid },
    ...(condition ? { condition } : {}),
  } satisfies RelationshipTuple;
};

const req = (
  subject: string,
  action: string,
  resource: string,
  extra: Partial<CheckRequest> = {},
): CheckRequest => {
  const [st, sid] = subject.split(':') as [string, string];
  const [rt, rid] = resource.split(':') as [string, string];
  return { subject: { type: st, id: sid }, action, resource: { type: rt, id: rid }, ...extra };
};

const model = defineModel((m) => ({
  user: m.type(),
  team: m.type({ member: m.relation(['user', 'team#member']) }),
  folder: m.type({
    owner: m.relation(['user']),
    parent: m.relation(['folder']),
    blocked: m.relation(['user']),
    approved: m.relation(['user', 'team#member']),
    editor: m.relation(['user', 'team#member']).or(m.computed('owner')),
    viewer: m
      .relation(['user', 'user:*', 'team#member'])
      .or(m.computed('editor'))
      .or(m.from('parent', 'viewer')),
    publisher: m.computed('editor').and(m.computed('approved')),
    commenter: m.computed('viewer').butNot(m.computed('blocked')),
  }),
}));

async function setup(tuples: RelationshipTuple[], modelArg: AuthorizationModel = model, maxDepth?: number) {
  const compiled = validateModel(modelArg);
  const store = new MemoryRelationshipStore({ model: compiled });
  await store.write(tuples);
  return new PolicyEvaluator({ model: compiled, store, ...(maxDepth ? { maxDepth } : {}) });
}

describe('PolicyEvaluator operators', () => {
  it('direct tuple grants, others are denied', async () => {
    const pe = await setup([t('folder:1', 'owner', 'user:anne')]);
    const ok = await pe.explain(req('user:anne', 'owner', 'folder:1'));
    expect(ok).toMatchObject({ allowed: true, code: 'granted' });
    expect(findExplanation(ok.reason, 'direct')?.tuple).toBe('folder:1#owner@user:anne');
    expect(await pe.check(req('user:bob', 'owner', 'folder:1'))).toMatchObject({
      allowed: false,
      code: 'not_granted',
    });
    expect((await pe.check(req('user:anne', 'owner', 'folder:2'))).allowed).toBe(false);
  });

  it('wildcard grants every subject of that type only', async () => {
    const pe = await setup([t('folder:pub', 'viewer', 'user:*')]);
    const r = await pe.explain(req('user:anyone', 'viewer', 'folder:pub'));
    expect(r.allowed).toBe(true);
    expect(findExplanation(r.reason, 'wildcard')?.tuple).toBe('folder:pub#viewer@user:*');
    expect((await pe.check(req('team:x', 'viewer', 'folder:pub'))).allowed).toBe(false);
    // `user:*` as the subject asks about public access (OpenFGA): the `user:*` tuple grants it.
    expect((await pe.check(req('user:*', 'viewer', 'folder:pub'))).allowed).toBe(true);
  });

  it('userset team#member, including nested teams', async () => {
    const pe = await setup([
      t('folder:1', 'viewer', 'team:eng#member'),
      t('team:eng', 'member', 'team:backend#member'),
      t('team:backend', 'member', 'user:carol'),
      t('team:eng', 'member', 'user:dave'),
    ]);
    const carol = await pe.explain(req('user:carol', 'viewer', 'folder:1'));
    expect(carol.allowed).toBe(true);
    expect(grantPath(carol.reason)).toEqual([
      'folder:1#viewer',
      'userset folder:1#viewer@team:eng#member',
      'team:eng#member',
      'userset team:eng#member@team:backend#member',
      'team:backend#member',
      'direct team:backend#member@user:carol',
    ]);
    expect((await pe.check(req('user:dave', 'viewer', 'folder:1'))).allowed).toBe(true);
    expect((await pe.check(req('user:eve', 'viewer', 'folder:1'))).allowed).toBe(false);
  });

  it('computed relations: owner implies editor implies viewer', async () => {
    const pe = await setup([t('folder:1', 'owner', 'user:anne')]);
    const r = await pe.explain(req('user:anne', 'viewer', 'folder:1'));
    expect(r.allowed).toBe(true);
    expect(grantPath(r.reason)).toEqual([
      'folder:1#viewer',
      'computed',
      'folder:1#editor',
      'computed',
      'folder:1#owner',
      'direct folder:1#owner@user:anne',
    ]);
  });

  it('tuple-to-userset: viewers of a parent folder see the children, along a chain', async () => {
    const pe = await setup([
      t('folder:root', 'viewer', 'user:anne'),
      t('folder:a', 'parent', 'folder:root'),
      t('folder:b', 'parent', 'folder:a'),
    ]);
    const r = await pe.explain(req('user:anne', 'viewer', 'folder:b'));
    expect(r.allowed).toBe(true);
    expect(findExplanation(r.reason, 'tuple_to_userset')?.tuple).toBe('folder:b#parent@folder:a');
    expect((await pe.check(req('user:anne', 'editor', 'folder:b'))).allowed).toBe(false);
    expect((await pe.check(req('user:bob', 'viewer', 'folder:b'))).allowed).toBe(false);
  });

  it('intersection needs every operand', async () => {
    const pe = await setup([
      t('folder:1', 'editor', 'user:anne'),
      t('folder:1', 'approved', 'user:anne'),
      t('folder:1', 'editor', 'user:bob'),
      t('folder:1', 'approved', 'team:eng#member'),
      t('team:eng', 'member', 'user:carol'),
      t('folder:1', 'owner', 'user:carol'),
    ]);
    expect((await pe.check(req('user:anne', 'publisher', 'folder:1'))).allowed).toBe(true);
    expect((await pe.check(req('user:bob', 'publisher', 'folder:1'))).allowed).toBe(false);
    const carol = await pe.explain(req('user:carol', 'publisher', 'folder:1'));
    expect(carol.allowed).toBe(true);
    expect(findExplanation(carol.reason, 'intersection')?.children).toHaveLength(2);
  });

  it('exclusion: but not', async () => {
    const pe = await setup([t('folder:1', 'viewer', 'user:*'), t('folder:1', 'blocked', 'user:mallory')]);
    expect((await pe.check(req('user:anne', 'commenter', 'folder:1'))).allowed).toBe(true);
    const m = await pe.explain(req('user:mallory', 'commenter', 'folder:1'));
    expect(m).toMatchObject({ allowed: false, code: 'not_granted' });
    expect(findExplanation(m.reason, 'exclusion')?.message).toBe('excluded (but not)');
    expect((await pe.check(req('user:mallory', 'viewer', 'folder:1'))).allowed).toBe(true);
  });

  it('combines operators: exclusion over a union reached through parents and nested teams', async () => {
    const pe = await setup([
      t('folder:root', 'viewer', 'team:eng#member'),
      t('team:eng', 'member', 'team:backend#member'),
      t('team:backend', 'member', 'user:carol'),
      t('team:backend', 'member', 'user:mallory'),
      t('folder:doc', 'parent', 'folder:root'),
      t('folder:doc', 'blocked', 'user:mallory'),
    ]);
    expect((await pe.check(req('user:carol', 'commenter', 'folder:doc'))).allowed).toBe(true);
    expect((await pe.check(req('user:mallory', 'commenter', 'folder:doc'))).allowed).toBe(false);
    expect((await pe.check(req('user:mallory', 'viewer', 'folder:doc'))).allowed).toBe(true);
  });

  it('contextual tuples count for one request only and are validated', async () => {
    const pe = await setup([]);
    const extra = { contextualTuples: [t('folder:1', 'viewer', 'user:anne')] };
    expect((await pe.check(req('user:anne', 'viewer', 'folder:1', extra))).allowed).toBe(true);
    expect((await pe.check(req('user:anne', 'viewer', 'folder:1'))).allowed).toBe(false);
    const bad = { contextualTuples: [t('folder:1', 'viewer', 'folder:2')] };
    expect(await pe.check(req('user:anne', 'viewer', 'folder:1', bad))).toMatchObject({
      allowed: false,
      code: 'invalid_request',
    });
  });

  it('ignores stored tuples that the type restrictions do not admit', async () => {
    const compiled = validateModel(model);
    const store = new MemoryRelationshipStore(); // no model: accepts anything well-formed
    await store.write([t('folder:1', 'owner', 'team:eng#member'), t('team:eng', 'member', 'user:anne')]);
    const pe = new PolicyEvaluator({ model: compiled, store });
    expect((await pe.check(req('user:anne', 'owner', 'folder:1'))).allowed).toBe(false);
  });

  it('batchCheck answers in order', async () => {
    const pe = await setup([t('folder:1', 'owner', 'user:anne')]);
    const results = await pe.batchCheck([
      req('user:anne', 'owner', 'folder:1'),
      req('user:bob', 'owner', 'folder:1'),
      req('user:anne', 'nope', 'folder:1'),
    ]);
    expect(results.map((r) => r.code)).toEqual(['granted', 'not_granted', 'invalid_request']);
  });

  it('reports each decision to the onDecision hook, and a throwing hook changes nothing', async () => {
    const events: string[] = [];
    const store = new MemoryRelationshipStore();
    await store.write([t('folder:1', 'owner', 'user:anne')]);
    const pe = new PolicyEvaluator({
      model,
      store,
      onDecision: (e) => {
        events.push(`${e.request.subject.id}:${e.result.code}`);
        throw new Error('log sink down');
      },
    });
    expect((await pe.check(req('user:anne', 'owner', 'folder:1'))).allowed).toBe(true);
    expect(events).toEqual(['anne:granted']);
  });
});

describe('conditions', () => {
  const condModel = defineModel(
    (m) => ({
      user: m.type(),
      doc: m.type({
        viewer: m.relation(['user with in_office', 'user']),
        reader: m.relation(['user:* with clearance']),
        thrower: m.relation(['user with explodes']),
        sloppy: m.relation(['user with non_boolean']),
      }),
    }),
    {
      conditions: {
        in_office: defineCondition({
          params: z.object({ context: z.object({ ip: z.string(), office_prefix: z.string() }) }),
          evaluate: ({ context }) => context.ip.startsWith(context.office_prefix),
        }),
        clearance: defineCondition({
          params: z.object({ subject: z.object({ level: z.number().int() }) }),
          evaluate: ({ subject }) => subject.level >= 3,
        }),
        explodes: defineCondition({
          params: z.object({}),
          evaluate: () => {
            throw new Error('boom');
          },
        }),
        non_boolean: defineCondition({
          params: z.object({}),
          evaluate: () => 'yes' as unknown as boolean,
        }),
      },
    },
  );
  const tuples = [
    t('doc:1', 'viewer', 'user:anne', { name: 'in_office', context: { office_prefix: '10.0.' } }),
    t('doc:1', 'reader', 'user:*', { name: 'clearance' }),
    t('doc:1', 'thrower', 'user:anne', { name: 'explodes' }),
    t('doc:1', 'sloppy', 'user:anne', { name: 'non_boolean' }),
  ];

  it('grants when the condition is true and denies when false', async () => {
    const pe = await setup(tuples, condModel);
    const yes = await pe.explain(req('user:anne', 'viewer', 'doc:1', { context: { ip: '10.0.0.7' } }));
    expect(yes.allowed).toBe(true);
    expect(findExplanation(yes.reason, 'condition')).toMatchObject({
      condition: 'in_office',
      outcome: 'granted',
    });
    const no = await pe.check(req('user:anne', 'viewer', 'doc:1', { context: { ip: '192.168.1.1' } }));
    expect(no).toMatchObject({ allowed: false, code: 'not_granted' });
  });

  it("the tuple's stored context wins over the request context", async () => {
    const pe = await setup(tuples, condModel);
    const r = await pe.check(
      req('user:anne', 'viewer', 'doc:1', { context: { ip: '8.8.8.8', office_prefix: '8.' } }),
    );
    expect(r.allowed).toBe(false);
  });

  it('a missing attribute denies with condition_input_invalid and the issue path', async () => {
    const pe = await setup(tuples, condModel);
    const r = await pe.check(req('user:anne', 'viewer', 'doc:1'));
    expect(r).toMatchObject({ allowed: false, code: 'condition_input_invalid' });
    expect(findExplanation(r.reason, 'condition_input_invalid')?.issues?.join()).toContain('context.ip');
    const s = await pe.check(req('user:bob', 'reader', 'doc:1'));
    expect(s).toMatchObject({ allowed: false, code: 'condition_input_invalid' });
  });

  it('a wrongly typed attribute denies', async () => {
    const pe = await setup(tuples, condModel);
    const base = req('user:bob', 'reader', 'doc:1');
    const wrong = await pe.check({ ...base, subject: { ...base.subject, attributes: { level: '5' } } });
    expect(wrong).toMatchObject({ allowed: false, code: 'condition_input_invalid' });
    const right = await pe.check({ ...base, subject: { ...base.subject, attributes: { level: 5 } } });
    expect(right.allowed).toBe(true);
  });

  it('a throwing condition or a non-boolean result denies without throwing', async () => {
    const pe = await setup(tuples, condModel);
    const r = await pe.check(req('user:anne', 'thrower', 'doc:1'));
    expect(r).toMatchObject({ allowed: false, code: 'condition_error' });
    expect(r.reason.outcome).toBe('error');
    expect(await pe.check(req('user:anne', 'sloppy', 'doc:1'))).toMatchObject({
      allowed: false,
      code: 'condition_error',
    });
  });

  it('an unconditional tuple still grants next to a conditional restriction', async () => {
    const pe = await setup([t('doc:2', 'viewer', 'user:bob')], condModel);
    expect((await pe.check(req('user:bob', 'viewer', 'doc:2'))).allowed).toBe(true);
  });
});

describe('deny rules', () => {
  const denyModel = defineModel((m) => ({
    user: m.type(),
    team: m.type({ member: m.relation(['user']) }),
    doc: m.type({
      banned: m.relation(['user', 'team#member']),
      owner: m.relation(['user']),
      viewer: m.relation(['user', 'user:*']).or(m.computed('owner')).deny(m.computed('banned')),
      reader: m.computed('viewer'),
    }),
  }));

  it('a deny always wins, whatever grants, also through computed relations', async () => {
    const pe = await setup(
      [
        t('doc:1', 'owner', 'user:mallory'),
        t('doc:1', 'viewer', 'user:mallory'),
        t('doc:1', 'viewer', 'user:*'),
        t('doc:1', 'banned', 'team:trolls#member'),
        t('team:trolls', 'member', 'user:mallory'),
      ],
      denyModel,
    );
    const r = await pe.check(req('user:mallory', 'viewer', 'doc:1'));
    expect(r).toMatchObject({ allowed: false, code: 'deny_rule' });
    expect((await pe.check(req('user:mallory', 'reader', 'doc:1'))).allowed).toBe(false);
    expect((await pe.check(req('user:anne', 'viewer', 'doc:1'))).allowed).toBe(true);
  });
});
