import { randomBytes } from 'node:crypto';
import { serve } from '@hono/node-server';
import { createApp } from './app.js';

const secret = process.env.GATEHOUSE_SECRET ?? randomBytes(32).toString('base64url');
serve({ fetch: createApp(secret).fetch, port: Number(process.env.PORT ?? 3000) });
