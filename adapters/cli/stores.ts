/**
 * Opening an existing gatehouse store for a command: PostgreSQL (`pg`) or a SQLite file
 * (`better-sqlite3`). Both drivers are optional peers, loaded only when their store is asked for,
 * so each works without the other installed. Neither is migrated here: a schema that is not at
 * this release's version is refused (PostgreSQL: run `gatehouse migrate`; SQLite: the application
 * migrates its file when it opens it), and a SQLite file must exist and hold gatehouse's tables,
 * so a mistyped path never creates an empty database.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { withInvalidation } from '../../src/storage/invalidating-store.js';
import type { Store } from '../../src/storage/types.js';
import { isMissingPackage } from './io.js';
import type { PostgresTarget } from './postgres-target.js';

/** A store a command opened, what to call it in its output, and how to close it. */
export interface OpenedStore {
  readonly store: Store;
  /** E.g. `schema "gatehouse" on postgres://app@db:5432/app` or `SQLite file ./auth.db`. */
  readonly shown: string;
  close(): Promise<void>;
}

/** The default channel of `createPostgresInvalidationChannel`. */
export const DEFAULT_NOTIFY_CHANNEL = 'gatehouse_invalidate';
/** What `createPostgresInvalidationChannel` accepts as a channel name. */
export const NOTIFY_CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The PostgreSQL store in `schema`, which must be at this release's version. Its user updates and
 * revocations are announced on the invalidation channel `notifyChannel` (`pg_notify`), so running
 * instances with `tokens.recordCache` on that channel drop what they cached about the user at once.
 */
export async function openPostgres(
  target: PostgresTarget,
  schema: string,
  notifyChannel: string,
  applicationName: string,
): Promise<OpenedStore> {
  let postgres: typeof import('../postgres/index.js');
  try {
    postgres = await import('../postgres/index.js');
  } catch (error) {
    if (isMissingPackage(error, 'pg')) throw new Error('the pg package is not installed: npm install pg@8');
    throw error;
  }
  const store = await postgres.createPostgresStore({
    connectionString: target.connectionString,
    schema,
    migrate: false,
    poolOptions: { max: 1, connectionTimeoutMillis: 10_000, application_name: applicationName },
  });
  const channel = postgres.createPostgresInvalidationChannel({ pool: store.pool, channel: notifyChannel });
  return {
    store: withInvalidation(store, (message) => channel.publish(message)),
    shown: `schema "${schema}" on ${target.shown}`,
    close: () => store.close(),
  };
}

/** The SQLite store in the existing gatehouse database `file`, at this release's schema version. */
export async function openSqlite(file: string): Promise<OpenedStore> {
  if (!existsSync(file)) throw new Error(`no such file: ${file}`);
  let Database: typeof import('better-sqlite3');
  let sqlite: typeof import('../sqlite/index.js');
  try {
    ({ default: Database } = await import('better-sqlite3'));
    sqlite = await import('../sqlite/index.js');
  } catch (error) {
    if (isMissingPackage(error, 'better-sqlite3')) {
      throw new Error('the better-sqlite3 package is not installed: npm install better-sqlite3@12');
    }
    throw error;
  }
  const db = new Database(file, { fileMustExist: true, timeout: sqlite.SQLITE_BUSY_TIMEOUT_MS });
  try {
    db.pragma('foreign_keys = ON');
    const version = sqlite.readSqliteSchemaVersion(db);
    const needed = sqlite.SQLITE_SCHEMA_VERSION;
    if (version === 0) throw new Error(`${file} is not a gatehouse database (no gatehouse_migrations table)`);
    if (version > needed) {
      throw new Error(
        `${file} is at schema version ${version}, newer than this release supports (${needed}); upgrade gatehouse`,
      );
    }
    if (version < needed) {
      throw new Error(
        `${file} is at schema version ${version}, this release needs ${needed}: open it once with the application (createSqliteStore migrates it), then run this again`,
      );
    }
    return {
      store: sqlite.createSqliteStore({ database: db }),
      shown: `SQLite file ${file}`,
      close: async () => {
        db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
