/**
 * A small benchmark harness: runs each case in alternating rounds (so machine noise hits all of
 * them alike) and reports the median operations per second, plus ratios against a baseline
 * measured in the same run. Timings live here, never in pass/fail tests.
 */
import { performance } from 'node:perf_hooks';

export interface BenchCase {
  readonly name: string;
  readonly run: () => Promise<unknown> | unknown;
}

async function round(fn: BenchCase['run'], ms: number, batch = 100): Promise<number> {
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < batch; i++) await fn();
    ops += batch;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/**
 * Measures every case for `rounds` alternating rounds of `roundMs`, after one warm-up round each.
 * The clock is read every `batch` calls (default 100); lower it for cases that take milliseconds.
 */
export async function compare(
  title: string,
  cases: readonly BenchCase[],
  options: { rounds?: number; roundMs?: number; batch?: number } = {},
): Promise<Map<string, number>> {
  const rounds = options.rounds ?? 5;
  const roundMs = options.roundMs ?? 400;
  const batch = Math.max(1, options.batch ?? 100);
  for (const c of cases) await round(c.run, 100, batch);
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) samples.get(c.name)?.push(await round(c.run, roundMs, batch));
  }
  const results = new Map([...samples].map(([name, values]) => [name, median(values)]));
  const baseline = results.get(cases[0]?.name ?? '') ?? 1;
  console.log(`\n${title}`);
  for (const [name, opsPerSecond] of results) {
    const r = opsPerSecond / baseline;
    const ratio = r >= 0.01 ? r.toFixed(2) : r.toPrecision(2);
    console.log(`  ${name.padEnd(52)} ${Math.round(opsPerSecond).toString().padStart(9)} ops/s   ${ratio}x`);
  }
  return results;
}

/** Per-call latency of one case, in microseconds, and calls per second over the timed calls. */
export interface LatencyResult {
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
}

const percentile = (sorted: Float64Array, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number;

/**
 * Times `samples` single calls of every case (after a warm-up of a tenth as many), in alternating
 * blocks, and prints p50/p99 per call in microseconds plus calls per second. Each timed call
 * includes the cost of reading the clock (well under a microsecond).
 */
export async function latency(
  title: string,
  cases: readonly BenchCase[],
  options: { samples?: number; blocks?: number } = {},
): Promise<Map<string, LatencyResult>> {
  const samples = options.samples ?? 20_000;
  const blocks = Math.max(1, options.blocks ?? 4);
  const perBlock = Math.ceil(samples / blocks);
  const timings = new Map(cases.map((c) => [c.name, new Float64Array(perBlock * blocks)]));
  for (const c of cases) for (let i = 0; i < Math.ceil(samples / 10); i++) await c.run();
  for (let b = 0; b < blocks; b++) {
    for (const c of cases) {
      const out = timings.get(c.name) as Float64Array;
      for (let i = b * perBlock; i < (b + 1) * perBlock; i++) {
        const start = performance.now();
        await c.run();
        out[i] = performance.now() - start;
      }
    }
  }
  const results = new Map<string, LatencyResult>();
  console.log(`\n${title}`);
  for (const [name, values] of timings) {
    let total = 0;
    for (const v of values) total += v;
    values.sort();
    const result = {
      p50: percentile(values, 50) * 1000,
      p99: percentile(values, 99) * 1000,
      perSecond: (values.length * 1000) / total,
    };
    results.set(name, result);
    const us = (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} µs`.padStart(10);
    console.log(
      `  ${name.padEnd(52)} p50 ${us(result.p50)}   p99 ${us(result.p99)}   ${Math.round(result.perSecond)
        .toString()
        .padStart(9)} calls/s`,
    );
  }
  return results;
}
