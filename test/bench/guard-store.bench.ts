/**
 * `npm run bench -- guard`: what one authenticated request costs in store reads, per store — the
 * number of repository calls, SQL statements run on SQLite and SQL queries sent to PostgreSQL by
 * `gatehouse.auth.authenticate` for a token seen before, and its latency, measured on the installed
 * package (`installed.ts`) in one run: memory, SQLite (a file), PostgreSQL and PostgreSQL with the
 * token-record cache (no query while the record is fresh). The bar (issue 13): one store read per
 * authenticated request.
 *
 * PostgreSQL is `GATEHOUSE_BENCH_DATABASE_URL` when set, else a throw-away local server.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PostgresStore } from '../../adapters/postgres/index.js';
import type { Gatehouse, Store } from '../../src/index.js';
import { type PostgresServer, startPostgresServer } from '../support/services/postgres-server.js';
import type { BenchContext } from './context.js';
import { latency } from './harness.js';
import { loadInstalled } from './installed.js';

const PASSWORD = 'violet-otter-42-lantern';

/**
 * Counts calls of every method of the store's repositories (patched on the instances, so identity
 * holds). A call made while another is in flight (a repository calling its own methods) is not
 * counted: the requests measured here are sequential.
 */
function countCalls(store: Store): { total(): number } {
  let calls = 0;
  let inFlight = 0;
  for (const name of ['users', 'tokens', 'state', 'counters'] as const) {
    const repository = store[name] as unknown as Record<string, unknown>;
    let proto = Object.getPrototypeOf(repository) as object | null;
    const methods = new Set<string>();
    while (proto && proto !== Object.prototype) {
      for (const key of Object.getOwnPropertyNames(proto)) if (key !== 'constructor') methods.add(key);
      proto = Object.getPrototypeOf(proto) as object | null;
    }
    for (const method of methods) {
      const original = repository[method];
      if (typeof original !== 'function') continue;
      repository[method] = (...args: unknown[]) => {
        if (inFlight === 0) calls++;
        inFlight++;
        const settled = () => {
          inFlight--;
        };
        const result = (original as (...a: unknown[]) => unknown).apply(repository, args);
        if (result instanceof Promise) result.then(settled, settled);
        else settled();
        return result;
      };
    }
  }
  return { total: () => calls };
}

/**
 * Counts the SQL statements run on a better-sqlite3 database: patches the statement prototype's
 * run/get/all/iterate (shared by every statement of the driver, so this counts them all while on).
 */
function countStatements(db: { prepare(sql: string): object }): { total(): number } {
  let statements = 0;
  const proto = Object.getPrototypeOf(db.prepare('SELECT 1')) as Record<string, unknown>;
  for (const method of ['run', 'get', 'all', 'iterate']) {
    const original = proto[method] as (...args: unknown[]) => unknown;
    proto[method] = function (this: unknown, ...args: unknown[]) {
      statements++;
      return original.apply(this, args);
    };
  }
  return { total: () => statements };
}

/** Counts the SQL queries sent through the store's pool. */
function countQueries(store: PostgresStore): { total(): number } {
  let queries = 0;
  const query = store.pool.query.bind(store.pool) as (...args: unknown[]) => unknown;
  (store.pool as unknown as { query: unknown }).query = (...args: unknown[]) => {
    queries++;
    return query(...args);
  };
  return { total: () => queries };
}

async function signedIn(gatehouse: Gatehouse): Promise<string> {
  await gatehouse.auth.register({ email: 'bench@example.com', password: PASSWORD });
  const login = await gatehouse.auth.login({ identifier: 'bench@example.com', password: PASSWORD });
  if (login.status !== 'authenticated') throw new Error('expected tokens');
  return login.accessToken;
}

interface Subject {
  readonly name: string;
  readonly gatehouse: Gatehouse;
  readonly token: string;
  readonly calls: { total(): number };
  readonly queries?: { total(): number };
}

