/**
 * Versioned schema migrations of the PostgreSQL store. They run in one transaction under a
 * transaction-level advisory lock, so any number of instances starting at once (or running
 * `npx gatehouse migrate` during a rolling deploy) apply each migration exactly once: the others
 * wait for the lock and then find nothing left to do. A schema written by a newer gatehouse is
 * refused rather than misread.
 *
 * @module
 */
import type { Pool, PoolClient } from 'pg';
import { quoteSchema } from './sql.js';

/** One schema change. Versions start at 1 and increase by 1; a released migration never changes. */
export interface PostgresMigration {
  /** Position in the sequence (1, 2, 3, ...). */
  readonly version: number;
  /** Short description, stored next to the version for operators. */
  readonly name: string;
  /** The SQL to run, given the quoted schema name (e.g. `"gatehouse"`). */
  readonly sql: (schema: string) => string;
}

/**
 * Every migration of the PostgreSQL store, in order.
 *
 * Types: `uuid` ids for users and linked identities, `timestamptz` for every instant (microsecond
 * precision keeps JavaScript's milliseconds exactly), `boolean`, `text[]` for lists of scopes and
 * grants, `jsonb` for a relationship's condition context. Like the SQLite store, `tokens` has no
 * foreign key to `users`: an application may keep its users elsewhere and still use this token
 * table; a user's rows go with `deleteAllForUser`.
 *
 * `token_families` and `token_subjects` carry revocation (see `tokens.ts`): a family revoked, or a
 * user's tokens revoked by raising the user's generation, is seen by every read of any of its
 * tokens, including tokens written concurrently with the revocation.
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = Object.freeze([
  {
    version: 1,
    name: 'gatehouse store',
    sql: (s: string) => `
      CREATE TABLE ${s}.users (
        id                       uuid        NOT NULL PRIMARY KEY,
        email                    text        NOT NULL,
        username                 text,
        password_hash            text,
        role                     text        NOT NULL DEFAULT 'USER',
        is_active                boolean     NOT NULL DEFAULT true,
        email_verified_at        timestamptz,
        password_change_required boolean     NOT NULL DEFAULT false,
        created_at               timestamptz NOT NULL,
        updated_at               timestamptz NOT NULL,
        CONSTRAINT users_email_unique UNIQUE (email),
        -- NULLs are distinct: any number of users without a username.
        CONSTRAINT users_username_unique UNIQUE (username)
      );

      CREATE TABLE ${s}.tokens (
        id                text        NOT NULL PRIMARY KEY,
        user_id           text        NOT NULL,
        kind              text        NOT NULL CHECK (kind IN ('access', 'refresh')),
        family_id         text        NOT NULL,
        token_hash        text,
        expires_at        timestamptz NOT NULL,
        family_expires_at timestamptz NOT NULL,
        is_active         boolean     NOT NULL DEFAULT true,
        ip_address        text,
        user_agent        text,
        scope             text,
        client_id         text,
        replaced_by       text,
        used_at           timestamptz,
        created_at        timestamptz NOT NULL,
        updated_at        timestamptz NOT NULL,
        CONSTRAINT tokens_token_hash_unique UNIQUE (token_hash)
      );
      CREATE INDEX tokens_user_id_idx ON ${s}.tokens (user_id);
      CREATE INDEX tokens_family_id_idx ON ${s}.tokens (family_id);
      CREATE INDEX tokens_client_id_idx ON ${s}.tokens (client_id);
      CREATE INDEX tokens_expires_at_idx ON ${s}.tokens (expires_at);

      -- One row per login (token family): revoking a family marks this row, which every read of
      -- the family's tokens joins. generation is the user's generation when the family started.
      CREATE TABLE ${s}.token_families (
        id         text        NOT NULL PRIMARY KEY,
        user_id    text        NOT NULL,
        client_id  text,
        generation bigint      NOT NULL,
        revoked_at timestamptz,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX token_families_user_id_idx ON ${s}.token_families (user_id);
      CREATE INDEX token_families_client_id_idx ON ${s}.token_families (client_id);
      CREATE INDEX token_families_expires_at_idx ON ${s}.token_families (expires_at);

      -- A user's token generation: "log out everywhere" raises it, which ends every family that
      -- started under an older generation, whenever its rows were written.
      CREATE TABLE ${s}.token_subjects (
        user_id    text   NOT NULL PRIMARY KEY,
        generation bigint NOT NULL
      );

      CREATE TABLE ${s}.state (
        key        text        NOT NULL PRIMARY KEY,
        value      text        NOT NULL,
        expires_at timestamptz
      );
      CREATE INDEX state_expires_at_idx ON ${s}.state (expires_at);

      CREATE TABLE ${s}.counters (
        key      text        NOT NULL PRIMARY KEY,
        count    bigint      NOT NULL,
        reset_at timestamptz NOT NULL
      );
      CREATE INDEX counters_reset_at_idx ON ${s}.counters (reset_at);

      CREATE TABLE ${s}.mfa_totp (
        user_id        text        NOT NULL PRIMARY KEY,
        secret         text        NOT NULL,
        enabled        boolean     NOT NULL DEFAULT false,
        last_used_step bigint,
        created_at     timestamptz NOT NULL,
        updated_at     timestamptz NOT NULL
      );

      CREATE TABLE ${s}.mfa_backup_codes (
        user_id    text        NOT NULL,
        code_hash  text        NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, code_hash)
      );

      -- object_type:object_id#relation@subject_type:subject_id[#subject_relation]; the subject
      -- relation is '' for a plain subject so that it can be part of the primary key, which
      -- serves the check reads (one tuple; every tuple of one object#relation) and object
      -- listings. The subject index holds the whole key too, subject first: it serves reverse
      -- lookups (the tuples naming user:anne, or team:eng#member), and a one-tuple read is exact
      -- through either index. The partial index holds the userset tuples apart, so reading the
      -- usersets of a folder shared with thousands of users reads the usersets only. Names and
      -- ids are matched exactly and never sorted for people, so they compare bytewise
      -- (COLLATE "C"): the same order and cost whatever the database's locale.
      CREATE TABLE ${s}.relationships (
        object_type       text COLLATE "C" NOT NULL,
        object_id         text COLLATE "C" NOT NULL,
        relation          text COLLATE "C" NOT NULL,
        subject_type      text COLLATE "C" NOT NULL,
        subject_id        text COLLATE "C" NOT NULL,
        subject_relation  text COLLATE "C" NOT NULL DEFAULT '',
        condition_name    text COLLATE "C",
        condition_context jsonb,
        created_at        timestamptz NOT NULL,
        PRIMARY KEY (object_type, object_id, relation, subject_type, subject_id, subject_relation),
        CHECK (condition_context IS NULL OR condition_name IS NOT NULL),
        CHECK (condition_context IS NULL OR jsonb_typeof(condition_context) = 'object')
      );
      CREATE INDEX relationships_subject_idx ON ${s}.relationships
        (subject_type, subject_id, subject_relation, relation, object_type, object_id);
      CREATE INDEX relationships_usersets_idx ON ${s}.relationships (object_type, object_id, relation)
        WHERE subject_relation <> '';
      CREATE INDEX relationships_object_type_relation_idx ON ${s}.relationships (object_type, relation);

      CREATE TABLE ${s}.api_keys (
        id           text        NOT NULL PRIMARY KEY,
        user_id      text        NOT NULL,
        name         text        NOT NULL,
        secret_hash  text        NOT NULL,
        scopes       text[]      NOT NULL,
        created_at   timestamptz NOT NULL,
        expires_at   timestamptz NOT NULL,
        last_used_at timestamptz,
        revoked_at   timestamptz
      );
      CREATE INDEX api_keys_user_idx ON ${s}.api_keys (user_id, created_at);

      CREATE TABLE ${s}.linked_identities (
        id             uuid        NOT NULL PRIMARY KEY,
        user_id        text        NOT NULL,
        provider       text        NOT NULL,
        issuer         text        NOT NULL,
        subject        text        NOT NULL,
        email          text,
        email_verified boolean     NOT NULL,
        tokens         text,
        created_at     timestamptz NOT NULL,
        updated_at     timestamptz NOT NULL,
        last_login_at  timestamptz,
        CONSTRAINT linked_identities_subject_unique UNIQUE (issuer, subject),
        CONSTRAINT linked_identities_user_provider_unique UNIQUE (user_id, provider)
      );

      CREATE TABLE ${s}.oauth_clients (
        id          text        NOT NULL PRIMARY KEY,
        name        text        NOT NULL,
        secret_hash text,
        scopes      text[]      NOT NULL,
        grant_types text[]      NOT NULL,
        created_at  timestamptz NOT NULL,
        updated_at  timestamptz NOT NULL,
        disabled_at timestamptz
      );
    `,
  },
  {
    version: 2,
    name: 'users by creation',
    // Listing users for administrators (UserRepository.list) reads pages in (created_at, id)
    // order after the last user of the previous page: an index range, never a scan of the table.
    sql: (s: string) => `
      CREATE INDEX users_created_at_id_idx ON ${s}.users (created_at, id);
    `,
  },
]);

/** The schema version this release of gatehouse writes and expects: the last migration's version. */
export const POSTGRES_SCHEMA_VERSION: number = POSTGRES_MIGRATIONS.length;

