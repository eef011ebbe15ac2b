/**
 * `npm run bench -- policy`: the policy engine on the installed package.
 *
 * 1. RBAC, 100 roles with inheritance and 10k user->role assignments: gatehouse `roleAllows` (role
 *    looked up in a `Map`) and `PolicyEvaluator.check` (roles as a relation type, assignments as
 *    10k tuples) against CASL `ability.can` (one prebuilt ability per user) and casbin `enforce`,
 *    on the same requests, after checking that all of them decide alike. Ratios per round.
 * 2. ReBAC, `document#viewer` granted 4 levels deep (document -> folder -> folder -> root folder
 *    -> team#member -> user) on a generated graph of 1M tuples: check latency p50/p99 and the first
 *    page of 100 of `listResources`, on the memory store and on SQLite (`policy-sqlite.bench.ts`).
 * 3. Memory per stored tuple of the memory store at 1M tuples (`tuple-memory.ts`, a child process
 *    with `--expose-gc`), beside the SQLite file's bytes per tuple for the same graph.
 *
 * The evaluators are built with `explain: false`, the quick answer the guards ask for.
 * `BENCH_QUICK=1` shrinks the large graph to 100k tuples and shortens the rounds.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createMongoAbility, type MongoAbility } from '@casl/ability';
import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';
import type { CheckRequest, RoleDefinition } from '../../src/index.js';
import type { BenchContext } from './context.js';
import { type BenchCase, compareRounds, type LatencyResult, latency } from './harness.js';
import { loadInstalled } from './installed.js';
import { buildGraph, cycler, label, prng, QUICK, ROUNDS, rebacRequests, verify } from './policy-graph.js';
import { listRequests, rebacRows, verifyPage } from './policy-rows.js';
import { benchRebacSqlite } from './policy-sqlite.bench.js';
import { formatRate, ratioFigure, ratios, spread } from './results.js';

const gatehouse = await loadInstalled('index');

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

async function benchRbac(ctx: BenchContext): Promise<void> {
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
  const roles = gatehouse.defineRoles(definitions);
  const model = gatehouse.validateModel({ types: { user: {}, app: gatehouse.rolesTypeDefinition(roles) } });
  const store = new gatehouse.MemoryRelationshipStore({ model });
  const rbacEvaluator = new gatehouse.PolicyEvaluator({ model, store, explain: false });
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
  const names = {
    roleAllows: 'gatehouse roleAllows (Map user->role)',
    check: 'gatehouse PolicyEvaluator.check (10k tuples)',
    casl: '@casl/ability can (ability per user)',
    casbin: 'casbin enforce',
    casbinSync: 'casbin enforceSync',
  };
  const cases: BenchCase[] = [
    {
      name: names.roleAllows,
      run: () => {
        const r = next();
        return roles.roleAllows(userRole.get(r.user)!, r.permission);
      },
    },
    { name: names.check, run: () => rbacEvaluator.check(nextCheck()) },
    {
      name: names.casl,
      run: () => {
        const r = next();
        return abilities.get(r.user)!.can(r.action, r.resource);
      },
    },
    {
      name: names.casbin,
      run: () => {
        const r = next();
        return enforcer.enforce(r.user, r.resource, r.action);
      },
    },
    {
      name: names.casbinSync,
      run: () => {
        const r = next();
        return enforcer.enforceSync(r.user, r.resource, r.action);
      },
    },
  ];
  const samples = await compareRounds('RBAC check throughput (ops/s, ratio vs gatehouse roleAllows)', cases, {
    ...ROUNDS,
    batch: 10,
  });
  const get = (name: string) => samples.get(name) as number[];
  for (const [id, name, what] of [
    ['rbac-role-allows', names.roleAllows, '`roles.roleAllows` (what requireRole/requirePermission use)'],
    ['rbac-check', names.check, '`PolicyEvaluator.check`, roles as 10k tuples'],
  ] as const) {
    const gh = get(name);
    const vsCasl = ratioFigure(ratios(gh, get(names.casl)));
    ctx.rec.add({
      id,
      group: 'policy',
      hotPath: `RBAC check: ${what}; 100 roles, inheritance 7 deep`,
      gatehouse: { text: formatRate(spread(gh).median), value: spread(gh).median, unit: 'checks/s' },
      peers: [
        {
          name: 'CASL can',
          text: `${formatRate(spread(get(names.casl)).median)} (gatehouse ${vsCasl.text})`,
          value: spread(get(names.casl)).median,
          unit: 'checks/s',
          note: 'a prebuilt ability per user',
        },
        {
          name: 'casbin enforce',
          text: `${formatRate(spread(get(names.casbin)).median)} (gatehouse ${ratioFigure(ratios(gh, get(names.casbin))).text})`,
          value: spread(get(names.casbin)).median,
          unit: 'checks/s',
        },
      ],
      bar: '≥ 1.0× CASL can (keep)',
      verdict: vsCasl.value >= 1 ? 'met' : 'missed',
      detail: `${vsCasl.value.toFixed(2)}× CASL`,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// 2. ReBAC graph, memory store
// ---------------------------------------------------------------------------------------------

async function benchRebacMemory(ctx: BenchContext): Promise<void> {
  console.log(
    '\nReBAC graph on the memory store: users -> teams -> root folders -> folders -> folders -> documents',
  );
  const g = await buildGraph(QUICK ? 0.1 : 1);
  const cases: BenchCase[] = [];
  for (const [allowed, seed] of [
    [true, 11],
    [false, 12],
  ] as const) {
    const requests: CheckRequest[] = rebacRequests(g.shape, allowed, seed);
    await verify(g, requests, allowed);
    const next = cycler(requests);
    cases.push({
      name: `memory check ${allowed ? 'allowed' : 'denied '} 4 deep @ ${label(g.tuples)}`,
      run: () => g.evaluator.check(next()),
    });
  }
  const checks = await latency('ReBAC check on the memory store, latency per call', cases, {
    samples: QUICK ? 4_000 : 20_000,
    blocks: 8,
  });
  const requests = listRequests(g.shape);
  await verifyPage(g.evaluator, requests);
  const nextList = cycler(requests);
  const lists = await latency(
    'listResources(user, viewer, document), first page of 100, memory store',
    [
      {
        name: `memory listResources page 100 @ ${label(g.tuples)}`,
        run: () => g.evaluator.listResources(nextList()),
      },
    ],
    { samples: QUICK ? 100 : 400, blocks: QUICK ? 2 : 4 },
  );
  const [allowed, denied] = [...checks.values()] as unknown as [LatencyResult, LatencyResult];
  rebacRows(ctx, 'memory', 'policy', g.tuples, allowed, denied, 25, [...lists.values()][0]!, 5_000);
}

// ---------------------------------------------------------------------------------------------
// 3. Memory per tuple (a child process with --expose-gc)
// ---------------------------------------------------------------------------------------------

const exec = promisify(execFile);

async function benchTupleMemory(ctx: BenchContext, sqliteBytesPerTuple: number | undefined): Promise<void> {
  const { stdout } = await exec(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', 'test/bench/tuple-memory.ts'],
    { env: process.env, maxBuffer: 1024 * 1024 },
  );
  const result = JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
    tuples: number;
    bytesPerTuple: number;
    retainedBytes: number;
    rssBytes: number;
  };
  console.log(
    `\nMemory store: ${result.tuples.toLocaleString('en-US')} tuples retain ${Math.round(result.retainedBytes / 2 ** 20)} MiB ` +
      `(heapUsed + arrayBuffers after gc, filled minus empty): ${Math.round(result.bytesPerTuple)} B per tuple; RSS ${Math.round(result.rssBytes / 2 ** 20)} MiB`,
  );
  ctx.rec.add({
    id: 'tuple-memory',
    group: 'policy',
    hotPath: `Memory per stored tuple, memory store, ${label(result.tuples)} tuples (retained heap after gc)`,
    gatehouse: {
      text: `${Math.round(result.bytesPerTuple)} B (${Math.round(result.retainedBytes / 2 ** 20)} MiB)`,
      value: result.bytesPerTuple,
      unit: 'B/tuple',
    },
    peers:
      sqliteBytesPerTuple === undefined
        ? []
        : [
            {
              name: 'SQLite file, same graph',
              text: `${Math.round(sqliteBytesPerTuple)} B per tuple on disk`,
              value: sqliteBytesPerTuple,
              unit: 'B/tuple',
            },
          ],
    bar: '≤ 250 B',
    verdict: result.bytesPerTuple <= 250 ? 'met' : 'missed',
    detail: `${Math.round(result.bytesPerTuple)} B`,
  });
}

export async function benchPolicy(ctx: BenchContext): Promise<void> {
  await benchRbac(ctx);
  await benchRebacMemory(ctx);
  const sqliteBytes = await benchRebacSqlite(ctx);
  await benchTupleMemory(ctx, sqliteBytes);
}
