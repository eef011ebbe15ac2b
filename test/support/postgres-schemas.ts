/**
 * Throw-away schemas on the test PostgreSQL server: every contract test gets a schema of its own,
 * migrated, and dropped after the test.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { migratePostgres } from '../../adapters/postgres/migrations.js';

/** A fresh schema name: `gh_` and 12 hex digits. */
export function newSchemaName(): string {
  return `gh_${randomBytes(6).toString('hex')}`;
}

/**
 * Test schemas on the server at `url`. `create()` makes and migrates a new schema; `drop(schema)`
 * removes it. Call once per test file (it registers an `afterAll` that ends its admin pool).
 */
export function postgresSchemas(url: string) {
  const admin = new pg.Pool({ connectionString: url, max: 4 });
  admin.on('error', () => undefined);
  afterAll(() => admin.end());
  return {
    admin,
    async create(): Promise<string> {
      const schema = newSchemaName();
      await migratePostgres(admin, { schema });
      return schema;
    },
    async drop(schema: string): Promise<void> {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}

/** A pool on `url` for one test: small, with an error listener, ended by the caller. */
export function testPool(url: string, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  return pool;
}

/**
 * A contract factory: each call builds the object under test on a fresh migrated schema with a pool
 * of its own; its `close()` ends the pool and drops the schema.
 */
export function freshOnSchema<T extends object>(
  url: string,
  schemas: ReturnType<typeof postgresSchemas>,
  build: (pool: pg.Pool, schema: string) => T,
): () => Promise<T & { close(): Promise<void> }> {
  return async () => {
    const schema = await schemas.create();
    const pool = testPool(url);
    return Object.assign(build(pool, schema), {
      close: async () => {
        await pool.end();
        await schemas.drop(schema);
      },
    });
  };
}
