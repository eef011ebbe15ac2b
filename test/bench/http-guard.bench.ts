/**
 * `npm run bench -- http`: guarded routes over loopback HTTP, the installed package against each
 * framework's usual JWT middleware, with the load generator (autocannon) in a process of its own
 * (`load.ts`), 16 connections. Every figure is a ratio measured round by round: in each round every
 * route of a server is loaded once, in turn, and the guarded route's requests/s is divided by the
 * unguarded route's of the same round (same server, same framework, same headers). Reported: the
 * median and min–max of those per-round ratios.
 *
 * Routes, on one server per framework (gatehouse and the peer side by side):
 * - `/public`: no guard, answers `{ userId: null }`;
 * - `/gatehouse`: gatehouse's `authenticate()` guard (signature, claims, `typ`, and the token's
 *   record read from the store on every request: exact revocation), answers the principal's id;
 *   on Hono also `/gatehouse-handler`, the same guard composed with its handler
 *   (`authenticated(handler)`: one handler, so no middleware chain);
 * - `/peer`: the framework's JWT middleware on the same tokens (same secret, issuer and audience),
 *   answers the `sub` claim. It checks signature and claims only: no revocation, no user read.
 *   hono/jwt (CryptoKey, `typ` checked), @fastify/jwt (fast-jwt, defaults: no cache), express-jwt
 *   (jsonwebtoken, KeyObject secret).
 *
 * Traffic: one repeated token (one user), and a pool of 16,384 distinct tokens of as many users,
 * each request carrying the next (gatehouse's verified-token cache of 65,536 holds them, as it would
 * hold that many active users' tokens): the pool on Hono, with gatehouse on a memory store and on
 * a SQLite file.
 *
 * Logins (Hono): `POST /auth/login` with the default argon2id parameters against a raw route that
 * reads the same JSON body, looks the hash up in a Map and calls @node-rs/argon2 `verify` (no
 * tokens, no store, no counters): throughput at 8 connections, and the event-loop delay of this
 * process (`monitorEventLoopDelay`) while 16 logins run at once.
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import fastifyJwt from '@fastify/jwt';
import { serve } from '@hono/node-server';
import { hash, verify } from '@node-rs/argon2';
import express from 'express';
import { expressjwt } from 'express-jwt';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { jwt } from 'hono/jwt';
import type { Gatehouse, Store } from '../../src/index.js';
import type { BenchContext } from './context.js';
import { claimsOf, createUsers, issueTokens, POOL_SIZE } from './fixtures.js';
import { loadInstalled } from './installed.js';
import { type LoadGenerator, type LoadJob, startLoadGenerator } from './load.js';
import { formatRate, type PeerFigure, ratioFigure, ratios, spread } from './results.js';

interface Server {
  readonly url: string;
  close(): Promise<void>;
}

interface Target {
  readonly name: string;
  readonly job: LoadJob;
}

const PASSWORD = 'violet-otter-42-lantern';

/** Loads every target once per round, in turn, after one warm-up run each; req/s per target per round. */
async function rounds(
  gen: LoadGenerator,
  targets: readonly Target[],
  count: number,
  warmUpSeconds: number,
): Promise<Map<string, number[]>> {
  for (const t of targets) await gen.run({ ...t.job, seconds: warmUpSeconds });
  const out = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < count; r++) {
    for (const t of targets) out.get(t.name)?.push((await gen.run(t.job)).requestsPerSecond);
  }
  for (const [name, values] of out) {
    console.log(
      `  ${name.padEnd(44)} ${values.map((v) => Math.round(v).toString().padStart(7)).join(' ')} req/s per round`,
    );
  }
  return out;
}

function listen(server: import('node:http').Server): Promise<Server> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

interface Setup {
  readonly secret: Buffer;
  readonly iss: string;
  readonly aud: string;
  readonly typ: string | undefined;
  readonly memory: Gatehouse;
  readonly sqlite: Gatehouse;
  readonly oneToken: string;
  readonly memoryPool: string[];
  readonly sqlitePool: string[];
  close(): Promise<void>;
}

