/**
 * The example GenAI service's authorization, run both ways the example supports: with the policy
 * evaluator in-process (`AUTHZ_MODE=in-process`), and against the separate decision service of
 * `examples/authz-service` (`AUTHZ_MODE=service`, AuthZEN over HTTP, reading the same SQLite
 * file). Each is started like `npm run example`: a child process, driven over real HTTP.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startGenAiExample, startScript, stopExamples, tempDatabase } from './support.js';

const PASSWORD = 'amber-heron-57-quarry';
const SECRET = 'example-pep-secret-0123456789abcdefghijkl';

afterAll(stopExamples);

const startApp = startGenAiExample;

async function signIn(url: string, email: string): Promise<string> {
  const registered = await fetch(`${url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(registered.status).toBe(201);
  const response = await fetch(`${url}/auth/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username: email, password: PASSWORD }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

function call(url: string, method: string, path: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** The scenario both modes must pass: ReBAC ownership and sharing, ABAC on PII, 404 for others (AZ-05). */
async function conversationScenario(url: string): Promise<{ anne: string; id: string }> {
  const anne = await signIn(url, 'anne@example.com');
  const bob = await signIn(url, 'bob@example.com');

  const created = await call(url, 'POST', '/conversations', anne, { title: 'Trip ideas' });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };

  expect((await call(url, 'GET', `/conversations/${id}`, anne)).status).toBe(200);
  // Bob's view of anne's private conversation is byte-identical to a conversation that does not exist.
  const forbidden = await call(url, 'GET', `/conversations/${id}`, bob);
  const missing = await call(url, 'GET', '/conversations/00000000-0000-4000-8000-000000000000', bob);
  expect(forbidden.status).toBe(404);
  expect(missing.status).toBe(404);
  expect(await forbidden.text()).toBe(await missing.text());

  expect(
    (await call(url, 'POST', `/conversations/${id}/messages`, anne, { text: 'Lisbon in May?' })).status,
  ).toBe(201);
  const pii = await call(url, 'POST', `/conversations/${id}/messages`, anne, {
    text: 'Mail the tickets to anne.private@example.org',
  });
  expect(pii.status).toBe(422);
  expect(((await pii.json()) as { error: string }).error).toBe('pii_detected');
  expect((await call(url, 'POST', `/conversations/${id}/messages`, bob, { text: 'hi' })).status).toBe(404);

  // Only the owner may publish; then everyone may read and post.
  expect((await call(url, 'POST', `/conversations/${id}/publish`, bob)).status).toBe(404);
  expect((await call(url, 'POST', `/conversations/${id}/publish`, anne)).status).toBe(204);
  const shared = await call(url, 'GET', `/conversations/${id}`, bob);
  expect(shared.status).toBe(200);
  expect(((await shared.json()) as { messages: unknown[] }).messages).toHaveLength(1);
  expect(
    (await call(url, 'POST', `/conversations/${id}/messages`, bob, { text: 'Count me in' })).status,
  ).toBe(201);
  return { anne, id };
}

describe('example GenAI service: authorization in-process and via the decision service', () => {
  it('in-process: the PolicyEvaluator over the app database decides', async () => {
    const app = await startApp({
      GATEHOUSE_DB: tempDatabase('gatehouse-authz-example-'),
      AUTHZ_MODE: 'in-process',
    });
    expect(app.output()).toContain('(authorization: in-process)');
    await conversationScenario(app.url);
  });

  it('service: the AuthZEN decision service decides; when it is down, access is denied and logged', async () => {
    const database = tempDatabase('gatehouse-authz-example-');
    const started = await startScript(
      'examples/authz-service/server.ts',
      { AUTHZ_DB: database, AUTHZ_SHARED_SECRET: SECRET },
      /AuthZEN PDP on (http:\/\/\S+)/,
    );
    const pdp = { ...started, url: started.match[1] as string };
    const app = await startApp({
      GATEHOUSE_DB: database,
      AUTHZ_MODE: 'service',
      AUTHZ_URL: pdp.url,
      AUTHZ_SHARED_SECRET: SECRET,
      AUTHZ_TIMEOUT_MS: '2000',
    });
    expect(app.output()).toContain('(authorization: service)');
    const { anne, id } = await conversationScenario(app.url);

    // The PDP refuses callers without the shared secret.
    const anonymous = await fetch(`${pdp.url}/access/v1/evaluation`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        subject: { type: 'user', id: 'x' },
        action: { name: 'viewer' },
        resource: { type: 'conversation', id },
      }),
    });
    expect(anonymous.status).toBe(401);

    // PDP down: the owner is refused (fail closed, AZ-02), and the app logs the decision.
    pdp.child.kill();
    await pdp.exited;
    expect((await call(app.url, 'GET', `/conversations/${id}`, anne)).status).toBe(404);
    await expect.poll(() => app.output()).toContain('authz.decision pdp_unavailable');
  });
});
