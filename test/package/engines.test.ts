/**
 * The Node versions in `package.json` `engines` are the ones gatehouse's dependencies need: every
 * installed package a user can get through gatehouse (its `dependencies`, and its optional peers
 * with their own dependency trees) accepts the first release of each Node line `engines` admits,
 * and each of those first releases is needed (the release before it is refused by some package).
 * Read from the installed packages' own `package.json`, resolved the way Node resolves them.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatVersion, lowerBounds, parseVersion, satisfies, type Version } from './node-range.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly engines?: { readonly node?: string };
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { readonly optional?: boolean }>;
}

function manifestAt(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** Where `name` resolves from `fromDir`: the nearest `node_modules/<name>` up the tree. */
function resolvePackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** An installed package reachable from gatehouse, and the first chain of names that reaches it. */
interface Reached {
  readonly name: string;
  readonly version: string;
  readonly node: string | undefined;
  readonly via: readonly string[];
}

const own = manifestAt(ROOT);
const dependencies = Object.keys(own.dependencies ?? {});
const peers = Object.keys(own.peerDependencies ?? {});

/**
 * Every installed package reachable from gatehouse's dependencies and (all optional) peers,
 * following each package's dependencies, installed optional dependencies and required peers.
 */
function reachable(): Reached[] {
  const seen = new Map<string, Reached>();
  const visit = (name: string, fromDir: string, via: readonly string[], required: boolean) => {
    const dir = resolvePackage(name, fromDir);
    if (dir === undefined) {
      if (required) throw new Error(`${via.join(' > ')} is not installed (npm ci first)`);
      return;
    }
    const real = realpathSync(dir);
    if (seen.has(real)) return;
    const manifest = manifestAt(dir);
    seen.set(real, { name: manifest.name, version: manifest.version, node: manifest.engines?.node, via });
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep, dir, [...via, dep], true);
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) visit(dep, dir, [...via, dep], false);
    for (const dep of Object.keys(manifest.peerDependencies ?? {})) {
      const optional = manifest.peerDependenciesMeta?.[dep]?.optional === true;
      if (!optional) visit(dep, dir, [...via, dep], false);
    }
  };
  for (const name of dependencies) visit(name, ROOT, [name], true);
  for (const name of peers) visit(name, ROOT, [name], true);
  return [...seen.values()];
}

/**
 * Packages allowed to declare a newer Node than `engines` on the first release of a line, each with
 * the reason it does not raise gatehouse's `engines`. Only under an optional peer, never under
 * gatehouse's own dependencies; an entry that no longer matches anything fails the test (remove it).
 */
const ACCEPTED: readonly { readonly via: string; readonly node: string; readonly why: string }[] = [
  {
    via: 'fastify > light-my-request > cookie',
    node: '>=22',
    why:
      "Fastify's own tree, reached only by app.inject() (fastify requires light-my-request lazily, " +
      'inside inject). cookie 2 is ESM-only and light-my-request require()s it, which works on every ' +
      'Node that engines admits (require of ES modules is on by default from 20.19 and 22.12): the ' +
      'inject() test below runs it on the Node of the test run. Fastify itself declares no engines.',
  },
];

const ENGINES = own.engines?.node ?? '';
const LINES = lowerBounds(ENGINES);

/** The packages refusing `version`, as `name@version (engines) via a > b`. */
function refusing(packages: readonly Reached[], version: Version): Reached[] {
  return packages.filter((p) => p.node !== undefined && !satisfies(version, p.node));
}
const describeReached = (p: Reached) =>
  `${p.name}@${p.version} (engines.node ${p.node}) via ${p.via.join(' > ')}`;