export async function benchGuardStore(ctx: BenchContext): Promise<void> {
  const { createGatehouse, createMemoryStore } = await loadInstalled('index');
  const { createPostgresInvalidationChannel, createPostgresStore } = await loadInstalled('postgres');
  const { createSqliteStore } = await loadInstalled('sqlite');
  const secret = randomBytes(32).toString('base64url');
  const argon2 = { memoryCost: 1024, timeCost: 1 };
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-guard-bench-'));
  const server: PostgresServer | undefined = process.env.GATEHOUSE_BENCH_DATABASE_URL
    ? undefined
    : await startPostgresServer();
  const url = process.env.GATEHOUSE_BENCH_DATABASE_URL ?? (server as PostgresServer).url;
  const closers: (() => Promise<void>)[] = [];
  try {
    const subjects: Subject[] = [];
    const add = async (
      name: string,
      store: Store,
      extra: { queries?: { total(): number } } = {},
      cache?: Store,
    ) => {
      const gatehouse = createGatehouse({
        store,
        tokens: {
          secret,
          ...(cache
            ? {
                recordCache: {
                  channel: createPostgresInvalidationChannel({ pool: (cache as PostgresStore).pool }),
                },
              }
            : {}),
        },
        password: { argon2 },
      });
      closers.push(() => gatehouse.close());
      const token = await signedIn(gatehouse);
      subjects.push({ name, gatehouse, token, calls: countCalls(store), ...extra });
    };
    await add('memory', createMemoryStore());
    const sqlite = createSqliteStore({ filename: join(dir, 'bench.sqlite') });
    closers.push(async () => sqlite.close());
    await add('SQLite (file)', sqlite, { queries: countStatements(sqlite.db) });
    for (const [name, cached] of [
      ['PostgreSQL', false],
      ['PostgreSQL + record cache', true],
    ] as const) {
      const schema = `bench_guard_${randomBytes(4).toString('hex')}`;
      const store = await createPostgresStore({ connectionString: url, schema });
      closers.push(async () => {
        await store.pool.query(`DROP SCHEMA "${schema}" CASCADE`);
        await store.close();
      });
      await add(name, store, { queries: countQueries(store) }, cached ? store : undefined);
    }
    // Let the cache's channel connect, then measure one request after a first one.
    await new Promise((resolve) => setTimeout(resolve, 500));
    console.log('\nStore reads per authenticated request (a token seen before)');
    const counts = new Map<string, { calls: number; sql: number | undefined }>();
    for (const subject of subjects) {
      await subject.gatehouse.auth.authenticate(subject.token);
      const [calls, queries] = [subject.calls.total(), subject.queries?.total() ?? 0];
      await subject.gatehouse.auth.authenticate(subject.token);
      const sql = subject.queries ? subject.queries.total() - queries : undefined;
      counts.set(subject.name, { calls: subject.calls.total() - calls, sql });
      console.log(
        `  ${subject.name.padEnd(30)} repository calls ${subject.calls.total() - calls}   SQL ${
          sql === undefined ? '-' : sql
        }`,
      );
    }
    const timings = await latency(
      'gatehouse.auth.authenticate, one at a time (µs)',
      subjects.map((subject) => ({
        name: subject.name,
        run: () => subject.gatehouse.auth.authenticate(subject.token),
      })),
      { samples: ctx.quick ? 1_000 : 4_000 },
    );
    ctx.rec.extras.storeReadsPerRequest = Object.fromEntries(counts);
    for (const subject of subjects) {
      const { calls, sql } = counts.get(subject.name)!;
      const cached = subject.name.includes('cache');
      const reads = sql ?? calls;
      const timing = timings.get(subject.name);
      ctx.rec.add({
        id: `store-reads-${subject.name
          .toLowerCase()
          .replace(/[^a-z]+/g, '-')
          .replace(/-$/, '')}`,
        group: 'guard',
        hotPath: `Store reads per authenticated request (token seen before), ${subject.name}`,
        gatehouse: {
          text:
            `${calls} repository call${calls === 1 ? '' : 's'}` +
            `${
              sql === undefined
                ? ''
                : `, ${sql} SQL ${subject.name.startsWith('SQLite') ? 'statement' : 'quer'}${
                    subject.name.startsWith('SQLite') ? (sql === 1 ? '' : 's') : sql === 1 ? 'y' : 'ies'
                  }`
            }${timing ? `; p50 ${timing.p50.toFixed(1)} µs` : ''}`,
          value: reads,
          unit: sql === undefined ? 'repository calls' : 'SQL',
        },
        peers: [],
        bar: cached ? '— (opt-in cache: 0 while fresh)' : '≤ 1 store read',
        verdict: cached ? 'info' : reads <= 1 ? 'met' : 'missed',
        detail: `${reads}`,
      });
    }
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await server?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