/** Options of {@link migratePostgres} and {@link pendingPostgresMigrations}. */
export interface PostgresMigrateOptions {
  /** The schema holding gatehouse's tables; created when missing. Default `gatehouse`. */
  readonly schema?: string;
  /** The migrations to apply; default {@link POSTGRES_MIGRATIONS}. */
  readonly migrations?: readonly PostgresMigration[];
}

/** What {@link migratePostgres} did. */
export interface PostgresMigrateResult {
  /** The schema version before. */
  readonly from: number;
  /** The schema version after (the last migration's). */
  readonly to: number;
  /** The migrations this call applied (none when another instance had applied them). */
  readonly applied: readonly { readonly version: number; readonly name: string }[];
}

function assertWellFormed(migrations: readonly PostgresMigration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `gatehouse postgres: migration #${index} has version ${migration.version}, expected ${index + 1}`,
      );
    }
  });
}

const migrationsTable = (s: string) => `${s}.gatehouse_migrations`;

function createMigrationsTable(s: string): string {
  return `CREATE TABLE IF NOT EXISTS ${migrationsTable(s)} (
    version    integer     NOT NULL PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;
}

/** The advisory lock key of a schema's migrations: the same for every instance and the CLI. */
function lockKey(schema: string): string {
  return `gatehouse migrate ${schema}`;
}

async function currentVersion(client: Pick<PoolClient, 'query'>, schema: string): Promise<number> {
  const s = quoteSchema(schema);
  const exists = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [
    `${s}.gatehouse_migrations`,
  ]);
  if (exists.rows[0]?.found == null) return 0;
  const result = await client.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${migrationsTable(s)}`,
  );
  return result.rows[0]?.version ?? 0;
}

