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
 * 4. The ReBAC checks of 2 over `SqliteRelationshipStore` (a WAL file, 10k and 1M tuples): with its
 *    synchronous reads (`sync`), and through its asynchronous reads only (fetched in rounds). This
 *    section lives in `policy-sqlite.bench.ts`; the generated graph and helpers in `policy-graph.ts`.
 *
 * The evaluators are built with `explain: false`, the quick answer the guards ask for; the cost of
 * the full explanation tree (the default of a direct `check`) is measured by the `explain` case.
 *
 * `BENCH_QUICK=1` shrinks the large graph to 100k tuples and shortens the rounds.
 */
import { createMongoAbility, type MongoAbility } from '@casl/ability';
import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';
import {
  type CheckRequest,
  compileModel,
  defineRoles,
  type ListResourcesRequest,
  MemoryRelationshipStore,
  PolicyEvaluator,
  type RoleDefinition,
  rolesTypeDefinition,
} from '../../src/policy/index.js';
import { type BenchCase, compare, latency } from './harness.js';
import {
  buildGraph,
  cycler,
  type Graph,
  prng,
  QUICK,
  ROUNDS,
  rebacRequests,
  verify,
} from './policy-graph.js';
import { benchRebacSqlite } from './policy-sqlite.bench.js';

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
  const rbacEvaluator = new PolicyEvaluator({ model, store, explain: false });
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
  await benchRebacSqlite();
}
