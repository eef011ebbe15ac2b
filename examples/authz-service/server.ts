/**
 * The policy evaluator as a separate AuthZEN decision service (the chapter's authorization service).
 *
 *   AUTHZ_SHARED_SECRET=$(openssl rand -base64 32) PORT=3100 node --import tsx examples/authz-service/server.ts
 *
 * With `AUTHZ_DB` (the GenAI app's SQLite file) it decides for the GenAI app: with the app's own
 * model (`examples/genai-app/access-model.ts`: one source of truth, so `AUTHZ_MODE=service` answers
 * exactly as the app's in-process evaluator does: folders, teams, premium models, uploads with
 * personal data) over the relationship tuples the app writes there. Without it, it serves the
 * chapter's small demo model (`model.ts`) over in-memory tuples, to try the API by hand. It prints
 * `AuthZEN PDP on <url>`.
 *
 * PEPs call it with `createDecisionClient({ url, headers: { authorization: `Bearer ${secret}` } })`.
 * Without `AUTHZ_SHARED_SECRET` it refuses to start unless `AUTHZ_PRIVATE_NETWORK=1` says that only
 * the PEPs can reach it. `HOST` defaults to 127.0.0.1.
 */
import { serve } from '@hono/node-server';
import { createSqliteStore } from '../../adapters/sqlite/index.js';
import { bearerAuthenticator, createDecisionService, SecurityEvents } from '../../src/index.js';
import { createAppEvaluator } from '../genai-app/access-model.js';
import { createGenAiEvaluator } from './model.js';

const secret = process.env.AUTHZ_SHARED_SECRET;
if (!secret && process.env.AUTHZ_PRIVATE_NETWORK !== '1') {
  console.error('Set AUTHZ_SHARED_SECRET (32+ chars), or AUTHZ_PRIVATE_NETWORK=1 on a private network.');
  process.exit(1);
}
// Fail-closed decisions (a store error, a missing attribute) are logged as they happen (OWASP ASVS 5.0 16.5.3).
const events = new SecurityEvents();
events.on('authz.decision', (e) =>
  console.error(`authz.decision ${e.code} ${e.subject} ${e.action} ${e.resource}`),
);
// What /access/v1/search/action may list, by type: the permissions, and `viewer` on purpose. Roles
// (ADMIN, ...), owners and team links are data about the graph and are never listed.
const APP_ACTIONS = {
  conversation: ['viewer', 'post'],
  thread: ['viewer'],
  folder: ['viewer'],
  library: ['upload'],
  model: ['use'],
};
const DEMO_ACTIONS = {
  app: ['chat', 'generate_image', 'delete_conversation'],
  conversation: ['viewer', 'post'],
  thread: ['viewer'],
};
const forApp = process.env.AUTHZ_DB !== undefined;
const evaluator = forApp
  ? createAppEvaluator(createSqliteStore({ filename: process.env.AUTHZ_DB as string }).relationships, {
      events,
    })
  : await createGenAiEvaluator();
const service = createDecisionService(evaluator, {
  ...(secret ? { authenticate: bearerAuthenticator(secret) } : {}),
  actions: forApp ? APP_ACTIONS : DEMO_ACTIONS,
  // Decisions the service takes itself (a policy information point failure) are logged too.
  events,
});
const port = Number(process.env.PORT ?? 3100);
const hostname = process.env.HOST ?? '127.0.0.1';
serve({ fetch: (request) => service.handle(request), port, hostname }, (info) => {
  console.log(`AuthZEN PDP on http://${hostname}:${info.port}`);
});
