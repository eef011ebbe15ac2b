/**
 * What test files use to reach the PostgreSQL and Redis servers of the run (see `global-setup.ts`):
 * `describeWithPostgres` / `describeWithRedis` declare a suite that runs against the server, or,
 * on a machine without it, one failing test saying what to install (no suite is skipped for want of
 * a service). In CI a missing server has already failed the run.
 */
import { describe, inject, it } from 'vitest';

function describeWith(url: string | null, missing: string, name: string, body: (url: string) => void): void {
  if (url === null) {
    describe(name, () => {
      it('needs its server', () => {
        throw new Error(missing);
      });
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
