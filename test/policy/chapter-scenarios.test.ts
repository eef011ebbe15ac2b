import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineCondition,
  defineModel,
  defineRoles,
  MemoryRelationshipStore,
  PolicyEvaluator,
  type RelationshipTuple,
  rolesTypeDefinition,
  validateModel,
} from '../../src/policy/index.js';

const model = defineModel(
  (m) => ({
    user: m.type(),
    team: m.type({ member: m.relation(['user', 'team#member']) }),
    folder: m.type({
      owner: m.relation(['user']),
      viewer: m.relation(['user', 'team#member']).or(m.computed('owner')),
    }),
    conversation: m.type({
      team: m.relation(['team']),
      owner: m.relation(['user']),
      viewer: m.relation(['user:*']).or(m.computed('owner')).or(m.from('team', 'member')),
    }),
    thread: m.type({
      conversation: m.relation(['conversation']),
      viewer: m.from('conversation', 'viewer'),
    }),
    llm: m.type({ user: m.relation(['user:*', 'user:* with paid_plan']) }),
    workspace: m.type({
      member: m.relation(['user']),
      upload: m.computed('member').butNot(m.condition('contains_pii')),
    }),
  }),
  {
    conditions: {
      paid_plan: defineCondition({
        params: z.object({ subject: z.object({ plan: z.enum(['free', 'pro', 'enterprise']) }) }),
        evaluate: ({ subject }) => subject.plan !== 'free',
      }),
      contains_pii: defineCondition({
        params: z.object({ resource: z.object({ has_pii: z.boolean() }) }),
        evaluate: ({ resource }) => resource.has_pii,
      }),
    },
  },
);

const tuple = (o: [string, string], relation: string, s: [string, string, string?], condition?: string) =>
  ({
    object: { type: o[0], id: o[1] },
    relation,
    subject: s[2] ? { type: s[0], id: s[1], relation: s[2] } : { type: s[0], id: s[1] },
    ...(condition ? { condition: { name: condition } } : {}),
  }) satisfies RelationshipTuple;

async function engine() {
  const compiled = validateModel(model);
  const store = new MemoryRelationshipStore({ model: compiled });
  await store.write([
    tuple(['team', 'research'], 'member', ['user', 'alice']),
    tuple(['conversation', 'c1'], 'team', ['team', 'research']),
    tuple(['thread', 't1'], 'conversation', ['conversation', 'c1']),
    tuple(['conversation', 'pub'], 'viewer', ['user', '*']),
    tuple(['thread', 't2'], 'conversation', ['conversation', 'pub']),
    tuple(['folder', 'f1'], 'owner', ['user', 'olivia']),
    tuple(['llm', 'gpt-small'], 'user', ['user', '*']),
    tuple(['llm', 'gpt-premium'], 'user', ['user', '*'], 'paid_plan'),
    tuple(['workspace', 'w1'], 'member', ['user', 'alice']),
  ]);
  return { pe: new PolicyEvaluator({ model: compiled, store }), store };
}

const check = (pe: PolicyEvaluator, user: string, action: string, type: string, id: string, extra = {}) =>
  pe.check({ subject: { type: 'user', id: user }, action, resource: { type, id }, ...extra });

