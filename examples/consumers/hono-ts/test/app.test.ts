import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { createApp } from '../src/app.js';

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

test('the guarded route needs a token; register and login give one (Hono app.request)', async () => {
  const app = createApp(randomBytes(32).toString('base64url'));
  expect((await app.request('/health')).status).toBe(200);
  expect((await app.request('/notes')).status).toBe(401);

  const account = { email: 'ada@example.com', password: 'correct horse battery staple' };
  const registered = await app.request('/auth/register', json(account));
  expect(registered.status).toBe(201);
  const { id } = (await registered.json()) as { id: string };
  const login = await app.request(
    '/auth/login',
    json({ identifier: account.email, password: account.password }),
  );
  expect(login.status).toBe(200);
  const { access_token } = (await login.json()) as { access_token: string };

  const notes = await app.request('/notes', { headers: { authorization: `Bearer ${access_token}` } });
  expect(notes.status).toBe(200);
  expect(await notes.json()).toEqual({ owner: id, notes: [] });
  expect(
    (await app.request('/notes', { headers: { authorization: `Bearer ${access_token}x` } })).status,
  ).toBe(401);
});
