/**
 * `TokenRepository.sync`: the guard's reads without a promise answer exactly as the promises do,
 * on the memory and SQLite stores; and a wrapper that replaces a read is never bypassed.
 */
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../adapters/sqlite/index.js';
import { createMemoryStore, type Store } from '../../src/index.js';
import { testGatehouse } from '../support/gatehouse.js';

describe.each([
  ['memory', () => createMemoryStore()],
  ['SQLite', () => createSqliteStore()],
] as const)('%s store: synchronous token reads', (_name, makeStore) => {
  it('answer as findById and findByIdWithUser do, before and after a revocation', async () => {
    const store: Store = makeStore();
    const gh = testGatehouse({ store });
    const user = await gh.auth.register({ email: 'sync@example.com', password: 'violet-otter-42-lantern' });
    const issued = await gh.tokens.issue({ id: user.id, role: user.role });
    const { claims } = await gh.tokens.verify(issued.accessToken);
    const { sync } = store.tokens;
    expect(sync?.mirrors(store.tokens)).toBe(true);
    for (const step of ['live', 'revoked'] as const) {
      if (step === 'revoked') await store.tokens.revokeAllForUser(user.id, new Date());
      expect(sync?.findById(claims.jti)).toEqual(await store.tokens.findById(claims.jti));
      expect(sync?.findByIdWithUser(claims.jti, store.users)).toEqual(
        await store.tokens.findByIdWithUser?.(claims.jti, store.users),
      );
    }
    expect(sync?.findById('no-such-token')).toBeNull();
    expect(sync?.findByIdWithUser('no-such-token', store.users)).toBeNull();
    expect(sync?.findByIdWithUser(claims.jti, createMemoryStore().users)).toBeUndefined();
  });

  it('are not used when a wrapper replaces findById: the wrapper sees every read', async () => {
    const store: Store = makeStore();
    let reads = 0;
    const tokens = new Proxy(store.tokens, {
      get: (target, property) => {
        if (property === 'findById' || property === 'findByIdWithUser') {
          const original = Reflect.get(target, property) as (...args: unknown[]) => unknown;
          return (...args: unknown[]) => {
            reads++;
            return original.apply(target, args);
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    expect(store.tokens.sync?.mirrors(tokens)).toBe(false);
    const gh = testGatehouse({ store: { ...store, tokens } });
    const user = await gh.auth.register({
      email: 'wrapped@example.com',
      password: 'violet-otter-42-lantern',
    });
    const { accessToken } = await gh.tokens.issue({ id: user.id, role: user.role });
    await gh.auth.authenticate(accessToken);
    expect(reads).toBe(1);
  });
});
