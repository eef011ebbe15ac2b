import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineCondition,
  defineModel,
  InvalidCursorError,
  ListQueryError,
  MemoryRelationshipStore,
  PolicyEvaluator,
  type RelationshipTuple,
  validateModel,
} from '../../src/policy/index.js';

const t = (object: string, relation: string, subject: string, condition?: string): RelationshipTuple => {
  const [ot, oid] = object.split(':') as [string, string];
  const [sObj, sRel] = subject.split('#') as [string, string | undefined];
  const [st, sid] = sObj.split(':') as [string, string];
  return {
    object: { type: ot, id: oid },
    relation,
    subject: sRel ? { type: st, id: sid, relation: sRel } : { type: st, id: sid },
    ...(condition ? { condition: { name: condition } } : {}),
  };
};

const model = defineModel(
  (m) => ({
    user: m.type(),
    team: m.type({ member: m.relation(['user', 'team#member']) }),
    folder: m.type({
      owner: m.relation(['user']),
      parent: m.relation(['folder']),
      blocked: m.relation(['user']),
      viewer: m
        .relation(['user', 'team#member'])
        .or(m.computed('owner'))
        .or(m.from('parent', 'viewer'))
        .butNot(m.computed('blocked')),
    }),
    conversation: m.type({
      team: m.relation(['team']),
      owner: m.relation(['user']),
      banned: m.relation(['user']),
      viewer: m
        .relation(['user:*'])
        .or(m.computed('owner'))
        .or(m.from('team', 'member'))
        .deny(m.computed('banned')),
    }),
    thread: m.type({
      conversation: m.relation(['conversation']),
      viewer: m.from('conversation', 'viewer'),
    }),
    doc: m.type({
      reader: m.relation(['user', 'user with business_hours']),
      editor: m.relation(['user']),
      both: m.computed('reader').and(m.computed('editor')),
    }),
    page: m.type({ viewer: m.condition('business_hours') }),
  }),
  {
    conditions: {
      business_hours: defineCondition({
        params: z.object({ context: z.object({ hour: z.number() }) }),
        evaluate: ({ context }) => context.hour >= 9 && context.hour < 17,
      }),
    },
  },
);

async function engine(extra: RelationshipTuple[] = [], options: { maxDepth?: number } = {}) {
  const compiled = validateModel(model);
  const store = new MemoryRelationshipStore({ model: compiled });
  await store.write([
    t('team:research', 'member', 'user:alice'),
    t('team:all', 'member', 'team:research#member'),
    t('conversation:c1', 'team', 'team:research'),
    t('conversation:c2', 'team', 'team:all'),
    t('conversation:c3', 'owner', 'user:bob'),
    t('thread:t1', 'conversation', 'conversation:c1'),
    t('thread:t2', 'conversation', 'conversation:c2'),
    t('thread:t3', 'conversation', 'conversation:c3'),
    t('conversation:pub', 'viewer', 'user:*'),
    t('thread:tp', 'conversation', 'conversation:pub'),
    ...extra,
  ]);
  return { pe: new PolicyEvaluator({ model: compiled, store, ...options }), store };
}

const user = (id: string) => ({ type: 'user', id });
const ids = (refs: ReadonlyArray<{ id: string }>) => refs.map((r) => r.id);

