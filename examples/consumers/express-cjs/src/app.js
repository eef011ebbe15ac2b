'use strict';
const express = require('express');
const { createGatehouse, createMemoryStore } = require('gatehouse');
const { gatehouseExpress, requireAuth } = require('gatehouse/express');

/** The service: its own routes, with gatehouse's auth routes mounted and one route guarded. */
function createApp(secret) {
  const gatehouse = createGatehouse({ store: createMemoryStore(), tokens: { secret } });
  const gh = gatehouseExpress(gatehouse);
  const app = express();
  app.use('/auth', gh.router()); // before body parsers: the auth routes read their own bodies
  app.use(express.json());
  app.get('/health', (_req, res) => res.send('ok'));
  app.get('/notes', gh.authenticate(), (req, res) => res.json({ owner: requireAuth(req).userId, notes: [] }));
  return app;
}

module.exports = { createApp };
