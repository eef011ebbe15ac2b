import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSqliteStore,
  migrateSqliteDatabase,
  readSqliteSchemaVersion,
  SQLITE_BUSY_TIMEOUT_MS,
  SQLITE_MIGRATIONS,
  SQLITE_SCHEMA_VERSION,
  type SqliteStore,
} from '../../adapters/sqlite/index.js';
import { SqliteTokenRepository } from '../../adapters/sqlite/tokens.js';
import { SqliteUserRepository } from '../../adapters/sqlite/users.js';
import { AlreadyRegisteredError, ConfigError } from '../../src/errors.js';
import {
  addMs,
  buildSuccessor,
  buildTokenRecord,
  buildTotpRecord,
  buildUserRecord,
  CONTRACT_EPOCH,
  describeCounterStoreContract,
  describeMfaRepositoryContract,
  describeStateStoreContract,
  describeStoreContract,
  describeTokenRepositoryContract,
  randomTokenHash,
} from '../../src/testing.js';

const tempRoot = mkdtempSync(join(tmpdir(), 'gatehouse-sqlite-'));
let fileCounter = 0;
function tempFile(): string {
  fileCounter += 1;
  return join(tempRoot, `store-${process.pid}-${fileCounter}.db`);
}
afterAll(() => {
  rmSync(tempRoot, { recursive: true, force: true });
});

describeStoreContract('SQLite store (:memory:)', () => createSqliteStore());
describeStoreContract('SQLite store (temp file, WAL)', () => createSqliteStore({ filename: tempFile() }), {
  // A second connection to the same file: the races of the token contract run across connections.
  peer: (store) => createSqliteStore({ filename: (store as SqliteStore).db.name }),
});
describeStoreContract('SQLite store (bring your own database)', () => {
  const db = new Database(':memory:');
  const store = createSqliteStore({ database: db });
  const { users, tokens, state, counters, mfa, relationships, apiKeys, identities, clients } = store;
  return {
    users,
    tokens,
    state,
    counters,
    mfa,
    relationships,
    apiKeys,
    identities,
    clients,
    close: () => void db.close(),
  };
});
// Each table alone, as used next to repositories kept elsewhere.
describeTokenRepositoryContract('SQLite token repository (standalone)', () => createSqliteStore().tokens);
describeStateStoreContract('SQLite state store (standalone)', () => createSqliteStore().state);
describeCounterStoreContract('SQLite counter store (standalone)', () => createSqliteStore().counters);
describeMfaRepositoryContract('SQLite MFA repository (standalone)', () => createSqliteStore().mfa);

interface IndexInfo {
  name: string;
  unique: number;
  partial: number;
  columns: string[];
}

function indexes(db: Database.Database, table: string): IndexInfo[] {
  const list = db.pragma(`index_list(${table})`) as { name: string; unique: number; partial: number }[];
  return list.map((index) => ({
    name: index.name,
    unique: index.unique,
    partial: index.partial,
    columns: (db.pragma(`index_info(${index.name})`) as { name: string }[]).map((c) => c.name),
  }));
}

function findIndex(db: Database.Database, table: string, columns: string[]): IndexInfo | undefined {
  return indexes(db, table).find((index) => index.columns.join(',') === columns.join(','));
}

