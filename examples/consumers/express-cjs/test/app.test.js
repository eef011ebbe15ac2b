'use strict';
const assert = require('node:assert/strict');
const { randomBytes } = require('node:crypto');
const { test } = require('node:test');
const request = require('supertest');
const { createApp } = require('../src/app.js');

test('the guarded route needs a token; register and login give one (supertest)', async () => {
  const app = createApp(randomBytes(32).toString('base64url'));
  assert.equal((await request(app).get('/health')).status, 200);
  assert.equal((await request(app).get('/notes')).status, 401);

  const account = { email: 'ada@example.com', password: 'correct horse battery staple' };
  const registered = await request(app).post('/auth/register').send(account);
  assert.equal(registered.status, 201);
  const login = await request(app)
    .post('/auth/login')
    .send({ identifier: account.email, password: account.password });
  assert.equal(login.status, 200);

  const notes = await request(app).get('/notes').set('authorization', `Bearer ${login.body.access_token}`);
  assert.equal(notes.status, 200);
  assert.deepEqual(notes.body, { owner: registered.body.id, notes: [] });
  const forged = await request(app).get('/notes').set('authorization', `Bearer ${login.body.access_token}x`);
  assert.equal(forged.status, 401);
});
