/**
 * `npm run bench`: the table of issue 13, measured on the package as users get it (built by
 * `prebench`, packed and installed from the tarball: see `installed.ts`), every row with
 * gatehouse's figure, each peer's from the same run, the bar and a verdict. Writes
 * `bench-results.json` (git-ignored; rows of groups not run are kept from the previous file).
 *
 *   npm run bench                          every group (under 10 minutes on 2 cores)
 *   npm run bench -- --quick               smaller graphs, shorter rounds (about 2 minutes)
 *   npm run bench -- tokens http           some groups: tokens, http, policy, postgres, guard, timing
 *   npm run bench:readme                   only rewrite README.md's Performance table from bench-results.json
 *   npm run bench -- --quick --readme      run, then rewrite the table
 *
 * `timing` (the password-reset side channel: registered vs unknown address) prints its own
 * comparison and adds no row; PostgreSQL rows use `GATEHOUSE_BENCH_DATABASE_URL` when set, else a
 * throw-away local server (`initdb`, `pg_ctl`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './context.js';
import { consumerLoader, loadInstalled, prepareInstalled, REPO } from './installed.js';
import { renderTable, updateReadme } from './readme-table.js';
import { formatRowLines, machine, Recorder, type ResultsFile, readResults, writeResults } from './results.js';

const GROUPS = ['tokens', 'http', 'policy', 'postgres', 'guard', 'timing'] as const;
type Group = (typeof GROUPS)[number];

const RESULTS = join(REPO, 'bench-results.json');
const README = join(REPO, 'README.md');

const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const groups = args.filter((a) => !a.startsWith('--'));
for (const flag of flags) {
  if (flag !== '--quick' && flag !== '--readme')
    throw new Error(`unknown option ${flag} (--quick, --readme)`);
}
for (const group of groups) {
  if (!(GROUPS as readonly string[]).includes(group)) {
    throw new Error(`unknown group ${group}: one of ${GROUPS.join(', ')}`);
  }
}
const quick = flags.has('--quick');
const readme = flags.has('--readme');

function rewriteReadme(results: ResultsFile): void {
  writeFileSync(README, updateReadme(readFileSync(README, 'utf8'), results));
  console.log(
    `\nREADME.md: Performance table rewritten from bench-results.json (${results.rows.length} rows)`,
  );
}

async function runGroup(group: Group, ctx: BenchContext): Promise<void> {
  switch (group) {
    case 'tokens':
      return (await import('./token-verify.bench.js')).benchTokenVerify(ctx);
    case 'http':
      return (await import('./http-guard.bench.js')).benchHttpGuard(ctx);
    case 'policy':
      return (await import('./policy.bench.js')).benchPolicy(ctx);
    case 'postgres':
      return (await import('./policy-postgres.bench.js')).benchRebacPostgres(ctx);
    case 'guard':
      return (await import('./guard-store.bench.js')).benchGuardStore(ctx);
    case 'timing':
      // 4000 samples of each when run alone; fewer within the whole run (under 10 minutes).
      return (await import('./reset-timing.bench.js')).benchResetTiming(
        quick ? 1000 : groups.length === 1 ? 4000 : 2000,
      );
  }
}

async function main(): Promise<void> {
  if (readme && groups.length === 0 && !quick) {
    const results = readResults(RESULTS);
    if (!results) throw new Error('bench-results.json not found: run npm run bench first');
    rewriteReadme(results);
    return;
  }
  // policy-graph.ts reads it when first imported.
  if (quick) process.env.BENCH_QUICK = '1';
  const started = performance.now();
  const pkg = prepareInstalled();
  const resolved = await consumerLoader(pkg.consumer);
  await loadInstalled('index');
  const m = machine();
  console.log(
    `Measuring ${pkg.name}@${pkg.version} as users get it: built (npm run build), packed (npm pack: ${pkg.tarball}, ` +
      `${Math.round(pkg.tarballBytes / 1024)} KiB) and installed from the tarball into ${pkg.path}; ` +
      `imported by name through its exports map (${pkg.name} -> ${resolved.resolve(pkg.name).replace(`file://${REPO}/`, '')}).`,
  );
  console.log(
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}. Mode: ${quick ? 'quick' : 'full'}.`,
  );
  const selected: Group[] = groups.length > 0 ? (groups as Group[]) : [...GROUPS];
  const rec = new Recorder(quick ? 'quick' : 'full');
  const ctx: BenchContext = { quick, rec };
  const timings: Record<string, number> = {};
  for (const group of selected) {
    const start = performance.now();
    console.log(`\n━━ ${group} ━━`);
    await runGroup(group, ctx);
    timings[group] = Math.round((performance.now() - start) / 1000);
  }
  const durationSeconds = Math.round((performance.now() - started) / 1000);
  const results = writeResults(RESULTS, {
    version: 1,
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    groups: selected,
    durationSeconds,
    machine: m,
    package: { name: pkg.name, version: pkg.version, tarball: pkg.tarball, path: pkg.path },
    rows: rec.rows,
    extras: { ...rec.extras, groupSeconds: timings },
  });
  console.log(
    `\n━━ Results (this run: ${selected.join(', ')}; ${durationSeconds} s; ${Object.entries(timings)
      .map(([g, s]) => `${g} ${s} s`)
      .join(', ')}) ━━`,
  );
  for (const row of rec.rows) console.log(`\n${formatRowLines(row).join('\n  ')}`);
  console.log(`\n${renderTable({ ...results, rows: rec.rows })}`);
  console.log(`\nbench-results.json written (${results.rows.length} rows in the file).`);
  if (readme) rewriteReadme(results);
}

await main();
