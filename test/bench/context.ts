/** What every benchmark group gets from `run.ts`: the mode and the row recorder. */
import type { Recorder } from './results.js';

export interface BenchContext {
  readonly quick: boolean;
  readonly rec: Recorder;
}

/**
 * Rounds of the in-process comparisons: interleaved, per-round ratios. Many short rounds rather
 * than a few long ones, so that the cases compared in one round run close together in time and a
 * burst of load from elsewhere on a shared machine hits few rounds (the median drops them).
 */
export const roundsFor = (quick: boolean) =>
  quick ? { rounds: 6, roundMs: 100 } : { rounds: 12, roundMs: 150 };
