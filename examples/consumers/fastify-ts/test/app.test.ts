import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { createApp } from '../src/app.js';

test('the guarded route needs a token; register and login give one (Fastify inject)', async () => {
  const app = await createApp(randomBytes(32).toString('base64url'));
  expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  expect((await app.inject({ method: 'GET', url: '/notes' })).statusCode).toBe(401);

  const account = { email: 'ada@example.com', password: 'correct horse battery staple' };
  const registered = await app.inject({ method: 'POST', url: '/auth/register', payload: account });
  expect(registered.statusCode).toBe(201);
  const { id } = registered.json<{ id: string }>();
  const login = await app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { identifier: account.email, password: account.password },
  });
  expect(login.statusCode).toBe(200);
  const { access_token } = login.json<{ access_token: string }>();

  const notes = await app.inject({
    method: 'GET',
    url: '/notes',
    headers: { authorization: `Bearer ${access_token}` },
  });
  expect(notes.statusCode).toBe(200);
  expect(notes.json()).toEqual({ owner: id, notes: [] });
  const forged = await app.inject({
    method: 'GET',
    url: '/notes',
    headers: { authorization: `Bearer ${access_token}x` },
  });
  expect(forged.statusCode).toBe(401);
  await app.close();
});
