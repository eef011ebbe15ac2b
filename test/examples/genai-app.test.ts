/**
 * The example GenAI service, started the way `npm run example` starts it (a child process on a
 * SQLite file), driven over real HTTP.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../adapters/sqlite/index.js';
import { createGatehouse } from '../../src/index.js';
import {
  passwordGrant,
  postJson,
  type Started,
  startGenAiExample,
  startScript,
  stopExamples,
  tempDatabase,
  verifyFromOutbox,
} from './support.js';

const PASSWORD = 'violet-otter-42-lantern';
let url: string;
let app: Started & { url: string };

beforeAll(async () => {
  app = await startGenAiExample({ GATEHOUSE_DB: tempDatabase(), ADMIN_EMAIL: 'ada@example.com' });
  ({ url } = app);
});

afterAll(stopExamples);

const post = (path: string, body: unknown, token?: string): Promise<Response> =>
  postJson(`${url}${path}`, body, token);

describe('example GenAI service', () => {
  it('protects text generation for users and image generation for admins', async () => {
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await post('/auth/register', { email: 'ada@example.com', password: PASSWORD })).status).toBe(202);
    const token = await passwordGrant(url, 'ada@example.com', PASSWORD);

    expect((await post('/generate/text', { prompt: 'hello' })).status).toBe(401);
    const text = await post('/generate/text', { prompt: 'Write a haiku about gates' }, token);
    expect(text.status).toBe(200);
    expect(((await text.json()) as { output: string }).output).toContain('Write a haiku about gates');
    expect((await post('/generate/text', { prompt: '' }, token)).status).toBe(400);

    expect((await post('/generate/image', { prompt: 'a gate' }, token)).status).toBe(403);
    // ADMIN_EMAIL: the account becomes ADMIN once its address is verified (the development outbox has the link).
    await verifyFromOutbox(url, 'ada@example.com');
    await expect.poll(() => app.output()).toContain('ADMIN_EMAIL: ada@example.com is now ADMIN');
    const image = await post('/generate/image', { prompt: 'a gate' }, token);
    expect(image.status).toBe(200);
    expect(((await image.json()) as { image: string }).image).toMatch(/^data:image\/svg\+xml;base64,/);

    expect((await post('/auth/logout', {}, token)).status).toBe(204);
    expect((await post('/generate/text', { prompt: 'hello' }, token)).status).toBe(401);
  });

  it("serves its OpenAPI document: gatehouse's auth routes under /auth and the app's own routes", async () => {
    const response = await fetch(`${url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            security?: unknown[];
            responses: Record<string, unknown>;
            parameters?: { name: string; in: string }[];
          }
        >
      >;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/auth/login', '/auth/token', '/auth/register']),
    );
    expect(doc.paths['/auth/login']).toHaveProperty('post');
    // The page signs in with cookies: the document says so.
    expect(doc.components.securitySchemes).toHaveProperty('sessionCookie');
    const image = doc.paths['/generate/image']?.post;
    expect(image?.responses).toHaveProperty('403');
    expect(image?.security).toContainEqual({ bearerAuth: [] });
    expect(doc.paths['/conversations/{id}']?.get?.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path' }),
    ]);
    expect(doc.paths['/health']?.get?.security).toEqual([]);
    expect(doc.paths).not.toHaveProperty('/app.js');
  });

  it('serves the device-login page with a strict CSP and its own script', async () => {
    const page = await fetch(`${url}/device?user_code=BCDF-GHJK`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain('<script src="/device.js"></script>');
    expect(html).not.toMatch(/<script>/);
    const script = await fetch(`${url}/device.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain("'/device/approve'");
  });

  it('logs the CLI in with the device flow once a signed-in user approves its code', async () => {
    expect((await post('/auth/register', { email: 'grace@example.com', password: PASSWORD })).status).toBe(
      202,
    );
    const token = await passwordGrant(url, 'grace@example.com', PASSWORD);

    const cli = await startScript(
      'examples/genai-app/cli.ts',
      { GATEHOUSE_URL: url },
      /enter the code ([A-Z]{4}-[A-Z]{4})/,
      ['a poem about locks'],
    );
    const userCode = cli.match[1] as string;
    expect(cli.output()).toContain(`${url}/device?user_code=`);

    const described = await post('/auth/device/verify', { user_code: userCode.toLowerCase() }, token);
    expect(described.status).toBe(200);
    expect(await described.json()).toMatchObject({
      client_name: 'GenAI command line',
      scope: 'generate:text',
    });
    expect((await post('/auth/device/approve', { user_code: userCode, approve: true }, token)).status).toBe(
      200,
    );

    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain('Signed in.');
    expect(cli.output()).toMatch(/200 .*a poem about locks/);
  }, 60_000);

  it('issues scoped API keys that the text route accepts from X-API-Key', async () => {
    const token = await passwordGrant(url, 'grace@example.com', PASSWORD);
    const created = await post('/auth/api-keys', { name: 'batch job', scopes: ['generate:text'] }, token);
    expect(created.status).toBe(201);
    const { key, id } = (await created.json()) as { key: string; id: string };
    expect(key).toMatch(/^ghk_/);
    const generate = (apiKey: string) =>
      fetch(`${url}/generate/text`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify({ prompt: 'from a machine' }),
      });
    expect((await generate(key)).status).toBe(200);
    expect((await post('/auth/api-keys/revoke', { id }, token)).status).toBe(204);
    expect((await generate(key)).status).toBe(401);
  });

  it('lists every account to admins a page at a time, those created before it started too', async () => {
    // Accounts written into the database before the service ever ran (say, by a migration script):
    // the admin view lists them through gatehouse's listing, not through a registry of its own.
    const database = tempDatabase();
    const store = createSqliteStore({ filename: database });
    const before = createGatehouse({ store, tokens: { secret: randomBytes(32).toString('base64url') } });
    const root = await before.auth.register({ email: 'root@example.com', password: PASSWORD });
    await before.account.setRole(root.id, 'ADMIN');
    for (const name of ['early1', 'early2']) {
      await before.auth.register({ email: `${name}@example.com`, password: PASSWORD });
    }
    await before.close();
    store.close();

    const admin = await startGenAiExample({ GATEHOUSE_DB: database });
    const token = await passwordGrant(admin.url, 'root@example.com', PASSWORD);
    const page = async (query: string) => {
      const response = await fetch(`${admin.url}/admin/users${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const first = await page('?limit=2');
    expect(first.status).toBe(200);
    const users = first.body.users as { email: string; role: string; plan: string; active: boolean }[];
    expect(users.map((u) => [u.email, u.role, u.plan, u.active])).toEqual([
      ['root@example.com', 'ADMIN', 'free', true],
      ['early1@example.com', 'USER', 'free', true],
    ]);
    expect(first.body.cursor).toEqual(expect.any(String));
    const second = await page(`?limit=2&cursor=${encodeURIComponent(first.body.cursor as string)}`);
    expect((second.body.users as { email: string }[]).map((u) => u.email)).toEqual(['early2@example.com']);
    expect(second.body.cursor).toBeNull();
    // Bad paging input is gatehouse's typed validation error.
    expect(await page('?limit=0')).toMatchObject({ status: 400, body: { error: 'ERR_VALIDATION' } });
    expect(await page('?cursor=not-a-cursor')).toMatchObject({
      status: 400,
      body: { error: 'ERR_VALIDATION' },
    });
  });

  it('names the URL the CLI could not reach, and the port the server could not take', async () => {
    // Port 9 (discard): nothing listens there.
    const closed = 'http://127.0.0.1:9';
    const cli = await startScript(
      'examples/genai-app/cli.ts',
      { GATEHOUSE_URL: closed },
      /Could not reach (\S+):/,
    );
    expect(cli.match[1]).toBe(closed);
    expect(await cli.exited).toBe(1);

    const taken = await startScript(
      'examples/genai-app/server.ts',
      { GATEHOUSE_DB: tempDatabase(), PORT: new URL(url).port },
      /did not start: (.*)/,
    );
    expect(taken.match[1]).toContain(`port ${new URL(url).port} is in use`);
    expect(await taken.exited).toBe(1);
  });
});
