/**
 * Statistics for timing side-channel checks in the benchmarks: two cases timed interleaved in a
 * random order (so drift, noise and after-effects hit both alike), then their medians and Welch's
 * t-test on the means. Timings live in `npm run bench`, never in pass/fail tests.
 */
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { BenchCase } from './harness.js';

/** The timings of two cases, milliseconds per call, in the order the cases were given. */
export type PairedTimings = readonly [Float64Array, Float64Array];

/**
 * Times `samples` calls of each of two cases, interleaved in a random order: a shuffled sequence
 * holding `samples` of each, so that what ran just before a call (and what it left behind, e.g.
 * garbage) is the same mix for both cases. (Strict pairs would not do: the second call of a pair
 * always follows the other case.) `settle` runs after every call, untimed (e.g. to let work a call
 * queued in the background finish before the next one is timed). A warm-up of a tenth as many
 * calls of each comes first.
 */
export async function interleaved(
  cases: readonly [BenchCase, BenchCase],
  samples: number,
  settle: () => Promise<void> = async () => {},
): Promise<PairedTimings> {
  const out: [Float64Array, Float64Array] = [new Float64Array(samples), new Float64Array(samples)];
  const warmUp = Math.ceil(samples / 10);
  for (const [count, record] of [
    [warmUp, false],
    [samples, true],
  ] as const) {
    const order = shuffled(count);
    const filled = [0, 0];
    for (const which of order) {
      const start = performance.now();
      await cases[which]?.run();
      const elapsed = performance.now() - start;
      await settle();
      if (record) (out[which] as Float64Array)[(filled[which] as number)++] = elapsed;
    }
  }
  return out;
}

/** `count` zeros and `count` ones in a uniformly random order (Fisher–Yates with the CSPRNG). */
function shuffled(count: number): (0 | 1)[] {
  const order: (0 | 1)[] = [...Array<0>(count).fill(0), ...Array<1>(count).fill(1)];
  for (let i = order.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [order[i], order[j]] = [order[j] as 0 | 1, order[i] as 0 | 1];
  }
  return order;
}

const sorted = (values: Float64Array): Float64Array => Float64Array.from(values).sort();

/** The value below which `p` percent of the sorted values lie. */
export function percentile(sortedValues: Float64Array, p: number): number {
  const index = Math.min(sortedValues.length - 1, Math.floor((sortedValues.length * p) / 100));
  return sortedValues[index] as number;
}

function meanAndVariance(values: Float64Array): { mean: number; variance: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, variance: squares / (values.length - 1) };
}

/** Complementary error function (Abramowitz and Stegun 7.1.26; absolute error under 1.5e-7). */
function erfc(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const value = poly * Math.exp(-x * x);
  return x >= 0 ? value : 2 - value;
}

/** The outcome of {@link welch}. */
export interface WelchResult {
  readonly meanA: number;
  readonly meanB: number;
  readonly t: number;
  readonly df: number;
  /** Two-sided p-value, from the normal approximation (the samples are in the thousands). */
  readonly p: number;
}

/** Welch's unequal-variances t-test of the means of `a` and `b`. */
export function welch(a: Float64Array, b: Float64Array): WelchResult {
  const x = meanAndVariance(a);
  const y = meanAndVariance(b);
  const va = x.variance / a.length;
  const vb = y.variance / b.length;
  const t = (x.mean - y.mean) / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  return { meanA: x.mean, meanB: y.mean, t, df, p: erfc(Math.abs(t) / Math.SQRT2) };
}

/** What {@link compareTimings} found. */
export interface TimingComparison extends WelchResult {
  readonly medianA: number;
  readonly medianB: number;
  /** Whether the means differ at the chosen significance level. */
  readonly distinguishable: boolean;
}

/**
 * Compares two timing samples: their medians, and Welch's t-test on the means after dropping
 * every sample above the pooled 99th percentile (GC pauses and scheduler hiccups; one threshold
 * for both, so neither side is favoured). Prints one block and returns the figures.
 */
export function compareTimings(
  title: string,
  names: readonly [string, string],
  [a, b]: PairedTimings,
  alpha = 0.001,
): TimingComparison {
  const pooled = sorted(Float64Array.from([...a, ...b]));
  const cut = percentile(pooled, 99);
  const result = welch(
    a.filter((v) => v <= cut),
    b.filter((v) => v <= cut),
  );
  const medianA = percentile(sorted(a), 50);
  const medianB = percentile(sorted(b), 50);
  const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
  console.log(`\n${title} (${a.length} calls of each, interleaved at random)`);
  console.log(
    `  ${names[0].padEnd(30)} median ${us(medianA).padStart(10)}   mean ${us(result.meanA).padStart(10)}`,
  );
  console.log(
    `  ${names[1].padEnd(30)} median ${us(medianB).padStart(10)}   mean ${us(result.meanB).padStart(10)}`,
  );
  const distinguishable = result.p < alpha;
  console.log(
    `  difference: median ${us(medianA - medianB)}, mean ${us(result.meanA - result.meanB)}; ` +
      `Welch t = ${result.t.toFixed(2)} (df ${Math.round(result.df)}), p = ${result.p.toPrecision(2)}: ` +
      `${distinguishable ? 'DISTINGUISHABLE' : 'not distinguishable'} at p < ${alpha}`,
  );
  return { ...result, medianA, medianB, distinguishable };
}
