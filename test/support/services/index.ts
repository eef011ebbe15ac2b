/**
 * What test files use to reach the PostgreSQL and Redis servers of the run (see `global-setup.ts`):
 * `describeWithPostgres` / `describeWithRedis` declare a suite that runs against the server, or,
 * on a developer's machine without it, one visibly not-run test saying why. In CI a missing server
 * has already failed the run.
 */
import { describe, inject, it } from 'vitest';

function describeWith(url: string | null, missing: string, name: string, body: (url: string) => void): void {
  if (url === null) {
    describe(name, () => {
      it.skip(missing, () => undefined);
    });
    return;
  }
  describe(name, () => body(url));
}

/** A suite that needs the test PostgreSQL server; `body` gets its connection string. */
export function describeWithPostgres(name: string, body: (url: string) => void): void {
  describeWith(inject('postgresUrl'), inject('postgresMissing'), name, body);
}

/** A suite that needs the test Redis server; `body` gets its URL. */
export function describeWithRedis(name: string, body: (url: string) => void): void {
  describeWith(inject('redisUrl'), inject('redisMissing'), name, body);
}

export { freePort } from './free-port.js';
export { type PostgresServer, startPostgresServer } from './postgres-server.js';
export { type RedisServer, startRedisServer } from './redis-server.js';
