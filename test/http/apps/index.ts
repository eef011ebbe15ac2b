import { startExpressApp } from './express.js';
import { startFastifyApp } from './fastify.js';
import { startHonoApp } from './hono.js';
import type { StartApp } from './types.js';

/** Every adapter's test app; the conformance suite runs against each. */
export const ADAPTERS: ReadonlyArray<readonly [name: string, start: StartApp]> = [
  ['hono', startHonoApp],
  ['express', startExpressApp],
  ['fastify', startFastifyApp],
];
