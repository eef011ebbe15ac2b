/**
 * Policy benchmark section 5 (`npm run bench -- postgres`): the ReBAC graph of section 2 in
 * PostgreSQL (`PostgresRelationshipStore`, 10k and 1M tuples): `document#viewer` checks granted 4
 * levels deep (and denied after the whole walk), a `batchCheck` of 16, and the first page of 100
 * of `listResources`, with the queries each makes. The same first page is measured on the memory
 * and SQLite stores at the same size, in the same run. Everything measured is the built package
 * (`dist/`, see `built.ts`); the graph, requests and model come from `policy-graph.ts`.
 *
 * The server is `GATEHOUSE_BENCH_DATABASE_URL` when set (the benchmark creates and drops schemas
 * of its own there), else a throw-away local server started here (`initdb` + `pg_ctl`, fsync off).
 * The tuples are written through `write` in batches of 50 000 (one `INSERT ... SELECT FROM unnest`
 * each), then the table is vacuumed and analyzed. `BENCH_QUICK=1` shrinks the large graph to 100k
 * tuples.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Queryable } from '../../adapters/postgres/sql.js';
import type {
  CompiledModel,
  ListResourcesRequest,
  PolicyEvaluator,
  RelationshipStore,
  RelationshipTuple,
} from '../../src/policy/index.js';
import { type PostgresServer, startPostgresServer } from '../support/services/postgres-server.js';
import { loadBuilt } from './built.js';
import { type BenchCase, latency } from './harness.js';
import {
  cycler,
  type Graph,
  graphTuples,
  prng,
  QUICK,
  rebacModel,
  rebacRequests,
  type Shape,
  shape,
  tupleCount,
  verify,
} from './policy-graph.js';

/** The entries of the built package this section uses. */
interface Built {
  readonly gatehouse: Awaited<ReturnType<typeof loadBuilt<'index'>>>;
  readonly postgres: Awaited<ReturnType<typeof loadBuilt<'postgres'>>>;
  readonly sqlite: Awaited<ReturnType<typeof loadBuilt<'sqlite'>>>;
  /** `rebacModel`, compiled by the built package (a model is compiled by the copy that checks with it). */
  readonly model: CompiledModel;
}

const label = (tuples: number) =>
  tuples >= 1_000_000
    ? `${(tuples / 1_000_000).toFixed(0)}M`
    : `${Math.round(tuples / 1000).toLocaleString('en-US')}k`;

/** Writes `tuples` through `write`, 50 000 per call; returns the seconds taken. */
async function seed(
  write: (tuples: RelationshipTuple[]) => Promise<void>,
  tuples: Iterable<RelationshipTuple>,
): Promise<number> {
  const start = performance.now();
  let batch: RelationshipTuple[] = [];
  for (const t of tuples) {
    batch.push(t);
    if (batch.length === 50_000) {
      await write(batch);
      batch = [];
    }
  }
  await write(batch);
  return (performance.now() - start) / 1000;
}

/** 64 first-page requests: documents a random user may view (256 each, so every page is full). */
function listRequests(s: Shape): ListResourcesRequest[] {
  const random = prng(21);
  return Array.from({ length: 64 }, () => ({
    subject: { type: 'user', id: `u${Math.floor(random() * s.users)}` },
    action: 'viewer',
    type: 'document',
    pageSize: 100,
  }));
}

async function verifyPage(
  evaluator: PolicyEvaluator,
  requests: readonly ListResourcesRequest[],
): Promise<void> {
  for (const r of requests.slice(0, 4)) {
    const page = await evaluator.listResources(r);
    if (!page.complete || page.resources.length !== 100 || page.cursor === null) {
      throw new Error(`listResources for ${r.subject.id}: ${page.resources.length} documents`);
    }
  }
}

interface PostgresGraph extends Graph {
  readonly schema: string;
}

/** A fresh schema holding the graph at `scale`, vacuumed and analyzed, and an evaluator on it. */
async function buildPostgresGraph(
  built: Built,
  pool: pg.Pool,
  db: Queryable,
  scale: number,
): Promise<PostgresGraph> {
  const s = shape(scale);
  const schema = `gatehouse_bench_${Math.round(scale * 1000)}`;
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await built.postgres.migratePostgres(pool, { schema });
  const store = new built.postgres.PostgresRelationshipStore(db, { schema, model: built.model });
  const seconds = await seed((batch) => store.write(batch), graphTuples(s));
  // Settle the table as a running system has it: statistics, visibility and hint bits set, dirty
  // pages written. Otherwise autovacuum and checkpoints of the bulk insert run during the timings.
  await pool.query(`VACUUM (ANALYZE) ${schema}.relationships`);
  await pool.query('CHECKPOINT');
  const { rows } = await pool.query<{ n: number; size: string }>(
    `SELECT count(*)::int AS n, pg_size_pretty(pg_total_relation_size('${schema}.relationships')) AS size
     FROM ${schema}.relationships`,
  );
  const tuples = rows[0]!.n;
  if (tuples !== tupleCount(s)) throw new Error(`expected ${tupleCount(s)} tuples, stored ${tuples}`);
  console.log(
    `  PostgreSQL graph of ${tuples.toLocaleString('en-US')} tuples written in ${seconds.toFixed(1)} s ` +
      `(table and indexes ${rows[0]!.size})`,
  );
  const evaluator = new built.gatehouse.PolicyEvaluator({ model: built.model, store, explain: false });
  return { shape: s, tuples, schema, evaluator };
}