describe('listResources', () => {
  it("team members list the team's conversations and threads (nested teams, public ones)", async () => {
    const { pe } = await engine();
    const convs = await pe.listResources({ subject: user('alice'), action: 'viewer', type: 'conversation' });
    expect(convs).toEqual({
      resources: [
        { type: 'conversation', id: 'c1' },
        { type: 'conversation', id: 'c2' },
        { type: 'conversation', id: 'pub' },
      ],
      cursor: null,
      complete: true,
    });
    const threads = await pe.listResources({ subject: user('alice'), action: 'viewer', type: 'thread' });
    expect(ids(threads.resources)).toEqual(['t1', 't2', 'tp']);
    expect(threads.complete).toBe(true);
    const bob = await pe.listResources({ subject: user('bob'), action: 'viewer', type: 'thread' });
    expect(ids(bob.resources)).toEqual(['t3', 'tp']);
  });

  it('public conversations: anyone lists the ones shared with user:*', async () => {
    const { pe } = await engine();
    const r = await pe.listResources({ subject: user('stranger'), action: 'viewer', type: 'conversation' });
    expect(ids(r.resources)).toEqual(['pub']);
    expect(r.complete).toBe(true);
  });

  it('shared folder listing: direct share, team share and inherited subfolders', async () => {
    const { pe } = await engine([
      t('folder:shared', 'viewer', 'team:research#member'),
      t('folder:sub', 'parent', 'folder:shared'),
      t('folder:subsub', 'parent', 'folder:sub'),
      t('folder:mine', 'owner', 'user:alice'),
      t('folder:other', 'owner', 'user:bob'),
    ]);
    const r = await pe.listResources({ subject: user('alice'), action: 'viewer', type: 'folder' });
    expect(ids(r.resources)).toEqual(['mine', 'shared', 'sub', 'subsub']);
    expect(
      ids((await pe.listResources({ subject: user('bob'), action: 'viewer', type: 'folder' })).resources),
    ).toEqual(['other']);
  });

  it('AZ-03: never lists an object excluded by but-not, a deny or a false condition', async () => {
    const { pe } = await engine([
      t('folder:shared', 'viewer', 'user:alice'),
      t('folder:sub', 'parent', 'folder:shared'),
      t('folder:sub', 'blocked', 'user:alice'),
      t('conversation:c1', 'banned', 'user:alice'),
      t('conversation:pub', 'banned', 'user:alice'),
      t('doc:d1', 'reader', 'user:alice', 'business_hours'),
      t('doc:d2', 'reader', 'user:alice'),
      t('doc:d2', 'editor', 'user:alice'),
      t('doc:d3', 'reader', 'user:alice'),
    ]);
    const folders = await pe.listResources({ subject: user('alice'), action: 'viewer', type: 'folder' });
    expect(ids(folders.resources)).toEqual(['shared']);
    const convs = await pe.listResources({ subject: user('alice'), action: 'viewer', type: 'conversation' });
    expect(ids(convs.resources)).toEqual(['c2']);
    const night = await pe.listResources({
      subject: user('alice'),
      action: 'reader',
      type: 'doc',
      context: { hour: 23 },
    });
    expect(ids(night.resources)).toEqual(['d2', 'd3']);
    const day = await pe.listResources({
      subject: user('alice'),
      action: 'reader',
      type: 'doc',
      context: { hour: 10 },
    });
    expect(ids(day.resources)).toEqual(['d1', 'd2', 'd3']);
    // No hour at all: check denies d1 (fail closed), and the list refuses rather than leave d1 out.
    expect(
      (await pe.check({ subject: user('alice'), action: 'reader', resource: { type: 'doc', id: 'd1' } }))
        .code,
    ).toBe('condition_input_invalid');
    await expect(
      pe.listResources({ subject: user('alice'), action: 'reader', type: 'doc' }),
    ).rejects.toMatchObject({
      code: 'ERR_MISSING_CONDITION_PARAMETER',
      condition: 'business_hours',
      parameters: ['context.hour'],
    });
    const both = await pe.listResources({ subject: user('alice'), action: 'both', type: 'doc' });
    expect(ids(both.resources)).toEqual(['d2']);
    for (const r of [...folders.resources, ...convs.resources]) {
      expect((await pe.check({ subject: user('alice'), action: 'viewer', resource: r })).allowed).toBe(true);
    }
  });

  it('contextual tuples take part in candidate generation', async () => {
    const { pe } = await engine();
    const r = await pe.listResources({
      subject: user('carol'),
      action: 'viewer',
      type: 'thread',
      contextualTuples: [t('team:research', 'member', 'user:carol')],
    });
    expect(ids(r.resources)).toEqual(['t1', 't2', 'tp']);
  });

  it('a relation granted by a condition alone cannot be enumerated: complete is false', async () => {
    const { pe } = await engine();
    const r = await pe.listResources({
      subject: user('alice'),
      action: 'viewer',
      type: 'page',
      context: { hour: 10 },
    });
    expect(r).toMatchObject({ resources: [], complete: false, incompleteReason: 'unbounded' });
  });

  it('an unknown type or action is refused with a code, never an empty complete list', async () => {
    const { pe } = await engine();
    await expect(
      pe.listResources({ subject: user('alice'), action: 'nope', type: 'conversation' }),
    ).rejects.toMatchObject({
      name: 'ListQueryError',
      code: 'ERR_UNKNOWN_RELATION',
      message: "relation 'conversation#nope' not found",
    });
    await expect(
      pe.listResources({ subject: user('alice'), action: 'viewer', type: '__proto__' }),
    ).rejects.toMatchObject({ code: 'ERR_UNKNOWN_TYPE', message: "type '__proto__' not found" });
  });
});

