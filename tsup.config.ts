import { defineConfig } from 'tsup';

/** One entry per subpath export of package.json. */
const entry = {
  index: 'src/index.ts',
  errors: 'src/error-classes.ts',
  http: 'src/http/index.ts',
  sqlite: 'adapters/sqlite/index.ts',
  postgres: 'adapters/postgres/index.ts',
  redis: 'adapters/redis/index.ts',
  express: 'adapters/express/index.ts',
  fastify: 'adapters/fastify/index.ts',
  hono: 'adapters/hono/index.ts',
  testing: 'src/testing.ts',
  openfga: 'src/openfga.ts',
  // The `gatehouse` bin (`npx gatehouse migrate`, `npx gatehouse set-role`): ESM only (a bin needs one format).
  cli: 'adapters/cli/main.ts',
};

const shared = {
  entry,
  target: 'node20',
  platform: 'node' as const,
  sourcemap: true,
  // One shared chunk for code used by several entries, so `instanceof AuthError` holds across subpaths.
  splitting: true,
  treeshake: true,
  dts: true,
  // Frameworks and drivers are optional peers: never bundle them.
  external: [
    'better-sqlite3',
    'pg',
    'redis',
    /^@redis\//,
    'vitest',
    'express',
    'fastify',
    'hono',
    /^hono\//,
    /^@hono\//,
  ],
};

export default defineConfig([
  { ...shared, format: 'esm', clean: true },
  {
    ...shared,
    format: 'cjs',
    clean: false,
    // gatehouse/testing is ESM-only: vitest cannot be require()d. The CLI is ESM only too.
    entry: Object.fromEntries(Object.entries(entry).filter(([name]) => name !== 'testing' && name !== 'cli')),
    // jose 6, oauth4webapi 3 and cel-js are ESM-only; Node 20 before 20.19 cannot require() them,
    // so the CJS build carries its own copy.
    noExternal: ['jose', 'oauth4webapi', '@marcbachmann/cel-js'],
  },
]);
