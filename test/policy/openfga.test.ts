import { describe, expect, it } from 'vitest';
import {
  fromOpenFgaTuple,
  loadOpenFgaModel,
  OpenFgaModelError,
  type OpenFgaTupleKey,
} from '../../src/openfga.js';
import {
  MemoryRelationshipStore,
  PolicyEvaluator,
  PolicyModelError,
  validateModel,
} from '../../src/policy/index.js';

// The chapter's GenAI model in the OpenFGA language (same shape as chapter-scenarios.test.ts).
const GENAI = `model
  schema 1.1

type user

type team
  relations
    define member: [user, team#member]

type folder
  relations
    define owner: [user]
    define parent: [folder]
    define blocked: [user]
    define viewer: [user, team#member] or owner or viewer from parent
    define can_view: viewer but not blocked
    define can_manage: viewer and owner

type conversation
  relations
    define team: [team]
    define owner: [user]
    define viewer: [user, user:*] or owner or member from team

type thread
  relations
    define conversation: [conversation]
    define viewer: viewer from conversation

type llm
  relations
    define user: [user:*, user:* with is_paid]

condition is_paid(plan: string) {
  plan != "free"
}
`;

const t = (user: string, relation: string, object: string, condition?: OpenFgaTupleKey['condition']) =>
  fromOpenFgaTuple({ user, relation, object, ...(condition ? { condition } : {}) });

async function engine(dsl = GENAI) {
  const compiled = validateModel(loadOpenFgaModel(dsl));
  const store = new MemoryRelationshipStore({ model: compiled });
  await store.write([
    t('user:alice', 'member', 'team:research'),
    t('team:research', 'team', 'conversation:c1'),
    t('conversation:c1', 'conversation', 'thread:t1'),
    t('user:*', 'viewer', 'conversation:pub'),
    t('conversation:pub', 'conversation', 'thread:t2'),
    t('user:olivia', 'owner', 'folder:f1'),
    t('folder:f1', 'parent', 'folder:f2'),
    t('user:*', 'user', 'llm:gpt-small'),
    t('user:*', 'user', 'llm:gpt-premium', { name: 'is_paid' }),
  ]);
  return { pe: new PolicyEvaluator({ model: compiled, store }), store };
}

const check = (pe: PolicyEvaluator, user: string, action: string, type: string, id: string, extra = {}) =>
  pe.check({ subject: { type: 'user', id: user }, action, resource: { type, id }, ...extra });

