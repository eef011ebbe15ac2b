/**
 * The generated ReBAC graph of the policy benchmarks and of the tests that need a large, realistic
 * graph (`test/policy/postgres-plans.test.ts`): the model's definition, the graph's shape and
 * tuples, and `document#viewer` requests whose answers are known. Nothing here imports gatehouse at
 * run time, so the tests use it with the sources and the benchmarks with the installed package.
 */
import type { CheckRequest, defineModel, RelationshipTuple } from '../../src/index.js';

/** Deterministic PRNG (mulberry32), so every run measures the same requests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The model: teams (nested), folders in a tree, documents in folders; `viewer` from direct
 * grants, ownership and the parent folder. Pass the `defineModel` of the gatehouse being measured
 * or tested (then `validateModel` or `compileModel` of the same one).
 */
export function defineRebacModel(define: typeof defineModel) {
  return define((m) => ({
    user: m.type(),
    team: m.type({ member: m.relation(['user', 'team#member']) }),
    folder: m.type({
      owner: m.relation(['user']),
      parent: m.relation(['folder']),
      viewer: m.relation(['user', 'team#member']).or(m.computed('owner')).or(m.from('parent', 'viewer')),
    }),
    document: m.type({
      owner: m.relation(['user']),
      parent: m.relation(['folder']),
      viewer: m.relation(['user', 'team#member']).or(m.computed('owner')).or(m.from('parent', 'viewer')),
    }),
  }));
}

/**
 * The graph's shape, for `tuples` ≈ 1M × scale: every user in 2 teams; every root folder viewable
 * by one team; 5 mid folders per root, 4 leaf folders per mid folder, 3.2 documents per leaf folder.
 * Children are assigned by index modulo the parent count, so the ratios (and a user's 256 visible
 * documents) are the same at every scale.
 */
export interface Shape {
  readonly users: number;
  readonly teams: number;
  readonly roots: number;
  readonly mids: number;
  readonly leaves: number;
  readonly documents: number;
}

export function shape(scale: number): Shape {
  const teams = Math.round(5_000 * scale);
  return {
    users: teams * 10,
    teams,
    roots: teams * 2,
    mids: teams * 10,
    leaves: teams * 40,
    documents: teams * 128,
  };
}

export const tupleCount = (s: Shape) => s.users * 2 + s.roots + s.mids + s.leaves + s.documents;

export function* graphTuples(s: Shape): Generator<RelationshipTuple> {
  const folder = (id: string) => ({ type: 'folder', id });
  for (let u = 0; u < s.users; u++) {
    const user = { type: 'user', id: `u${u}` };
    yield { object: { type: 'team', id: `t${u % s.teams}` }, relation: 'member', subject: user };
    yield {
      object: { type: 'team', id: `t${(u + s.teams / 2) % s.teams}` },
      relation: 'member',
      subject: user,
    };
  }
  for (let r = 0; r < s.roots; r++) {
    yield {
      object: folder(`r${r}`),
      relation: 'viewer',
      subject: { type: 'team', id: `t${r % s.teams}`, relation: 'member' },
    };
  }
  for (let i = 0; i < s.mids; i++) {
    yield { object: folder(`m${i}`), relation: 'parent', subject: folder(`r${i % s.roots}`) };
  }
  for (let i = 0; i < s.leaves; i++) {
    yield { object: folder(`l${i}`), relation: 'parent', subject: folder(`m${i % s.mids}`) };
  }
  for (let i = 0; i < s.documents; i++) {
    yield {
      object: { type: 'document', id: `d${i}` },
      relation: 'parent',
      subject: folder(`l${i % s.leaves}`),
    };
  }
}

/** 4096 `document#viewer` checks: allowed ones (4 levels deep) or denied ones (the whole walk, no grant). */
export function rebacRequests(s: Shape, allowed: boolean, seed: number): CheckRequest[] {
  const random = prng(seed);
  const out: CheckRequest[] = [];
  const perTeam = s.users / s.teams;
  for (let n = 0; n < 4096; n++) {
    const doc = Math.floor(random() * s.documents);
    // doc -> leaf doc % leaves -> mid % mids -> root % roots -> team root % teams: team = doc % teams.
    const team = doc % s.teams;
    // Users u with u % teams === team are members; team + 1 (not team + teams/2) is never a member.
    const base = allowed ? team : (team + 1) % s.teams;
    const user = base + s.teams * Math.floor(random() * perTeam);
    out.push({
      subject: { type: 'user', id: `u${user}` },
      action: 'viewer',
      resource: { type: 'document', id: `d${doc}` },
    });
  }
  return out;
}