describe('pagination', () => {
  const many = Array.from({ length: 23 }, (_, i) => `f${String(i).padStart(2, '0')}`);
  const tuples = [
    ...many.map((id, i) =>
      i % 5 === 3 ? t(`folder:${id}`, 'owner', 'user:someone') : t(`folder:${id}`, 'viewer', 'user:alice'),
    ),
    ...many.map((id, i) => (i % 4 === 0 ? t(`folder:${id}`, 'blocked', 'user:alice') : undefined)),
  ].filter((x): x is RelationshipTuple => x !== undefined);
  const expected = many.filter((_, i) => i % 5 !== 3 && i % 4 !== 0);

  for (const pageSize of [1, 2, 100]) {
    it(`listResources pages of ${pageSize}: no duplicates, no gaps, cursors round-trip`, async () => {
      const { pe } = await engine(tuples);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await pe.listResources({
          subject: user('alice'),
          action: 'viewer',
          type: 'folder',
          pageSize,
          cursor,
        });
        expect(page.complete).toBe(true);
        expect(page.resources.length).toBeLessThanOrEqual(pageSize);
        expect(page.resources.length).toBeGreaterThan(0);
        seen.push(...ids(page.resources));
        cursor = page.cursor;
        pages++;
      } while (cursor !== null && pages < 100);
      expect(seen).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / pageSize));
    });

    it(`listSubjects pages of ${pageSize}`, async () => {
      const people = Array.from({ length: 9 }, (_, i) => `u${i}`);
      const { pe } = await engine([
        ...people.map((p) => t('team:big', 'member', `user:${p}`)),
        t('folder:x', 'viewer', 'team:big#member'),
        t('folder:x', 'viewer', 'user:zed'),
        t('folder:x', 'blocked', 'user:u4'),
      ]);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await pe.listSubjects({
          resource: { type: 'folder', id: 'x' },
          action: 'viewer',
          subjectType: 'user',
          pageSize,
          cursor,
        });
        expect(page.complete).toBe(true);
        seen.push(...ids(page.subjects));
        cursor = page.cursor;
        pages++;
      } while (cursor !== null && pages < 100);
      expect(seen).toEqual(['u0', 'u1', 'u2', 'u3', 'u5', 'u6', 'u7', 'u8', 'zed']);
    });
  }

  it('a cursor is opaque and bound to its query', async () => {
    const { pe } = await engine(tuples);
    const first = await pe.listResources({
      subject: user('alice'),
      action: 'viewer',
      type: 'folder',
      pageSize: 2,
    });
    expect(first.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    await expect(
      pe.listResources({ subject: user('bob'), action: 'viewer', type: 'folder', cursor: first.cursor }),
    ).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(
      pe.listResources({ subject: user('alice'), action: 'viewer', type: 'folder', cursor: 'garbage!' }),
    ).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(
      pe.listResources({ subject: user('alice'), action: 'viewer', type: 'folder', pageSize: 0 }),
    ).rejects.toBeInstanceOf(ListQueryError);
    await expect(
      pe.listResources({ subject: user('alice'), action: 'viewer', type: 'folder', pageSize: 1.5 }),
    ).rejects.toBeInstanceOf(ListQueryError);
  });
});