/** The first page of 100 on the memory and SQLite stores, at the size of `scale`, for comparison. */
async function otherStores(
  built: Built,
  scale: number,
  dir: string,
): Promise<{ cases: BenchCase[]; close(): void }> {
  const s = shape(scale);
  const requests = listRequests(s);
  const evaluator = (store: RelationshipStore) =>
    new built.gatehouse.PolicyEvaluator({ model: built.model, store, explain: false });
  const memory = new built.gatehouse.MemoryRelationshipStore({ model: built.model });
  let seconds = await seed((batch) => memory.write(batch), graphTuples(s));
  console.log(
    `  memory graph of ${memory.size.toLocaleString('en-US')} tuples written in ${seconds.toFixed(1)} s`,
  );
  const sqlite = built.sqlite.createSqliteStore({
    filename: join(dir, 'graph.db'),
    relationships: { model: built.model },
  });
  seconds = await seed((batch) => sqlite.relationships.write(batch), graphTuples(s));
  console.log(
    `  SQLite graph of ${tupleCount(s).toLocaleString('en-US')} tuples written in ${seconds.toFixed(1)} s`,
  );
  const onMemory = evaluator(memory);
  const onSqlite = evaluator(sqlite.relationships);
  await verifyPage(onMemory, requests);
  await verifyPage(onSqlite, requests);
  const nextMemory = cycler(requests);
  const nextSqlite = cycler(requests);
  const at = label(tupleCount(s));
  return {
    cases: [
      { name: `memory listResources page 100 @ ${at}`, run: () => onMemory.listResources(nextMemory()) },
      { name: `SQLite listResources page 100 @ ${at}`, run: () => onSqlite.listResources(nextSqlite()) },
    ],
    close: () => sqlite.close(),
  };
}

/** Section 5 alone (`npm run bench -- postgres`). */
export async function benchRebacPostgres(): Promise<void> {
  console.log('\nReBAC graph on PostgreSQL (PostgresRelationshipStore, one query per round; built package)');
  const gatehouse = await loadBuilt('index');
  const built: Built = {
    gatehouse,
    postgres: await loadBuilt('postgres'),
    sqlite: await loadBuilt('sqlite'),
    model: gatehouse.validateModel(rebacModel.source),
  };
  const external = process.env.GATEHOUSE_BENCH_DATABASE_URL;
  let server: PostgresServer | undefined;
  if (!external) {
    server = await startPostgresServer();
    console.log('  a throw-away PostgreSQL server (GATEHOUSE_BENCH_DATABASE_URL not set)');
  }
  const pool = new pg.Pool({ connectionString: external ?? server!.url, max: 10 });
  pool.on('error', () => undefined);
  let queries = 0;
  const db: Queryable = {
    query: (config) => {
      queries++;
      return pool.query(config);
    },
  };
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const graphs: PostgresGraph[] = [];
  let others: { cases: BenchCase[]; close(): void } | undefined;
  try {
    const { version } = (await pool.query<{ version: string }>('SELECT version()')).rows[0]!;
    console.log(`  ${version.split(' on ')[0]}`);
    graphs.push(
      await buildPostgresGraph(built, pool, db, 0.01),
      await buildPostgresGraph(built, pool, db, QUICK ? 0.1 : 1),
    );
    const checks: BenchCase[] = [];
    const lists: BenchCase[] = [];
    for (const g of graphs) {
      const at = label(g.tuples);
      for (const [allowed, seed] of [
        [true, 11],
        [false, 12],
      ] as const) {
        const requests = rebacRequests(g.shape, allowed, seed);
        await verify(g, requests, allowed);
        queries = 0;
        for (const r of requests.slice(0, 256)) await g.evaluator.check(r);
        const perCheck = queries / 256;
        const next = cycler(requests);
        checks.push({
          name: `PostgreSQL check ${allowed ? 'allowed' : 'denied '} 4 deep @ ${at} (${perCheck.toFixed(1)} q)`,
          run: () => g.evaluator.check(next()),
        });
      }
      const batches = rebacRequests(g.shape, true, 13);
      queries = 0;
      await g.evaluator.batchCheck(batches.slice(0, 16));
      let from = 0;
      checks.push({
        name: `PostgreSQL batchCheck 16 allowed @ ${at} (${queries} q)`,
        run: () => {
          from = (from + 16) % batches.length;
          return g.evaluator.batchCheck(batches.slice(from, from + 16));
        },
      });
      const requests = listRequests(g.shape);
      await verifyPage(g.evaluator, requests);
      queries = 0;
      await g.evaluator.listResources(requests[0]!);
      const next = cycler(requests);
      lists.push({
        name: `PostgreSQL listResources page 100 @ ${at} (${queries} q)`,
        run: () => g.evaluator.listResources(next()),
      });
    }
    await latency('ReBAC on PostgreSQL, latency per call ((n q): queries per call)', checks, {
      samples: QUICK ? 400 : 2_000,
    });
    others = await otherStores(built, QUICK ? 0.1 : 1, dir);
    await latency(
      'listResources(user, viewer, document), first page of 100, latency per call',
      [...lists, ...others.cases],
      {
        samples: QUICK ? 20 : 200,
        blocks: 2,
      },
    );
  } finally {
    others?.close();
    rmSync(dir, { recursive: true, force: true });
    for (const g of graphs)
      await pool.query(`DROP SCHEMA IF EXISTS ${g.schema} CASCADE`).catch(() => undefined);
    await pool.end();
    await server?.destroy();
  }
}
