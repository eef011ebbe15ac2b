/**
 * `npm run bench -- guard`: what one authenticated request costs in store reads, per store — the
 * number of repository calls and (on PostgreSQL) SQL queries `gatehouse.auth.authenticate` makes
 * for a token seen before, and its latency, measured on the built package (`dist/`, as users get
 * it) in one run: memory, SQLite (a file), PostgreSQL (one query: the token, its family and its
 * user together) and PostgreSQL with the token-record cache (no query while the record is fresh).
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
import { loadBuilt } from './built.js';
import { latency } from './harness.js';

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

export async function benchGuardStore(): Promise<void> {
  const { createGatehouse, createMemoryStore } = await loadBuilt('index');
  const { createPostgresInvalidationChannel, createPostgresStore } = await loadBuilt('postgres');
  const { createSqliteStore } = await loadBuilt('sqlite');
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
    await add('SQLite (file)', sqlite);
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
    for (const subject of subjects) {
      await subject.gatehouse.auth.authenticate(subject.token);
      const [calls, queries] = [subject.calls.total(), subject.queries?.total() ?? 0];
      await subject.gatehouse.auth.authenticate(subject.token);
      const sql = subject.queries ? String(subject.queries.total() - queries) : '-';
      console.log(
        `  ${subject.name.padEnd(30)} repository calls ${subject.calls.total() - calls}   SQL queries ${sql}`,
      );
    }
    await latency(
      'gatehouse.auth.authenticate, one at a time (µs)',
      subjects.map((subject) => ({
        name: subject.name,
        run: () => subject.gatehouse.auth.authenticate(subject.token),
      })),
      { samples: 4_000 },
    );
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await server?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
