/**
 * vitest global setup: the PostgreSQL and Redis servers the storage suites run against.
 *
 * - `GATEHOUSE_TEST_DATABASE_URL` / `GATEHOUSE_TEST_REDIS_URL` name servers started by someone
 *   else (`.ci/run` starts its own and sets them).
 * - Otherwise a server is started here when its binaries exist (`initdb` + `pg_ctl`,
 *   `redis-server`) and stopped at the end.
 * - Otherwise: under `CI=true` the run fails; elsewhere each suite that needs the server fails
 *   with one test saying what to install (see `test/support/services/index.ts`).
 */
import type { TestProject } from 'vitest/node';
import { postgresBinariesAvailable, startPostgresServer } from './postgres-server.js';
import { redisBinaryAvailable, startRedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection string of the test PostgreSQL server, or `null` with `postgresMissing`. */
    postgresUrl: string | null;
    postgresMissing: string;
    /** URL of the test Redis server, or `null` with `redisMissing`. */
    redisUrl: string | null;
    redisMissing: string;
  }
}

const inCi = process.env.CI === 'true' || process.env.CI === '1';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];

  let postgresUrl = process.env.GATEHOUSE_TEST_DATABASE_URL ?? null;
  let postgresMissing = '';
  if (postgresUrl === null) {
    if (await postgresBinariesAvailable()) {
      const server = await startPostgresServer();
      stops.push(() => server.destroy());
      postgresUrl = server.url;
    } else {
      postgresMissing =
        'PostgreSQL server missing: set GATEHOUSE_TEST_DATABASE_URL or put initdb and pg_ctl (PostgreSQL 15) on PATH';
    }
  }

  let redisUrl = process.env.GATEHOUSE_TEST_REDIS_URL ?? null;
  let redisMissing = '';
  if (redisUrl === null) {
    if (await redisBinaryAvailable()) {
      const server = await startRedisServer();
      stops.push(() => server.destroy());
      redisUrl = server.url;
    } else {
      redisMissing =
        'Redis server missing: set GATEHOUSE_TEST_REDIS_URL or install redis-server (Debian: apt-get install redis-server)';
    }
  }

  const missing = [postgresMissing, redisMissing].filter(Boolean);
  if (missing.length > 0) {
    if (inCi) throw new Error(`CI needs every test service: ${missing.join('; ')}`);
    for (const line of missing) console.warn(`\n[gatehouse tests] ${line}\n`);
  }

  project.provide('postgresUrl', postgresUrl);
  project.provide('postgresMissing', postgresMissing);
  project.provide('redisUrl', redisUrl);
  project.provide('redisMissing', redisMissing);
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
