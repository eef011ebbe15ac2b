/**
 * `gatehouse set-role` run as a real process against a SQLite file and the test PostgreSQL server,
 * while a gatehouse instance of the test uses the same database: the role it sets is the role of
 * the user's next request, what it prints (the change, the audit record), exit statuses, that
 * nothing changes on a failure, and that each driver is loaded only for its own store.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createPostgresInvalidationChannel,
  createPostgresStore,
  type PostgresStore,
} from '../../adapters/postgres/index.js';
import { createSqliteStore, type SqliteStore } from '../../adapters/sqlite/index.js';
import { createGatehouse, type Gatehouse, type Store } from '../../src/index.js';
import { CHEAP_ARGON2, GOOD_PASSWORD, newSecret } from '../support/gatehouse.js';
import { observedChannel } from '../support/invalidation.js';
import { newSchemaName, postgresSchemas } from '../support/postgres-schemas.js';
import { describeWithPostgres, freePort } from '../support/services/index.js';
import { cli, ROOT, type Run } from './support.js';

const PASSWORD = 'Pw-s3t-r0le-s3cr3t';
const HIDE_BETTER_SQLITE3 = fileURLToPath(new URL('./hide-better-sqlite3.ts', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-set-role-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
/** A path in this file's temporary folder (nothing created). */
function pathFor(name: string): string {
  files += 1;
  return join(dir, `${files}-${name}`);
}

/** A gatehouse on `store` with Ada registered and signed in. */
async function withAda(store: Store, extra: Partial<Parameters<typeof createGatehouse>[0]> = {}) {
  const gatehouse = createGatehouse({
    store,
    tokens: { secret: newSecret() },
    password: { argon2: CHEAP_ARGON2 },
    ...extra,
  });
  const user = await gatehouse.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
  const login = await gatehouse.auth.login({ identifier: 'ada@example.com', password: GOOD_PASSWORD });
  if (login.status !== 'authenticated') throw new Error('expected tokens');
  return { gatehouse, user, login };
}

/** The `user.role_changed` record among the lines of `stdout`. */
function auditRecord(run: Run): Record<string, unknown> {
  const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`no audit record in: ${run.stdout}`);
  return JSON.parse(line) as Record<string, unknown>;
}

async function roleNow(gatehouse: Gatehouse, accessToken: string): Promise<string> {
  return (await gatehouse.auth.authenticate(accessToken)).user.role;
}

