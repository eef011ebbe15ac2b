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

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/**
 * Measures every case for `rounds` alternating rounds of `roundMs`, after one warm-up round each,
 * and returns each case's ops/s per round (round `r` of every case ran in the same pass, so
 * per-round ratios between cases cancel the machine's drift). The clock is read every `batch`
 * calls (default 100); lower it for cases that take milliseconds.
 */
export async function measureRounds(
  cases: readonly BenchCase[],
  options: { rounds?: number; roundMs?: number; batch?: number } = {},
): Promise<Map<string, number[]>> {
  const rounds = options.rounds ?? 5;
  const roundMs = options.roundMs ?? 400;
  const batch = Math.max(1, options.batch ?? 100);
  for (const c of cases) await round(c.run, 100, batch);
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) samples.get(c.name)?.push(await round(c.run, roundMs, batch));
  }
  return samples;
}

/**
 * {@link measureRounds}, then prints each case's median ops/s, its min–max over the rounds, and
 * the median of its per-round ratios to the first case. Returns the per-round samples.
 */
export async function compareRounds(
  title: string,
  cases: readonly BenchCase[],
  options: { rounds?: number; roundMs?: number; batch?: number } = {},
): Promise<Map<string, number[]>> {
  const samples = await measureRounds(cases, options);
  const base = samples.get(cases[0]?.name ?? '') ?? [];
  console.log(`\n${title}`);
  for (const [name, values] of samples) {
    const perRound = values.map((v, i) => v / (base[i] ?? v));
    const r = median(perRound);
    const ratio = r >= 0.01 ? r.toFixed(2) : r.toPrecision(2);
    const fmt = (v: number) => Math.round(v).toString();
    console.log(
      `  ${name.padEnd(56)} ${fmt(median(values)).padStart(9)} ops/s (${fmt(Math.min(...values))}–${fmt(
        Math.max(...values),
      )})   ${ratio}x`,
    );
  }
  return samples;
}

/** {@link compareRounds}, returning each case's median ops/s. */
export async function compare(
  title: string,
  cases: readonly BenchCase[],
  options: { rounds?: number; roundMs?: number; batch?: number } = {},
): Promise<Map<string, number>> {
  const samples = await compareRounds(title, cases, options);
  return new Map([...samples].map(([name, values]) => [name, median(values)]));
}

/** Per-call latency of one case, in microseconds, and calls per second over the timed calls. */
export interface LatencyResult {
  /** Over all timed calls. */
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
  /** p50 and p99 of each block (the blocks of all cases alternate), for medians and ranges over blocks. */
  readonly blockP50: readonly number[];
  readonly blockP99: readonly number[];
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
    const blockP50: number[] = [];
    const blockP99: number[] = [];
    for (let b = 0; b < blocks; b++) {
      const block = values.slice(b * perBlock, (b + 1) * perBlock).sort();
      blockP50.push(percentile(block, 50) * 1000);
      blockP99.push(percentile(block, 99) * 1000);
    }
    values.sort();
    const result: LatencyResult = {
      p50: percentile(values, 50) * 1000,
      p99: percentile(values, 99) * 1000,
      perSecond: (values.length * 1000) / total,
      blockP50,
      blockP99,
    };
    results.set(name, result);
    const us = (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} µs`.padStart(10);
    console.log(
      `  ${name.padEnd(52)} p50 ${us(result.p50)}   p99 ${us(result.p99)}   ${Math.round(result.perSecond)
        .toString()
        .padStart(9)} calls/s   p99 per block ${blockP99.map((v) => v.toFixed(v < 10 ? 2 : 0)).join(' ')} µs`,
    );
  }
  return results;
}
