/**
 * The policy evaluator as a separate AuthZEN decision service (the chapter's authorization service).
 *
 *   AUTHZ_SHARED_SECRET=$(openssl rand -base64 32) PORT=3100 node --import tsx examples/authz-service/server.ts
 *
 * With `AUTHZ_DB` (the GenAI app's SQLite file) it decides over the relationship tuples the app
 * writes there; without it, over the in-memory demo tuples. It prints `AuthZEN PDP on <url>`.
 *
 * PEPs call it with `createDecisionClient({ url, headers: { authorization: `Bearer ${secret}` } })`.
 * Without `AUTHZ_SHARED_SECRET` it refuses to start unless `AUTHZ_PRIVATE_NETWORK=1` says that only
 * the PEPs can reach it. `HOST` defaults to 127.0.0.1.
 */
import { serve } from '@hono/node-server';
import { createSqliteStore } from '../../adapters/sqlite/index.js';
import { bearerAuthenticator, createDecisionService, SecurityEvents } from '../../src/index.js';
import { createGenAiEvaluator, createGenAiEvaluatorOver } from './model.js';

const secret = process.env.AUTHZ_SHARED_SECRET;
if (!secret && process.env.AUTHZ_PRIVATE_NETWORK !== '1') {
  console.error('Set AUTHZ_SHARED_SECRET (32+ chars), or AUTHZ_PRIVATE_NETWORK=1 on a private network.');
  process.exit(1);
}
// Fail-closed decisions (a store error, a missing attribute) are logged as they happen (AZ-02).
const events = new SecurityEvents();
events.on('authz.decision', (e) =>
  console.error(`authz.decision ${e.code} ${e.subject} ${e.action} ${e.resource}`),
);
const evaluator = process.env.AUTHZ_DB
  ? createGenAiEvaluatorOver(createSqliteStore({ filename: process.env.AUTHZ_DB }).relationships, { events })
  : await createGenAiEvaluator();
const service = createDecisionService(evaluator, {
  ...(secret ? { authenticate: bearerAuthenticator(secret) } : {}),
});
const port = Number(process.env.PORT ?? 3100);
const hostname = process.env.HOST ?? '127.0.0.1';
serve({ fetch: (request) => service.handle(request), port, hostname }, (info) => {
  console.log(`AuthZEN PDP on http://${hostname}:${info.port}`);
});
