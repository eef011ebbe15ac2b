/**
 * The package as users get it. `npm run bench` builds it (`prebench`: `npm run build`), packs it
 * (`npm pack`, the tarball a registry would serve) and installs the tarball into a consumer folder,
 * `.tmp/bench-consumer/` (git-ignored): the tarball is unpacked into
 * `.tmp/bench-consumer/node_modules/gatehouse/`, which is what `npm install <tarball>` does for a
 * package without install scripts. Every benchmark then imports `gatehouse`, `gatehouse/sqlite`, ...
 * by package name from a module inside the consumer, so Node resolves them through the package's
 * `exports` map to the installed copy: never `src/`, and never the repository's own `dist/`
 * (a self-reference from inside the repository would reach that one).
 *
 * The installed package's dependencies (jose, zod, @node-rs/argon2, ...) and the optional peers the
 * benchmarks drive (hono, express, fastify, better-sqlite3, pg) resolve by Node's usual walk up the
 * folders, from `.tmp/bench-consumer/` to the repository's `node_modules/`: the versions of
 * `package-lock.json`, one copy of each shared with the benchmark code (one `hono`, one `pg`), no
 * network and no second install. So a fresh clone after `npm install` can run it offline, and the
 * setup takes a second or two. {@link installTarball} checks that each dependency resolves.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root. */
export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Where the consumer lives unless `GATEHOUSE_BENCH_CONSUMER` says otherwise (set for child processes). */
export const DEFAULT_CONSUMER = join(REPO, '.tmp', 'bench-consumer');

interface Entries {
  index: typeof import('../../src/index.js');
  errors: typeof import('../../src/error-classes.js');
  postgres: typeof import('../../adapters/postgres/index.js');
  sqlite: typeof import('../../adapters/sqlite/index.js');
  redis: typeof import('../../adapters/redis/index.js');
  hono: typeof import('../../adapters/hono/index.js');
  express: typeof import('../../adapters/express/index.js');
  fastify: typeof import('../../adapters/fastify/index.js');
}

/** What was installed, printed by the benchmark and kept in `bench-results.json`. */
export interface InstalledPackage {
  readonly name: string;
  readonly version: string;
  /** The tarball's file name and size. */
  readonly tarball: string;
  readonly tarballBytes: number;
  /** The installed package folder, relative to the repository. */
  readonly path: string;
  /** The consumer folder (absolute). */
  readonly consumer: string;
}

/** The import specifier of an entry: `index` is the package root, anything else a subpath. */
export const specifierOf = (name: string, entry: string): string =>
  entry === 'index' ? name : `${name}/${entry}`;

/** Runs `npm pack` on `packageDir` into `destination`; returns the tarball's path. */
export function packTarball(packageDir: string, destination: string): string {
  mkdirSync(destination, { recursive: true });
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: packageDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [info] = JSON.parse(out) as { filename: string }[];
  if (!info) throw new Error('npm pack printed no tarball');
  return join(destination, info.filename);
}

/**
 * Installs `tarball` into `consumer`: unpacks it into `node_modules/<name>` (replacing any earlier
 * copy), writes the consumer's `package.json` (depending on the tarball) and `load.mjs`, the module
 * every import goes through. Throws when a dependency of the package does not resolve from there.
 */
