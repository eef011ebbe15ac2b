/**
 * The policy evaluator as a separate AuthZEN decision service (the chapter's authorization service).
 *
 *   AUTHZ_SHARED_SECRET=$(openssl rand -base64 32) PORT=3100 node --import tsx examples/authz-service/server.ts
 *
 * PEPs call it with `createDecisionClient({ url, headers: { authorization: `Bearer ${secret}` } })`.
 * Without `AUTHZ_SHARED_SECRET` it refuses to start unless `AUTHZ_PRIVATE_NETWORK=1` says that only
 * the PEPs can reach it. `HOST` defaults to 127.0.0.1.
 */
import { serve } from '@hono/node-server';
import { bearerAuthenticator, createDecisionService } from '../../src/policy/index.js';
import { createGenAiEvaluator } from './model.js';

const secret = process.env.AUTHZ_SHARED_SECRET;
if (!secret && process.env.AUTHZ_PRIVATE_NETWORK !== '1') {
  console.error('Set AUTHZ_SHARED_SECRET (32+ chars), or AUTHZ_PRIVATE_NETWORK=1 on a private network.');
  process.exit(1);
}
const service = createDecisionService(await createGenAiEvaluator(), {
  ...(secret ? { authenticate: bearerAuthenticator(secret) } : {}),
});
const port = Number(process.env.PORT ?? 3100);
const hostname = process.env.HOST ?? '127.0.0.1';
serve({ fetch: (request) => service.handle(request), port, hostname }, (info) => {
  console.log(`AuthZEN PDP on http://${hostname}:${info.port}`);
});