describe('gatehouse set-role (no database needed)', () => {
  it('--help describes the command and its options; gatehouse --help lists it', async () => {
    const help = await cli(['set-role', '--help']);
    expect(help).toMatchObject({ status: 0, stderr: '' });
    for (const option of [
      '--email <email>',
      '--role <ROLE>',
      '--database-url <url>',
      '--schema <name>',
      '--sqlite <file>',
      '--revoke-sessions',
      '--notify-channel <name>',
      'DATABASE_URL',
      'authorization.roles',
    ]) {
      expect(help.stdout).toContain(option);
    }
    expect((await cli(['--help'])).stdout).toMatch(/set-role\s+Set the role of an existing user/);
  });

  it.each([
    ['no email', ['set-role', '--role', 'ADMIN', '--sqlite', 'x.db'], '--email <email> is required'],
    ['no role', ['set-role', '--email', 'ada@example.com', '--sqlite', 'x.db'], '--role <ROLE> is required'],
    ['an invalid email', ['set-role', '--email', 'ada', '--role', 'ADMIN', '--sqlite', 'x.db'], '--email'],
    [
      'a role no definition could name',
      ['set-role', '--email', 'ada@example.com', '--role', 'SUPER ADMIN', '--sqlite', 'x.db'],
      '--role must be',
    ],
    [
      'both stores',
      [
        'set-role',
        '--email',
        'a@example.com',
        '--role',
        'ADMIN',
        '--sqlite',
        'x.db',
        '--database-url',
        'postgres://h/db',
      ],
      'not both',
    ],
    [
      'no store (no flag, no DATABASE_URL)',
      ['set-role', '--email', 'a@example.com', '--role', 'ADMIN'],
      'no store given',
    ],
    [
      '--schema with --sqlite',
      ['set-role', '--email', 'a@example.com', '--role', 'ADMIN', '--sqlite', 'x.db', '--schema', 'app'],
      '--schema',
    ],
    [
      'a channel name that needs quoting',
      [
        'set-role',
        '--email',
        'a@example.com',
        '--role',
        'ADMIN',
        '--database-url',
        'postgres://h/db',
        '--notify-channel',
        'a;b',
      ],
      '--notify-channel',
    ],
    [
      'an unknown option',
      ['set-role', '--email', 'a@example.com', '--role', 'ADMIN', '--force'],
      "'--force'",
    ],
    ['a stray argument', ['set-role', 'ada@example.com', 'ADMIN'], 'ada@example.com'],
  ])('a usage error exits 2, changes nothing, and points to the help: %s', async (_name, args, message) => {
    const run = await cli(args);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('gatehouse set-role --help');
    expect(existsSync(join(ROOT, 'x.db'))).toBe(false);
  });

  it('an unreachable PostgreSQL server exits 1 with the reason, without the password', async () => {
    const port = await freePort();
    const run = await cli(['set-role', '--email', 'ada@example.com', '--role', 'ADMIN'], {
      DATABASE_URL: `postgres://admin:${PASSWORD}@127.0.0.1:${port}/app`,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('gatehouse set-role: failed:');
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  it('a SQLite file that does not exist exits 1 and is not created', async () => {
    const file = pathFor('missing.db');
    const run = await cli(['set-role', '--sqlite', file, '--email', 'ada@example.com', '--role', 'ADMIN']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`no such file: ${file}`);
    expect(existsSync(file)).toBe(false);
  });

  it('a SQLite file that is not a gatehouse database exits 1 and gets no gatehouse table', async () => {
    const file = pathFor('other.db');
    const other = new Database(file);
    other.exec('CREATE TABLE notes (body TEXT)');
    other.close();
    const run = await cli(['set-role', '--sqlite', file, '--email', 'ada@example.com', '--role', 'ADMIN']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('is not a gatehouse database');
    const check = new Database(file, { readonly: true });
    const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    check.close();
    expect(tables).toEqual(['notes']);
  });

  it('without better-sqlite3 installed, --sqlite says which package to install (exit 1)', async () => {
    const file = pathFor('no-driver.db');
    createSqliteStore({ filename: file }).close();
    const args = ['set-role', '--sqlite', file, '--email', 'ada@example.com', '--role', 'ADMIN'];
    const run = await cli(args, { preload: [HIDE_BETTER_SQLITE3] });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'the better-sqlite3 package is not installed: npm install better-sqlite3@12',
    );
    const help = await cli(['set-role', '--help'], { preload: [HIDE_BETTER_SQLITE3] });
    expect(help.status).toBe(0);
  });
});

describe('gatehouse set-role --sqlite', () => {
  const open: SqliteStore[] = [];
  afterEach(() => {
    for (const store of open.splice(0)) store.close();
  });
  /** A SQLite file with Ada signed in through a gatehouse the test keeps using. */
  async function sqliteWithAda() {
    const file = pathFor('auth.db');
    const store = createSqliteStore({ filename: file });
    open.push(store);
    return { file, store, ...(await withAda(store)) };
  }

  it('makes the first ADMIN: the next request of the same session has the new role', async () => {
    const { file, gatehouse, user, login } = await sqliteWithAda();
    expect(await roleNow(gatehouse, login.accessToken)).toBe('USER');
    const run = await cli(['set-role', '--sqlite', file, '--email', 'Ada@Example.com', '--role', 'ADMIN']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`gatehouse set-role: SQLite file ${file}`);
    expect(run.stdout).toContain(`ada@example.com (user ${user.id}): role USER -> ADMIN`);
    expect(auditRecord(run)).toMatchObject({
      type: 'user.role_changed',
      userId: user.id,
      from: 'USER',
      to: 'ADMIN',
      via: 'cli',
      changedBy: null,
      revokedTokens: 0,
      outcome: 'success',
    });
    expect(await roleNow(gatehouse, login.accessToken)).toBe('ADMIN');

    const again = await cli(['set-role', '--sqlite', file, '--email', 'ada@example.com', '--role', 'ADMIN']);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('already has role ADMIN: role not changed');
    expect(again.stdout).not.toContain('{');
  });

  it('an unknown email exits 1 and changes nothing', async () => {
    const { file, store, gatehouse, login } = await sqliteWithAda();
    const before = await store.users.findByEmail('ada@example.com');
    const run = await cli(['set-role', '--sqlite', file, '--email', 'grace@example.com', '--role', 'ADMIN']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('no user with email grace@example.com; nothing changed');
    expect(run.stdout).not.toContain('role_changed');
    expect(await store.users.count()).toBe(1);
    expect(await store.users.findByEmail('ada@example.com')).toEqual(before);
    expect(await roleNow(gatehouse, login.accessToken)).toBe('USER');
  });

  it('--revoke-sessions: a demotion that also ends every session', async () => {
    const { file, store, gatehouse, user, login } = await sqliteWithAda();
    await store.users.update(user.id, { role: 'ADMIN' }, new Date());
    const run = await cli([
      'set-role',
      '--sqlite',
      file,
      '--email',
      'ada@example.com',
      '--role',
      'USER',
      '--revoke-sessions',
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('role ADMIN -> USER');
    expect(run.stdout).toMatch(/revoked [1-9]\d* tokens: every session of the user has ended/);
    expect(auditRecord(run)).toMatchObject({ from: 'ADMIN', to: 'USER', revokedTokens: expect.any(Number) });
    await expect(gatehouse.auth.authenticate(login.accessToken)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
    await expect(gatehouse.auth.refresh(login.refreshToken)).rejects.toMatchObject({ status: 400 });
    const again = await gatehouse.auth.login({ identifier: 'ada@example.com', password: GOOD_PASSWORD });
    if (again.status !== 'authenticated') throw new Error('expected tokens');
    expect(await roleNow(gatehouse, again.accessToken)).toBe('USER');
  });
});

describeWithPostgres('gatehouse set-role --database-url', (url) => {
  const schemas = postgresSchemas(url);
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  function withPassword(): string {
    const target = new URL(url);
    target.password = PASSWORD;
    return target.href;
  }
  /** A migrated schema with Ada signed in; `channel` turns the token-record cache on, over LISTEN/NOTIFY. */
  async function postgresWithAda(channel?: string) {
    const schema = await schemas.create();
    const store: PostgresStore = await createPostgresStore({ connectionString: url, schema, migrate: false });
    const observed =
      channel === undefined
        ? undefined
        : observedChannel(createPostgresInvalidationChannel({ pool: store.pool, channel }));
    const extra = observed
      ? { tokens: { secret: newSecret(), recordCache: { channel: observed.channel, maxAge: 300 } } }
      : {};
    const ada = await withAda(store, extra);
    cleanup.push(async () => {
      await ada.gatehouse.close();
      await store.close();
      await schemas.drop(schema);
    });
    if (observed) await observed.status(true);
    return { schema, store, observed, ...ada };
  }

  it('sets the role; the next request has it; the password never shows', async () => {
    const { schema, gatehouse, user, login } = await postgresWithAda();
    const run = await cli([
      'set-role',
      '--database-url',
      withPassword(),
      '--schema',
      schema,
      '--email',
      'ada@example.com',
      '--role',
      'ADMIN',
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`schema "${schema}" on postgres://`);
    expect(run.stdout).toContain(`(user ${user.id}): role USER -> ADMIN`);
    expect(auditRecord(run)).toMatchObject({ type: 'user.role_changed', to: 'ADMIN', via: 'cli' });
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    expect(await roleNow(gatehouse, login.accessToken)).toBe('ADMIN');
  });

  it('an unknown email exits 1 and changes nothing', async () => {
    const { schema, store, gatehouse, login } = await postgresWithAda();
    const before = await store.users.findByEmail('ada@example.com');
    const run = await cli(
      ['set-role', '--schema', schema, '--email', 'grace@example.com', '--role', 'ADMIN'],
      {
        DATABASE_URL: withPassword(),
      },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('no user with email grace@example.com; nothing changed');
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    expect(await store.users.count()).toBe(1);
    expect(await store.users.findByEmail('ada@example.com')).toEqual(before);
    expect(await roleNow(gatehouse, login.accessToken)).toBe('USER');
  });

  it('a schema that was never migrated exits 1, says to migrate, and is not created', async () => {
    const schema = newSchemaName();
    const run = await cli([
      'set-role',
      '--database-url',
      url,
      '--schema',
      schema,
      '--email',
      'ada@example.com',
      '--role',
      'ADMIN',
    ]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('run npx gatehouse migrate');
    const { rows } = await schemas.admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    expect(rows).toEqual([]);
  });

  it('running instances with the token-record cache drop the cached user at once (NOTIFY on --notify-channel)', async () => {
    const channel = `gh_cli_${randomBytes(4).toString('hex')}`;
    const { schema, gatehouse, user, login, observed } = await postgresWithAda(channel);
    // Cached now; with maxAge 300 only the CLI's notification can make the next request read the store.
    expect(await roleNow(gatehouse, login.accessToken)).toBe('USER');
    const args = ['set-role', '--database-url', url, '--schema', schema, '--notify-channel', channel];
    const run = await cli([...args, '--email', 'ada@example.com', '--role', 'ADMIN']);
    expect(run.status).toBe(0);
    await observed?.received((m) => m.kind === 'user' && m.id === user.id);
    expect(await roleNow(gatehouse, login.accessToken)).toBe('ADMIN');
  });

  it('works without better-sqlite3 installed (it is loaded only for --sqlite)', async () => {
    const { schema, gatehouse, login } = await postgresWithAda();
    const run = await cli(
      [
        'set-role',
        '--database-url',
        url,
        '--schema',
        schema,
        '--email',
        'ada@example.com',
        '--role',
        'ADMIN',
      ],
      { preload: [HIDE_BETTER_SQLITE3] },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(await roleNow(gatehouse, login.accessToken)).toBe('ADMIN');
  });
});
