/**
 * `gatehouse/postgres`: every repository of the `Store` on PostgreSQL, through node-postgres
 * (`pg`, an optional peer dependency: install `pg@8` to use this subpath). This is the store for a
 * service running several instances: everything durable (users, tokens, families, identities,
 * clients, API keys, relationships) and, unless Redis takes them, counters and short-lived state
 * live in one schema that all instances share. Every atomic step is decided by the database: a
 * single statement (a constraint, a conditional `UPDATE ... RETURNING`, an `INSERT ... ON
 * CONFLICT`) wherever one suffices, and for the two writes that need several statements (the
 * per-user API-key cap, replacing backup codes) a short transaction under a per-user advisory lock;
 * never a lock held in a process.
 *
 * @example
 * import pg from 'pg';
 * import { createGatehouse } from 'gatehouse';
 * import { createPostgresStore } from 'gatehouse/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * pool.on('error', (error) => console.error('idle PostgreSQL client failed', error));
 * const store = await createPostgresStore({ pool });
 * const gatehouse = createGatehouse({ store, tokens: { secret: process.env.GATEHOUSE_SECRET! } });
 *
 * @module gatehouse/postgres
 */
import pg from 'pg';
import { ConfigError } from '../../src/errors.js';
import type { Store } from '../../src/storage/types.js';
import { PostgresApiKeyRepository } from './api-keys.js';
import { PostgresClientRepository } from './clients.js';
import { PostgresCounterStore } from './counters.js';
import { PostgresAccountRepository } from './identities.js';
import { PostgresMfaRepository } from './mfa.js';
import { migratePostgres, POSTGRES_SCHEMA_VERSION, readPostgresSchemaVersion } from './migrations.js';
import { PostgresRelationshipStore, type PostgresRelationshipStoreOptions } from './relationships.js';
import { DEFAULT_POSTGRES_SCHEMA, quoteSchema } from './sql.js';
import { PostgresStateStore } from './state.js';
import { PostgresTokenRepository } from './tokens.js';
import { PostgresUserRepository } from './users.js';

export { PostgresApiKeyRepository } from './api-keys.js';
export { PostgresClientRepository } from './clients.js';
export { PostgresCounterStore } from './counters.js';
export { PostgresAccountRepository } from './identities.js';
export { PostgresMfaRepository } from './mfa.js';
export {
  migratePostgres,
  POSTGRES_MIGRATIONS,
  POSTGRES_SCHEMA_VERSION,
  type PostgresMigrateOptions,
  type PostgresMigrateResult,
  type PostgresMigration,
  pendingPostgresMigrations,
  readPostgresSchemaVersion,
} from './migrations.js';
export {
  createPostgresInvalidationChannel,
  type PostgresInvalidationChannelOptions,
} from './notifications.js';
export { PostgresRelationshipStore, type PostgresRelationshipStoreOptions } from './relationships.js';
export { DEFAULT_POSTGRES_SCHEMA, type PostgresPool, type Queryable } from './sql.js';
export { PostgresStateStore } from './state.js';
export { PostgresTokenRepository, type PostgresTokenRepositoryOptions } from './tokens.js';
export { PostgresUserRepository } from './users.js';

/** Options of {@link createPostgresStore}. Give `pool` or `connectionString`, not both. */
export interface PostgresStoreOptions {
  /**
   * Your `pg.Pool`. {@link PostgresStore.close} leaves it open (you created it, you end it). Give
   * it an `'error'` listener: without one, node-postgres ends the process when an idle connection
   * fails (for instance while PostgreSQL restarts).
   */
  readonly pool?: pg.Pool;
  /**
   * A connection string (`postgres://user:password@host:5432/db`): the store creates its own pool
   * (`poolOptions` apply), listens for its errors, and ends it on `close()`.
   */
  readonly connectionString?: string;
  /**
   * Options of the pool created for `connectionString`. Defaults: 10 connections, a 5-second
   * connection timeout (so requests fail with 503 while the database is unreachable rather than
   * waiting), idle connections closed after 30 seconds.
   */
  readonly poolOptions?: Omit<pg.PoolConfig, 'connectionString'>;
  /** The schema holding gatehouse's tables (lower-case letters, digits, `_`). Default `gatehouse`. */
  readonly schema?: string;
  /**
   * `true` (default): apply missing migrations at start-up, under an advisory lock, so instances
   * starting together apply each migration once. `false`: only check that the schema is at this
   * release's version and refuse to start otherwise (for databases migrated by
   * `npx gatehouse migrate` in the deploy, with an application role that may not change the schema).
   */
  readonly migrate?: boolean;
  /** Options of the relationship store; with `{ model }`, written tuples must satisfy the model. */
  readonly relationships?: PostgresRelationshipStoreOptions;
}