async function setup(quick: boolean): Promise<Setup> {
  const { createGatehouse, createMemoryStore } = await loadInstalled('index');
  const { createSqliteStore } = await loadInstalled('sqlite');
  const secret = randomBytes(32);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-http-bench-'));
  const make = (store: Store) => createGatehouse({ store, tokens: { secret } });
  const memoryStore = createMemoryStore();
  const sqliteStore = createSqliteStore({ filename: join(dir, 'bench.sqlite') });
  const memory = make(memoryStore);
  const sqlite = make(sqliteStore);
  const started = performance.now();
  const memoryPool = await issueTokens(memory, await createUsers(memoryStore, POOL_SIZE));
  const sqlitePool = await issueTokens(sqlite, await createUsers(sqliteStore, POOL_SIZE));
  const [oneToken] = await issueTokens(memory, await createUsers(memoryStore, 1, 'one'));
  console.log(
    `  ${POOL_SIZE.toLocaleString('en-US')} users and tokens in each store (memory, SQLite file) in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s${quick ? ' (quick mode: shorter runs)' : ''}`,
  );
  const { iss, aud, typ } = claimsOf(oneToken as string);
  return {
    secret,
    iss,
    aud,
    typ,
    memory,
    sqlite,
    oneToken: oneToken as string,
    memoryPool,
    sqlitePool,
    close: async () => {
      await memory.close();
      await sqlite.close();
      sqliteStore.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function honoServer(s: Setup): Promise<Server> {
  const { gatehouseHono } = await loadInstalled('hono');
  const onMemory = gatehouseHono(s.memory);
  const onSqlite = gatehouseHono(s.sqlite);
  const key = await crypto.subtle.importKey(
    'raw',
    new Uint8Array(s.secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const app = new Hono<{ Variables: { auth: { userId: string } | null; jwtPayload: { sub: string } } }>();
  app.get('/public', (c) => c.json({ userId: null }));
  app.get('/gatehouse', onMemory.authenticate(), (c) => c.json({ userId: c.get('auth')?.userId }));
  app.get('/gatehouse-sqlite', onSqlite.authenticate(), (c) => c.json({ userId: c.get('auth')?.userId }));
  // The same guard composed with its handler (one handler: no middleware chain).
  app.get(
    '/gatehouse-handler',
    onMemory.authenticated((c) => c.json({ userId: c.get('auth').userId })),
  );
  app.get(
    '/peer',
    jwt({
      secret: key,
      alg: 'HS256',
      verification: { iss: s.iss, aud: s.aud, ...(s.typ ? { typ: s.typ } : {}) },
    }),
    (c) => c.json({ userId: c.get('jwtPayload').sub }),
  );
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

async function expressServer(s: Setup): Promise<Server> {
  const { gatehouseExpress } = await loadInstalled('express');
  const gh = gatehouseExpress(s.memory);
  const app = express();
  app.get('/public', (_req, res) => {
    res.json({ userId: null });
  });
  app.get('/gatehouse', gh.authenticate(), (req, res) => {
    res.json({ userId: req.auth?.userId });
  });
  app.get(
    '/peer',
    expressjwt({ secret: createSecretKey(s.secret), algorithms: ['HS256'], issuer: s.iss, audience: s.aud }),
    (req, res) => {
      res.json({ userId: (req as unknown as { auth: { sub: string } }).auth.sub });
    },
  );
  const { createServer } = await import('node:http');
  return listen(createServer(app));
}

async function fastifyServer(s: Setup): Promise<Server> {
  const { gatehouseFastify } = await loadInstalled('fastify');
  const gh = gatehouseFastify(s.memory);
  const app = Fastify();
  await app.register(gh.plugin);
  await app.register(fastifyJwt, {
    secret: s.secret,
    verify: { allowedIss: s.iss, allowedAud: s.aud, algorithms: ['HS256'] },
  });
  app.get('/public', async () => ({ userId: null }));
  app.get('/gatehouse', { preHandler: [gh.authenticate()] }, async (req) => ({ userId: req.auth?.userId }));
  app.get(
    '/peer',
    {
      preHandler: async (req) => {
        await req.jwtVerify();
      },
    },
    async (req) => ({ userId: (req.user as { sub: string }).sub }),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** The guarded/unguarded figure of one route: ratio per round, and its req/s. */
function guardFigure(guarded: number[], open: number[], note?: string) {
  const r = ratioFigure(ratios(guarded, open));
  return {
    ...r,
    text: `${r.text} (${formatRate(spread(guarded).median).replace('/s', ' req/s')})`,
    ...(note ? { note } : {}),
  };
}

async function guardRows(ctx: BenchContext, gen: LoadGenerator, s: Setup): Promise<void> {
  // Many short runs: a burst of load from elsewhere on the machine spoils few rounds.
  const seconds = 1;
  const count = ctx.quick ? 3 : 7;
  const warm = ctx.quick ? 0.5 : 1;
  const one = { authorization: `Bearer ${s.oneToken}` };
  await gen.tokens('memory', s.memoryPool);
  await gen.tokens('sqlite', s.sqlitePool);
  const frameworks: [string, string, (s: Setup) => Promise<Server>][] = [
    ['Hono', 'hono/jwt', honoServer],
    ['Fastify', '@fastify/jwt', fastifyServer],
    ['Express', 'express-jwt', expressServer],
  ];
  for (const [framework, peerName, start] of frameworks) {
    const server = await start(s);
    try {
      const job = (path: string, extra: Partial<LoadJob>): LoadJob => ({
        url: `${server.url}${path}`,
        connections: 16,
        seconds,
        ...extra,
      });
      const targets: Target[] = [
        { name: `${framework} unguarded, one token`, job: job('/public', { headers: one }) },
        { name: `${framework} gatehouse, one token`, job: job('/gatehouse', { headers: one }) },
        { name: `${framework} ${peerName}, one token`, job: job('/peer', { headers: one }) },
      ];
      if (framework === 'Hono') {
        targets.push(
          {
            name: 'Hono gatehouse authenticated(handler), one token',
            job: job('/gatehouse-handler', { headers: one }),
          },
          { name: 'Hono unguarded, 16k tokens', job: job('/public', { pool: 'memory' }) },
          { name: 'Hono gatehouse memory, 16k tokens', job: job('/gatehouse', { pool: 'memory' }) },
          { name: 'Hono gatehouse SQLite, 16k tokens', job: job('/gatehouse-sqlite', { pool: 'sqlite' }) },
          { name: 'Hono hono/jwt, 16k tokens', job: job('/peer', { pool: 'memory' }) },
        );
      }
      console.log(
        `\n${framework}: req/s per route (autocannon in its own process, 16 connections, ${seconds} s runs, ${count} rounds)`,
      );
      const res = await rounds(gen, targets, count, warm);
      const get = (name: string) => res.get(name) as number[];
      const open = get(`${framework} unguarded, one token`);
      const gh = guardFigure(get(`${framework} gatehouse, one token`), open);
      ctx.rec.add({
        id: `guard-one-token-${framework.toLowerCase()}`,
        group: 'http',
        hotPath: `${framework}: guarded route / unguarded, one repeated token, memory store`,
        gatehouse: gh,
        peers: [
          {
            name: peerName,
            ...guardFigure(get(`${framework} ${peerName}, one token`), open),
            note: 'no revocation',
          },
        ],
        bar: '≥ 0.9×',
        verdict: gh.value >= 0.9 ? 'met' : 'missed',
        detail: `${gh.value.toFixed(2)}×`,
      });
      if (framework === 'Hono') {
        const combined = guardFigure(get('Hono gatehouse authenticated(handler), one token'), open);
        ctx.rec.add({
          id: 'guard-one-token-hono-handler',
          group: 'http',
          hotPath:
            'Hono: `authenticated(handler)` (guard and handler as one) / unguarded, one repeated token, memory store',
          gatehouse: combined,
          peers: [],
          bar: '≥ 0.9×',
          verdict: combined.value >= 0.9 ? 'met' : 'missed',
          detail: `${combined.value.toFixed(2)}×`,
        });
        const openPool = get('Hono unguarded, 16k tokens');
        const peer: PeerFigure = {
          name: 'hono/jwt',
          ...guardFigure(get('Hono hono/jwt, 16k tokens'), openPool),
          note: 'no revocation',
        };
        for (const [store, bar] of [
          ['memory', 0.8],
          ['SQLite', 0.6],
        ] as const) {
          const figure = guardFigure(get(`Hono gatehouse ${store}, 16k tokens`), openPool);
          ctx.rec.add({
            id: `guard-pool-hono-${store.toLowerCase()}`,
            group: 'http',
            hotPath: `Hono: guarded / unguarded, a pool of ${POOL_SIZE.toLocaleString('en-US')} distinct tokens, ${store} store`,
            gatehouse: figure,
            peers: [peer],
            bar: `≥ ${bar}×`,
            verdict: figure.value >= bar ? 'met' : 'missed',
            detail: `${figure.value.toFixed(2)}×`,
          });
        }
      }
    } finally {
      await server.close();
    }
  }
}

async function loginRows(ctx: BenchContext, gen: LoadGenerator): Promise<void> {
  const { createGatehouse, createMemoryStore, OWASP_ARGON2_PARAMETERS } = await loadInstalled('index');
  const { gatehouseHono } = await loadInstalled('hono');
  const gatehouse = createGatehouse({ store: createMemoryStore(), tokens: { secret: randomBytes(32) } });
  const email = 'login-bench@example.com';
  await gatehouse.auth.register({ email, password: PASSWORD });
  const hashes = new Map([
    [email, await hash(PASSWORD, { ...OWASP_ARGON2_PARAMETERS, algorithm: 2 /* Algorithm.Argon2id */ })],
  ]);
  const app = new Hono();
  app.route('/auth', gatehouseHono(gatehouse).routes());
  app.post('/raw-login', async (c) => {
    const body = (await c.req.json()) as { identifier: string; password: string };
    const stored = hashes.get(body.identifier);
    if (!stored || !(await verify(stored, body.password))) return c.json({ error: 'invalid_grant' }, 401);
    return c.json({ ok: true });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => new Promise((done) => s.close(() => done())),
      });
    });
  });
  const body = JSON.stringify({ identifier: email, password: PASSWORD });
  const seconds = ctx.quick ? 1.5 : 3;
  const count = ctx.quick ? 2 : 3;
  try {
    const job = (path: string, connections: number): LoadJob => ({
      url: `${server.url}${path}`,
      connections,
      seconds,
      method: 'POST',
      body,
    });
    console.log(
      `\nLogins, argon2id ${OWASP_ARGON2_PARAMETERS.memoryCost} KiB × ${OWASP_ARGON2_PARAMETERS.timeCost} (Hono, ${seconds} s runs, ${count} rounds)`,
    );
    const res = await rounds(
      gen,
      [
        { name: 'raw argon2-verify route, c=8', job: job('/raw-login', 8) },
        { name: 'gatehouse POST /auth/login, c=8', job: job('/auth/login', 8) },
      ],
      count,
      1,
    );
    const raw = res.get('raw argon2-verify route, c=8') as number[];
    const gh = res.get('gatehouse POST /auth/login, c=8') as number[];
    const r = ratioFigure(ratios(gh, raw));
    ctx.rec.add({
      id: 'login-throughput',
      group: 'http',
      hotPath: 'Login throughput, c=8 (argon2id, default parameters)',
      gatehouse: { ...r, text: `${formatRate(spread(gh).median)}, ${r.text} raw` },
      peers: [
        {
          name: 'raw argon2-verify route',
          text: formatRate(spread(raw).median),
          value: spread(raw).median,
          unit: 'logins/s',
          note: 'no tokens, store, lockout or counters',
        },
      ],
      bar: '≥ 0.9× raw (keep)',
      verdict: r.value >= 0.9 ? 'met' : 'missed',
      detail: `${r.value.toFixed(2)}×`,
    });

    // Event-loop delay of this (the server's) process while 16 logins run at once.
    const delay: Record<'raw' | 'gatehouse', { p50: number[]; p99: number[]; max: number[] }> = {
      raw: { p50: [], p99: [], max: [] },
      gatehouse: { p50: [], p99: [], max: [] },
    };
    for (let round = 0; round < count; round++) {
      for (const [name, path] of [
        ['raw', '/raw-login'],
        ['gatehouse', '/auth/login'],
      ] as const) {
        const histogram = monitorEventLoopDelay({ resolution: 1 });
        histogram.enable();
        await gen.run(job(path, 16));
        histogram.disable();
        delay[name].p50.push(histogram.percentile(50) / 1e6);
        delay[name].p99.push(histogram.percentile(99) / 1e6);
        delay[name].max.push(histogram.max / 1e6);
      }
    }
    const ms = (values: number[]) => `${spread(values).median.toFixed(1)}`;
    const text = (d: { p50: number[]; p99: number[]; max: number[] }) =>
      `p50 ${ms(d.p50)} / p99 ${ms(d.p99)} / max ${ms(d.max)} ms`;
    console.log(`  event-loop delay, c=16: raw ${text(delay.raw)}; gatehouse ${text(delay.gatehouse)}`);
    const p99 = spread(ratios(delay.gatehouse.p99, delay.raw.p99));
    ctx.rec.add({
      id: 'login-event-loop-delay',
      group: 'http',
      hotPath:
        'Event-loop delay during 16 concurrent logins (monitorEventLoopDelay, 1 ms timer, included in the figures)',
      gatehouse: { text: text(delay.gatehouse), value: spread(delay.gatehouse.p99).median, unit: 'ms p99' },
      peers: [
        {
          name: 'raw argon2 route',
          text: text(delay.raw),
          value: spread(delay.raw.p99).median,
          unit: 'ms p99',
        },
      ],
      bar: 'p99 no worse than raw (≤ 1.1×: noise margin)',
      verdict: p99.median <= 1.1 ? 'met' : 'missed',
      detail: `p99 ${p99.median.toFixed(2)}× raw`,
    });
  } finally {
    await server.close();
    await gatehouse.close();
  }
}

export async function benchHttpGuard(ctx: BenchContext): Promise<void> {
  const gen = startLoadGenerator();
  const s = await setup(ctx.quick);
  try {
    await guardRows(ctx, gen, s);
    await loginRows(ctx, gen);
  } finally {
    gen.close();
    await s.close();
  }
}
