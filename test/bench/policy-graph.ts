/**
 * Shared pieces of the policy benchmarks (`policy.bench.ts`, `policy-sqlite.bench.ts`,
 * `policy-postgres.bench.ts`, `tuple-memory.ts`): round settings, request cyclers, and the generated
 * ReBAC graph of `test/support/rebac-graph.ts` (model, shape, tuples, requests) built and verified on
 * the installed package (`installed.ts`).
 *
 * `BENCH_QUICK=1` shrinks the large graph to 100k tuples and shortens the rounds.
 */
import type { CheckRequest, PolicyEvaluator, RelationshipTuple } from '../../src/index.js';
import { defineRebacModel, graphTuples, type Shape, shape, tupleCount } from '../support/rebac-graph.js';
import { loadInstalled } from './installed.js';

export { graphTuples, prng, rebacRequests, type Shape, shape, tupleCount } from '../support/rebac-graph.js';

const gatehouse = await loadInstalled('index');

export const QUICK = process.env.BENCH_QUICK === '1';
export const ROUNDS = QUICK ? { rounds: 6, roundMs: 100 } : { rounds: 12, roundMs: 150 };

/** Cycles through a pre-built array of requests (length a power of two). */
export function cycler<T>(items: readonly T[]): () => T {
  const mask = items.length - 1;
  if ((items.length & mask) !== 0) throw new Error('cycler needs a power-of-two length');
  let i = 0;
  return () => items[i++ & mask] as T;
}

export const label = (tuples: number) =>
  tuples >= 1_000_000
    ? `${(tuples / 1_000_000).toFixed(0)}M`
    : `${Math.round(tuples / 1000).toLocaleString('en-US')}k`;

export const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;

// ---------------------------------------------------------------------------------------------
// ReBAC graph
// ---------------------------------------------------------------------------------------------

export const rebacModel = gatehouse.validateModel(defineRebacModel(gatehouse.defineModel));

export interface Graph {
  readonly shape: Shape;
  readonly evaluator: PolicyEvaluator;
  readonly tuples: number;
}

/** Writes `tuples` through `write`, `size` per call (the stores' batches are transactions). */
export async function writeInBatches(
  write: (tuples: RelationshipTuple[]) => Promise<void>,
  tuples: Iterable<RelationshipTuple>,
  size = 20_000,
): Promise<void> {
  let batch: RelationshipTuple[] = [];
  for (const t of tuples) {
    batch.push(t);
    if (batch.length === size) {
      await write(batch);
      batch = [];
    }
  }
  await write(batch);
}

export async function buildGraph(scale: number): Promise<Graph> {
  const s = shape(scale);
  const store = new gatehouse.MemoryRelationshipStore({ model: rebacModel });
  const start = performance.now();
  await writeInBatches((batch) => store.write(batch), graphTuples(s));
  const ms = performance.now() - start;
  const tuples = store.size;
  if (tuples !== tupleCount(s)) throw new Error(`expected ${tupleCount(s)} tuples, stored ${tuples}`);
  console.log(
    `  graph of ${tuples.toLocaleString('en-US')} tuples (${s.users} users, ${s.teams} teams, ` +
      `${s.roots + s.mids + s.leaves} folders, ${s.documents} documents): generated and written in ` +
      `${(ms / 1000).toFixed(1)} s (memory per tuple: see tuple-memory.ts)`,
  );
  return {
    shape: s,
    evaluator: new gatehouse.PolicyEvaluator({ model: rebacModel, store, explain: false }),
    tuples,
  };
}

export async function verify(
  graph: Graph,
  requests: readonly CheckRequest[],
  expected: boolean,
): Promise<void> {
  for (const r of requests.slice(0, 256)) {
    const result = await graph.evaluator.check(r);
    if (result.allowed !== expected) {
      throw new Error(`check ${JSON.stringify(r)} gave ${result.code}, expected allowed=${expected}`);
    }
  }
}