/** A `Store` on PostgreSQL, plus the pool and schema it uses. */
export interface PostgresStore extends Store {
  readonly users: PostgresUserRepository;
  readonly tokens: PostgresTokenRepository;
  readonly state: PostgresStateStore;
  readonly counters: PostgresCounterStore;
  readonly mfa: PostgresMfaRepository;
  readonly apiKeys: PostgresApiKeyRepository;
  readonly identities: PostgresAccountRepository;
  readonly clients: PostgresClientRepository;
  readonly relationships: PostgresRelationshipStore;
  /** The pool every repository queries through. */
  readonly pool: pg.Pool;
  /** The schema holding the tables. */
  readonly schema: string;
  /** Ends the pool if the store created it; a pool passed in stays open. Idempotent. */
  close(): Promise<void>;
}

/** The pool defaults of {@link PostgresStoreOptions.poolOptions}. */
const POOL_DEFAULTS: pg.PoolConfig = {
  max: 10,
  connectionTimeoutMillis: 5_000,
  idleTimeoutMillis: 30_000,
};

/**
 * Connects to PostgreSQL, brings the schema up to {@link POSTGRES_SCHEMA_VERSION} (or checks it,
 * with `migrate: false`) and returns a `Store` on it.
 *
 * @throws ConfigError when both or neither of `pool` and `connectionString` are given, or the
 *   schema name is not a plain lower-case identifier.
 * @throws Error when the database cannot be reached, the schema is newer than this release, or
 *   (with `migrate: false`) older.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  if ((options.pool === undefined) === (options.connectionString === undefined)) {
    throw new ConfigError([{ path: 'pool', message: 'give either pool or connectionString' }]);
  }
  const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
  try {
    quoteSchema(schema);
  } catch (error) {
    throw new ConfigError([{ path: 'schema', message: (error as Error).message }]);
  }
  const owned = options.pool === undefined;
  const pool =
    options.pool ??
    new pg.Pool({ ...POOL_DEFAULTS, ...options.poolOptions, connectionString: options.connectionString });
  if (owned) {
    // An idle connection that fails (a restart) is discarded by the pool; without a listener the
    // error would end the process.
    pool.on('error', () => undefined);
  }
  try {
    if (options.migrate === false) {
      const version = await readPostgresSchemaVersion(pool, schema);
      if (version !== POSTGRES_SCHEMA_VERSION) {
        throw new Error(
          `gatehouse postgres: schema ${schema} is at version ${version}, this release needs ${POSTGRES_SCHEMA_VERSION}; run npx gatehouse migrate`,
        );
      }
    } else {
      await migratePostgres(pool, { schema });
    }
  } catch (error) {
    if (owned) await pool.end().catch(() => undefined);
    throw error;
  }
  const users = new PostgresUserRepository(pool, schema);
  let closed = false;
  return {
    users,
    tokens: new PostgresTokenRepository(pool, { schema, users }),
    state: new PostgresStateStore(pool, schema),
    counters: new PostgresCounterStore(pool, schema),
    mfa: new PostgresMfaRepository(pool, schema),
    apiKeys: new PostgresApiKeyRepository(pool, schema),
    identities: new PostgresAccountRepository(pool, schema),
    clients: new PostgresClientRepository(pool, schema),
    relationships: new PostgresRelationshipStore(pool, { ...options.relationships, schema }),
    pool,
    schema,
    async close() {
      if (closed) return;
      closed = true;
      if (owned) await pool.end();
    },
  };
}
