/**
 * Memory per stored tuple of the installed package's memory relationship store, run by
 * `policy.bench.ts` as a child process with `--expose-gc` (so nothing else lives in its heap):
 * retained heap = heapUsed + arrayBuffers after `global.gc()`, with the store filled with the
 * ReBAC graph of `policy-graph.ts` (1M tuples; 100k with `BENCH_QUICK=1`) minus the same with the
 * store empty, divided by the tuples. Prints one JSON line.
 */
import type { RelationshipTuple } from '../../src/index.js';
import { loadInstalled } from './installed.js';
import { graphTuples, QUICK, rebacModel, shape, writeInBatches } from './policy-graph.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function retained(): number {
  for (let i = 0; i < 3; i++) gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const { MemoryRelationshipStore } = await loadInstalled('index');
const s = shape(QUICK ? 0.1 : 1);
const store = new MemoryRelationshipStore({ model: rebacModel });
const empty = retained();
await writeInBatches((batch: RelationshipTuple[]) => store.write(batch), graphTuples(s));
const filled = retained();
const tuples = store.size;
console.log(
  JSON.stringify({
    tuples,
    retainedBytes: filled - empty,
    bytesPerTuple: (filled - empty) / tuples,
    rssBytes: process.memoryUsage().rss,
  }),
);
// Keep the store alive until after the measurement.
if (store.size !== tuples) process.exitCode = 1;
