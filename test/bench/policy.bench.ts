/**
 * Policy engine benchmarks (issue 5, "Performance"): `check` must take microseconds and must not
 * grow with the number of tuples or rules.
 *
 * 1. RBAC, 100 roles with inheritance and 10k user->role assignments: gatehouse `roleAllows` (role
 *    looked up in a `Map`) and `PolicyEvaluator.check` (roles as a relation type, assignments as
 *    10k tuples) against casbin `enforce` and CASL `ability.can`, on the same requests, after
 *    checking that all of them decide alike.
 * 2. ReBAC, `document#viewer` granted 4 levels deep (document -> folder -> folder -> root folder
 *    -> team#member -> user) on a generated graph of 1M tuples, and the same shape at 10k tuples.
 * 3. `listResources` of documents on both graphs, for a user who can see 256 documents.
 *
 * `BENCH_QUICK=1` shrinks the large graph to 100k tuples and shortens the rounds.
 */
import { createMongoAbility, type MongoAbility } from '@casl/ability';
import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';
import {
  type CheckRequest,
  compileModel,
  defineModel,
  defineRoles,
  type ListResourcesRequest,
  MemoryRelationshipStore,
  PolicyEvaluator,
  type RelationshipTuple,
  type RoleDefinition,
  rolesTypeDefinition,
} from '../../src/policy/index.js';
import { type BenchCase, compare, latency } from './harness.js';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? { rounds: 3, roundMs: 200 } : { rounds: 5, roundMs: 300 };

/** Deterministic PRNG (mulberry32), so every run measures the same requests. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cycles through a pre-built array of requests (length a power of two). */
function cycler<T>(items: readonly T[]): () => T {
  const mask = items.length - 1;
  if ((items.length & mask) !== 0) throw new Error('cycler needs a power-of-two length');
  let i = 0;
  return () => items[i++ & mask] as T;
}

const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;

// ---------------------------------------------------------------------------------------------
// 1. RBAC
// ---------------------------------------------------------------------------------------------

const ROLE_COUNT = 100;
const USER_COUNT = 10_000;
const RESOURCES = 40;
const ACTIONS = ['read', 'write', 'delete', 'share'] as const;

interface RbacRequest {
  readonly user: string;
  readonly resource: string;
  readonly action: string;
  readonly permission: string;
  readonly expected: boolean;
}

