import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOD_PASSWORD, testGatehouse } from '../support/gatehouse.js';
import { expressApp, listen, startExpressApp } from './apps/express.js';
import { startFastifyApp } from './apps/fastify.js';
import type { RunningApp, StartApp } from './apps/types.js';

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const cases: ReadonlyArray<readonly [string, StartApp]> = [
  ['express', startExpressApp],
  [
    'express, json parser before the router',
    (gatehouse) => listen(expressApp(gatehouse, { parseFirst: true })),
  ],
  ['fastify', startFastifyApp],
];

describe.each(cases)('%s adapter smoke', (_name, start) => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await start(testGatehouse());
  });
  afterAll(() => app.close());

  it('registers, gets a token with a form, and passes the guard', async () => {
    const registered = await fetch(
      `${app.url}/auth/register`,
      json({ email: 'ada@example.com', password: GOOD_PASSWORD }),
    );
    expect(registered.status).toBe(201);
    const token = await fetch(`${app.url}/auth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        username: 'ada@example.com',
        password: GOOD_PASSWORD,
      }),
    });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    const guarded = await fetch(`${app.url}/generate/text`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(guarded.status).toBe(200);
    expect(await guarded.json()).toMatchObject({ role: 'USER', method: 'bearer', scopes: [] });
  });

  it('refuses a request without a token with a Bearer challenge', async () => {
    const res = await fetch(`${app.url}/generate/text`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
  });

  it('answers unknown auth routes with the core 404', async () => {
    const res = await fetch(`${app.url}/auth/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
  });

  it('refuses a body over the limit with 413 payload_too_large', async () => {
    const res = await fetch(
      `${app.url}/auth/register`,
      json({ email: 'big@example.com', pad: 'x'.repeat(20_000) }),
    );
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it('refuses malformed JSON with 400 (the app parser answers first when mounted before the router)', async () => {
    const res = await fetch(`${app.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":',
    });
    expect(res.status).toBe(400);
    if (!_name.includes('before the router'))
      expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });
});
