/**
 * The example GenAI service, started the way `npm run example` starts it (a child process on a
 * SQLite file), driven over real HTTP.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startGenAiExample, startScript, stopExamples, tempDatabase } from './support.js';

const PASSWORD = 'violet-otter-42-lantern';
let url: string;
let database: string;

beforeAll(async () => {
  database = tempDatabase();
  ({ url } = await startGenAiExample({ GATEHOUSE_DB: database }));
});

afterAll(stopExamples);

const post = (path: string, body: unknown, token?: string): Promise<Response> =>
  postJson(`${url}${path}`, body, token);

describe('example GenAI service', () => {
  it('protects text generation for users and image generation for admins', async () => {
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await post('/auth/register', { email: 'ada@example.com', password: PASSWORD })).status).toBe(201);
    const tokenResponse = await fetch(`${url}/auth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', username: 'ada@example.com', password: PASSWORD }),
    });
    expect(tokenResponse.status).toBe(200);
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string };

    expect((await post('/generate/text', { prompt: 'hello' })).status).toBe(401);
    const text = await post('/generate/text', { prompt: 'Write a haiku about gates' }, token);
    expect(text.status).toBe(200);
    expect(((await text.json()) as { output: string }).output).toContain('Write a haiku about gates');
    expect((await post('/generate/text', { prompt: '' }, token)).status).toBe(400);

    expect((await post('/generate/image', { prompt: 'a gate' }, token)).status).toBe(403);
    const db = new Database(database);
    db.prepare("UPDATE users SET role = 'ADMIN' WHERE email = ?").run('ada@example.com');
    db.close();
    const image = await post('/generate/image', { prompt: 'a gate' }, token);
    expect(image.status).toBe(200);
    expect(((await image.json()) as { image: string }).image).toMatch(/^data:image\/svg\+xml;base64,/);

    expect((await post('/auth/logout', {}, token)).status).toBe(204);
    expect((await post('/generate/text', { prompt: 'hello' }, token)).status).toBe(401);
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
      201,
    );
    const login = await post('/auth/login', { email: 'grace@example.com', password: PASSWORD });
    const { access_token: token } = (await login.json()) as { access_token: string };

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
    const login = await post('/auth/login', { email: 'grace@example.com', password: PASSWORD });
    const { access_token: token } = (await login.json()) as { access_token: string };
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
});
