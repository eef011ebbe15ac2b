/**
 * `npm run example`: starts the example GenAI service on SQLite and prints its URL
 * (`http://127.0.0.1:3000` unless `PORT`/`HOST` say otherwise). Every setting is in `settings.ts`.
 *
 * The server listens first, so the base URL (for links in mails, the device verification link and
 * OAuth callbacks: `PUBLIC_URL` or the address it got) is known when gatehouse is configured;
 * requests before that answer 503.
 */

import { mkdirSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSqliteStore } from '../../adapters/sqlite/index.js';
import { HttpGuards } from '../../src/http/index.js';
import { createGatehouse, type Gatehouse } from '../../src/index.js';
import { appRoles } from './access-model.js';
import { adminRoutes } from './admin-routes.js';
import { AppData } from './app-data.js';
import { conversationRoutes } from './conversation-routes.js';
import type { CoreContext } from './core.js';
import { expressListener } from './frameworks/express.js';
import { fastifyListener } from './frameworks/fastify.js';
import { honoListener } from './frameworks/hono.js';
import { generationRoutes } from './generation-routes.js';
import { libraryRoutes } from './library-routes.js';
import { textGeneratorFromEnv } from './models.js';
import { openApiRoute } from './openapi.js';
import { createExamplePolicy } from './policy.js';
import { isDevelopment, mailerFromEnv, oauthFromEnv, secretFromEnvOrDataFolder } from './settings.js';
import { siteRoutes } from './site-routes.js';

const here = dirname(fileURLToPath(import.meta.url));
const FRAMEWORKS = ['hono', 'express', 'fastify'] as const;

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
 * The first administrator: the account of `ADMIN_EMAIL` becomes ADMIN through the public role API
 * once its address is verified (at start-up if it already is, else when it gets verified), so
 * whoever registers that address first without owning it gains nothing.
 */
async function bootstrapAdmin(gatehouse: Gatehouse, email: string | undefined): Promise<void> {
  if (!email) return;
  const promote = async (userId: string) => {
    const change = await gatehouse.account.setRole(userId, 'ADMIN', { changedBy: 'ADMIN_EMAIL' });
    if (change.changed) console.log(`ADMIN_EMAIL: ${email} is now ADMIN`);
  };
  gatehouse.events.on('email.verified', (event) => {
    void gatehouse.store.users.findById(event.userId).then((user) => {
      if (user && user.email === email.trim().toLowerCase()) return promote(user.id);
    });
  });
  const user = await gatehouse.store.users.findByEmail(email.trim().toLowerCase());
  if (user?.emailVerifiedAt) await promote(user.id);
  else console.log(`ADMIN_EMAIL: ${email} becomes ADMIN once it is registered and its address verified`);
}

