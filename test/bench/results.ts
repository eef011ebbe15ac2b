/**
 * The rows of the issue-13 table as `npm run bench` measures them: each row has gatehouse's
 * figure, each peer's figure from the same run, the bar and a verdict. Rows are collected while the
 * groups run, printed at the end, and written to `bench-results.json` (git-ignored) with the
 * machine, the date and the package measured, so that runs can be compared. A run of some groups
 * replaces those groups' rows in the file and keeps the others (each row carries its own date).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';

export type Verdict = 'met' | 'missed' | 'info';

/** Median and range of per-round values (ratios measured round by round, interleaved). */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number;
}

/** A measured figure: its value and unit for comparison, and the text the table shows. */
export interface Figure {
  readonly text: string;
  readonly value: number;
  readonly unit: string;
  /** Per-round ratios, when the figure is one (guarded/unguarded, gatehouse/peer). */
  readonly ratio?: Spread;
}

export interface PeerFigure extends Figure {
  readonly name: string;
  /** What this peer does not do that gatehouse does (e.g. no revocation lookup). */
  readonly note?: string;
}

export interface Row {
  /** Stable key, for comparing runs. */
  readonly id: string;
  /** The `npm run bench -- <group>` that measures it. */
  readonly group: string;
  readonly hotPath: string;
  readonly gatehouse: Figure;
  readonly peers: readonly PeerFigure[];
  readonly bar: string;
  readonly verdict: Verdict;
  /** How the verdict was reached (the compared figure), or why it is informational. */
  readonly detail?: string;
  readonly date: string;
  readonly mode: 'quick' | 'full';
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
}

export interface ResultsFile {
  readonly version: 1;
  readonly date: string;
  readonly mode: 'quick' | 'full';
  readonly groups: readonly string[];
  readonly durationSeconds: number;
  readonly machine: Machine;
  readonly package: { name: string; version: string; tarball: string; path: string };
  readonly rows: readonly Row[];
  /** Figures printed besides the rows (store queries per request, setup times, ...). */
  readonly extras: Record<string, unknown>;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: (list[0]?.model ?? 'unknown').trim(),
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    os: `${type()} ${release()} ${process.arch}`,
  };
}

/** Median and range of `values` (at least one). */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spread of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return {
    median:
      sorted.length % 2 === 1
        ? (sorted[mid] as number)
        : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2,
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    rounds: values.length,
  };
}

/** Per-round ratios a[i] / b[i]. */
export function ratios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error('ratios of unequal rounds');
  return a.map((v, i) => v / (b[i] as number));
}

const fixed = (v: number) => (v >= 10 ? v.toFixed(1) : v >= 0.01 ? v.toFixed(2) : v.toPrecision(2));

/** `0.62× (0.60–0.65)`. */
export function formatSpread(s: Spread): string {
  return s.min === s.max ? `${fixed(s.median)}×` : `${fixed(s.median)}× (${fixed(s.min)}–${fixed(s.max)})`;
}

/** `85.1k/s`, `7.4k/s`, `157/s`. */
export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M/s`;
  if (perSecond >= 1e4) return `${(perSecond / 1e3).toFixed(1)}k/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(2)}k/s`;
  return `${Math.round(perSecond)}/s`;
}

/** Microseconds as `12.3 µs` or `4.56 ms`. */
export function formatMicros(us: number): string {
  if (us >= 1000) return `${(us / 1000).toFixed(us >= 10_000 ? 1 : 2)} ms`;
  return `${us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2)} µs`;
}

/** A ratio figure from per-round ratios. */
export function ratioFigure(values: readonly number[], unit = 'ratio'): Figure {
  const s = spread(values);
  return { text: formatSpread(s), value: s.median, unit, ratio: s };
}

/** Collects rows while the groups run. */
export class Recorder {
  readonly rows: Row[] = [];
  readonly extras: Record<string, unknown> = {};
  constructor(readonly mode: 'quick' | 'full') {}

  add(row: Omit<Row, 'date' | 'mode'>): void {
    const full: Row = { ...row, date: new Date().toISOString(), mode: this.mode };
    this.rows.push(full);
    console.log(`\n  ▸ ${formatRowLines(full).join('\n    ')}`);
  }
}

/** The row as console lines: title, gatehouse, peers, bar and verdict. */
export function formatRowLines(row: Row): string[] {
  const lines = [`${row.hotPath}`, `gatehouse: ${row.gatehouse.text}`];
  for (const peer of row.peers)
    lines.push(`${peer.name}: ${peer.text}${peer.note ? `  [${peer.note}]` : ''}`);
  lines.push(
    `bar: ${row.bar}  →  ${row.verdict === 'info' ? 'no bar (information)' : row.verdict.toUpperCase()}${
      row.detail ? ` (${row.detail})` : ''
    }`,
  );
  return lines;
}

/** Merges this run's rows into an earlier results file: rows of the groups run now replace theirs. */
export function mergeResults(previous: ResultsFile | undefined, next: ResultsFile): ResultsFile {
  if (previous?.version !== 1) return next;
  const ran = new Set(next.groups);
  const kept = previous.rows.filter((row) => !ran.has(row.group));
  const extras = { ...previous.extras, ...next.extras };
  return { ...next, rows: [...kept, ...next.rows], extras };
}

export function readResults(file: string): ResultsFile | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ResultsFile;
  } catch {
    return undefined;
  }
}

export function writeResults(file: string, results: ResultsFile): ResultsFile {
  const merged = mergeResults(readResults(file), results);
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}
