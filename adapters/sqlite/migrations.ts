/**
 * Versioned schema migrations of the SQLite store. Each migration runs once, in order, inside one
 * `BEGIN IMMEDIATE` transaction together with its row in `gatehouse_migrations`; reopening a
 * database applies only what is missing, and a database written by a newer gatehouse is refused.
 *
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';

/** One schema change. Versions start at 1 and increase by 1; a released migration never changes. */
export interface SqliteMigration {
  /** Position in the sequence (1, 2, 3, ...). */
  readonly version: number;
  /** Short description, stored next to the version for operators. */
  readonly name: string;
  /** The SQL to run (may hold several statements). */
  readonly sql: string;
}

/**
 * Every migration of the SQLite store, in order.
 *
 * Dates are INTEGER epoch milliseconds; booleans are INTEGER 0/1. Tables are `STRICT` so a wrong
 * type is an error rather than a silent conversion. `tokens` has no foreign key to `users` on
 * purpose: an application that keeps its users elsewhere (its own `UserRepository`) can still
 * use this token table; a user's tokens are removed with `deleteAllForUser`. The same holds for
 * `mfa_totp` and `mfa_backup_codes` (version 2) and for `relationships` (version 3), whose ids
 * name objects of the application's own.
 */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = Object.freeze([
  {
    version: 1,
    name: 'users and tokens',
    sql: `
      CREATE TABLE users (
        id                       TEXT    NOT NULL PRIMARY KEY,
        email                    TEXT    NOT NULL,
        username                 TEXT,
        password_hash            TEXT,
        role                     TEXT    NOT NULL DEFAULT 'USER',
        is_active                INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
        email_verified_at        INTEGER,
        password_change_required INTEGER NOT NULL DEFAULT 0 CHECK (password_change_required IN (0, 1)),
        created_at               INTEGER NOT NULL,
        updated_at               INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX users_email_unique ON users (email);
      -- SQLite treats NULLs as distinct in a unique index: any number of users without a username.
      CREATE UNIQUE INDEX users_username_unique ON users (username);

      CREATE TABLE tokens (
        id                TEXT    NOT NULL PRIMARY KEY,
        user_id           TEXT    NOT NULL,
        kind              TEXT    NOT NULL CHECK (kind IN ('access', 'refresh')),
        family_id         TEXT    NOT NULL,
        token_hash        TEXT,
        expires_at        INTEGER NOT NULL,
        family_expires_at INTEGER NOT NULL,
        is_active         INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
        ip_address        TEXT,
        user_agent        TEXT,
        scope             TEXT,
        client_id         TEXT,
        replaced_by       TEXT,
        used_at           INTEGER,
        created_at        INTEGER NOT NULL,
        updated_at        INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX tokens_token_hash_unique ON tokens (token_hash);
      CREATE INDEX tokens_user_id_idx ON tokens (user_id);
      CREATE INDEX tokens_ip_address_idx ON tokens (ip_address);
      CREATE INDEX tokens_family_id_idx ON tokens (family_id);
      CREATE INDEX tokens_expires_at_idx ON tokens (expires_at);
    `,
  },
  {
    version: 2,
    name: 'state, counters and mfa',
    sql: `
      CREATE TABLE gatehouse_state (
        key        TEXT    NOT NULL PRIMARY KEY,
        value      TEXT    NOT NULL,
        expires_at INTEGER
      ) STRICT;
      CREATE INDEX gatehouse_state_expires_at_idx ON gatehouse_state (expires_at);

      CREATE TABLE gatehouse_counters (
        key      TEXT    NOT NULL PRIMARY KEY,
        count    INTEGER NOT NULL,
        reset_at INTEGER NOT NULL
      ) STRICT;
      -- For pruning ended windows (SqliteCounterStore.deleteExpired).
      CREATE INDEX gatehouse_counters_reset_at_idx ON gatehouse_counters (reset_at);

      CREATE TABLE mfa_totp (
        user_id        TEXT    NOT NULL PRIMARY KEY,
        secret         TEXT    NOT NULL,
        enabled        INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
        last_used_step INTEGER,
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE mfa_backup_codes (
        user_id    TEXT    NOT NULL,
        code_hash  TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, code_hash)
      ) STRICT;
    `,
  },
  {
    version: 3,
    name: 'relationships',
    // A tuple `object_type:object_id#relation@subject_type:subject_id[#subject_relation]`. The
    // subject relation is '' for a plain subject (type and relation names are never empty), so
    // it can be part of the primary key, which also serves checks (one object + relation, one
    // subject) and object listings. The subject index serves reverse lookups ("what can anne
    // reach"); the (object_type, relation) index serves listings of one relation of a type.
    sql: `
      CREATE TABLE relationships (
        object_type       TEXT    NOT NULL,
        object_id         TEXT    NOT NULL,
        relation          TEXT    NOT NULL,
        subject_type      TEXT    NOT NULL,
        subject_id        TEXT    NOT NULL,
        subject_relation  TEXT    NOT NULL DEFAULT '',
        condition_name    TEXT,
        condition_context TEXT CHECK (condition_context IS NULL OR json_valid(condition_context)),
        created_at        INTEGER NOT NULL,
        PRIMARY KEY (object_type, object_id, relation, subject_type, subject_id, subject_relation),
        CHECK (condition_context IS NULL OR condition_name IS NOT NULL)
      ) STRICT;
      CREATE INDEX relationships_subject_idx
        ON relationships (subject_type, subject_id, subject_relation, relation);
      CREATE INDEX relationships_object_type_relation_idx ON relationships (object_type, relation);
    `,
  },
  {
    version: 4,
    name: 'api keys',
    // Only the SHA-256 of a key's secret is stored. `scopes` is a JSON array of scope tokens. No
    // foreign key to `users` (like `tokens`): keys are removed with `deleteAllForUser`.
    sql: `
      CREATE TABLE api_keys (
        id           TEXT    NOT NULL PRIMARY KEY,
        user_id      TEXT    NOT NULL,
        name         TEXT    NOT NULL,
        secret_hash  TEXT    NOT NULL,
        scopes       TEXT    NOT NULL CHECK (json_valid(scopes) AND json_type(scopes) = 'array'),
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at   INTEGER
      ) STRICT;
      CREATE INDEX api_keys_user_idx ON api_keys (user_id, created_at);
    `,
  },
  {
    version: 5,
    name: 'linked identities',
    // OAuth/OIDC identities linked to users (OWASP ASVS 5.0 6.8.1, 10.5.2, 10.3.3): unique on (issuer, subject), one per provider
    // and user. `tokens` holds the provider's tokens sealed with AES-256-GCM, or NULL. No foreign
    // key to `users` (like `tokens`): removed with `deleteAllForUser` on account deletion.
    sql: `
      CREATE TABLE linked_identities (
        id             TEXT    NOT NULL PRIMARY KEY,
        user_id        TEXT    NOT NULL,
        provider       TEXT    NOT NULL,
        issuer         TEXT    NOT NULL,
        subject        TEXT    NOT NULL,
        email          TEXT,
        email_verified INTEGER NOT NULL CHECK (email_verified IN (0, 1)),
        tokens         TEXT,
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL,
        last_login_at  INTEGER
      ) STRICT;
      CREATE UNIQUE INDEX linked_identities_subject_idx ON linked_identities (issuer, subject);
      CREATE UNIQUE INDEX linked_identities_user_provider_idx ON linked_identities (user_id, provider);
    `,
  },
  {
    version: 6,
    name: 'oauth clients',
    // Registered clients of the client-credentials and device grants. Only the SHA-256 of a
    // secret is stored (NULL for a public client). `scopes` and `grant_types` are JSON arrays.
    sql: `
      CREATE TABLE oauth_clients (
        id          TEXT    NOT NULL PRIMARY KEY,
        name        TEXT    NOT NULL,
        secret_hash TEXT,
        scopes      TEXT    NOT NULL CHECK (json_valid(scopes) AND json_type(scopes) = 'array'),
        grant_types TEXT    NOT NULL CHECK (json_valid(grant_types) AND json_type(grant_types) = 'array'),
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        disabled_at INTEGER
      ) STRICT;
    `,
  },
  {
    version: 7,
    name: 'tokens by client',
    // Disabling, deleting or rotating a registered client revokes every token issued to it,
    // users' device-grant sessions included (`revokeAllForClient`): an index, not a table scan.
    sql: `
      CREATE INDEX tokens_client_id_idx ON tokens (client_id);
    `,
  },
  {
    version: 8,
    name: 'token families and generations',
    // Revocation recorded where a concurrent write cannot miss it (see TokenRepository): a family
    // row per login, revoked as a whole, and a per-user generation that "log out everywhere"
    // raises. Every read of a token joins both. Existing tokens get their families, live at
    // generation 0: revocations made before stay on their rows.
    sql: `
      CREATE TABLE token_families (
        id         TEXT    NOT NULL PRIMARY KEY,
        user_id    TEXT    NOT NULL,
        client_id  TEXT,
        generation INTEGER NOT NULL,
        revoked_at INTEGER,
        expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX token_families_user_id_idx ON token_families (user_id);
      CREATE INDEX token_families_client_id_idx ON token_families (client_id);
      CREATE INDEX token_families_expires_at_idx ON token_families (expires_at);

      CREATE TABLE token_subjects (
        user_id    TEXT    NOT NULL PRIMARY KEY,
        generation INTEGER NOT NULL
      ) STRICT;

      INSERT INTO token_families (id, user_id, client_id, generation, revoked_at, expires_at, created_at)
        SELECT family_id, min(user_id), max(client_id), 0, NULL, max(family_expires_at), min(created_at)
        FROM tokens GROUP BY family_id;
    `,
  },
  {
    version: 9,
    name: 'users by creation',
    // Listing users for administrators (UserRepository.list) reads pages in (created_at, id)
    // order after the last user of the previous page: an index range, never a scan of the table.
    sql: `
      CREATE INDEX users_created_at_id_idx ON users (created_at, id);
    `,
  },
]);

