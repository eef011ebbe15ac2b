/**
 * `gh.authenticated(handler)` (the Hono guard and handler as one handler) answers every request
 * exactly as `gh.authenticate()` in front of the same handler does, on a store that reads
 * synchronously (memory) and on one that answers with promises.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { type GatehouseEnv, gatehouseHono } from '../../adapters/hono/index.js';
import { createMemoryStore, type Store } from '../../src/index.js';
import { GOOD_PASSWORD, testGatehouse } from '../support/gatehouse.js';

/** The memory store, its token table without synchronous reads: every verification awaits a promise. */
function asyncTokenStore(): Store {
  const store = createMemoryStore();
  const tokens = store.tokens;
  const withoutSync = new Proxy(tokens, {
    get: (target, key) => {
      if (key === 'sync') return undefined;
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...store, tokens: withoutSync };
}

async function setUp(store: Store) {
  const gh = testGatehouse({ store });
  const user = await gh.auth.register({ email: 'one@example.com', password: GOOD_PASSWORD });
  const issued = await gh.tokens.issue({ id: user.id, role: user.role });
  const hono = gatehouseHono(gh);
  const calls: string[] = [];
  const app = new Hono<GatehouseEnv>();
  app.get(
    '/combined',
    hono.authenticated((c) => {
      calls.push('combined');
      return c.json({ id: c.get('auth').userId, method: c.get('auth').method });
    }),
  );
  app.get('/middleware', hono.authenticate(), (c) => {
    calls.push('middleware');
    return c.json({ id: c.get('auth').userId, method: c.get('auth').method });
  });
  return { gh, user, issued, app, calls };
}

async function answer(app: Hono<GatehouseEnv>, path: string, headers: Record<string, string>) {
  const res = await app.request(path, { headers });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.text() };
}

describe.each([
  ['memory store (synchronous reads)', createMemoryStore],
  ['token table answering with promises', asyncTokenStore],
])('hono authenticated(handler), %s', (_name, makeStore) => {
  it('answers as authenticate() in front of the handler, and runs the handler only when allowed', async () => {
    const { gh, user, issued, app, calls } = await setUp(makeStore());
    const bearer = { authorization: `Bearer ${issued.accessToken}` };
    const requests: Record<string, string>[] = [
      bearer,
      {},
      { authorization: 'Bearer a b' },
      { authorization: `Bearer ${issued.accessToken}x` },
      { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    ];
    for (const headers of requests) {
      expect(await answer(app, '/combined', headers)).toEqual(await answer(app, '/middleware', headers));
    }
    expect(calls).toEqual(['combined', 'middleware']);
    expect(JSON.parse((await answer(app, '/combined', bearer)).body)).toEqual({
      id: user.id,
      method: 'bearer',
    });

    await gh.tokens.revokeFamily(issued.familyId);
    const revoked = await answer(app, '/combined', bearer);
    expect(revoked.status).toBe(401);
    expect(revoked.challenge).toContain('error="invalid_token"');
    expect(revoked).toEqual(await answer(app, '/middleware', bearer));
    expect(calls).toEqual(['combined', 'middleware', 'combined']);
  });

  it('hands an error thrown by the handler to the app error handler', async () => {
    const { issued, gh } = await setUp(makeStore());
    const app = new Hono<GatehouseEnv>();
    app.onError(() => new Response('handled', { status: 599 }));
    app.get(
      '/boom',
      gatehouseHono(gh).authenticated(() => {
        throw new Error('boom');
      }),
    );
    const res = await app.request('/boom', { headers: { authorization: `Bearer ${issued.accessToken}` } });
    expect(res.status).toBe(599);
  });
});