/**
 * Brings the schema up to the last migration and returns what it did. One transaction holds a
 * `pg_advisory_xact_lock` for the schema while it reads the version and applies what is missing,
 * so concurrent callers serialize and a failing migration leaves the schema as it was (DDL is
 * transactional in PostgreSQL).
 *
 * @throws Error when the schema is at a newer version than this release knows (upgrade gatehouse),
 *   or when a migration fails (nothing of that call is applied).
 */
export async function migratePostgres(
  pool: Pick<Pool, 'connect'>,
  options: PostgresMigrateOptions = {},
): Promise<PostgresMigrateResult> {
  const schema = options.schema ?? 'gatehouse';
  const s = quoteSchema(schema);
  const migrations = options.migrations ?? POSTGRES_MIGRATIONS;
  assertWellFormed(migrations);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lockKey(schema)]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(createMigrationsTable(s));
      const from = await currentVersion(client, schema);
      if (from > migrations.length) {
        throw new Error(
          `gatehouse postgres: schema ${schema} is at version ${from}, newer than this release supports (${migrations.length}); upgrade gatehouse`,
        );
      }
      const applied: { version: number; name: string }[] = [];
      for (const migration of migrations.slice(from)) {
        await client.query(migration.sql(s));
        await client.query(`INSERT INTO ${migrationsTable(s)} (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
        applied.push({ version: migration.version, name: migration.name });
      }
      await client.query('COMMIT');
      return { from, to: migrations.length, applied };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    client.release();
  }
}

/**
 * The SQL that {@link migratePostgres} would run now, migration by migration, without running it
 * (`npx gatehouse migrate --dry-run`). Reads the current version only; takes no lock.
 */
export async function pendingPostgresMigrations(
  db: Pick<PoolClient, 'query'>,
  options: PostgresMigrateOptions = {},
): Promise<{ readonly from: number; readonly to: number; readonly sql: string }> {
  const schema = options.schema ?? 'gatehouse';
  const s = quoteSchema(schema);
  const migrations = options.migrations ?? POSTGRES_MIGRATIONS;
  assertWellFormed(migrations);
  const from = await currentVersion(db, schema);
  // The same lock as migratePostgres: running this output while an instance migrates is safe too.
  const lock = `SELECT pg_advisory_xact_lock(hashtextextended('${lockKey(schema)}', 0));`;
  const parts = [lock, `CREATE SCHEMA IF NOT EXISTS ${s};`, `${createMigrationsTable(s)};`];
  for (const migration of migrations.slice(from)) {
    parts.push(`-- migration ${migration.version}: ${migration.name}`, migration.sql(s).trim());
    parts.push(
      `INSERT INTO ${migrationsTable(s)} (version, name) VALUES (${migration.version}, '${migration.name.replaceAll("'", "''")}');`,
    );
  }
  return { from, to: migrations.length, sql: `BEGIN;\n${parts.join('\n')}\nCOMMIT;\n` };
}

/** The schema's migration version: 0 when it has none (or does not exist). */
export async function readPostgresSchemaVersion(
  db: Pick<PoolClient, 'query'>,
  schema = 'gatehouse',
): Promise<number> {
  return currentVersion(db, schema);
}