/** Starts the service; resolves with its URL, framework, authorization mode and a `close` function. */
export async function startGenAiService(env: Readonly<Record<string, string | undefined>> = process.env) {
  const framework = (env.FRAMEWORK ?? 'hono') as (typeof FRAMEWORKS)[number];
  if (!FRAMEWORKS.includes(framework)) throw new Error(`FRAMEWORK must be one of ${FRAMEWORKS.join(', ')}`);
  const database = env.GATEHOUSE_DB ?? join(here, '.data', 'gatehouse.sqlite');
  const dataDir = dirname(database);
  mkdirSync(dataDir, { recursive: true });
  const store = createSqliteStore({ filename: database });
  const policy = createExamplePolicy(env, store.relationships);
  const host = env.HOST ?? '127.0.0.1';

  let listener: RequestListener | undefined;
  const server = createServer((req, res) => {
    if (listener) return listener(req, res);
    res.writeHead(503).end('starting');
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(env.PORT ?? 3000), host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  const url = `http://${host}:${port}`;
  const publicUrl = env.PUBLIC_URL ?? url;
  const { mailer, outbox } = mailerFromEnv(env);
  const oauth = oauthFromEnv(env, publicUrl);
  // TOTP secrets are encrypted with these keys (newest first); in development one is generated.
  const mfaKeys =
    env.MFA_SECRET_KEYS?.split(',') ??
    (isDevelopment(env) ? [secretFromEnvOrDataFolder(env, 'MFA_SECRET_KEY', dataDir, 'mfa-key')] : undefined);
  if (!mfaKeys) console.warn('MFA_SECRET_KEYS is not set: two-factor enrolment answers 501');
  const gatehouse = createGatehouse({
    store,
    tokens: {
      secret: secretFromEnvOrDataFolder(env, 'GATEHOUSE_SECRET', dataDir, 'secret'),
      scopes: ['generate:text', 'generate:audio'],
    },
    account: { baseUrl: publicUrl, appName: 'GenAI example' },
    ...(mailer ? { mail: { mailer } } : {}),
    ...(mfaKeys ? { mfa: { secretKeys: mfaKeys } } : {}),
    // The page signs in with cookies (HttpOnly, CSRF-checked); Secure ones when served over https.
    http: { cookies: { enabled: true, secure: publicUrl.startsWith('https:') } },
    ...(oauth.names.length > 0 ? { oauth: oauth.config } : {}),
    // Another user's conversation answers 404 like a missing one.
    authorization: { decider: policy.decider, roles: appRoles, hideForbidden: true },
    // Machine clients of the service: keys scoped to generation.
    apiKeys: { enabled: true, scopes: ['generate:text', 'generate:audio'] },
  });
  await registerCliClient(gatehouse);
  // The guards report fail-closed authorization denies (a PDP that is down, a missing attribute).
  gatehouse.events.on('authz.decision', (e) => {
    console.error(`authz.decision ${e.code} ${e.subject} ${e.action} ${e.resource}`);
  });
  const data = new AppData(join(dataDir, 'app-data.json'));
  await bootstrapAdmin(gatehouse, env.ADMIN_EMAIL);

  const text = textGeneratorFromEnv(env);
  const ctx: CoreContext = {
    gatehouse,
    guards: new HttpGuards(gatehouse),
    data,
    lister: policy.lister,
    outbox,
  };
  const routes = [
    ...siteRoutes(ctx, { providers: oauth.names, development: isDevelopment(env) }),
    ...generationRoutes(ctx, text.generator),
    ...conversationRoutes(ctx),
    ...libraryRoutes(ctx),
    ...adminRoutes(ctx),
  ];
  // The API's description: gatehouse's auth routes and the routes above.
  routes.push(openApiRoute(gatehouse, [...routes]));
  listener =
    framework === 'express'
      ? expressListener(gatehouse, routes)
      : framework === 'fastify'
        ? await fastifyListener(gatehouse, routes)
        : honoListener(gatehouse, routes);
  return {
    url,
    framework,
    mode: policy.mode,
    textBackend: text.name,
    mail: outbox ? 'development outbox' : mailer ? 'SMTP' : 'none',
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => {
          store.close();
          done();
        });
      }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = await startGenAiService().catch((error: unknown) => {
    const inUse = (error as { code?: string }).code === 'EADDRINUSE';
    console.error(
      inUse
        ? `The example did not start: port ${process.env.PORT ?? 3000} is in use; choose another with PORT=3001 npm run example`
        : `The example did not start: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  });
  const { url, mode, framework, textBackend, mail } = started;
  console.log(`gatehouse example GenAI service listening on ${url} (authorization: ${mode})`);
  console.log(`  framework: ${framework}; text model: ${textBackend}; mail: ${mail}`);
  console.log(`  Open ${url}/ in a browser; the walkthrough is examples/genai-app/README.md.`);
  if (mail === 'development outbox') {
    console.log(`  Sent mail (development only): ${url}/dev/outbox`);
    if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):/.test(url)) {
      console.warn('  WARNING: the outbox shows every mail, reset links included, to anyone who reaches it.');
    }
  }
}