describe("the chapter's scenarios", () => {
  const roles = defineRoles({
    USER: { permissions: ['chat'] },
    ADMIN: { inherits: ['USER'], permissions: ['generate_image', 'delete_conversation', 'ban_user'] },
    MODERATOR: { inherits: ['USER', { role: 'ADMIN', only: ['delete_conversation'] }] },
  });

  it('admin-only image generation', () => {
    expect(roles.roleAllows('ADMIN', 'generate_image')).toBe(true);
    expect(roles.roleAllows('MODERATOR', 'generate_image')).toBe(false);
    expect(roles.roleAllows('USER', 'generate_image')).toBe(false);
  });

  it('moderators hold a subset of the admin permissions', () => {
    expect(roles.roleAllows('MODERATOR', 'delete_conversation')).toBe(true);
    expect(roles.roleAllows('MODERATOR', 'ban_user')).toBe(false);
    expect(roles.roleAllows('MODERATOR', 'chat')).toBe(true);
  });

  it("team members see the team's private conversations and their threads", async () => {
    const { pe } = await engine();
    expect((await check(pe, 'alice', 'viewer', 'conversation', 'c1')).allowed).toBe(true);
    expect((await check(pe, 'alice', 'viewer', 'thread', 't1')).allowed).toBe(true);
    expect((await check(pe, 'mallory', 'viewer', 'conversation', 'c1')).allowed).toBe(false);
    expect((await check(pe, 'mallory', 'viewer', 'thread', 't1')).allowed).toBe(false);
  });

  it('sharing a folder with a user and with a team', async () => {
    const { pe, store } = await engine();
    expect((await check(pe, 'bob', 'viewer', 'folder', 'f1')).allowed).toBe(false);
    expect((await check(pe, 'alice', 'viewer', 'folder', 'f1')).allowed).toBe(false);
    expect((await check(pe, 'olivia', 'viewer', 'folder', 'f1')).allowed).toBe(true);
    await store.write([
      tuple(['folder', 'f1'], 'viewer', ['user', 'bob']),
      tuple(['folder', 'f1'], 'viewer', ['team', 'research', 'member']),
    ]);
    expect((await check(pe, 'bob', 'viewer', 'folder', 'f1')).allowed).toBe(true);
    expect((await check(pe, 'alice', 'viewer', 'folder', 'f1')).allowed).toBe(true);
    expect((await check(pe, 'mallory', 'viewer', 'folder', 'f1')).allowed).toBe(false);
  });

  it('public conversations are visible to every user (viewer: user:*)', async () => {
    const { pe } = await engine();
    expect((await check(pe, 'anyone', 'viewer', 'conversation', 'pub')).allowed).toBe(true);
    expect((await check(pe, 'anyone', 'viewer', 'thread', 't2')).allowed).toBe(true);
  });

  it('paid users and premium models', async () => {
    const { pe } = await engine();
    const as = (plan: unknown) => ({ subject: { type: 'user', id: 'u', attributes: { plan } } });
    const premium = (plan: unknown) =>
      pe.check({ ...as(plan), action: 'user', resource: { type: 'llm', id: 'gpt-premium' } });
    expect((await premium('pro')).allowed).toBe(true);
    expect((await premium('free')).allowed).toBe(false);
    expect(await premium(undefined)).toMatchObject({ allowed: false, code: 'condition_input_invalid' });
    expect(await premium(42)).toMatchObject({ allowed: false, code: 'condition_input_invalid' });
    expect((await check(pe, 'u', 'user', 'llm', 'gpt-small')).allowed).toBe(true);
  });

  it('uploads with PII are refused; a missing has_pii is a deny too', async () => {
    const { pe } = await engine();
    const upload = (user: string, has_pii: unknown) =>
      pe.check({
        subject: { type: 'user', id: user },
        action: 'upload',
        resource: { type: 'workspace', id: 'w1', attributes: { has_pii } },
      });
    expect((await upload('alice', false)).allowed).toBe(true);
    expect(await upload('alice', true)).toMatchObject({ allowed: false, code: 'not_granted' });
    expect(await upload('alice', undefined)).toMatchObject({
      allowed: false,
      code: 'condition_input_invalid',
    });
    expect((await upload('mallory', false)).allowed).toBe(false);
  });
});

