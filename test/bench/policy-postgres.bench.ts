/**
 * `npm run bench -- postgres`: the ReBAC graph of `policy-graph.ts` in PostgreSQL
 * (`PostgresRelationshipStore`, 1M tuples; 100k with `BENCH_QUICK=1`) on the installed package:
 * `document#viewer` check latency granted 4 deep (and denied after the whole walk), and the first
 * page of 100 of `listResources`, with the queries each makes.
 *
 * The server is `GATEHOUSE_BENCH_DATABASE_URL` when set (the benchmark creates and drops a schema of
 * its own there), else a throw-away local server started here (`initdb` + `pg_ctl`, fsync off).
 * The tuples are written through `write` in batches of 50 000, then the table is vacuumed and
 * analyzed, as a running system has it.
 */
import pg from 'pg';
import type { Queryable } from '../../adapters/postgres/sql.js';
import { type PostgresServer, startPostgresServer } from '../support/services/postgres-server.js';
import type { BenchContext } from './context.js';
import { type BenchCase, type LatencyResult, latency } from './harness.js';
import { loadInstalled } from './installed.js';
import {
  cycler,
  graphTuples,
  label,
  QUICK,
  rebacModel,
  rebacRequests,
  shape,
  tupleCount,
  verify,
  writeInBatches,
} from './policy-graph.js';
import { listRequests, rebacRows, verifyPage } from './policy-rows.js';

export async function benchRebacPostgres(ctx: BenchContext): Promise<void> {
  console.log('\nReBAC graph on PostgreSQL (PostgresRelationshipStore; installed package)');
  const { PolicyEvaluator } = await loadInstalled('index');
  const { migratePostgres, PostgresRelationshipStore } = await loadInstalled('postgres');
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
  const s = shape(QUICK ? 0.1 : 1);
  const schema = `gatehouse_bench_${process.pid}`;
  try {
    const { version } = (await pool.query<{ version: string }>('SELECT version()')).rows[0]!;
    console.log(`  ${version.split(' on ')[0]}`);
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await migratePostgres(pool, { schema });
    const store = new PostgresRelationshipStore(db, { schema, model: rebacModel });
    const started = performance.now();
    await writeInBatches((batch) => store.write(batch), graphTuples(s), 50_000);
    const seconds = (performance.now() - started) / 1000;
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
    const evaluator = new PolicyEvaluator({ model: rebacModel, store, explain: false });
    const g = { shape: s, tuples, evaluator };
    const checks: BenchCase[] = [];
    const perCall: Record<string, number> = {};
    for (const [allowed, seedValue] of [
      [true, 11],
      [false, 12],
    ] as const) {
      const requests = rebacRequests(s, allowed, seedValue);
      await verify(g, requests, allowed);
      queries = 0;
      for (const r of requests.slice(0, 256)) await evaluator.check(r);
      const name = `PostgreSQL check ${allowed ? 'allowed' : 'denied '} 4 deep @ ${label(tuples)}`;
      perCall[name] = queries / 256;
      const next = cycler(requests);
      checks.push({ name: `${name} (${(queries / 256).toFixed(1)} q)`, run: () => evaluator.check(next()) });
    }
    const requests = listRequests(s);
    await verifyPage(evaluator, requests);
    queries = 0;
    await evaluator.listResources(requests[0]!);
    const listQueries = queries;
    const nextList = cycler(requests);
    const checkTimes = await latency(
      'ReBAC check on PostgreSQL, latency per call ((n q): queries per call)',
      checks,
      {
        samples: QUICK ? 800 : 2_000,
        blocks: 8,
      },
    );
    const listTimes = await latency(
      'listResources(user, viewer, document), first page of 100, PostgreSQL',
      [
        {
          name: `PostgreSQL listResources page 100 @ ${label(tuples)} (${listQueries} q)`,
          run: () => evaluator.listResources(nextList()),
        },
      ],
      { samples: QUICK ? 50 : 200, blocks: 2 },
    );
    const [allowed, denied] = [...checkTimes.values()] as unknown as [LatencyResult, LatencyResult];
    ctx.rec.extras.postgresQueriesPerCall = { ...perCall, listResources: listQueries };
    rebacRows(
      ctx,
      'PostgreSQL',
      'postgres',
      tuples,
      allowed,
      denied,
      1_000,
      [...listTimes.values()][0]!,
      undefined,
    );
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
    await server?.destroy();
  }
}
