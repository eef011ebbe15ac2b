/**
 * The pure parts of `npm run bench`: the README's Performance table generated from a results file,
 * the results file's merge of partial runs, and the tarball consumer resolving the package by name
 * through its `exports` map from the installed copy (a small package packed with `tar`, so no build
 * is needed and the test stays fast). The benchmarks themselves never run in `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { consumerLoader, installTarball, REPO, resolveInstalled, specifierOf } from './installed.js';
import { renderTable, TABLE_END, TABLE_START, tableRow, updateReadme } from './readme-table.js';
import { mergeResults, type ResultsFile, type Row, ratioFigure, spread } from './results.js';

const row = (overrides: Partial<Row> = {}): Row => ({
  id: 'guard-one-token-hono',
  group: 'http',
  hotPath: 'Hono: guarded route / unguarded, one repeated token, memory store',
  gatehouse: ratioFigure([0.91, 0.95, 0.93]),
  peers: [{ name: 'hono/jwt', ...ratioFigure([0.2, 0.22, 0.21]), note: 'no revocation' }],
  bar: '≥ 0.9×',
  verdict: 'met',
  detail: '0.93×',
  date: '2026-12-03T13:00:00.000Z',
  mode: 'full',
  ...overrides,
});

const sample = (rows: Row[], groups = ['http']): ResultsFile => ({
  version: 1,
  date: '2026-12-03T13:05:00.000Z',
  mode: 'full',
  groups,
  durationSeconds: 420,
  machine: { cpu: 'AMD EPYC', cores: 2, memoryGiB: 24, node: 'v20.20.2', os: 'Linux 6.1 x64' },
  package: {
    name: 'gatehouse',
    version: '0.1.0',
    tarball: 'x.tgz',
    path: '.tmp/bench-consumer/node_modules/gatehouse',
  },
  rows,
  extras: {},
});

describe('the README Performance table', () => {
  it('has one line per row: hot path, gatehouse, peers, bar, verdict', () => {
    const table = renderTable(
      sample([
        row(),
        row({
          id: 'hs256-first-seen',
          group: 'tokens',
          hotPath: 'HS256 verify | first seen',
          verdict: 'missed',
          detail: '0.43× fast-jwt',
          gatehouse: { text: '51.2k/s', value: 51_200, unit: 'verifies/s' },
          peers: [
            { name: 'fast-jwt', text: '120k/s', value: 120_000, unit: 'verifies/s' },
            { name: 'raw HMAC', text: '214k/s', value: 214_000, unit: 'verifies/s', note: 'signature only' },
          ],
        }),
        row({ id: 'list', hotPath: 'listResources', verdict: 'info', bar: '—', peers: [] }),
      ]),
    );
    const lines = table.split('\n');
    expect(lines[0]).toContain('AMD EPYC, 2 cores, 24 GiB, Node v20.20.2');
    expect(lines[0]).toContain('gatehouse@0.1.0 installed from its packed tarball');
    expect(lines).toContain('| hot path | gatehouse | peers, same run | bar | verdict |');
    expect(lines).toContain(
      '| Hono: guarded route / unguarded, one repeated token, memory store | 0.93× (0.91–0.95) | ' +
        'hono/jwt 0.21× (0.20–0.22) (no revocation) | ≥ 0.9× | ✅ met (0.93×) |',
    );
    // A `|` inside a cell is escaped; several peers share the cell.
    expect(lines).toContain(
      '| HS256 verify \\| first seen | 51.2k/s | fast-jwt 120k/s<br>raw HMAC 214k/s (signature only) | ' +
        '≥ 0.9× | ❌ missed (0.43× fast-jwt) |',
    );
    expect(lines).toContain('| listResources | 0.93× (0.91–0.95) | — | — | — |');
    expect(lines.at(-1)).toBe('1 bars met, 1 missed.');
  });

  it('says when a row was measured in quick mode', () => {
    expect(renderTable(sample([row({ mode: 'quick' })])).split('\n')[0]).toContain('quick mode');
    expect(tableRow(row())).not.toContain('\n');
  });

  it('replaces only the text between the markers', () => {
    const readme = `# x\n\n## Performance\n\nintro\n\n${TABLE_START}\nold table\n${TABLE_END}\n\nhow to run\n\n## Configuration\n`;
    const updated = updateReadme(readme, sample([row()]));
    expect(updated).not.toContain('old table');
    expect(updated.startsWith('# x\n\n## Performance\n\nintro\n\n')).toBe(true);
    expect(updated.endsWith(`${TABLE_END}\n\nhow to run\n\n## Configuration\n`)).toBe(true);
    expect(updated).toContain('| hot path | gatehouse |');
    expect(updateReadme(updated, sample([row()]))).toBe(updated);
    expect(() => updateReadme('# no markers\n', sample([]))).toThrow(/bench:table/);
  });
});

describe('bench-results.json', () => {
  it('keeps the rows of groups a partial run did not measure', () => {
    const before = sample([row(), row({ id: 'hs256-first-seen', group: 'tokens' })], ['http', 'tokens']);
    const after = mergeResults(before, sample([row({ detail: 'new' })], ['http']));
    expect(after.rows.map((r) => [r.id, r.detail])).toEqual([
      ['hs256-first-seen', '0.93×'],
      ['guard-one-token-hono', 'new'],
    ]);
    expect(after.groups).toEqual(['http']);
  });

  it('takes median and range of per-round values', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, rounds: 3 });
    expect(spread([4, 1, 2, 3]).median).toBe(2.5);
    expect(ratioFigure([0.5]).text).toBe('0.50×');
  });
});

describe('the tarball consumer', () => {
  // Inside the repository (its git-ignored .tmp/), as the bench's consumer is: dependencies
  // resolve up the folders to the repository's node_modules.
  mkdirSync(join(REPO, '.tmp'), { recursive: true });
  const work = mkdtempSync(join(REPO, '.tmp', 'bench-test-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('installs a tarball and resolves the package and its subpaths through its exports map', async () => {
    const pkg = join(work, 'src', 'package');
    mkdirSync(join(pkg, 'dist'), { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({
        name: 'gatehouse',
        version: '9.9.9',
        type: 'module',
        dependencies: { zod: '*' },
        exports: { '.': './dist/index.js', './sqlite': './dist/sqlite.js' },
      }),
    );
    writeFileSync(join(pkg, 'dist', 'index.js'), "export const where = 'installed root';\n");
    writeFileSync(join(pkg, 'dist', 'sqlite.js'), "export const where = 'installed sqlite';\n");
    const tarball = join(work, 'gatehouse-9.9.9.tgz');
    execFileSync('tar', ['-czf', tarball, '-C', join(work, 'src'), 'package']);
    const consumer = join(work, 'consumer');
    const installed = installTarball(tarball, consumer);
    expect(installed).toMatchObject({ name: 'gatehouse', version: '9.9.9' });
    expect(installed.path).toMatch(/consumer\/node_modules\/gatehouse$/);
    const loader = await consumerLoader(consumer);
    for (const [entry, where] of [
      ['index', 'installed root'],
      ['sqlite', 'installed sqlite'],
    ] as const) {
      const specifier = specifierOf('gatehouse', entry);
      const path = resolveInstalled(loader, consumer, 'gatehouse', specifier);
      expect(path).toBe(join(consumer, 'node_modules', 'gatehouse', 'dist', `${entry}.js`));
      expect(((await loader.load(specifier)) as { where: string }).where).toBe(where);
    }
    // Not exported: refused by the exports map, as for a user.
    expect(() => loader.resolve('gatehouse/dist/index.js')).toThrow(/not defined by "exports"/);
  });

  it('refuses a tarball whose dependencies cannot be found', () => {
    const pkg = join(work, 'src2', 'package');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: 'gatehouse', version: '1.0.0', dependencies: { 'no-such-package-xyz': '1' } }),
    );
    const tarball = join(work, 'broken.tgz');
    execFileSync('tar', ['-czf', tarball, '-C', join(work, 'src2'), 'package']);
    expect(() => installTarball(tarball, join(work, 'consumer2'))).toThrow(/no-such-package-xyz/);
  });
});
