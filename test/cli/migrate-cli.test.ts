/**
 * `gatehouse migrate` run as a real process (`node --import tsx adapters/cli/main.ts`) against
 * the test PostgreSQL server: exit statuses, what it prints, what it does to the database, and
 * that the password of the connection string never shows.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { POSTGRES_SCHEMA_VERSION, readPostgresSchemaVersion } from '../../adapters/postgres/migrations.js';
import { newSchemaName, postgresSchemas } from '../support/postgres-schemas.js';
import { describeWithPostgres, freePort } from '../support/services/index.js';
import { cli } from './support.js';

const PASSWORD = 'Pw-4b1d3n-s3cr3t';

/** Every table migration 1 creates, and the migrations table. */
const TABLES = [
  'api_keys',
  'counters',
  'gatehouse_migrations',
  'linked_identities',
  'mfa_backup_codes',
  'mfa_totp',
  'oauth_clients',
  'relationships',
  'state',
  'token_families',
  'token_subjects',
  'tokens',
  'users',
];

describe('gatehouse (no database needed)', () => {
  it('--help and migrate --help print usage and exit 0', async () => {
    const top = await cli(['--help']);
    expect(top).toMatchObject({ status: 0, stderr: '' });
    expect(top.stdout).toContain('Usage: gatehouse <command>');
    expect(top.stdout).toContain('migrate');
    expect(top.stdout).toContain('set-role');
    const sub = await cli(['migrate', '--help']);
    expect(sub).toMatchObject({ status: 0, stderr: '' });
    for (const option of ['--database-url <url>', '--schema <name>', '--dry-run', 'DATABASE_URL']) {
      expect(sub.stdout).toContain(option);
    }
  });

  it.each([
    ['no command', [], 'no command given'],
    ['an unknown command', ['migrat'], 'unknown command "migrat"'],
    ['an unknown option', ['migrate', '--database-url', 'postgres://h/db', '--force'], "'--force'"],
    ['an option without its value', ['migrate', '--schema'], '--schema'],
    ['no database (no flag, no DATABASE_URL)', ['migrate'], 'no database given'],
    ['a URL that is not postgres://', ['migrate', '--database-url', 'mysql://h/db'], 'postgres://'],
    ['a string that is not a URL', ['migrate', '--database-url', 'host=db user=x'], 'is not a URL'],
    [
      'a schema name that needs quoting',
      ['migrate', '--database-url', 'postgres://h/db', '--schema', 'Gate-House'],
      '--schema',
    ],
  ])('a usage error exits 2 with a message on stderr: %s', async (_name, args, message) => {
    const run = await cli(args);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('--help');
  });

  it('a URL with a password given where it does not belong is not echoed', async () => {
    const url = `postgres://admin:${PASSWORD}@db.example:5432/app`;
    const stray = await cli(['migrate', url]);
    expect(stray.status).toBe(2);
    expect(stray.stderr).toContain('postgres://admin:***@db.example:5432/app');
    const wrongScheme = await cli(['migrate'], { DATABASE_URL: `mysql://admin:${PASSWORD}@db.example/app` });
    expect(wrongScheme.status).toBe(2);
    for (const run of [stray, wrongScheme]) expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  it('an unreachable server exits 1 with the reason, without the password', async () => {
    const port = await freePort();
    const run = await cli([
      'migrate',
      '--database-url',
      `postgres://admin:${PASSWORD}@127.0.0.1:${port}/app`,
    ]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('gatehouse migrate: failed:');
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(run.stdout).toContain(`postgres://admin@127.0.0.1:${port}/app`);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });
});

describeWithPostgres('gatehouse migrate', (url) => {
  const schemas = postgresSchemas(url);
  const created: string[] = [];
  afterAll(async () => {
    for (const schema of created) await schemas.drop(schema);
  });
  /** A schema name for this test, dropped after the file. */
  function schemaName(): string {
    const name = newSchemaName();
    created.push(name);
    return name;
  }
  /** The test server's URL with a password (the server trusts every local connection). */
  function withPassword(): string {
    const target = new URL(url);
    target.password = PASSWORD;
    return target.href;
  }
  async function tablesOf(schema: string): Promise<string[]> {
    const { rows } = await schemas.admin.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    return rows.map((row) => row.table_name);
  }
  async function recordedVersions(schema: string): Promise<number[]> {
    const { rows } = await schemas.admin.query<{ version: number }>(
      `SELECT version FROM "${schema}".gatehouse_migrations ORDER BY version`,
    );
    return rows.map((row) => row.version);
  }
  const everyVersion = Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1);

  it('migrates a fresh schema, then finds nothing to apply', async () => {
    const schema = schemaName();
    const first = await cli(['migrate', '--database-url', withPassword(), '--schema', schema]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`schema "${schema}"`);
    expect(first.stdout).toContain('applied migration 1: gatehouse store');
    expect(first.stdout).toContain(`now at version ${POSTGRES_SCHEMA_VERSION} (was 0)`);
    expect(await tablesOf(schema)).toEqual(TABLES);
    expect(await readPostgresSchemaVersion(schemas.admin, schema)).toBe(POSTGRES_SCHEMA_VERSION);

    const again = await cli(['migrate', '--database-url', withPassword(), '--schema', schema]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`already at version ${POSTGRES_SCHEMA_VERSION}: nothing to apply`);
    expect(again.stdout).not.toContain('applied migration');
    expect(await recordedVersions(schema)).toEqual(everyVersion);
    for (const run of [first, again]) expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  it('reads DATABASE_URL when --database-url is absent, without printing its password', async () => {
    const schema = schemaName();
    const run = await cli(['migrate', '--schema', schema], { DATABASE_URL: withPassword() });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('applied migration 1');
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    expect(await readPostgresSchemaVersion(schemas.admin, schema)).toBe(POSTGRES_SCHEMA_VERSION);
  });

  it('4 concurrent runs on one fresh schema all succeed; each migration is applied and recorded once', async () => {
    const schema = schemaName();
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => cli(['migrate', '--database-url', url, '--schema', schema])),
    );
    for (const run of runs) {
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    }
    expect(runs.filter((run) => run.stdout.includes('applied migration 1'))).toHaveLength(1);
    expect(runs.filter((run) => run.stdout.includes('nothing to apply'))).toHaveLength(3);
    expect(await recordedVersions(schema)).toEqual(everyVersion);
    expect(await tablesOf(schema)).toEqual(TABLES);
  });

  it('--dry-run prints the SQL of a fresh schema and creates nothing', async () => {
    const schema = schemaName();
    const run = await cli(['migrate', '--dry-run', '--database-url', withPassword(), '--schema', schema]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`version 0 -> ${POSTGRES_SCHEMA_VERSION}`);
    expect(run.stdout).toContain('BEGIN;');
    expect(run.stdout).toContain(`CREATE SCHEMA IF NOT EXISTS "${schema}";`);
    for (const table of ['users', 'tokens', 'mfa_totp', 'api_keys', 'linked_identities', 'oauth_clients']) {
      expect(run.stdout).toContain(`CREATE TABLE "${schema}".${table} (`);
    }
    expect(run.stdout).toContain('COMMIT;');
    expect(run.stdout).not.toContain(PASSWORD);
    const { rows } = await schemas.admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    expect(rows).toEqual([]);
  });

  it('--dry-run on a migrated schema says there is nothing to apply', async () => {
    const schema = schemaName();
    expect((await cli(['migrate', '--database-url', url, '--schema', schema])).status).toBe(0);
    const run = await cli(['migrate', '--database-url', url, '--schema', schema, '--dry-run']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('nothing to apply');
    expect(run.stdout).not.toContain('CREATE TABLE');
  });

  it('a schema newer than this release is refused with exit 1 and left alone', async () => {
    const schema = schemaName();
    expect((await cli(['migrate', '--database-url', url, '--schema', schema])).status).toBe(0);
    const future = POSTGRES_SCHEMA_VERSION + 1;
    await schemas.admin.query(
      `INSERT INTO "${schema}".gatehouse_migrations (version, name) VALUES ($1, 'future')`,
      [future],
    );
    for (const args of [[], ['--dry-run']]) {
      const run = await cli(['migrate', '--database-url', url, '--schema', schema, ...args]);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`version ${future}, newer than this release`);
    }
    expect(await recordedVersions(schema)).toEqual([...everyVersion, future]);
  });
});