async function benchRbac(): Promise<void> {
  // Roles form a binary tree: role_i inherits role_((i-1)/2), so the deepest roles have 7 levels.
  // Each role grants 3 permissions of its own; effective sets hold 3 to 21 of the 160 permissions.
  const roleName = (i: number) => `role_${i}`;
  const own = (i: number) =>
    [0, 1, 2].map((j) => ({
      resource: `res${(i * 3 + j) % RESOURCES}`,
      action: ACTIONS[(i + j) % ACTIONS.length] as string,
    }));
  const parentOf = (i: number) => (i === 0 ? undefined : (i - 1) >> 1);
  const definitions: Record<string, RoleDefinition> = {};
  for (let i = 0; i < ROLE_COUNT; i++) {
    const parent = parentOf(i);
    definitions[roleName(i)] = {
      ...(parent === undefined ? {} : { inherits: [roleName(parent)] }),
      permissions: own(i).map((p) => `${p.resource}_${p.action}`),
    };
  }
  // Expected decisions, computed independently of every engine.
  const effective: Set<string>[] = [];
  for (let i = 0; i < ROLE_COUNT; i++) {
    const set = new Set(own(i).map((p) => `${p.resource}_${p.action}`));
    for (let p = parentOf(i); p !== undefined; p = parentOf(p)) {
      for (const perm of own(p)) set.add(`${perm.resource}_${perm.action}`);
    }
    effective.push(set);
  }
  const userRole = new Map<string, string>();
  const userRoleIndex = (u: number) => (u * 7919) % ROLE_COUNT;
  for (let u = 0; u < USER_COUNT; u++) userRole.set(`u${u}`, roleName(userRoleIndex(u)));

  // Requests: half drawn from the user's effective permissions (allowed), half uniformly (mostly denied).
  const random = prng(1);
  const requests: RbacRequest[] = [];
  for (let n = 0; n < 4096; n++) {
    const u = Math.floor(random() * USER_COUNT);
    const eff = effective[userRoleIndex(u)]!;
    let permission: string;
    if (n % 2 === 0) {
      const list = [...eff];
      permission = list[Math.floor(random() * list.length)]!;
    } else {
      const r = Math.floor(random() * RESOURCES);
      const a = ACTIONS[Math.floor(random() * ACTIONS.length)]!;
      permission = `res${r}_${a}`;
    }
    const [resource, action] = permission.split('_') as [string, string];
    requests.push({ user: `u${u}`, resource, action, permission, expected: eff.has(permission) });
  }
  const allowedShare = requests.filter((r) => r.expected).length / requests.length;

  // gatehouse: compiled roles, and the same roles as a relation type with 10k assignment tuples.
  const roles = defineRoles(definitions);
  const model = compileModel({ types: { user: {}, app: rolesTypeDefinition(roles) } });
  const store = new MemoryRelationshipStore({ model });
  const rbacEvaluator = new PolicyEvaluator({ model, store });
  const app = { type: 'app', id: 'global' };
  await store.write(
    [...userRole].map(([user, role]) => ({
      object: app,
      relation: role,
      subject: { type: 'user', id: user },
    })),
  );
  const checkRequests: CheckRequest[] = requests.map((r) => ({
    subject: { type: 'user', id: r.user },
    action: r.permission,
    resource: app,
  }));

  // casbin: RBAC model with role inheritance (`g`), 10k user->role lines, 300 `p` policies.
  const casbinModel = newModelFromString(`
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
`);
  const lines: string[] = [];
  for (let i = 0; i < ROLE_COUNT; i++) {
    for (const p of own(i)) lines.push(`p, ${roleName(i)}, ${p.resource}, ${p.action}`);
    const parent = parentOf(i);
    if (parent !== undefined) lines.push(`g, ${roleName(i)}, ${roleName(parent)}`);
  }
  for (const [user, role] of userRole) lines.push(`g, ${user}, ${role}`);
  const casbinStart = performance.now();
  const enforcer = await newEnforcer(casbinModel, new StringAdapter(lines.join('\n')));
  const casbinLoadMs = performance.now() - casbinStart;

  // CASL: one ability per user, built from the effective permissions of the user's role.
  const caslStart = performance.now();
  const abilities = new Map<string, MongoAbility>();
  for (const [user, role] of userRole) {
    const index = Number(role.slice('role_'.length));
    abilities.set(
      user,
      createMongoAbility(
        [...effective[index]!].map((perm) => {
          const [subject, action] = perm.split('_') as [string, string];
          return { action, subject };
        }),
      ),
    );
  }
  const caslBuildMs = performance.now() - caslStart;

  // Every engine must decide exactly as expected before anything is timed.
  for (const [i, r] of requests.entries()) {
    const decisions = {
      roleAllows: roles.roleAllows(userRole.get(r.user)!, r.permission),
      check: (await rbacEvaluator.check(checkRequests[i]!)).allowed,
      casbin: await enforcer.enforce(r.user, r.resource, r.action),
      casl: abilities.get(r.user)!.can(r.action, r.resource),
    };
    for (const [engine, allowed] of Object.entries(decisions)) {
      if (allowed !== r.expected) {
        throw new Error(`${engine} decided ${allowed} for ${r.user} ${r.permission}, expected ${r.expected}`);
      }
    }
  }

  console.log(
    `\nRBAC: ${ROLE_COUNT} roles (inheritance 7 deep), ${USER_COUNT} role assignments, ` +
      `${lines.length - USER_COUNT} casbin p/g rule lines, ${requests.length} requests ` +
      `(${Math.round(allowedShare * 100)}% allowed, all engines agree)`,
  );
  console.log(
    `  setup: casbin load ${casbinLoadMs.toFixed(0)} ms, CASL ${USER_COUNT} abilities ${caslBuildMs.toFixed(0)} ms, ` +
      `gatehouse store ${store.size} tuples`,
  );

  const next = cycler(requests);
  const nextCheck = cycler(checkRequests);
  const cases: BenchCase[] = [
    {
      name: 'gatehouse roleAllows (Map user->role)',
      run: () => {
        const r = next();
        return roles.roleAllows(userRole.get(r.user)!, r.permission);
      },
    },
    { name: 'gatehouse PolicyEvaluator.check (10k tuples)', run: () => rbacEvaluator.check(nextCheck()) },
    {
      name: 'gatehouse PolicyEvaluator.checkSync (10k tuples)',
      run: () => rbacEvaluator.checkSync(nextCheck()),
    },
    {
      name: 'casbin enforce',
      run: () => {
        const r = next();
        return enforcer.enforce(r.user, r.resource, r.action);
      },
    },
    {
      name: 'casbin enforceSync',
      run: () => {
        const r = next();
        return enforcer.enforceSync(r.user, r.resource, r.action);
      },
    },
    {
      name: '@casl/ability can (ability per user)',
      run: () => {
        const r = next();
        return abilities.get(r.user)!.can(r.action, r.resource);
      },
    },
  ];
  await compare('RBAC check throughput (ops/s, ratio vs gatehouse roleAllows)', cases, {
    ...ROUNDS,
    batch: 10,
  });
  await latency('RBAC check latency per call', cases, { samples: QUICK ? 1_000 : 3_000 });
}