describe('SQLite store: schema and migrations', () => {
  let store: SqliteStore;
  beforeEach(() => {
    store = createSqliteStore();
  });
  afterEach(() => {
    store.close();
  });

  it('records every migration with its version, name and applied_at', () => {
    const rows = store.db
      .prepare('SELECT version, name, applied_at FROM gatehouse_migrations ORDER BY version')
      .all() as {
      version: number;
      name: string;
      applied_at: number;
    }[];
    expect(rows.map((r) => r.version)).toEqual(SQLITE_MIGRATIONS.map((m) => m.version));
    expect(rows.map((r) => r.name)).toEqual(SQLITE_MIGRATIONS.map((m) => m.name));
    for (const row of rows) {
      expect(Number.isInteger(row.applied_at)).toBe(true);
      expect(Math.abs(row.applied_at - Date.now())).toBeLessThan(60_000);
    }
    expect(readSqliteSchemaVersion(store.db)).toBe(SQLITE_SCHEMA_VERSION);
    expect(SQLITE_SCHEMA_VERSION).toBe(SQLITE_MIGRATIONS.length);
    expect(SQLITE_MIGRATIONS.map((m) => m.version)).toEqual(SQLITE_MIGRATIONS.map((_, i) => i + 1));
  });

  it('has a unique index on users(email) and on users(username)', () => {
    expect(findIndex(store.db, 'users', ['email'])?.unique).toBe(1);
    expect(findIndex(store.db, 'users', ['username'])?.unique).toBe(1);
  });

  it('indexes tokens(user_id), tokens(ip_address) and tokens(family_id), and token_hash is unique', () => {
    expect(findIndex(store.db, 'tokens', ['user_id'])).toBeDefined();
    expect(findIndex(store.db, 'tokens', ['ip_address'])).toBeDefined();
    expect(findIndex(store.db, 'tokens', ['family_id'])).toBeDefined();
    expect(findIndex(store.db, 'tokens', ['expires_at'])).toBeDefined();
    expect(findIndex(store.db, 'tokens', ['token_hash'])?.unique).toBe(1);
    const names = store.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tokens'")
      .pluck()
      .all();
    expect(names).toEqual(
      expect.arrayContaining(['tokens_user_id_idx', 'tokens_ip_address_idx', 'tokens_family_id_idx']),
    );
  });

  it('indexes tokens(client_id), and revoking by client uses it', () => {
    expect(findIndex(store.db, 'tokens', ['client_id'])?.name).toBe('tokens_client_id_idx');
    const plan = store.db
      .prepare(
        'EXPLAIN QUERY PLAN UPDATE tokens SET is_active = 0, updated_at = 1 WHERE client_id = ? AND is_active = 1',
      )
      .all('cli') as { detail: string }[];
    expect(plan.map((step) => step.detail).join('\n')).toMatch(/USING INDEX tokens_client_id_idx/);
  });

  it('indexes users(created_at, id), and every page of the user listing reads it', () => {
    expect(findIndex(store.db, 'users', ['created_at', 'id'])?.name).toBe('users_created_at_id_idx');
    const plans = [
      'SELECT id FROM users ORDER BY created_at, id LIMIT 51',
      'SELECT id FROM users WHERE (created_at, id) > (1, ?) ORDER BY created_at, id LIMIT 51',
    ].map((sql) =>
      (
        store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(sql.includes('?') ? ['a'] : [])) as {
          detail: string;
        }[]
      )
        .map((step) => step.detail)
        .join('\n'),
    );
    for (const plan of plans) {
      expect(plan).toMatch(/USING (COVERING )?INDEX users_created_at_id_idx/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
  });

  it('has the columns of the chapter’s tokens table plus the rotation columns', () => {
    const columns = (store.db.pragma('table_info(tokens)') as { name: string }[]).map((c) => c.name);
    expect(columns).toEqual([
      'id',
      'user_id',
      'kind',
      'family_id',
      'token_hash',
      'expires_at',
      'family_expires_at',
      'is_active',
      'ip_address',
      'user_agent',
      'scope',
      'client_id',
      'replaced_by',
      'used_at',
      'created_at',
      'updated_at',
    ]);
  });

  it('is at the last migration’s version: migrations 2 and 3 add the state, counter, MFA and relationship tables, all STRICT', () => {
    // Later issues append migrations; the first three never change.
    expect(SQLITE_SCHEMA_VERSION).toBe(SQLITE_MIGRATIONS.length);
    expect(SQLITE_MIGRATIONS.slice(0, 3).map((m) => [m.version, m.name])).toEqual([
      [1, 'users and tokens'],
      [2, 'state, counters and mfa'],
      [3, 'relationships'],
    ]);
    expect(readSqliteSchemaVersion(store.db)).toBe(SQLITE_SCHEMA_VERSION);
    const tables = store.db.pragma('table_list') as { schema: string; name: string; strict: number }[];
    const strict = new Map(tables.filter((t) => t.schema === 'main').map((t) => [t.name, t.strict]));
    for (const table of [
      'users',
      'tokens',
      'gatehouse_migrations',
      'gatehouse_state',
      'gatehouse_counters',
      'mfa_totp',
      'mfa_backup_codes',
      'relationships',
    ]) {
      expect(strict.get(table), table).toBe(1);
    }
  });

  it('has the columns, primary keys and indexes of the state, counter and MFA tables', () => {
    const columns = (table: string) =>
      (
        store.db.pragma(`table_info(${table})`) as {
          name: string;
          type: string;
          notnull: number;
          pk: number;
        }[]
      ).map((c) => [c.name, c.type, c.notnull, c.pk]);
    expect(columns('gatehouse_state')).toEqual([
      ['key', 'TEXT', 1, 1],
      ['value', 'TEXT', 1, 0],
      ['expires_at', 'INTEGER', 0, 0],
    ]);
    expect(columns('gatehouse_counters')).toEqual([
      ['key', 'TEXT', 1, 1],
      ['count', 'INTEGER', 1, 0],
      ['reset_at', 'INTEGER', 1, 0],
    ]);
    expect(columns('mfa_totp')).toEqual([
      ['user_id', 'TEXT', 1, 1],
      ['secret', 'TEXT', 1, 0],
      ['enabled', 'INTEGER', 1, 0],
      ['last_used_step', 'INTEGER', 0, 0],
      ['created_at', 'INTEGER', 1, 0],
      ['updated_at', 'INTEGER', 1, 0],
    ]);
    expect(columns('mfa_backup_codes')).toEqual([
      ['user_id', 'TEXT', 1, 1],
      ['code_hash', 'TEXT', 1, 2],
      ['created_at', 'INTEGER', 1, 0],
    ]);
    expect(findIndex(store.db, 'gatehouse_state', ['key'])?.unique).toBe(1);
    expect(findIndex(store.db, 'gatehouse_state', ['expires_at'])?.unique).toBe(0);
    expect(findIndex(store.db, 'gatehouse_counters', ['key'])?.unique).toBe(1);
    expect(findIndex(store.db, 'gatehouse_counters', ['reset_at'])?.unique).toBe(0);
    expect(findIndex(store.db, 'mfa_totp', ['user_id'])?.unique).toBe(1);
    expect(findIndex(store.db, 'mfa_backup_codes', ['user_id', 'code_hash'])?.unique).toBe(1);
    const names = store.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
      .pluck()
      .all();
    expect(names).toEqual(
      expect.arrayContaining(['gatehouse_state_expires_at_idx', 'gatehouse_counters_reset_at_idx']),
    );
    for (const table of ['gatehouse_state', 'gatehouse_counters', 'mfa_totp', 'mfa_backup_codes']) {
      expect(store.db.pragma(`foreign_key_list(${table})`), table).toEqual([]);
    }
  });

  it('stores state expiry, counter windows and MFA dates as INTEGER epoch milliseconds', async () => {
    await store.state.set('k', 'v', CONTRACT_EPOCH);
    await store.state.set('forever', 'v', null);
    expect(
      store.db
        .prepare('SELECT key, typeof(expires_at) AS t, expires_at FROM gatehouse_state ORDER BY key')
        .all(),
    ).toEqual([
      { key: 'forever', t: 'null', expires_at: null },
      { key: 'k', t: 'integer', expires_at: CONTRACT_EPOCH.getTime() },
    ]);
    await store.counters.increment('c', 60, CONTRACT_EPOCH, 2);
    expect(
      store.db.prepare('SELECT count, typeof(reset_at) AS t, reset_at FROM gatehouse_counters').get(),
    ).toEqual({ count: 2, t: 'integer', reset_at: CONTRACT_EPOCH.getTime() + 60_000 });
    const totp = buildTotpRecord({ enabled: false, lastUsedStep: 58_000_000 });
    await store.mfa.saveTotp(totp);
    await store.mfa.replaceBackupCodes(totp.userId, ['h1'], CONTRACT_EPOCH);
    expect(
      store.db
        .prepare('SELECT enabled, last_used_step, typeof(created_at) AS t, updated_at FROM mfa_totp')
        .get(),
    ).toEqual({ enabled: 0, last_used_step: 58_000_000, t: 'integer', updated_at: totp.updatedAt.getTime() });
    expect(store.db.prepare('SELECT user_id, code_hash, created_at FROM mfa_backup_codes').get()).toEqual({
      user_id: totp.userId,
      code_hash: 'h1',
      created_at: CONTRACT_EPOCH.getTime(),
    });
  });

  it('useTotpStep sets updated_at to now', async () => {
    const totp = buildTotpRecord();
    await store.mfa.saveTotp(totp);
    const now = addMs(CONTRACT_EPOCH, 30_001);
    expect(await store.mfa.useTotpStep(totp.userId, 7, now)).toBe(true);
    expect(await store.mfa.getTotp(totp.userId)).toEqual({ ...totp, lastUsedStep: 7, updatedAt: now });
  });

  it('deleteByPrefix compares bytes: NUL characters in keys and prefixes are literal too', async () => {
    for (const key of ['a\u0000b:1', 'a\u0000c:1', 'a:1', 'ab:1']) await store.state.set(key, key, null);
    expect(await store.state.deleteByPrefix('a\u0000b')).toBe(1);
    expect(await store.state.get('a\u0000c:1', CONTRACT_EPOCH)).toBe('a\u0000c:1');
    expect(await store.state.deleteByPrefix('a\u0000')).toBe(1);
    expect(await store.state.deleteByPrefix('a')).toBe(2);
  });

  it('replaceBackupCodes stores a hash listed twice once', async () => {
    const userId = 'u1';
    await store.mfa.replaceBackupCodes(userId, ['h1', 'h2', 'h1'], CONTRACT_EPOCH);
    expect(await store.mfa.countBackupCodes(userId)).toBe(2);
  });

  it('counters.deleteExpired removes the ended windows only', async () => {
    await store.counters.increment('short', 10, CONTRACT_EPOCH);
    await store.counters.increment('long', 3600, CONTRACT_EPOCH);
    expect(await store.counters.deleteExpired(addMs(CONTRACT_EPOCH, 9_999))).toBe(0);
    expect(await store.counters.deleteExpired(addMs(CONTRACT_EPOCH, 10_000))).toBe(1);
    expect(store.db.prepare('SELECT key FROM gatehouse_counters').pluck().all()).toEqual(['long']);
    expect(await store.counters.get('long', CONTRACT_EPOCH)).toMatchObject({ count: 1 });
  });

  it('increment rejects a window that is not a positive number and a by that is not a positive integer', async () => {
    for (const windowSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(store.counters.increment('k', windowSeconds, CONTRACT_EPOCH)).rejects.toBeInstanceOf(
        RangeError,
      );
    }
    for (const by of [0, -1, 1.5, Number.NaN]) {
      await expect(store.counters.increment('k', 60, CONTRACT_EPOCH, by)).rejects.toBeInstanceOf(RangeError);
    }
    expect(await store.counters.get('k', CONTRACT_EPOCH)).toBeNull();
    expect(await store.counters.increment('k', 0.0001, CONTRACT_EPOCH)).toEqual({
      count: 1,
      resetAt: addMs(CONTRACT_EPOCH, 1),
    });
  });

  it('keeps tokens independent of users: no foreign key, tokens of unknown users are accepted', async () => {
    expect(store.db.pragma('foreign_key_list(tokens)')).toEqual([]);
    const token = buildTokenRecord();
    await store.tokens.create(token);
    expect(await store.users.findById(token.userId)).toBeNull();
    expect(await store.tokens.findById(token.id)).toEqual(token);
  });

  it('turns foreign_keys on and sets the busy timeout', () => {
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(SQLITE_BUSY_TIMEOUT_MS);
  });

  it('stores dates as INTEGER epoch milliseconds and booleans as 0/1', async () => {
    const user = buildUserRecord({
      isActive: false,
      passwordChangeRequired: true,
      emailVerifiedAt: CONTRACT_EPOCH,
    });
    await store.users.create(user);
    const row = store.db
      .prepare(
        `SELECT typeof(created_at) AS t, created_at, email_verified_at, is_active, password_change_required
         FROM users WHERE id = ?`,
      )
      .get(user.id);
    expect(row).toEqual({
      t: 'integer',
      created_at: user.createdAt.getTime(),
      email_verified_at: CONTRACT_EPOCH.getTime(),
      is_active: 0,
      password_change_required: 1,
    });
    const token = buildTokenRecord();
    await store.tokens.create(token);
    const tokenRow = store.db
      .prepare('SELECT typeof(expires_at) AS t, expires_at, is_active FROM tokens WHERE id = ?')
      .get(token.id);
    expect(tokenRow).toEqual({ t: 'integer', expires_at: token.expiresAt.getTime(), is_active: 1 });
  });

  it('maps unique violations on users to AlreadyRegisteredError', async () => {
    const user = await store.users.create(buildUserRecord());
    await expect(store.users.create(buildUserRecord({ email: user.email }))).rejects.toBeInstanceOf(
      AlreadyRegisteredError,
    );
    await expect(store.users.create(buildUserRecord({ id: user.id }))).rejects.toBeInstanceOf(
      AlreadyRegisteredError,
    );
  });

  it('throws other SQLite errors as they are (no silent conversion)', async () => {
    const bad = { ...buildUserRecord(), email: null as unknown as string };
    await expect(store.users.create(bad)).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' });
  });

  it('refuses both filename and database', () => {
    const db = new Database(':memory:');
    try {
      expect(() => createSqliteStore({ filename: ':memory:', database: db })).toThrow(ConfigError);
    } finally {
      db.close();
    }
  });

  it('leaves a database passed in open on close(), and close() is idempotent', () => {
    const db = new Database(':memory:');
    const byo = createSqliteStore({ database: db });
    byo.close();
    byo.close();
    expect(db.open).toBe(true);
    expect(readSqliteSchemaVersion(db)).toBe(SQLITE_SCHEMA_VERSION);
    db.close();
    store.close();
    store.close();
    expect(store.db.open).toBe(false);
  });

  it('rolls a failing migration back completely', () => {
    const db = new Database(':memory:');
    try {
      const broken = [
        ...SQLITE_MIGRATIONS,
        {
          version: SQLITE_MIGRATIONS.length + 1,
          name: 'broken',
          sql: 'CREATE TABLE extra (x INTEGER); SELEC nonsense;',
        },
      ];
      expect(() => migrateSqliteDatabase(db, broken)).toThrow();
      expect(readSqliteSchemaVersion(db)).toBe(0);
      expect(
        db
          .prepare(
            `SELECT count(*) FROM sqlite_master
             WHERE name IN ('users', 'tokens', 'gatehouse_state', 'gatehouse_counters', 'mfa_totp', 'mfa_backup_codes', 'relationships', 'extra')`,
          )
          .pluck()
          .get(),
      ).toBe(0);
      expect(migrateSqliteDatabase(db)).toBe(SQLITE_SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  it('rejects migration lists with gaps', () => {
    const db = new Database(':memory:');
    try {
      const gap = [{ version: 2, name: 'two', sql: 'SELECT 1' }];
      expect(() => migrateSqliteDatabase(db, gap)).toThrow(/expected 1/);
    } finally {
      db.close();
    }
  });
});

describe('SQLite store: files', () => {
  it('uses WAL for files, persists data, and reopening applies no migration twice', async () => {
    const filename = tempFile();
    const first = createSqliteStore({ filename });
    expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const user = await first.users.create(buildUserRecord({ email: 'persist@example.com' }));
    const token = await first.tokens.create(buildTokenRecord({ userId: user.id }));
    const now = addMs(CONTRACT_EPOCH, 60_000);
    const next = buildSuccessor(token, now);
    expect(await first.tokens.rotate(token.id, next, now)).toEqual({ status: 'rotated' });
    const appliedBefore = first.db
      .prepare('SELECT version, name, applied_at FROM gatehouse_migrations')
      .all();
    first.close();

    const second = createSqliteStore({ filename });
    try {
      expect(second.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(second.db.prepare('SELECT version, name, applied_at FROM gatehouse_migrations').all()).toEqual(
        appliedBefore,
      );
      expect(readSqliteSchemaVersion(second.db)).toBe(SQLITE_SCHEMA_VERSION);
      expect(await second.users.findByEmail('persist@example.com')).toEqual(user);
      expect(await second.tokens.findById(token.id)).toEqual({
        ...token,
        replacedBy: next.id,
        usedAt: now,
        updatedAt: now,
      });
      expect(await second.tokens.findById(next.id)).toEqual(next);
      expect(await second.users.count()).toBe(1);
    } finally {
      second.close();
    }

    // A third open, and a bare migrate on an up-to-date database, are no-ops as well.
    const third = createSqliteStore({ filename });
    try {
      expect(migrateSqliteDatabase(third.db)).toBe(SQLITE_SCHEMA_VERSION);
      expect(third.db.prepare('SELECT count(*) FROM gatehouse_migrations').pluck().get()).toBe(
        SQLITE_MIGRATIONS.length,
      );
    } finally {
      third.close();
    }
  });

  it('migrates a version-1 file to the current version and keeps its data', async () => {
    const filename = tempFile();
    const v1 = new Database(filename);
    const user = buildUserRecord();
    const token = buildTokenRecord({ userId: user.id });
    let appliedV1: unknown[];
    try {
      expect(migrateSqliteDatabase(v1, SQLITE_MIGRATIONS.slice(0, 1))).toBe(1);
      await new SqliteUserRepository(v1).create(user);
      // A row as a version-1 gatehouse wrote it (no family table yet): migration 8 gives it its family.
      v1.prepare(
        `INSERT INTO tokens (id, user_id, kind, family_id, token_hash, expires_at, family_expires_at, is_active,
          ip_address, user_agent, scope, client_id, replaced_by, used_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, NULL, NULL, ?, ?)`,
      ).run(
        token.id,
        token.userId,
        token.kind,
        token.familyId,
        token.tokenHash,
        token.expiresAt.getTime(),
        token.familyExpiresAt.getTime(),
        token.ipAddress,
        token.userAgent,
        token.scope,
        token.clientId,
        token.createdAt.getTime(),
        token.updatedAt.getTime(),
      );
      appliedV1 = v1.prepare('SELECT version, name, applied_at FROM gatehouse_migrations').all();
      expect(
        v1
          .prepare("SELECT count(*) FROM sqlite_master WHERE name IN ('gatehouse_state', 'mfa_totp')")
          .pluck()
          .get(),
      ).toBe(0);
    } finally {
      v1.close();
    }

    const store = createSqliteStore({ filename });
    try {
      expect(readSqliteSchemaVersion(store.db)).toBe(SQLITE_SCHEMA_VERSION);
      const applied = store.db
        .prepare('SELECT version, name, applied_at FROM gatehouse_migrations ORDER BY version')
        .all() as { version: number; name: string; applied_at: number }[];
      expect(applied).toHaveLength(SQLITE_SCHEMA_VERSION);
      expect(applied[0]).toEqual(appliedV1[0]);
      expect(applied[1]).toMatchObject({ version: 2, name: 'state, counters and mfa' });
      expect(applied[2]).toMatchObject({ version: 3, name: 'relationships' });
      expect(await store.users.findById(user.id)).toEqual(user);
      expect(await store.users.count()).toBe(1);
      expect(await store.tokens.findById(token.id)).toEqual(token);
      expect(await store.tokens.findByHash(token.tokenHash ?? '')).toEqual(token);

      await store.state.set('verify:1', 'v', null);
      expect(await store.state.take('verify:1', CONTRACT_EPOCH)).toBe('v');
      expect(await store.counters.increment('login:1', 60, CONTRACT_EPOCH)).toMatchObject({ count: 1 });
      const totp = buildTotpRecord({ userId: user.id });
      await store.mfa.saveTotp(totp);
      expect(await store.mfa.getTotp(user.id)).toEqual(totp);
      const share = {
        object: { type: 'folder', id: 'f1' },
        relation: 'viewer',
        subject: { type: 'user', id: user.id },
      };
      await store.relationships.write([share]);
      expect(await store.relationships.readTuple(share.object, 'viewer', share.subject)).toEqual(share);
    } finally {
      store.close();
    }
  });

  it('two connections to one file: take, increment, useTotpStep and consumeBackupCode hold across them', async () => {
    const filename = tempFile();
    const a = createSqliteStore({ filename });
    const b = createSqliteStore({ filename });
    const now = CONTRACT_EPOCH;
    try {
      await a.state.set('reset:x', 'payload', addMs(now, 60_000));
      const taken = await Promise.all([b.state.take('reset:x', now), a.state.take('reset:x', now)]);
      expect(taken.filter((v) => v !== null)).toEqual(['payload']);

      await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).counters.increment('rate:x', 60, now)),
      );
      expect(await b.counters.get('rate:x', now)).toEqual({ count: 50, resetAt: addMs(now, 60_000) });

      const totp = buildTotpRecord();
      await a.mfa.saveTotp(totp);
      const used = await Promise.all([
        a.mfa.useTotpStep(totp.userId, 42, now),
        b.mfa.useTotpStep(totp.userId, 42, now),
      ]);
      expect(used.filter((r) => r)).toHaveLength(1);

      const code = randomTokenHash();
      await b.mfa.replaceBackupCodes(totp.userId, [code], now);
      const consumed = await Promise.all([
        a.mfa.consumeBackupCode(totp.userId, code),
        b.mfa.consumeBackupCode(totp.userId, code),
      ]);
      expect(consumed.filter((r) => r)).toHaveLength(1);
      expect(await a.mfa.countBackupCodes(totp.userId)).toBe(0);
    } finally {
      a.close();
      b.close();
    }
  });

  it('refuses a file whose schema is newer than this release', () => {
    const filename = tempFile();
    createSqliteStore({ filename }).close();
    const raw = new Database(filename);
    raw
      .prepare('INSERT INTO gatehouse_migrations (version, name, applied_at) VALUES (?, ?, ?)')
      .run(SQLITE_SCHEMA_VERSION + 1, 'from the future', Date.now());
    raw.close();
    expect(() => createSqliteStore({ filename })).toThrow(/newer than this release/);
  });

  it('two connections to one file: the rotation CAS holds across connections', async () => {
    const filename = tempFile();
    const a = createSqliteStore({ filename });
    const b = createSqliteStore({ filename });
    try {
      const token = await a.tokens.create(buildTokenRecord());
      const now = addMs(CONTRACT_EPOCH, 60_000);
      const nextA = buildSuccessor(token, now);
      const nextB = buildSuccessor(token, now);
      const results = await Promise.all([
        a.tokens.rotate(token.id, nextA, now),
        b.tokens.rotate(token.id, nextB, now),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['already_rotated', 'rotated']);
      const stored = [await b.tokens.findById(nextA.id), await a.tokens.findById(nextB.id)].filter(
        (t) => t !== null,
      );
      expect(stored).toHaveLength(1);
      expect((await b.tokens.findById(token.id))?.replacedBy).toBe(stored[0]?.id);
      // A user registered through one connection blocks the same email on the other.
      const user = await a.users.create(buildUserRecord());
      await expect(b.users.create(buildUserRecord({ email: user.email }))).rejects.toBeInstanceOf(
        AlreadyRegisteredError,
      );
    } finally {
      a.close();
      b.close();
    }
  });

  it('a token repository built on an already migrated database works on its own', async () => {
    const db = new Database(':memory:');
    try {
      migrateSqliteDatabase(db);
      const tokens = new SqliteTokenRepository(db);
      const token = buildTokenRecord();
      await tokens.create(token);
      expect(await tokens.findById(token.id)).toEqual(token);
    } finally {
      db.close();
    }
  });
});
