/**
 * The example GenAI service's authorization, run both ways the example supports: with the policy
 * evaluator in-process (`AUTHZ_MODE=in-process`), and against the separate decision service of
 * `examples/authz-service` (`AUTHZ_MODE=service`, AuthZEN over HTTP, reading the same SQLite
 * file). Each is started like `npm run example`: a child process, driven over real HTTP.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Started,
  startGenAiExample,
  startScript,
  stopExamples,
  tempDatabase,
  verifyFromOutbox,
} from './support.js';

const PASSWORD = 'amber-heron-57-quarry';
const SECRET = 'example-pep-secret-0123456789abcdefghijkl';

afterAll(stopExamples);

const startApp = startGenAiExample;

/** Starts the decision service over the app's SQLite file; resolves with its URL. */
async function startPdp(database: string): Promise<Started & { url: string }> {
  const started = await startScript(
    'examples/authz-service/server.ts',
    { AUTHZ_DB: database, AUTHZ_SHARED_SECRET: SECRET },
    /AuthZEN PDP on (http:\/\/\S+)/,
  );
  return { ...started, url: started.match[1] as string };
}

async function signIn(url: string, email: string): Promise<string> {
  const registered = await fetch(`${url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(registered.status).toBe(202);
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

/** The scenario both modes must pass: ReBAC ownership and sharing, ABAC on PII, 404 for others. */
async function conversationScenario(url: string): Promise<{ anne: string; id: string }> {
  const anne = await signIn(url, 'anne@example.com');
  const bob = await signIn(url, 'bob@example.com');

  // Text generation on a standard model needs no object-level decision: it works in both modes.
  expect((await call(url, 'POST', '/generate/text', anne, { prompt: 'Ideas for a trip' })).status).toBe(200);
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

/**
 * The rest of the app's model, which both modes must decide alike: folders (sharing a folder shares
 * what is filed in it), premium models (a paid plan or ADMIN), uploads with personal data (only
 * those an admin allowed, and admins). `root` is the app's ADMIN_EMAIL.
 */
async function folderPlanUploadScenario(app: { url: string; output(): string }): Promise<void> {
  const { url } = app;
  const root = await signIn(url, 'root@example.com');
  await verifyFromOutbox(url, 'root@example.com');
  await expect.poll(() => app.output()).toContain('ADMIN_EMAIL: root@example.com is now ADMIN');
  const cleo = await signIn(url, 'cleo@example.com');
  const dan = await signIn(url, 'dan@example.com');
  const idOf = async (token: string) =>
    (await (await call(url, 'GET', '/auth/me', token)).json()) as { user?: { id: string }; id?: string };
  const cleoMe = await idOf(cleo);
  const cleoId = cleoMe.user?.id ?? cleoMe.id ?? '';

  // Folders: filing needs the folder's ownership; sharing the folder shares its conversations.
  const folder = (await (await call(url, 'POST', '/folders', cleo, { name: 'Research' })).json()) as {
    id: string;
  };
  expect(
    (await call(url, 'POST', '/conversations', dan, { title: 'Sneaky', folder_id: folder.id })).status,
  ).toBe(400);
  const filed = await call(url, 'POST', '/conversations', cleo, { title: 'Notes', folder_id: folder.id });
  expect(filed.status).toBe(201);
  const { id } = (await filed.json()) as { id: string };
  expect((await call(url, 'GET', `/conversations/${id}`, dan)).status).toBe(404);
  expect(
    (await call(url, 'POST', `/folders/${folder.id}/share`, dan, { email: 'dan@example.com' })).status,
  ).toBe(404);
  expect(
    (await call(url, 'POST', `/folders/${folder.id}/share`, cleo, { email: 'dan@example.com' })).status,
  ).toBe(202);
  expect((await call(url, 'GET', `/conversations/${id}`, dan)).status).toBe(200);

  // Premium models: refused on the free plan, allowed to admins, and once an admin gives the plan.
  const large = (token: string) =>
    call(url, 'POST', '/generate/text', token, { prompt: 'Hi', model: 'local-large' });
  const refused = await large(cleo);
  expect(refused.status).toBe(403);
  expect(((await refused.json()) as { error: string }).error).toBe('plan_required');
  expect((await large(root)).status).toBe(200);
  expect((await call(url, 'POST', `/admin/users/${cleoId}/plan`, root, { plan: 'pro' })).status).toBe(200);
  expect((await large(cleo)).status).toBe(200);

  // Uploads: clean documents from anyone; personal data only from admins and allowed uploaders.
  const upload = (token: string, text: string) =>
    call(url, 'POST', '/library/documents', token, { name: 'notes.txt', text });
  const personal = 'Call me on +1 415 555 0100 or mail cleo.private@example.org';
  expect((await upload(cleo, 'Quarterly goals and plans')).status).toBe(201);
  expect((await upload(cleo, personal)).status).toBe(422);
  expect((await upload(root, personal)).status).toBe(201);
  expect((await call(url, 'POST', `/admin/users/${cleoId}/pii-uploader`, root)).status).toBe(204);
  expect((await upload(cleo, personal)).status).toBe(201);
  expect((await upload(dan, personal)).status).toBe(422);
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

  it('in-process: folders, premium models and uploads with personal data', async () => {
    const app = await startApp({
      GATEHOUSE_DB: tempDatabase('gatehouse-authz-example-'),
      AUTHZ_MODE: 'in-process',
      ADMIN_EMAIL: 'root@example.com',
    });
    await folderPlanUploadScenario(app);
  });

  it("service: the decision service decides folders, premium models and uploads with the app's model", async () => {
    const database = tempDatabase('gatehouse-authz-example-');
    const started = await startPdp(database);
    const pdp = started.url;
    const app = await startApp({
      GATEHOUSE_DB: database,
      AUTHZ_MODE: 'service',
      AUTHZ_URL: pdp,
      AUTHZ_SHARED_SECRET: SECRET,
      AUTHZ_TIMEOUT_MS: '2000',
      ADMIN_EMAIL: 'root@example.com',
    });
    expect(app.output()).toContain('(authorization: service)');
    await folderPlanUploadScenario(app);
    // The decisions were the PDP's: it answers the app's own types, which the demo model lacks.
    const evaluate = await fetch(`${pdp}/access/v1/evaluation`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({
        subject: { type: 'user', id: 'someone', properties: { role: 'USER' } },
        action: { name: 'use' },
        resource: { type: 'model', id: 'local-large', properties: { tier: 'premium' } },
        context: { plan: 'free' },
      }),
    });
    expect(evaluate.status).toBe(200);
    expect(await evaluate.json()).toEqual({ decision: false });
    const actions = await fetch(`${pdp}/access/v1/search/action`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({
        subject: { type: 'user', id: 'someone', properties: { role: 'ADMIN' } },
        resource: { type: 'library', id: 'main', properties: { has_pii: true } },
      }),
    });
    expect(actions.status).toBe(200);
    expect(((await actions.json()) as { results: { name: string }[] }).results).toEqual([{ name: 'upload' }]);
    expect(app.output()).not.toContain('authz.decision');
    expect(started.output()).not.toContain('authz.decision');
  });

  it('service: the AuthZEN decision service decides; when it is down, access is denied and logged', async () => {
    const database = tempDatabase('gatehouse-authz-example-');
    const pdp = await startPdp(database);
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

    // PDP down: the owner is refused (fail closed), and the app logs the decision.
    pdp.child.kill();
    await pdp.exited;
    expect((await call(app.url, 'GET', `/conversations/${id}`, anne)).status).toBe(404);
    await expect.poll(() => app.output()).toContain('authz.decision pdp_unavailable');
  });
});
