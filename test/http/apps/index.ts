import { startExpressApp } from './express.js';
import { startExpressSupertest } from './express-supertest.js';
import { startFastifyApp, startFastifyInject } from './fastify.js';
import { startHonoApp, startHonoRequest } from './hono.js';
import type { StartApp } from './types.js';

/** Every adapter's test app over real HTTP; the suites outside `test/http` run against each. */
export const ADAPTERS: ReadonlyArray<readonly [name: string, start: StartApp]> = [
  ['hono', startHonoApp],
  ['express', startExpressApp],
  ['fastify', startFastifyApp],
];

/**
 * Every adapter through every transport its users test with: real HTTP for all three, plus each
 * framework's own test tool (Fastify's `inject()`, Hono's `app.request()`, supertest for Express).
 * The HTTP conformance suite runs each behaviour through each of these.
 */
export const TRANSPORTS: ReadonlyArray<readonly [name: string, start: StartApp]> = [
  ['hono over HTTP', startHonoApp],
  ['hono through app.request()', startHonoRequest],
  ['express over HTTP', startExpressApp],
  ['express through supertest', startExpressSupertest],
  ['fastify over HTTP', startFastifyApp],
  ['fastify through inject()', startFastifyInject],
];
