/**
 * API keys over real HTTP through every adapter (AK-01, LG-06, AZ-07): the routes (create, list,
 * revoke), the `authenticate` guard with a key in `X-API-Key` or as `Bearer ghk_...`, scopes,
 * the owner's current role, and refusal at once of revoked, expired and disabled-owner keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore, type GatehouseConfig } from '../../src/index.js';
import {
  ADAPTERS,
  BEARER_CHALLENGE,
  bearer,
  bearerChallenge,
  expectNoLeak,
  get,
  type Harness,
  postForm,
  postJson,
  rawRequest,
  send,
  startHarness,
  userWithTokens,
} from '../http/conformance/support.js';

const KEY_FORMAT = /^ghk_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/;

const CONFIG: Partial<GatehouseConfig> = {
  tokens: { scopes: ['read', 'write'] },
  apiKeys: { enabled: true, scopes: ['read', 'write'], maxKeysPerUser: 3, maxLifetime: 30 * 86_400 },
};

const apiKeyHeader = (key: string) => ({ 'x-api-key': key });

async function createKey(
  h: Harness,
  access: string,
  body: Record<string, unknown> = { name: 'ci', scopes: ['read'] },
): Promise<{ key: string; id: string }> {
  const reply = await postJson(`${h.url}/auth/api-keys`, body, bearer(access));
  expect(reply.status, reply.text).toBe(201);
  return { key: reply.body.key as string, id: reply.body.id as string };
}

describe.each(ADAPTERS)('API keys: %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(start, CONFIG);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('create shows the key once; the store keeps only a hash; list never shows a secret', async () => {
    const user = await userWithTokens(h, 'akcreate');
    const reply = await postJson(
      `${h.url}/auth/api-keys`,
      { name: 'deploys', scopes: ['read', 'write'], expires_in: 3600 },
      bearer(user.tokens.access),
    );
    expect(reply.status, reply.text).toBe(201);
    expect(reply.headers.get('cache-control')).toBe('no-store');
    const key = reply.body.key as string;
    expect(key).toMatch(KEY_FORMAT);
    expect(reply.body).toMatchObject({ name: 'deploys', scopes: ['read', 'write'], status: 'active' });
    expect(reply.body.prefix).toBe(`ghk_${reply.body.id}`);
    expect(key.startsWith(`${reply.body.prefix}_`)).toBe(true);
    expect(Date.parse(reply.body.expiresAt as string) - Date.parse(reply.body.createdAt as string)).toBe(
      3_600_000,
    );
    const secret = key.slice('ghk_'.length + 13);
    const stored = await h.gh.store.apiKeys.findById(reply.body.id as string);
    expect(stored?.userId).toBe(user.id);
    expect(JSON.stringify(stored)).not.toContain(secret);
    const list = await get(`${h.url}/auth/api-keys`, bearer(user.tokens.access));
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(secret);
    expect(list.text).not.toContain(stored?.secretHash as string);
    expect(list.body.keys).toEqual([
      expect.objectContaining({
        id: reply.body.id,
        prefix: reply.body.prefix,
        name: 'deploys',
        lastUsedAt: null,
      }),
    ]);
    expect(h.gh.seen.filter((e) => e.type === 'api_key.created')).toContainEqual(
      expect.objectContaining({ userId: user.id, keyId: reply.body.id }),
    );
  });

  it('a key authenticates from X-API-Key and as Bearer: method api_key, owner, key scopes', async () => {
    const user = await userWithTokens(h, 'akuse');
    const { key } = await createKey(h, user.tokens.access);
    for (const headers of [apiKeyHeader(key), bearer(key), { 'X-Api-Key': key }]) {
      const reply = await get(`${h.url}/generate/text`, headers);
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toEqual({ userId: user.id, role: 'USER', method: 'api_key', scopes: ['read'] });
    }
    const list = await get(`${h.url}/auth/api-keys`, bearer(user.tokens.access));
    expect((list.body.keys as { lastUsedAt: string | null }[])[0]?.lastUsedAt).not.toBeNull();
  });

  it('a key in the query string is never read; a wrong secret or a made-up key -> 401 invalid_token', async () => {
    const user = await userWithTokens(h, 'akquery');
    const { key } = await createKey(h, user.tokens.access);
    const query = await get(`${h.url}/generate/text?api_key=${key}`);
    expect(query.status).toBe(401);
    expect(query.headers.get('www-authenticate')).toBe(BEARER_CHALLENGE);
    const tampered = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [tampered, 'ghk_short', `ghk_${'A'.repeat(12)}_${'B'.repeat(43)}`]) {
      for (const headers of [apiKeyHeader(bad), bearer(bad)]) {
        const reply = await get(`${h.url}/generate/text`, headers);
        expect(reply.status, bad).toBe(401);
        expect(reply.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_token'));
      }
    }
  });

  it('one method per request: X-API-Key with an Authorization header, or two X-API-Key headers -> 400', async () => {
    const user = await userWithTokens(h, 'aktwo');
    const { key } = await createKey(h, user.tokens.access);
    const both = await get(`${h.url}/generate/text`, { ...apiKeyHeader(key), ...bearer(user.tokens.access) });
    expect(both.status).toBe(400);
    expect(both.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_request'));
    const twice = await rawRequest(`${h.url}/generate/text`, 'GET', [
      ['x-api-key', key],
      ['x-api-key', key],
    ]);
    expect(twice.status).toBe(400);
  });

  it('revoked -> 401 at once; another user cannot revoke it (404)', async () => {
    const user = await userWithTokens(h, 'akrevoke');
    const other = await userWithTokens(h, 'akother');
    const { key, id } = await createKey(h, user.tokens.access);
    expect((await get(`${h.url}/generate/text`, apiKeyHeader(key))).status).toBe(200);
    const foreign = await postJson(`${h.url}/auth/api-keys/revoke`, { id }, bearer(other.tokens.access));
    expect(foreign.status).toBe(404);
    expect((await get(`${h.url}/generate/text`, apiKeyHeader(key))).status).toBe(200);
    const revoke = await postForm(`${h.url}/auth/api-keys/revoke`, { id }, bearer(user.tokens.access));
    expect(revoke.status, revoke.text).toBe(204);
    const after = await get(`${h.url}/generate/text`, apiKeyHeader(key));
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_token'));
    expect((await postJson(`${h.url}/auth/api-keys/revoke`, { id }, bearer(user.tokens.access))).status).toBe(
      404,
    );
    const list = await get(`${h.url}/auth/api-keys`, bearer(user.tokens.access));
    expect((list.body.keys as { status: string }[])[0]?.status).toBe('revoked');
    expect(h.gh.seen.filter((e) => e.type === 'api_key.revoked')).toContainEqual(
      expect.objectContaining({ userId: user.id, keyId: id }),
    );
  });

  it('expired -> 401 (every key expires; lifetime capped by maxLifetime)', async () => {
    const user = await userWithTokens(h, 'akexpire');
    const { key } = await createKey(h, user.tokens.access, { name: 'short', expires_in: 120 });
    expect((await get(`${h.url}/generate/text`, bearer(key))).status).toBe(200);
    h.gh.clock.advance(120);
    expect((await get(`${h.url}/generate/text`, bearer(key))).status).toBe(401);
    const tooLong = await postJson(
      `${h.url}/auth/api-keys`,
      { name: 'forever', expires_in: 31 * 86_400 },
      bearer((await userWithTokens(h, 'aklong')).tokens.access),
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toBe('validation');
  });

  it('scopes: requireScope sees only the key’s scopes; scopes outside apiKeys.scopes are refused', async () => {
    const user = await userWithTokens(h, 'akscope');
    const writer = await createKey(h, user.tokens.access, { name: 'writer', scopes: 'write' });
    const reader = await createKey(h, user.tokens.access, { name: 'reader', scopes: ['read'] });
    const denied = await get(`${h.url}/scoped`, apiKeyHeader(writer.key));
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toBe(
      'Bearer realm="gatehouse", error="insufficient_scope", scope="read"',
    );
    expect((await get(`${h.url}/scoped`, apiKeyHeader(reader.key))).status).toBe(200);
    const admin = await postJson(
      `${h.url}/auth/api-keys`,
      { name: 'admin', scopes: ['admin'] },
      bearer(user.tokens.access),
    );
    expect(admin.status).toBe(400);
    expect(admin.body.error).toBe('invalid_scope');
  });

  it('the owner’s current role applies on every request; a disabled or deleted owner -> 401', async () => {
    const user = await userWithTokens(h, 'akrole');
    const { key } = await createKey(h, user.tokens.access);
    expect((await get(`${h.url}/admin`, apiKeyHeader(key))).status).toBe(403);
    await h.gh.store.users.update(user.id, { role: 'ADMIN' }, new Date());
    const admin = await get(`${h.url}/admin`, apiKeyHeader(key));
    expect(admin.status).toBe(200);
    expect(admin.body).toMatchObject({ role: 'ADMIN', method: 'api_key' });
    await h.gh.store.users.update(user.id, { role: 'USER' }, new Date());
    expect((await get(`${h.url}/admin`, apiKeyHeader(key))).status).toBe(403);
    await h.gh.auth.disableAccount(user.id);
    expect((await get(`${h.url}/generate/text`, apiKeyHeader(key))).status).toBe(401);
    await h.gh.auth.enableAccount(user.id);
    expect((await get(`${h.url}/generate/text`, apiKeyHeader(key))).status).toBe(200);
    await h.gh.store.users.delete(user.id);
    expect((await get(`${h.url}/generate/text`, apiKeyHeader(key))).status).toBe(401);
  });

  it('an API key cannot create, list or revoke keys (a user session is required)', async () => {
    const user = await userWithTokens(h, 'aksession');
    const { key, id } = await createKey(h, user.tokens.access);
    for (const headers of [apiKeyHeader(key), bearer(key)]) {
      const create = await postJson(`${h.url}/auth/api-keys`, { name: 'more', scopes: ['read'] }, headers);
      expect(create.status).toBe(403);
      expect(create.body.error).toBe('session_required');
      expect((await get(`${h.url}/auth/api-keys`, headers)).status).toBe(403);
      expect((await postJson(`${h.url}/auth/api-keys/revoke`, { id }, headers)).status).toBe(403);
    }
    expect(await h.gh.store.apiKeys.listForUser(user.id)).toHaveLength(1);
    expect((await get(`${h.url}/auth/api-keys`)).status).toBe(401);
  });

  it('at most maxKeysPerUser active keys; revoking one frees a place', async () => {
    const user = await userWithTokens(h, 'akcap');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createKey(h, user.tokens.access, { name: `k${i}` })).id);
    const fourth = await postJson(`${h.url}/auth/api-keys`, { name: 'k3' }, bearer(user.tokens.access));
    expect(fourth.status).toBe(409);
    expect(fourth.body.error).toBe('api_key_limit_reached');
    await postJson(`${h.url}/auth/api-keys/revoke`, { id: ids[0] }, bearer(user.tokens.access));
    expect(
      (await postJson(`${h.url}/auth/api-keys`, { name: 'k4' }, bearer(user.tokens.access))).status,
    ).toBe(201);
  });
});

describe.each(ADAPTERS)('API keys throttled with other auth failures per IP (LG-06): %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(start, {
      ...CONFIG,
      rateLimits: { loginFailuresPerIp: { limit: 3, window: 900 } },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('bad keys count as failed logins of the IP: then good keys and passwords get 429 too', async () => {
    const user = await userWithTokens(h, 'akthrottle');
    const { key } = await createKey(h, user.tokens.access);
    const bad = `ghk_${'A'.repeat(12)}_${'B'.repeat(43)}`;
    for (let i = 0; i < 3; i++)
      expect((await get(`${h.url}/generate/text`, apiKeyHeader(bad))).status).toBe(401);
    const limited = await get(`${h.url}/generate/text`, apiKeyHeader(key));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    const login = await postJson(`${h.url}/auth/login`, { email: user.email, password: user.password });
    expect(login.status).toBe(429);
    const rejected = h.gh.seen.filter((e) => e.type === 'api_key.rejected');
    expect(rejected).toHaveLength(3);
    expect(rejected[0]).toMatchObject({ reason: 'unknown_key', keyId: null, ip: expect.any(String) });
    h.gh.clock.advance(2 * 900);
    expect((await get(`${h.url}/generate/text`, apiKeyHeader(key))).status).toBe(200);
  });
});

describe.each(ADAPTERS)('API keys off (the default): %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(start);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the routes answer 404 and a ghk_ key is just an invalid token', async () => {
    const user = await userWithTokens(h, 'akoff');
    expect((await postJson(`${h.url}/auth/api-keys`, { name: 'x' }, bearer(user.tokens.access))).status).toBe(
      404,
    );
    const { key } = await h.gh.apiKeys.create(user.id, { name: 'x' });
    expect((await get(`${h.url}/generate/text`, bearer(key))).status).toBe(401);
    // The header is not read at all: no credentials.
    const header = await send(`${h.url}/generate/text`, { headers: apiKeyHeader(key) });
    expect(header.status).toBe(401);
    expect(header.headers.get('www-authenticate')).toBe(BEARER_CHALLENGE);
  });
});

describe.each(ADAPTERS)('API keys from a configured header: %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(start, { ...CONFIG, apiKeys: { ...CONFIG.apiKeys, header: 'X-Service-Key' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('reads the key from that header only', async () => {
    const user = await userWithTokens(h, 'akheader');
    const { key } = await createKey(h, user.tokens.access);
    const reply = await get(`${h.url}/generate/text`, { 'x-service-key': key });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ userId: user.id, method: 'api_key' });
    const other = await get(`${h.url}/generate/text`, apiKeyHeader(key));
    expect(other.status).toBe(401);
    expect(other.headers.get('www-authenticate')).toBe(BEARER_CHALLENGE);
  });
});

describe.each(ADAPTERS)('API keys fail closed when the store fails (RV-01): %s', (_name, start) => {
  let h: Harness;
  let failing = false;
  beforeAll(async () => {
    const base = createMemoryStore();
    const apiKeys = new Proxy(base.apiKeys, {
      get(target, property) {
        if (property === 'findById' && failing) {
          return () => Promise.reject(new Error('SELECT secret_hash FROM api_keys WHERE id = ?'));
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    h = await startHarness(start, { ...CONFIG, store: { ...base, apiKeys } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a store error -> 503 temporarily_unavailable, never 200, and no internals in the body', async () => {
    const user = await userWithTokens(h, 'akstore');
    const { key } = await createKey(h, user.tokens.access);
    failing = true;
    try {
      const reply = await get(`${h.url}/generate/text`, apiKeyHeader(key));
      expect(reply.status).toBe(503);
      expect(reply.body.error).toBe('temporarily_unavailable');
      expectNoLeak(reply.text);
    } finally {
      failing = false;
    }
    expect((await get(`${h.url}/generate/text`, apiKeyHeader(key))).status).toBe(200);
  });
});
