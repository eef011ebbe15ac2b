/**
 * `gatehouse/sqlite`: the embedded default store, a single SQLite file through better-sqlite3
 * (an optional peer dependency: install `better-sqlite3@12` to use this subpath).
 *
 * @example
 * import { createGatehouse } from 'gatehouse';
 * import { createSqliteStore } from 'gatehouse/sqlite';
 *
 * const store = createSqliteStore({ filename: './auth.db' });
 * const auth = createGatehouse({ store, ... });
 *
 * @module gatehouse/sqlite
 */

import type BetterSqlite3 from 'better-sqlite3';
import Database from 'better-sqlite3';
import { ConfigError } from '../../src/errors.js';
import type { Store } from '../../src/storage/types.js';
import { SqliteApiKeyRepository } from './api-keys.js';
import { SqliteClientRepository } from './clients.js';
import { SqliteCounterStore } from './counters.js';
import { SqliteAccountRepository } from './identities.js';
import { SqliteMfaRepository } from './mfa.js';
import { migrateSqliteDatabase } from './migrations.js';
import { SqliteRelationshipStore, type SqliteRelationshipStoreOptions } from './relationships.js';
import { SqliteStateStore } from './state.js';
import { SqliteTokenRepository } from './tokens.js';
import { SqliteUserRepository } from './users.js';

export { SqliteApiKeyRepository } from './api-keys.js';
export { SqliteClientRepository } from './clients.js';
export { SqliteCounterStore } from './counters.js';
export { SqliteAccountRepository } from './identities.js';
export { SqliteMfaRepository } from './mfa.js';
export {
  migrateSqliteDatabase,
  readSqliteSchemaVersion,
  SQLITE_MIGRATIONS,
  SQLITE_SCHEMA_VERSION,
  type SqliteMigration,
} from './migrations.js';
export { SqliteRelationshipStore, type SqliteRelationshipStoreOptions } from './relationships.js';
export { SqliteStateStore } from './state.js';
export { SqliteTokenRepository } from './tokens.js';
export { isSqliteUniqueViolation, SqliteUserRepository } from './users.js';

/** How long a connection waits for another connection's write lock before failing with SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/** Options of {@link createSqliteStore}. Give `filename` or `database`, not both. */
export interface SqliteStoreOptions {
  /** Path of the database file (created when missing), or `':memory:'`. Default `':memory:'`. */
  filename?: string;
  /**
   * An open better-sqlite3 database to use instead of opening one. Its pragmas are left as you set
   * them, and {@link SqliteStore.close} does not close it: you opened it, you close it.
   */
  database?: BetterSqlite3.Database;
  /**
   * Options of the relationship store ({@link SqliteStore.relationships}); with `{ model }`, every
   * written tuple must satisfy that model's type restrictions.
   */
  relationships?: SqliteRelationshipStoreOptions;
}

/** A `Store` on SQLite, plus the connection it uses. */
export interface SqliteStore extends Store {
  readonly users: SqliteUserRepository;
  readonly tokens: SqliteTokenRepository;
  readonly state: SqliteStateStore;
  readonly counters: SqliteCounterStore;
  readonly mfa: SqliteMfaRepository;
  readonly apiKeys: SqliteApiKeyRepository;
  /** Identities at OAuth/OIDC providers linked to users. */
  readonly identities: SqliteAccountRepository;
  /** Registered OAuth clients (client credentials, device grant). */
  readonly clients: SqliteClientRepository;
  /** Relationship tuples for the policy evaluator (`new PolicyEvaluator({ model, store: store.relationships })`). */
  readonly relationships: SqliteRelationshipStore;
  /** The better-sqlite3 connection (for backups, inspection, or your own tables). */
  readonly db: BetterSqlite3.Database;
  /** Closes the connection if this store opened it; a `database` passed in stays open. Idempotent. */
  close(): void;
}

/**
 * Opens (or adopts) a SQLite database, brings its schema up to {@link SQLITE_SCHEMA_VERSION} and
 * returns a `Store` on it: users, tokens, state, counters and MFA factors, plus the
 * relationship tuples of the policy evaluator as `relationships`.
 *
 * A database the store opens itself gets `journal_mode = WAL` when it is a file (readers do not
 * block the writer, and the file survives crashes), `foreign_keys = ON`, and a `busy_timeout` of
 * {@link SQLITE_BUSY_TIMEOUT_MS} so that several processes sharing the file wait for each other's
 * write lock instead of failing at once. Migrations run in one immediate transaction and are
 * idempotent: reopening a file applies only what is missing, and a file written by a newer
 * gatehouse is refused rather than misread.
 *
 * @throws ConfigError when both `filename` and `database` are given.
 * @throws Error when the file cannot be opened or its schema is newer than this release.
 */
export function createSqliteStore(options: SqliteStoreOptions = {}): SqliteStore {
  if (options.database !== undefined && options.filename !== undefined) {
    throw new ConfigError([{ path: 'database', message: 'give either filename or database, not both' }]);
  }
  const owned = options.database === undefined;
  const db = options.database ?? openDatabase(options.filename ?? ':memory:');
  try {
    migrateSqliteDatabase(db);
    const users = new SqliteUserRepository(db);
    return {
      users,
      tokens: new SqliteTokenRepository(db, { users }),
      state: new SqliteStateStore(db),
      counters: new SqliteCounterStore(db),
      mfa: new SqliteMfaRepository(db),
      apiKeys: new SqliteApiKeyRepository(db),
      identities: new SqliteAccountRepository(db),
      clients: new SqliteClientRepository(db),
      relationships: new SqliteRelationshipStore(db, options.relationships),
      db,
      close() {
        if (owned && db.open) db.close();
      },
    };
  } catch (error) {
    if (owned && db.open) db.close();
    throw error;
  }
}

function openDatabase(filename: string): BetterSqlite3.Database {
  const db = new Database(filename, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  try {
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    // In-memory databases keep journal_mode 'memory'; WAL only applies to files.
    if (!db.memory) db.pragma('journal_mode = WAL');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