describe('completeness', () => {
  it('complete is false when the read budget is hit, and what is returned is still allowed', async () => {
    const tuples = Array.from({ length: 30 }, (_, i) => t(`folder:f${i}`, 'viewer', 'user:alice'));
    const { pe } = await engine(tuples);
    const full = await pe.listResources({ subject: user('alice'), action: 'viewer', type: 'folder' });
    expect(full.complete).toBe(true);
    expect(full.resources).toHaveLength(30);
    const cut = await pe.listResources({
      subject: user('alice'),
      action: 'viewer',
      type: 'folder',
      budget: 10,
    });
    expect(cut).toMatchObject({ complete: false, incompleteReason: 'budget_exceeded' });
    expect(cut.resources.length).toBeLessThan(30);
    for (const r of cut.resources) {
      expect((await pe.check({ subject: user('alice'), action: 'viewer', resource: r })).allowed).toBe(true);
      expect(ids(full.resources)).toContain(r.id);
    }
    const subjects = await pe.listSubjects({
      resource: { type: 'folder', id: 'f1' },
      action: 'viewer',
      subjectType: 'user',
      budget: 1,
    });
    expect(subjects.complete).toBe(false);
  });

  it('when the check budget runs out, the cursor continues after the last checked candidate', async () => {
    const threads = Array.from({ length: 30 }, (_, i) =>
      t(`thread:x${i}`, 'conversation', 'conversation:c0'),
    );
    const { pe } = await engine([t('conversation:c0', 'owner', 'user:olga'), ...threads]);
    const full = await pe.listResources({ subject: user('olga'), action: 'viewer', type: 'thread' });
    expect(full.resources).toHaveLength(31); // x0..x29 and the public tp
    const all: string[] = [];
    let cursor: string | null = null;
    let calls = 0;
    do {
      const page = await pe.listResources({
        subject: user('olga'),
        action: 'viewer',
        type: 'thread',
        budget: 10,
        cursor,
      });
      expect(page.complete).toBe(page.cursor === null);
      all.push(...ids(page.resources));
      cursor = page.cursor;
      calls++;
    } while (cursor !== null && calls < 20);
    expect(calls).toBe(4);
    expect(all).toEqual(ids(full.resources));
  });

  it('complete is false when the depth bound is hit', async () => {
    const chain = Array.from({ length: 12 }, (_, i) => t(`folder:d${i + 1}`, 'parent', `folder:d${i}`));
    const { pe } = await engine([t('folder:d0', 'viewer', 'user:alice'), ...chain], { maxDepth: 6 });
    const r = await pe.listResources({ subject: user('alice'), action: 'viewer', type: 'folder' });
    expect(r.complete).toBe(false);
    expect(r.resources.length).toBeGreaterThan(0);
    for (const res of r.resources) {
      expect((await pe.check({ subject: user('alice'), action: 'viewer', resource: res })).allowed).toBe(
        true,
      );
    }
    const s = await pe.listSubjects({
      resource: { type: 'folder', id: 'd12' },
      action: 'viewer',
      subjectType: 'user',
    });
    expect(s.complete).toBe(false);
    expect(s.subjects).toEqual([]);
  });
});

describe('listSubjects', () => {
  it('lists the members of a team sharing a conversation, and the owner', async () => {
    const { pe } = await engine([
      t('team:research', 'member', 'user:dana'),
      t('conversation:c1', 'owner', 'user:olivia'),
      t('conversation:c1', 'banned', 'user:dana'),
    ]);
    const r = await pe.listSubjects({
      resource: { type: 'thread', id: 't1' },
      action: 'viewer',
      subjectType: 'user',
    });
    expect(r).toEqual({
      subjects: [
        { type: 'user', id: 'alice' },
        { type: 'user', id: 'olivia' },
      ],
      excluded: [],
      cursor: null,
      complete: true,
    });
    const teams = await pe.listSubjects({
      resource: { type: 'conversation', id: 'c1' },
      action: 'team',
      subjectType: 'team',
    });
    expect(ids(teams.subjects)).toEqual(['research']);
  });

  it("reports the wildcard as { id: '*' } with the subjects it does not cover in excluded", async () => {
    const { pe } = await engine([
      t('conversation:pub', 'banned', 'user:mallory'),
      t('conversation:pub', 'owner', 'user:bob'),
    ]);
    const r = await pe.listSubjects({
      resource: { type: 'thread', id: 'tp' },
      action: 'viewer',
      subjectType: 'user',
    });
    expect(r).toEqual({
      subjects: [
        { type: 'user', id: '*' },
        { type: 'user', id: 'bob' },
      ],
      excluded: [{ type: 'user', id: 'mallory' }],
      cursor: null,
      complete: true,
    });
    expect(
      (await pe.check({ subject: user('mallory'), action: 'viewer', resource: { type: 'thread', id: 'tp' } }))
        .allowed,
    ).toBe(false);
  });

  it('a condition-only relation is the wildcard when it holds', async () => {
    const { pe } = await engine();
    const page = { type: 'page', id: 'home' };
    const day = await pe.listSubjects({
      resource: page,
      action: 'viewer',
      subjectType: 'user',
      context: { hour: 10 },
    });
    expect(day.subjects).toEqual([{ type: 'user', id: '*' }]);
    const night = await pe.listSubjects({
      resource: page,
      action: 'viewer',
      subjectType: 'user',
      context: { hour: 2 },
    });
    expect(night.subjects).toEqual([]);
  });
});