/** The schema version this release of gatehouse writes and expects: the last migration's version. */
export const SQLITE_SCHEMA_VERSION: number = SQLITE_MIGRATIONS.length;

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS gatehouse_migrations (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`;

function assertWellFormed(migrations: readonly SqliteMigration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `gatehouse sqlite: migration #${index} has version ${migration.version}, expected ${index + 1}`,
      );
    }
  });
}

/**
 * Brings `db` up to the last of `migrations` (by default {@link SQLITE_MIGRATIONS}) and returns the
 * resulting schema version. Runs in one immediate transaction, so concurrent openers of one file
 * serialize and a failing migration leaves the database as it was. Throws when the database
 * already has a version newer than the last migration (written by a newer gatehouse).
 */
export function migrateSqliteDatabase(
  db: BetterSqlite3.Database,
  migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS,
): number {
  assertWellFormed(migrations);
  const target = migrations.length;
  const apply = db.transaction((): number => {
    db.exec(CREATE_MIGRATIONS_TABLE);
    const current =
      db
        .prepare<[], number | null>('SELECT max(version) FROM gatehouse_migrations')
        .pluck()
        .safeIntegers(false)
        .get() ?? 0;
    if (current > target) {
      throw new Error(
        `gatehouse sqlite: the database schema is at version ${current}, newer than this release supports (${target}); upgrade gatehouse`,
      );
    }
    const record = db.prepare<[number, string, number]>(
      'INSERT INTO gatehouse_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const migration of migrations.slice(current)) {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    }
    return target;
  });
  return apply.immediate();
}

/** The highest migration version recorded in `db`, or 0 when none (or no migrations table). */
export function readSqliteSchemaVersion(db: BetterSqlite3.Database): number {
  const table = db
    .prepare<[], string>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'gatehouse_migrations'",
    )
    .pluck()
    .get();
  if (table === undefined) return 0;
  return (
    db
      .prepare<[], number | null>('SELECT max(version) FROM gatehouse_migrations')
      .pluck()
      .safeIntegers(false)
      .get() ?? 0
  );
}