describe('loadOpenFgaModel: the mapping', () => {
  it('maps direct types, wildcards, usersets, conditions and every rewrite operator', () => {
    const model = loadOpenFgaModel(GENAI);
    expect(model.types.team?.relations?.member).toEqual({
      directly: [{ type: 'user' }, { type: 'team', relation: 'member' }],
      rewrite: { this: true },
    });
    expect(model.types.conversation?.relations?.viewer).toEqual({
      directly: [{ type: 'user' }, { type: 'user', wildcard: true }],
      rewrite: {
        union: [
          { this: true },
          { computed: 'owner' },
          { tupleToUserset: { tupleset: 'team', computed: 'member' } },
        ],
      },
    });
    expect(model.types.llm?.relations?.user?.directly).toEqual([
      { type: 'user', wildcard: true },
      { type: 'user', wildcard: true, condition: 'is_paid' },
    ]);
    expect(model.types.folder?.relations?.can_view?.rewrite).toEqual({
      exclusion: { base: { computed: 'viewer' }, subtract: { computed: 'blocked' } },
    });
    expect(model.types.folder?.relations?.can_manage?.rewrite).toEqual({
      intersection: [{ computed: 'viewer' }, { computed: 'owner' }],
    });
    expect(model.types.thread?.relations?.viewer).toEqual({
      rewrite: { tupleToUserset: { tupleset: 'conversation', computed: 'viewer' } },
    });
    expect(Object.keys(model.conditions ?? {})).toEqual(['is_paid']);
  });

  it('converts OpenFGA tuple keys', () => {
    expect(t('team:eng#member', 'viewer', 'doc:1')).toEqual({
      object: { type: 'doc', id: '1' },
      relation: 'viewer',
      subject: { type: 'team', id: 'eng', relation: 'member' },
    });
    expect(t('user:*', 'viewer', 'doc:1').subject).toEqual({ type: 'user', id: '*' });
    expect(() => t('anne', 'viewer', 'doc:1')).toThrow(/type:id/);
  });

  it("refuses tuple keys OpenFGA's grammar refuses, rather than reading them some other way", () => {
    // `doc:a:b` is not the id `a:b` of a doc: OpenFGA ids hold no `:`, `#` or whitespace.
    expect(() => t('user:anne', 'viewer', 'doc:a:b')).toThrow(/object must be "type:id", got "doc:a:b"/);
    expect(() => t('user:a:b', 'viewer', 'doc:1')).toThrow(/user must be "type:id"/);
    expect(() => t('user:an ne', 'viewer', 'doc:1')).toThrow(TypeError);
    expect(() => t('user:anne', 'viewer', 'doc:1 ')).toThrow(TypeError);
    expect(() => t('user:anne', 'viewer', ':1')).toThrow(TypeError);
    expect(() => t('user:anne', 'viewer', 'doc:')).toThrow(TypeError);
    expect(() => t('user:anne', 'viewer', 'doc:*')).toThrow(/wildcard/);
    expect(() => t('team:*#member', 'viewer', 'doc:1')).toThrow(/type:id#relation/);
    expect(() => t('team:eng#', 'viewer', 'doc:1')).toThrow(/type:id#relation/);
    expect(() => t('team:eng#member#x', 'viewer', 'doc:1')).toThrow(/type:id#relation/);
    expect(() => t('user:anne', 'view er', 'doc:1')).toThrow(/relation name/);
    expect(() => t('user:anne', 'viewer@x', 'doc:1')).toThrow(/relation name/);
    expect(t('user:anne@example.com', 'viewer', 'doc:1').subject).toEqual({
      type: 'user',
      id: 'anne@example.com',
    });
  });
});

describe("the chapter's scenarios with the OpenFGA model", () => {
  it("team members see the team's private conversations and their threads", async () => {
    const { pe } = await engine();
    expect((await check(pe, 'alice', 'viewer', 'conversation', 'c1')).allowed).toBe(true);
    expect((await check(pe, 'alice', 'viewer', 'thread', 't1')).allowed).toBe(true);
    expect((await check(pe, 'mallory', 'viewer', 'conversation', 'c1')).allowed).toBe(false);
    expect((await check(pe, 'mallory', 'viewer', 'thread', 't1')).allowed).toBe(false);
  });

  it('sharing a folder with a user and with a team; sub-folders inherit', async () => {
    const { pe, store } = await engine();
    expect((await check(pe, 'bob', 'viewer', 'folder', 'f1')).allowed).toBe(false);
    expect((await check(pe, 'alice', 'viewer', 'folder', 'f1')).allowed).toBe(false);
    expect((await check(pe, 'olivia', 'viewer', 'folder', 'f1')).allowed).toBe(true);
    expect((await check(pe, 'olivia', 'viewer', 'folder', 'f2')).allowed).toBe(true);
    await store.write([
      t('user:bob', 'viewer', 'folder:f1'),
      t('team:research#member', 'viewer', 'folder:f1'),
    ]);
    expect((await check(pe, 'bob', 'viewer', 'folder', 'f1')).allowed).toBe(true);
    expect((await check(pe, 'alice', 'viewer', 'folder', 'f1')).allowed).toBe(true);
    expect((await check(pe, 'alice', 'viewer', 'folder', 'f2')).allowed).toBe(true);
    expect((await check(pe, 'mallory', 'viewer', 'folder', 'f1')).allowed).toBe(false);
  });

  it('but not and and', async () => {
    const { pe, store } = await engine();
    await store.write([t('user:bob', 'viewer', 'folder:f1'), t('user:bob', 'blocked', 'folder:f1')]);
    expect((await check(pe, 'bob', 'viewer', 'folder', 'f1')).allowed).toBe(true);
    expect((await check(pe, 'bob', 'can_view', 'folder', 'f1')).allowed).toBe(false);
    expect((await check(pe, 'olivia', 'can_view', 'folder', 'f1')).allowed).toBe(true);
    expect((await check(pe, 'olivia', 'can_manage', 'folder', 'f1')).allowed).toBe(true);
    expect((await check(pe, 'bob', 'can_manage', 'folder', 'f1')).allowed).toBe(false);
  });

  it('public conversations are visible to every user (viewer: user:*)', async () => {
    const { pe } = await engine();
    expect((await check(pe, 'anyone', 'viewer', 'conversation', 'pub')).allowed).toBe(true);
    expect((await check(pe, 'anyone', 'viewer', 'thread', 't2')).allowed).toBe(true);
  });

  it('paid users and premium models: a CEL condition over the request context', async () => {
    const { pe } = await engine();
    const premium = (context?: Record<string, unknown>) =>
      check(pe, 'u', 'user', 'llm', 'gpt-premium', context ? { context } : {});
    expect((await premium({ plan: 'pro' })).allowed).toBe(true);
    expect((await premium({ plan: 'free' })).allowed).toBe(false);
    expect(await premium()).toMatchObject({ allowed: false, code: 'condition_input_invalid' });
    expect(await premium({ plan: 42 })).toMatchObject({ allowed: false, code: 'condition_input_invalid' });
    expect((await check(pe, 'u', 'user', 'llm', 'gpt-small')).allowed).toBe(true);
  });

  it("the tuple's condition context wins over the request context (OpenFGA's rule)", async () => {
    const { pe, store } = await engine();
    await store.write([t('user:*', 'user', 'llm:gpt-trial', { name: 'is_paid', context: { plan: 'free' } })]);
    expect((await check(pe, 'u', 'user', 'llm', 'gpt-trial', { context: { plan: 'pro' } })).allowed).toBe(
      false,
    );
  });
});

describe('CEL conditions', () => {
  const dsl = (condition: string, restriction = 'user with c') => `model
  schema 1.1
type user
type doc
  relations
    define viewer: [${restriction}]
${condition}
`;

  async function viewer(
    condition: string,
    tupleContext: Record<string, unknown>,
    context: Record<string, unknown>,
  ) {
    const compiled = validateModel(loadOpenFgaModel(dsl(condition)));
    const store = new MemoryRelationshipStore({ model: compiled });
    await store.write([t('user:anne', 'viewer', 'doc:1', { name: 'c', context: tupleContext })]);
    return new PolicyEvaluator({ model: compiled, store }).check({
      subject: { type: 'user', id: 'anne' },
      action: 'viewer',
      resource: { type: 'doc', id: '1' },
      context,
    });
  }

  it('int, list, map, timestamp, duration, double, bool and uint parameters', async () => {
    const cond = `condition c(n: int, xs: list<string>, m: map<int>, now: timestamp, grant: duration, written: timestamp, ratio: double, ok: bool, u: uint) {
  n > 3 && "a" in xs && m["k"] == 2 && now < written + grant && ratio < 0.5 && ok && u >= 1u
}`;
    const tuple = { written: '2025-01-01T00:00:00Z', grant: '1h', xs: ['a', 'b'], m: { k: 2 } };
    const request = { n: 5, now: '2025-01-01T00:30:00Z', ratio: 0.25, ok: true, u: 1 };
    expect((await viewer(cond, tuple, request)).allowed).toBe(true);
    expect((await viewer(cond, tuple, { ...request, now: '2025-01-01T02:00:00Z' })).allowed).toBe(false);
    expect(await viewer(cond, tuple, { ...request, n: 1.5 })).toMatchObject({
      code: 'condition_input_invalid',
    });
    expect(await viewer(cond, tuple, { ...request, u: -1 })).toMatchObject({
      code: 'condition_input_invalid',
    });
    expect(await viewer(cond, tuple, { ...request, now: 'yesterday' })).toMatchObject({
      code: 'condition_input_invalid',
    });
  });

  it('ipaddress parameters with in_cidr', async () => {
    const cond = 'condition c(ip: ipaddress) {\n  ip.in_cidr("10.0.0.0/8")\n}';
    expect((await viewer(cond, {}, { ip: '10.1.2.3' })).allowed).toBe(true);
    expect((await viewer(cond, {}, { ip: '192.168.0.1' })).allowed).toBe(false);
    expect(await viewer(cond, {}, { ip: 'not-an-ip' })).toMatchObject({ code: 'condition_input_invalid' });
  });

  it('an expression that does not type-check, or is not a bool, fails at load with its line', () => {
    const bad = (cond: string) => () => loadOpenFgaModel(dsl(cond));
    expect(bad('condition c(plan: string) {\n  plan + 1 == 2\n}')).toThrow(OpenFgaModelError);
    expect(bad('condition c(plan: string) {\n  plan\n}')).toThrow(/not bool/);
    try {
      loadOpenFgaModel(dsl('condition c(plan: string) {\n  nope == "x"\n}'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyModelError);
      expect((error as OpenFgaModelError).line).toBe(7);
      expect((error as OpenFgaModelError).column).toBe(11);
      expect((error as OpenFgaModelError).message).toMatch(/nope/);
    }
  });
});

describe('errors point at the line', () => {
  it('a syntax error reports its line and column', () => {
    const broken = 'model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user] orr\n';
    try {
      loadOpenFgaModel(broken);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OpenFgaModelError);
      const e = error as OpenFgaModelError;
      expect(e.line).toBe(6);
      expect(e.column).toBeGreaterThan(0);
      expect(e.message).toMatch(/line 6/);
    }
  });

  it('an unknown type reference fails at load with its line', () => {
    const dsl = 'model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [usr]\n';
    expect(() => loadOpenFgaModel(dsl)).toThrow(OpenFgaModelError);
    try {
      loadOpenFgaModel(dsl);
    } catch (error) {
      expect((error as OpenFgaModelError).line).toBe(6);
      expect((error as OpenFgaModelError).message).toMatch(/usr/);
    }
  });

  it('an unknown relation in a rewrite and an undefined condition fail at load', () => {
    const rel =
      'model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user] or editor\n';
    expect(() => loadOpenFgaModel(rel)).toThrow(expect.objectContaining({ line: 6 }));
    const cond =
      'model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user with nope]\n';
    expect(() => loadOpenFgaModel(cond)).toThrow(OpenFgaModelError);
  });

  it('an unsupported schema version is refused', () => {
    expect(() => loadOpenFgaModel('model\n  schema 1.0\ntype user\n')).toThrow(OpenFgaModelError);
  });

  it("gatehouse's own validation errors carry the line of the relation", () => {
    // A type name OpenFGA accepts but gatehouse refuses (longer than 64 characters).
    const long = `t${'x'.repeat(70)}`;
    const dsl = `model\n  schema 1.1\ntype user\n\ntype ${long}\n  relations\n    define viewer: [user]\n`;
    expect(() => loadOpenFgaModel(dsl)).toThrow(PolicyModelError);
    expect(() => loadOpenFgaModel(dsl)).toThrow(expect.objectContaining({ line: 5, column: 6 }));
    expect(() => loadOpenFgaModel(dsl)).toThrow(/not a safe name/);
  });
});