describe('package.json engines.node', () => {
  const packages = reachable();

  it('every dependency and optional peer accepts the first release of each Node line engines admits', () => {
    expect(LINES.length).toBeGreaterThan(0);
    const unexplained: string[] = [];
    const used = new Set<string>();
    for (const line of LINES) {
      for (const p of refusing(packages, line)) {
        const accepted = ACCEPTED.find((a) => a.via === p.via.join(' > ') && a.node === p.node);
        if (accepted) used.add(accepted.via);
        else unexplained.push(`Node ${formatVersion(line)} is refused by ${describeReached(p)}`);
      }
    }
    expect(unexplained, `raise engines.node in package.json (now ${ENGINES})`).toEqual([]);
    expect(
      ACCEPTED.filter((a) => !used.has(a.via)).map((a) => a.via),
      'accepted exceptions that no longer apply: remove them',
    ).toEqual([]);
    for (const accepted of ACCEPTED) expect(dependencies).not.toContain(accepted.via.split(' > ')[0]);
  });

  it('each line starts where a dependency needs it to: the release before is refused', () => {
    for (const line of LINES) {
      const before: Version =
        line[2] > 0
          ? [line[0], line[1], line[2] - 1]
          : line[1] > 0
            ? [line[0], line[1] - 1, 0]
            : [line[0] - 1, 0, 0];
      const needing = refusing(packages, before).map(describeReached);
      expect(
        needing,
        `nothing needs Node ${formatVersion(line)}: lower engines.node (${ENGINES})`,
      ).not.toEqual([]);
    }
  });

  it('gatehouse runs on this Node (the test run is inside engines)', () => {
    expect(satisfies(parseVersion(process.version), ENGINES), `${process.version} vs ${ENGINES}`).toBe(true);
  });

  it("Fastify's inject() loads cookie 2 (ESM, engines >=22) and parses cookies on this Node", async () => {
    const { default: fastify } = await import('fastify');
    const app = fastify();
    app.get('/', async (_request, reply) =>
      reply.header('set-cookie', 'session=abc; HttpOnly').send({ ok: true }),
    );
    const response = await app.inject({ url: '/' });
    await app.close();
    expect(response.statusCode).toBe(200);
    expect(response.cookies).toEqual([
      expect.objectContaining({ name: 'session', value: 'abc', httpOnly: true }),
    ]);
  });
});

describe('the engines range reader', () => {
  it.each([
    ['20.19.0', '>=20.19.0', true],
    ['20.18.9', '>=20.19.0', false],
    ['22.11.0', '^20.19.0 || >=22.12.0', false],
    ['22.12.0', '^20.19.0 || >=22.12.0', true],
    ['21.0.0', '^20.19.0 || >=22.12.0', false],
    ['20.0.0', '>= 0.6', true],
    ['20.19.0', '>=22', false],
    ['23.1.0', '20.x || 22.x || 23.x', true],
    ['21.5.0', '20.x || 22.x || 23.x', false],
    ['20.19.0', '^20.0.0 || ^22.0.0 || >=24.0.0', true],
    ['23.0.0', '^20.0.0 || ^22.0.0 || >=24.0.0', false],
    ['13.7.0', '^10 || ^12 || ^13.7 || ^14 || >=15.0.1', true],
    ['13.6.0', '^10 || ^12 || ^13.7 || ^14 || >=15.0.1', false],
    ['15.0.0', '^10 || ^12 || ^13.7 || ^14 || >=15.0.1', false],
    ['20.1.0', '*', true],
    ['19.9.9', '18 - 19', true],
    ['20.0.0', '18 - 19', false],
    ['20.0.0', '>18 <21', true],
    ['18.5.0', '>18', false],
    ['20.3.0', '~20.2', false],
    ['0.3.1', '^0.3.0', true],
    ['0.4.0', '^0.3.0', false],
  ] as const)('%s satisfies %s: %s', (version, range, expected) => {
    expect(satisfies(parseVersion(version), range)).toBe(expected);
  });

  it('refuses what it cannot read', () => {
    expect(() => satisfies(parseVersion('20.0.0'), '>=20 && <22')).toThrow(/cannot read/);
    expect(() => lowerBounds('>=20 <22')).toThrow(/expected/);
  });
});