describe("the chapter's hybrid authorize: RBAC + ReBAC + ABAC in one decision", () => {
  // RBAC: roles on the app (global roles as tuples on app:genai). ReBAC: conversations belong to
  // teams and owners. ABAC: PII in the message, the user's plan for premium models.
  const roles = defineRoles({
    USER: { permissions: ['chat'] },
    ADMIN: { inherits: ['USER'], permissions: ['generate_image', 'moderate'] },
    MODERATOR: { inherits: ['USER', { role: 'ADMIN', only: ['moderate'] }] },
    SUSPENDED: { deny: ['chat', 'generate_image', 'moderate'] },
  });
  const hybrid = validateModel({
    types: {
      user: {},
      app: rolesTypeDefinition(roles),
      team: { relations: { member: { directly: [{ type: 'user' }] } } },
      conversation: {
        relations: {
          app: { directly: [{ type: 'app' }] },
          team: { directly: [{ type: 'team' }] },
          owner: { directly: [{ type: 'user' }] },
          participant: {
            rewrite: {
              union: [{ computed: 'owner' }, { tupleToUserset: { tupleset: 'team', computed: 'member' } }],
            },
          },
          // post = may chat in the app (RBAC) and takes part in the conversation (ReBAC), but not
          // when the message carries PII (ABAC); moderators of the app may always read.
          post: {
            rewrite: {
              exclusion: {
                base: {
                  intersection: [
                    { tupleToUserset: { tupleset: 'app', computed: 'chat' } },
                    { computed: 'participant' },
                  ],
                },
                subtract: { condition: 'contains_pii' },
              },
            },
          },
          read: {
            rewrite: {
              union: [
                { computed: 'participant' },
                { tupleToUserset: { tupleset: 'app', computed: 'moderate' } },
              ],
            },
          },
        },
      },
      llm: {
        relations: {
          app: { directly: [{ type: 'app' }] },
          user: {
            directly: [
              { type: 'user', wildcard: true },
              { type: 'user', wildcard: true, condition: 'paid_plan' },
            ],
          },
          use: {
            rewrite: {
              intersection: [{ computed: 'user' }, { tupleToUserset: { tupleset: 'app', computed: 'chat' } }],
            },
          },
        },
      },
    },
    conditions: model.conditions!,
  });

  async function hybridEngine() {
    const store = new MemoryRelationshipStore({ model: hybrid });
    const app = { type: 'app', id: 'genai' };
    const assign = (user: string, role: string) => ({
      object: app,
      relation: role,
      subject: { type: 'user', id: user },
    });
    await store.write([
      assign('alice', 'USER'),
      assign('mo', 'MODERATOR'),
      assign('ada', 'ADMIN'),
      assign('sam', 'USER'),
      assign('sam', 'SUSPENDED'),
      assign('mallory', 'USER'),
      tuple(['team', 'research'], 'member', ['user', 'alice']),
      tuple(['team', 'research'], 'member', ['user', 'sam']),
      tuple(['conversation', 'c1'], 'team', ['team', 'research']),
      tuple(['conversation', 'c1'], 'app', ['app', 'genai']),
      tuple(['llm', 'premium'], 'app', ['app', 'genai']),
      tuple(['llm', 'premium'], 'user', ['user', '*'], 'paid_plan'),
    ]);
    return new PolicyEvaluator({ model: hybrid, store });
  }

  const post = (pe: PolicyEvaluator, user: string, has_pii: unknown) =>
    pe.check({
      subject: { type: 'user', id: user },
      action: 'post',
      resource: { type: 'conversation', id: 'c1', attributes: { has_pii } },
    });

  it('a team member with the chat permission posts a message without PII', async () => {
    const pe = await hybridEngine();
    expect((await post(pe, 'alice', false)).allowed).toBe(true);
  });

  it('each of the three parts can refuse on its own', async () => {
    const pe = await hybridEngine();
    // ABAC: the message carries PII; a missing has_pii is a deny too (fail closed).
    expect(await post(pe, 'alice', true)).toMatchObject({ allowed: false, code: 'not_granted' });
    expect(await post(pe, 'alice', undefined)).toMatchObject({
      allowed: false,
      code: 'condition_input_invalid',
    });
    // ReBAC: mallory may chat in the app but is not in the conversation's team.
    expect((await post(pe, 'mallory', false)).allowed).toBe(false);
    // RBAC: sam is in the team but suspended (a role deny wins).
    expect((await post(pe, 'sam', false)).allowed).toBe(false);
    // The admin chats in the app but takes no part in this conversation.
    expect((await post(pe, 'ada', false)).allowed).toBe(false);
  });

  it('moderators read every conversation (RBAC subset of admin), others only their own', async () => {
    const pe = await hybridEngine();
    const read = (user: string) =>
      pe.check({
        subject: { type: 'user', id: user },
        action: 'read',
        resource: { type: 'conversation', id: 'c1' },
      });
    expect((await read('mo')).allowed).toBe(true);
    expect((await read('ada')).allowed).toBe(true);
    expect((await read('alice')).allowed).toBe(true);
    expect((await read('mallory')).allowed).toBe(false);
  });

  it('premium models need a paid plan (ABAC) and the chat permission (RBAC)', async () => {
    const pe = await hybridEngine();
    const use = (user: string, plan: string) =>
      pe.check({
        subject: { type: 'user', id: user, attributes: { plan } },
        action: 'use',
        resource: { type: 'llm', id: 'premium' },
      });
    expect((await use('alice', 'pro')).allowed).toBe(true);
    expect((await use('alice', 'free')).allowed).toBe(false);
    expect((await use('sam', 'pro')).allowed).toBe(false);
    expect((await use('nobody', 'pro')).allowed).toBe(false);
  });

  it('the explanation names every part of a granted hybrid decision', async () => {
    const pe = await hybridEngine();
    const r = await pe.explain({
      subject: { type: 'user', id: 'alice' },
      action: 'post',
      resource: { type: 'conversation', id: 'c1', attributes: { has_pii: false } },
    });
    expect(r.allowed).toBe(true);
    const text = JSON.stringify(r.reason);
    expect(text).toContain('conversation:c1#app@app:genai');
    expect(text).toContain('team:research#member@user:alice');
    expect(text).toContain('contains_pii');
  });
});
