/** The core repositories of `gatehouse/postgres` against a real PostgreSQL server, one schema per test. */
import { PostgresCounterStore } from '../../adapters/postgres/counters.js';
import { PostgresStateStore } from '../../adapters/postgres/state.js';
import { PostgresTokenRepository } from '../../adapters/postgres/tokens.js';
import { PostgresUserRepository } from '../../adapters/postgres/users.js';
import {
  describeCounterStoreContract,
  describeStateStoreContract,
  describeTokenRepositoryContract,
  describeUserRepositoryContract,
} from '../../src/testing.js';
import { freshOnSchema, postgresSchemas, testPool } from '../support/postgres-schemas.js';
import { describeWithPostgres } from '../support/services/index.js';

describeWithPostgres('PostgreSQL repositories', (url) => {
  const schemas = postgresSchemas(url);
  const fresh = <T extends object>(build: (pool: ReturnType<typeof testPool>, schema: string) => T) =>
    freshOnSchema(url, schemas, build);
  describeUserRepositoryContract(
    'users',
    fresh((pool, schema) => new PostgresUserRepository(pool, schema)),
  );
  describeTokenRepositoryContract(
    'tokens',
    fresh((pool, schema) => Object.assign(new PostgresTokenRepository(pool, { schema }), { schema })),
    {
      peer: (repo) => {
        const pool = testPool(url);
        return Object.assign(
          new PostgresTokenRepository(pool, { schema: (repo as unknown as { schema: string }).schema }),
          {
            close: () => pool.end(),
          },
        );
      },
    },
  );
  describeStateStoreContract(
    'state',
    fresh((pool, schema) => new PostgresStateStore(pool, schema)),
  );
  describeCounterStoreContract(
    'counters',
    fresh((pool, schema) => new PostgresCounterStore(pool, schema)),
  );
});