export function installTarball(tarball: string, consumer: string): InstalledPackage {
  const staging = join(consumer, '.unpack');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', staging, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(staging, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    dependencies?: Record<string, string>;
  };
  const target = join(consumer, 'node_modules', manifest.name);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(join(target, '..'), { recursive: true });
  execFileSync('mv', [staging, target]);
  writeFileSync(
    join(consumer, 'package.json'),
    `${JSON.stringify(
      {
        name: 'gatehouse-bench-consumer',
        private: true,
        type: 'module',
        dependencies: { [manifest.name]: `file:${relative(consumer, tarball)}` },
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(
    join(consumer, 'load.mjs'),
    [
      '// Written by test/bench/installed.ts: imports resolved from the consumer, as a user project resolves them.',
      'export const load = (specifier) => import(specifier);',
      'export const resolve = (specifier) => import.meta.resolve(specifier);',
      '',
    ].join('\n'),
  );
  // Every dependency must resolve from the installed package (here: the repository's node_modules).
  const missing: string[] = [];
  for (const dependency of Object.keys(manifest.dependencies ?? {})) {
    let dir = target;
    let found = false;
    while (!found) {
      found = existsSync(join(dir, 'node_modules', dependency, 'package.json'));
      const parent = resolve(dir, '..');
      if (parent === dir) break;
      dir = parent;
    }
    if (!found) missing.push(dependency);
  }
  if (missing.length > 0) {
    throw new Error(
      `dependencies of ${manifest.name} not found from ${target}: ${missing.join(', ')} (run npm install)`,
    );
  }
  return {
    name: manifest.name,
    version: manifest.version,
    tarball: relative(REPO, tarball),
    tarballBytes: statSync(tarball).size,
    path: relative(REPO, target),
    consumer,
  };
}

interface Loader {
  load(specifier: string): Promise<unknown>;
  resolve(specifier: string): string;
}

/** The consumer's loader: `import()` and `import.meta.resolve` from inside the consumer folder. */
export async function consumerLoader(consumer: string): Promise<Loader> {
  const file = join(consumer, 'load.mjs');
  if (!existsSync(file)) throw new Error(`${file} not found: the package is not installed there`);
  return (await import(pathToFileURL(file).href)) as Loader;
}

/**
 * Where `specifier` resolves from the consumer; throws unless that is inside the installed package
 * (`<consumer>/node_modules/<name>/`).
 */
export function resolveInstalled(loader: Loader, consumer: string, name: string, specifier: string): string {
  const url = loader.resolve(specifier);
  const path = fileURLToPath(url);
  const root = join(consumer, 'node_modules', name);
  if (!path.startsWith(`${root}/`)) {
    throw new Error(`${specifier} resolved to ${path}, not to the installed package in ${root}`);
  }
  return path;
}

let prepared: InstalledPackage | undefined;

/**
 * Packs the repository (built beforehand: `npm run bench` runs `npm run build` first) and installs
 * the tarball into the consumer. Sets `GATEHOUSE_BENCH_CONSUMER` for child processes.
 */
export function prepareInstalled(consumer = DEFAULT_CONSUMER): InstalledPackage {
  if (!existsSync(join(REPO, 'dist', 'index.js'))) {
    throw new Error('dist/ not found: run npm run build first (npm run bench does)');
  }
  const tarball = packTarball(REPO, consumer);
  prepared = installTarball(tarball, consumer);
  process.env.GATEHOUSE_BENCH_CONSUMER = consumer;
  return prepared;
}

/** The installed package, from this process's {@link prepareInstalled} or an earlier run's consumer. */
export function installedPackage(): InstalledPackage {
  if (prepared) return prepared;
  const consumer = process.env.GATEHOUSE_BENCH_CONSUMER ?? DEFAULT_CONSUMER;
  const consumerManifest = join(consumer, 'package.json');
  if (!existsSync(consumerManifest)) return prepareInstalled(consumer);
  const spec = Object.entries(
    (JSON.parse(readFileSync(consumerManifest, 'utf8')) as { dependencies: Record<string, string> })
      .dependencies,
  )[0];
  if (!spec) return prepareInstalled(consumer);
  const [name, file] = spec;
  const manifest = JSON.parse(readFileSync(join(consumer, 'node_modules', name, 'package.json'), 'utf8')) as {
    version: string;
  };
  const tarball = resolve(consumer, file.slice('file:'.length));
  prepared = {
    name,
    version: manifest.version,
    tarball: relative(REPO, tarball),
    tarballBytes: existsSync(tarball) ? statSync(tarball).size : 0,
    path: relative(REPO, join(consumer, 'node_modules', name)),
    consumer,
  };
  return prepared;
}

const cache = new Map<string, Promise<unknown>>();

/**
 * Imports an entry of the installed package by name (`index` is `gatehouse`, `sqlite` is
 * `gatehouse/sqlite`, ...), typed by the sources it was built from.
 */
export async function loadInstalled<K extends keyof Entries>(entry: K): Promise<Entries[K]> {
  const pkg = installedPackage();
  let module = cache.get(entry);
  if (!module) {
    const loader = await consumerLoader(pkg.consumer);
    const specifier = specifierOf(pkg.name, entry);
    resolveInstalled(loader, pkg.consumer, pkg.name, specifier);
    module = loader.load(specifier);
    cache.set(entry, module);
  }
  return (await module) as Entries[K];
}