// ---------------------------------------------------------------------------------------------
// 2 + 3. ReBAC graph
// ---------------------------------------------------------------------------------------------

const rebacModel = compileModel(
  defineModel((m) => ({
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
  })),
);

/**
 * The graph's shape, for `tuples` ≈ 1M × scale: every user in 2 teams; every root folder viewable
 * by one team; 5 mid folders per root, 4 leaf folders per mid folder, 3.2 documents per leaf folder.
 * Children are assigned by index modulo the parent count, so the ratios (and a user's 256 visible
 * documents) are the same at every scale.
 */
interface Shape {
  readonly users: number;
  readonly teams: number;
  readonly roots: number;
  readonly mids: number;
  readonly leaves: number;
  readonly documents: number;
}

function shape(scale: number): Shape {
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

const tupleCount = (s: Shape) => s.users * 2 + s.roots + s.mids + s.leaves + s.documents;

function* graphTuples(s: Shape): Generator<RelationshipTuple> {
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

interface Graph {
  readonly shape: Shape;
  readonly evaluator: PolicyEvaluator;
  readonly tuples: number;
}

async function buildGraph(scale: number): Promise<Graph> {
  const s = shape(scale);
  const store = new MemoryRelationshipStore({ model: rebacModel });
  const heapBefore = process.memoryUsage().heapUsed;
  const start = performance.now();
  let batch: RelationshipTuple[] = [];
  for (const t of graphTuples(s)) {
    batch.push(t);
    if (batch.length === 20_000) {
      await store.write(batch);
      batch = [];
    }
  }
  await store.write(batch);
  const ms = performance.now() - start;
  const tuples = store.size;
  if (tuples !== tupleCount(s)) throw new Error(`expected ${tupleCount(s)} tuples, stored ${tuples}`);
  const heap = process.memoryUsage().heapUsed - heapBefore;
  console.log(
    `  graph of ${tuples.toLocaleString('en-US')} tuples (${s.users} users, ${s.teams} teams, ` +
      `${s.roots + s.mids + s.leaves} folders, ${s.documents} documents): generated and written in ` +
      `${(ms / 1000).toFixed(1)} s, heap +${mib(heap)}`,
  );
  return { shape: s, evaluator: new PolicyEvaluator({ model: rebacModel, store }), tuples };
}

/** 4096 `document#viewer` checks: allowed ones (4 levels deep) or denied ones (the whole walk, no grant). */
function rebacRequests(s: Shape, allowed: boolean, seed: number): CheckRequest[] {
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

async function verify(graph: Graph, requests: readonly CheckRequest[], expected: boolean): Promise<void> {
  for (const r of requests.slice(0, 256)) {
    const result = await graph.evaluator.check(r);
    if (result.allowed !== expected) {
      throw new Error(`check ${JSON.stringify(r)} gave ${result.code}, expected allowed=${expected}`);
    }
  }
}

async function benchRebac(): Promise<void> {
  const bigScale = QUICK ? 0.1 : 1;
  console.log('\nReBAC graph: users -> teams -> root folders -> folders -> folders -> documents');
  const small = await buildGraph(0.01);
  const big = await buildGraph(bigScale);
  const label = (g: Graph) =>
    g.tuples >= 1_000_000
      ? `${(g.tuples / 1_000_000).toFixed(0)}M`
      : `${Math.round(g.tuples / 1000).toLocaleString('en-US')}k`;

  const cases: BenchCase[] = [];
  for (const [allowed, seed] of [
    [true, 11],
    [false, 12],
  ] as const) {
    for (const g of [small, big]) {
      const requests = rebacRequests(g.shape, allowed, seed);
      await verify(g, requests, allowed);
      const next = cycler(requests);
      cases.push({
        name: `check ${allowed ? 'allowed' : 'denied '} 4 deep @ ${label(g)} tuples`,
        run: () => g.evaluator.check(next()),
      });
    }
  }
  // The same allowed checks without a promise, and with the full explanation tree.
  const syncRequests = rebacRequests(small.shape, true, 11);
  const nextSync = cycler(syncRequests);
  const nextExplain = cycler(syncRequests);
  cases.push(
    {
      name: `checkSync allowed 4 deep @ ${label(small)} tuples`,
      run: () => small.evaluator.checkSync(nextSync()),
    },
    {
      name: `explain allowed 4 deep @ ${label(small)} tuples`,
      run: () => small.evaluator.explain(nextExplain()),
    },
  );
  await compare(`ReBAC document#viewer check throughput (ops/s, ratio vs allowed @ ${label(small)})`, cases, {
    ...ROUNDS,
    batch: 10,
  });
  await latency('ReBAC check latency per call', cases, { samples: QUICK ? 1_000 : 4_000 });

  // listResources: documents a user can view (2 teams -> 4 root folders -> 256 documents).
  const listCases: BenchCase[] = [];
  for (const g of [small, big]) {
    const random = prng(21);
    const requests: ListResourcesRequest[] = [];
    for (let n = 0; n < 64; n++) {
      requests.push({
        subject: { type: 'user', id: `u${Math.floor(random() * g.shape.users)}` },
        action: 'viewer',
        type: 'document',
        pageSize: 1000,
      });
    }
    for (const r of requests.slice(0, 8)) {
      const result = await g.evaluator.listResources(r);
      if (!result.complete || result.cursor !== null || result.resources.length !== 256) {
        throw new Error(
          `listResources for ${r.subject.id}: ${result.resources.length} documents, complete=${result.complete}`,
        );
      }
    }
    const next = cycler(requests);
    listCases.push({
      name: `listResources 256 docs @ ${label(g)} tuples`,
      run: () => g.evaluator.listResources(next()),
    });
  }
  await compare(
    `listResources(user, viewer, document) throughput (calls/s, ratio vs @ ${label(small)})`,
    listCases,
    { ...ROUNDS, batch: 1 },
  );
  await latency('listResources latency per call', listCases, { samples: QUICK ? 40 : 100, blocks: 2 });
}

export async function benchPolicy(): Promise<void> {
  await benchRbac();
  await benchRebac();
}
