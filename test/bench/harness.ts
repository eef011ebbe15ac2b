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

async function round(fn: BenchCase['run'], ms: number): Promise<number> {
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 100; i++) await fn();
    ops += 100;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/** Measures every case for `rounds` alternating rounds of `roundMs`, after one warm-up round each. */
export async function compare(
  title: string,
  cases: readonly BenchCase[],
  options: { rounds?: number; roundMs?: number } = {},
): Promise<Map<string, number>> {
  const rounds = options.rounds ?? 5;
  const roundMs = options.roundMs ?? 400;
  for (const c of cases) await round(c.run, 100);
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) samples.get(c.name)?.push(await round(c.run, roundMs));
  }
  const results = new Map([...samples].map(([name, values]) => [name, median(values)]));
  const baseline = results.get(cases[0]?.name ?? '') ?? 1;
  console.log(`\n${title}`);
  for (const [name, opsPerSecond] of results) {
    const ratio = (opsPerSecond / baseline).toFixed(2);
    console.log(`  ${name.padEnd(52)} ${Math.round(opsPerSecond).toString().padStart(9)} ops/s   ${ratio}x`);
  }
  return results;
}
