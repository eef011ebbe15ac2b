/**
 * The built package (`dist/`), as users get it: benchmarks load gatehouse from here (typed by the
 * sources it was built from). `npm run bench` builds first.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Entries {
  index: typeof import('../../src/index.js');
  postgres: typeof import('../../adapters/postgres/index.js');
  sqlite: typeof import('../../adapters/sqlite/index.js');
  redis: typeof import('../../adapters/redis/index.js');
  hono: typeof import('../../adapters/hono/index.js');
}

/** Imports `dist/<entry>.js`; fails with a clear message when the package was not built. */
export async function loadBuilt<K extends keyof Entries>(entry: K): Promise<Entries[K]> {
  const url = new URL(`../../dist/${entry}.js`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) throw new Error(`dist/${entry}.js not found: run npm run build first`);
  return (await import(url.href)) as Entries[K];
}
