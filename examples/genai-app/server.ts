/**
 * `npm run example`: starts the example GenAI service on SQLite.
 *
 * - `PORT` (default 3000), `HOST` (default 127.0.0.1), `PUBLIC_URL` (default `http://HOST:PORT`: the
 *   base of the device verification link)
 * - `AUTHZ_MODE`: `in-process` (default) or `service` with `AUTHZ_URL` and `AUTHZ_SHARED_SECRET`
 *   (the decision service of `examples/authz-service`, reading the same database): see `policy.ts`.
 * - `GATEHOUSE_DB` (default `examples/genai-app/.data/gatehouse.sqlite`)
 * - `GATEHOUSE_SECRET`: 32+ random bytes. Without it, one is generated on first start and kept in
 *   `.data/secret` (mode 0600) next to the database, so tokens survive restarts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ServerType, serve } from '@hono/node-server';
import { createSqliteStore } from '../../adapters/sqlite/index.js';
import { createGatehouse, type Gatehouse } from '../../src/index.js';
import { roles } from '../authz-service/model.js';
import { createGenAiApp } from './app.js';
import { createExamplePolicy } from './policy.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Reads the secret from the environment, or from (or into) a file beside the database. */
function loadSecret(dataDir: string): string {
  if (process.env.GATEHOUSE_SECRET) return process.env.GATEHOUSE_SECRET;
  const file = join(dataDir, 'secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** The public client of `cli.ts` (device authorization grant, RFC 8628), registered once. */
export const CLI_CLIENT_ID = 'genai-cli';

async function registerCliClient(gatehouse: Gatehouse): Promise<void> {
  if (await gatehouse.clients.get(CLI_CLIENT_ID)) return;
  await gatehouse.clients.register({
    id: CLI_CLIENT_ID,
    name: 'GenAI command line',
    public: true,
    scopes: ['generate:text'],
    grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'],
  });
}

/**
 * Starts the service; resolves with its URL and a `close` function. The server listens first, so
 * the base URL (for device verification links, `PUBLIC_URL` or the address it got) is known when
 * gatehouse is configured; requests before that answer 503.
 */
export async function startGenAiService(options: { port?: number; host?: string; database?: string } = {}) {
  const database = options.database ?? process.env.GATEHOUSE_DB ?? join(here, '.data', 'gatehouse.sqlite');
  mkdirSync(dirname(database), { recursive: true });
  const store = createSqliteStore({ filename: database });
  const policy = createExamplePolicy(process.env, store.relationships);
  const host = options.host ?? process.env.HOST ?? '127.0.0.1';
  let app: ReturnType<typeof createGenAiApp> | undefined;
  const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve) => {
    const listening: ServerType = serve(
      {
        fetch: (request) => (app ? app.fetch(request) : new Response('starting', { status: 503 })),
        port: options.port ?? Number(process.env.PORT ?? 3000),
        hostname: host,
      },
      (info) => resolve({ server: listening, port: info.port }),
    );
  });
  const url = `http://${host}:${port}`;
  const gatehouse = createGatehouse({
    store,
    tokens: { secret: loadSecret(dirname(database)), scopes: ['generate:text'] },
    account: { baseUrl: process.env.PUBLIC_URL ?? url },
    // Another user's conversation answers 404 like a missing one (AZ-05).
    authorization: { decider: policy.decider, roles, hideForbidden: true },
    // Machine clients of the service: keys scoped to text generation.
    apiKeys: { enabled: true, scopes: ['generate:text'] },
  });
  await registerCliClient(gatehouse);
  // The guards report fail-closed authorization denies (a PDP that is down, a missing attribute) (AZ-02).
  gatehouse.events.on('authz.decision', (e) => {
    console.error(`authz.decision ${e.code} ${e.subject} ${e.action} ${e.resource}`);
  });
  app = createGenAiApp(gatehouse, { relationships: store.relationships });
  return {
    url,
    mode: policy.mode,
    close: () =>
      new Promise<void>((done) =>
        server.close(() => {
          store.close();
          done();
        }),
      ),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { url, mode } = await startGenAiService();
  console.log(`gatehouse example GenAI service listening on ${url} (authorization: ${mode})`);
  console.log(`  POST ${url}/auth/register   {"email","password"}`);
  console.log(`  POST ${url}/auth/token      grant_type=password&username=...&password=...`);
  console.log(`  POST ${url}/generate/text   Authorization: Bearer <access_token>  {"prompt"}`);
  console.log(`  POST ${url}/generate/image  (ADMIN only)`);
  console.log(
    `  GET  ${url}/device          approve a command-line login (node --import tsx examples/genai-app/cli.ts)`,
  );
  console.log(`  POST ${url}/auth/api-keys   {"name","scopes":["generate:text"]}: a key for X-API-Key`);
  console.log(
    `  POST ${url}/conversations   {"title"}; GET/POST ${url}/conversations/:id[/publish|/messages]`,
  );
}
