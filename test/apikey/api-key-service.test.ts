/**
 * ApiKeyService on its own and on a real SQLite store: what is stored (AK-01), last-used writes
 * at most once a minute, key format and entropy, fail-closed store errors (RV-01), config checks.
 */
import { describe, expect, it } from 'vitest';
import { createSqliteStore, SQLITE_MIGRATIONS } from '../../adapters/sqlite/index.js';
import { API_KEY_PREFIX, generateApiKey, parseApiKey } from '../../src/apikey/key-format.js';
import { ConfigError, createMemoryStore, type Store } from '../../src/index.js';
import { GOOD_PASSWORD, testGatehouse } from '../support/gatehouse.js';

const API_KEYS = { enabled: true, scopes: ['read', 'write'] };

async function userOf(gh: ReturnType<typeof testGatehouse>, email = 'ada@example.com'): Promise<string> {
  return (await gh.auth.register({ email, password: GOOD_PASSWORD })).id;
}

describe('key format', () => {
  it('ghk_ + a 72-bit public id + a 256-bit secret from the CSPRNG, all distinct', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const { key, id } = generateApiKey();
      expect(key.startsWith(API_KEY_PREFIX)).toBe(true);
      const parsed = parseApiKey(key);
      expect(parsed?.id).toBe(id);
      expect(Buffer.from(parsed?.secret as string, 'base64url')).toHaveLength(32);
      expect(Buffer.from(id, 'base64url')).toHaveLength(9);
      seen.add(key);
      seen.add(id);
    }
    expect(seen.size).toBe(4000);
    for (const bad of [
      '',
      'ghk_',
      `ghk_${'a'.repeat(12)}-${'b'.repeat(43)}`,
      `ghk_${'a'.repeat(12)}_${'b'.repeat(44)}`,
    ]) {
      expect(parseApiKey(bad)).toBeUndefined();
    }
  });
});

describe('SQLite schema of api_keys', () => {
  it('is a STRICT table from migration "api keys", indexed by user, refusing non-array scopes', () => {
    const store = createSqliteStore();
    try {
      expect(SQLITE_MIGRATIONS.find((m) => m.name === 'api keys')).toBeDefined();
      const tables = store.db.pragma('table_list') as { name: string; strict: number }[];
      expect(tables.find((t) => t.name === 'api_keys')?.strict).toBe(1);
      const indexes = store.db.pragma('index_list(api_keys)') as { name: string }[];
      expect(indexes.map((i) => i.name)).toContain('api_keys_user_idx');
      const insert = (scopes: string) =>
        store.db
          .prepare(
            "INSERT INTO api_keys (id, user_id, name, secret_hash, scopes, created_at, expires_at) VALUES (?, 'u', 'n', 'h', ?, 0, 1)",
          )
          .run(`id-${scopes.length}`, scopes);
      expect(() => insert('"read"')).toThrow();
      expect(() => insert('not json')).toThrow();
      expect(() => insert('["read"]')).not.toThrow();
    } finally {
      store.close();
    }
  });
});

describe('ApiKeyService', () => {
  it('the SQLite table holds the public id and a SHA-256 hash, never the secret', async () => {
    const store = createSqliteStore();
    try {
      const gh = testGatehouse({ store, apiKeys: API_KEYS });
      const userId = await userOf(gh);
      const { key, info } = await gh.apiKeys.create(userId, { name: 'ci', scopes: ['read'] });
      const secret = parseApiKey(key)?.secret as string;
      const rows = store.db.prepare('SELECT * FROM api_keys').all();
      expect(rows).toHaveLength(1);
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(key);
      expect(dump).toContain(info.id);
      const authenticated = await gh.apiKeys.authenticate(key);
      expect(authenticated.user.id).toBe(userId);
      expect(authenticated.key.scopes).toEqual(['read']);
      await gh.apiKeys.revoke(userId, info.prefix);
      await expect(gh.apiKeys.authenticate(key)).rejects.toMatchObject({ code: 'ERR_TOKEN_INVALID' });
    } finally {
      store.close();
    }
  });

  it('writes lastUsedAt at most once a minute', async () => {
    const store = createMemoryStore();
    let touches = 0;
    const touch = store.apiKeys.touch.bind(store.apiKeys);
    store.apiKeys.touch = async (id, at) => {
      touches++;
      await touch(id, at);
    };
    const gh = testGatehouse({ store, apiKeys: API_KEYS });
    const userId = await userOf(gh);
    const { key, info } = await gh.apiKeys.create(userId, { name: 'ci' });
    const first = gh.clock.now();
    for (let i = 0; i < 5; i++) await gh.apiKeys.authenticate(key);
    expect(touches).toBe(1);
    gh.clock.advance(59);
    await gh.apiKeys.authenticate(key);
    expect(touches).toBe(1);
    expect((await store.apiKeys.findById(info.id))?.lastUsedAt).toEqual(first);
    gh.clock.advance(1);
    await gh.apiKeys.authenticate(key);
    expect(touches).toBe(2);
    expect((await store.apiKeys.findById(info.id))?.lastUsedAt).toEqual(gh.clock.now());
  });

  it('a store that fails makes authentication fail closed with ERR_STORE_UNAVAILABLE', async () => {
    const base = createMemoryStore();
    let failing = false;
    const apiKeys = new Proxy(base.apiKeys, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (property === 'findById' && failing)
          return () => Promise.reject(new Error('SELECT * FROM api_keys'));
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const store: Store = { ...base, apiKeys };
    const gh = testGatehouse({ store, apiKeys: API_KEYS });
    const { key } = await gh.apiKeys.create(await userOf(gh), { name: 'ci' });
    failing = true;
    await expect(gh.apiKeys.authenticate(key)).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      status: 503,
    });
  });

  it('validates the name, scopes and lifetime, reporting every field', async () => {
    const gh = testGatehouse({ apiKeys: API_KEYS });
    const userId = await userOf(gh);
    await expect(
      gh.apiKeys.create(userId, { name: '', scopes: 'read', expiresIn: 10 }),
    ).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      issues: [
        expect.objectContaining({ field: 'name' }),
        expect.objectContaining({ field: 'expires_in' }),
        expect.objectContaining({ field: 'scopes' }),
      ],
    });
    await expect(gh.apiKeys.create(userId, { name: 'line\nbreak' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await expect(gh.apiKeys.create(userId, { name: 'x', scopes: ['read', 'delete'] })).rejects.toMatchObject({
      code: 'ERR_INVALID_SCOPE',
    });
    await expect(gh.apiKeys.create('no-such-user', { name: 'x' })).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
    const { info } = await gh.apiKeys.create(userId, { name: '  spaced  ', scopes: ['read', 'read'] });
    expect(info).toMatchObject({ name: 'spaced', scopes: ['read'] });
    expect(info.expiresAt.getTime() - info.createdAt.getTime()).toBe(90 * 86_400_000);
  });

  it('configuration: defaultLifetime above maxLifetime and bad scope tokens are ConfigErrors naming the field', () => {
    expect(() => testGatehouse({ apiKeys: { defaultLifetime: 400 * 86_400 } })).toThrow(
      /apiKeys\.defaultLifetime/,
    );
    expect(() => testGatehouse({ apiKeys: { scopes: ['has space'] } })).toThrow(ConfigError);
    expect(() => testGatehouse({ apiKeys: { header: 'x api key' } })).toThrow(/apiKeys\.header/);
    const gh = testGatehouse({ apiKeys: { maxLifetime: 3600, header: 'X-Service-Key' } });
    expect(gh.config.apiKeys.header).toBe('x-service-key');
  });
});
