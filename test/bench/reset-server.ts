/**
 * The server side of the password-reset timing bench (`reset-timing.bench.ts`), in a process of its
 * own so that the client's event loop and the server's never share a turn: the installed package's
 * Hono routes (installed from the packed tarball, as users run them) over a memory store (`STORE=sqlite`: SQLite in memory)
 * ({@link resetBenchGatehouse}). Prints `listening on <url>` when ready.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Gatehouse, Mailer, Store } from '../../src/index.js';
import { GOOD_PASSWORD, newSecret } from '../support/gatehouse.js';
import { loadInstalled } from './installed.js';

/** How many addresses are registered. */
export const KNOWN = 20;

/** The `i`th registered address; unknown ones have the same shape and length (`i >= KNOWN`). */
export function knownAddress(i: number): string {
  return `user${String(i).padStart(6, '0')}@example.com`;
}

const unlimited = { limit: 1_000_000_000, window: 60 };

/**
 * A gatehouse of the installed package on `store` for the reset bench, with the `KNOWN` addresses
 * registered: mail accepted and dropped (what the request costs, not what a mail server costs),
 * no rate limit in the way, so every registered address gets its mail (the costliest case).
 */
export async function resetBenchGatehouse(store: Store): Promise<Gatehouse> {
  const { createGatehouse } = await loadInstalled('index');
  const droppingMailer: Mailer = { send: async () => {} };
  const gatehouse = createGatehouse({
    store,
    tokens: { secret: newSecret() },
    password: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
    mail: { mailer: droppingMailer },
    account: { baseUrl: 'https://app.example.com', emailVerification: 'off' },
    rateLimits: {
      registerPerIp: unlimited,
      passwordResetPerIp: unlimited,
      passwordResetPerAccount: unlimited,
    },
  });
  for (let i = 0; i < KNOWN; i++) {
    await gatehouse.auth.register({ email: knownAddress(i), password: GOOD_PASSWORD });
  }
  return gatehouse;
}

async function main(): Promise<void> {
  const [{ createMemoryStore }, { createSqliteStore }, { gatehouseHono }] = await Promise.all([
    loadInstalled('index'),
    loadInstalled('sqlite'),
    loadInstalled('hono'),
  ]);
  const gatehouse = await resetBenchGatehouse(
    process.env.STORE === 'sqlite' ? createSqliteStore() : createMemoryStore(),
  );
  const app = new Hono();
  app.route('/auth', gatehouseHono(gatehouse).routes());
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
    console.log(`listening on http://127.0.0.1:${info.port}`);
  });
}

if (process.argv[1]?.endsWith('reset-server.ts')) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
