/**
 * The ReBAC graph of `policy-graph.ts` in SQLite (`SqliteRelationshipStore` on a WAL file, 1M
 * tuples; 100k with `BENCH_QUICK=1`), on the installed package: `document#viewer` check latency,
 * granted 4 deep and denied after the whole walk, and the first page of 100 of `listResources`.
 * Returns the file's bytes per tuple (after a checkpoint), shown beside the memory store's.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

export async function benchRebacSqlite(ctx: BenchContext): Promise<number> {
  const { PolicyEvaluator } = await loadInstalled('index');
  const { createSqliteStore } = await loadInstalled('sqlite');
  console.log('\nReBAC graph on SQLite (WAL file, SqliteRelationshipStore)');
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const filename = join(dir, 'graph.db');
  const sqlite = createSqliteStore({ filename, relationships: { model: rebacModel } });
  try {
    const s = shape(QUICK ? 0.1 : 1);
    const start = performance.now();
    await writeInBatches((batch) => sqlite.relationships.write(batch), graphTuples(s));
    const tuples = (sqlite.db.prepare('SELECT count(*) AS n FROM relationships').get() as { n: number }).n;
    if (tuples !== tupleCount(s)) throw new Error(`expected ${tupleCount(s)} tuples, stored ${tuples}`);
    sqlite.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = statSync(filename).size;
    console.log(
      `  SQLite graph of ${tuples.toLocaleString('en-US')} tuples written in ` +
        `${((performance.now() - start) / 1000).toFixed(1)} s; file ${Math.round(bytes / 2 ** 20)} MiB ` +
        `(${Math.round(bytes / tuples)} B per tuple, the whole database)`,
    );
    const evaluator = new PolicyEvaluator({ model: rebacModel, store: sqlite.relationships, explain: false });
    const g = { shape: s, tuples, evaluator };
    const cases: BenchCase[] = [];
    for (const [allowed, seed] of [
      [true, 11],
      [false, 12],
    ] as const) {
      const requests = rebacRequests(s, allowed, seed);
      await verify(g, requests, allowed);
      const next = cycler(requests);
      cases.push({
        name: `SQLite check ${allowed ? 'allowed' : 'denied '} 4 deep @ ${label(tuples)}`,
        run: () => evaluator.check(next()),
      });
    }
    const checks = await latency('ReBAC check on SQLite, latency per call', cases, {
      samples: QUICK ? 2_000 : 8_000,
      blocks: 8,
    });
    const requests = listRequests(s);
    await verifyPage(evaluator, requests);
    const nextList = cycler(requests);
    const lists = await latency(
      'listResources(user, viewer, document), first page of 100, SQLite',
      [
        {
          name: `SQLite listResources page 100 @ ${label(tuples)}`,
          run: () => evaluator.listResources(nextList()),
        },
      ],
      { samples: QUICK ? 100 : 400, blocks: QUICK ? 2 : 4 },
    );
    const [allowed, denied] = [...checks.values()] as unknown as [LatencyResult, LatencyResult];
    rebacRows(ctx, 'SQLite', 'policy', tuples, allowed, denied, 100, [...lists.values()][0]!, 10_000);
    return bytes / tuples;
  } finally {
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
