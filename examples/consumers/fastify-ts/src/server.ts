import { randomBytes } from 'node:crypto';
import { createApp } from './app.js';

const secret = process.env.GATEHOUSE_SECRET ?? randomBytes(32).toString('base64url');
const app = await createApp(secret);
await app.listen({ port: Number(process.env.PORT ?? 3000) });
