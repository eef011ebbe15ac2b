/**
 * Policy benchmark section 4 (run by `benchPolicy` in `policy.bench.ts`, after sections 1-3): the
 * ReBAC checks of section 2 over `SqliteRelationshipStore` (a WAL file, 10k and 1M tuples), with
 * its synchronous reads (`sync`), and through its asynchronous reads only (fetched in rounds).
 *
 * `BENCH_QUICK=1` shrinks the large graph to 100k tuples and shortens the rounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore, type SqliteStore } from '../../adapters/sqlite/index.js';
import { PolicyEvaluator, type RelationshipStore, type RelationshipTuple } from '../../src/policy/index.js';
import { type BenchCase, compare, latency } from './harness.js';
import {
  cycler,
  type Graph,
  graphTuples,
  QUICK,
  ROUNDS,
  rebacModel,
  rebacRequests,
  shape,
  tupleCount,
  verify,
} from './policy-graph.js';

// ---------------------------------------------------------------------------------------------
// 4. ReBAC on SQLite
// ---------------------------------------------------------------------------------------------

/** The same store without `sync`: the evaluator reads through the async methods, in rounds. */
function asyncOnly(store: RelationshipStore): RelationshipStore {
  return {
    write: (t) => store.write(t),
    delete: (t) => store.delete(t),
    read: (f) => store.read(f),
    readTuple: (o, r, s) => store.readTuple(o, r, s),
    readUsersets: (o, r) => store.readUsersets(o, r),
    readRelation: (o, r) => store.readRelation(o, r),
  };
}

async function buildSqliteGraph(scale: number, dir: string): Promise<Graph & { sqlite: SqliteStore }> {
  const s = shape(scale);
  const sqlite = createSqliteStore({
    filename: join(dir, `graph-${scale}.db`),
    relationships: { model: rebacModel },
  });
  const start = performance.now();
  let batch: RelationshipTuple[] = [];
  for (const t of graphTuples(s)) {
    batch.push(t);
    if (batch.length === 20_000) {
      await sqlite.relationships.write(batch);
      batch = [];
    }
  }
  await sqlite.relationships.write(batch);
  const tuples = (sqlite.db.prepare('SELECT count(*) AS n FROM relationships').get() as { n: number }).n;
  if (tuples !== tupleCount(s)) throw new Error(`expected ${tupleCount(s)} tuples, stored ${tuples}`);
  console.log(
    `  SQLite graph of ${tuples.toLocaleString('en-US')} tuples written in ` +
      `${((performance.now() - start) / 1000).toFixed(1)} s`,
  );
  return {
    shape: s,
    evaluator: new PolicyEvaluator({ model: rebacModel, store: sqlite.relationships, explain: false }),
    tuples,
    sqlite,
  };
}

/** Section 4 alone (also run by `benchPolicy`). */
export async function benchRebacSqlite(): Promise<void> {
  console.log('\nReBAC graph on SQLite (WAL file, SqliteRelationshipStore)');
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const graphs: (Graph & { sqlite: SqliteStore })[] = [];
  try {
    graphs.push(await buildSqliteGraph(0.01, dir), await buildSqliteGraph(QUICK ? 0.1 : 1, dir));
    const label = (g: Graph) => `${Math.round(g.tuples / 1000).toLocaleString('en-US')}k`;
    const cases: BenchCase[] = [];
    for (const [allowed, seed] of [
      [true, 11],
      [false, 12],
    ] as const) {
      for (const g of graphs) {
        const requests = rebacRequests(g.shape, allowed, seed);
        await verify(g, requests, allowed);
        const rounds = new PolicyEvaluator({
          model: rebacModel,
          store: asyncOnly(g.sqlite.relationships),
          explain: false,
        });
        const what = `${allowed ? 'allowed' : 'denied '} @ ${label(g)}`;
        const next = cycler(requests);
        const nextRounds = cycler(requests);
        cases.push(
          { name: `SQLite check ${what} (sync reads)`, run: () => g.evaluator.check(next()) },
          { name: `SQLite check ${what} (async, rounds)`, run: () => rounds.check(nextRounds()) },
        );
      }
    }
    const small = graphs[0]!;
    const nextSync = cycler(rebacRequests(small.shape, true, 11));
    if (small.evaluator.canCheckSync) {
      cases.push({
        name: `SQLite checkSync allowed @ ${label(small)}`,
        run: () => small.evaluator.checkSync(nextSync()),
      });
    }
    await compare('ReBAC document#viewer check on SQLite (ops/s, ratio vs sync allowed @ 10k)', cases, {
      ...ROUNDS,
      batch: 10,
    });
    await latency('ReBAC check on SQLite, latency per call', cases, { samples: QUICK ? 1_000 : 4_000 });
  } finally {
    for (const g of graphs) g.sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
