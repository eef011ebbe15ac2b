import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../../adapters/sqlite/index.js';
import { AlreadyRegisteredError, InvalidCredentialsError, TokenRevokedError } from '../../src/errors.js';
import { GOOD_PASSWORD, testGatehouse } from '../support/gatehouse.js';
import { loginTokens } from '../support/login.js';

const stores: SqliteStore[] = [];
const dirs: string[] = [];

function fileStore(): SqliteStore {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-auth-'));
  dirs.push(dir);
  const store = createSqliteStore({ filename: join(dir, 'auth.sqlite') });
  stores.push(store);
  return store;
}

afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('account flows on the SQLite store', () => {
  it('starts empty: no seeded accounts', async () => {
    const gh = testGatehouse({ store: fileStore() });
    expect(await gh.store.users.count()).toBe(0);
    await expect(gh.auth.login({ identifier: 'admin', password: 'admin' })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
  });

  it('stores and finds an email full of SQL metacharacters verbatim', async () => {
    const store = fileStore();
    const gh = testGatehouse({ store });
    const email = `o'brien--%_=*{drop}|~@example.com`;
    const user = await gh.auth.register({ email, password: GOOD_PASSWORD });
    expect(user.email).toBe(email);
    const row = store.db.prepare('SELECT email FROM users WHERE id = ?').get(user.id) as { email: string };
    expect(row.email).toBe(email);
    await expect(gh.auth.login({ identifier: email, password: GOOD_PASSWORD })).resolves.toBeTruthy();
    await expect(
      gh.auth.login({ identifier: `%@example.com`, password: GOOD_PASSWORD }),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect(store.db.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 1 });
  });

  it('lets exactly one of two concurrent registrations of one email win', async () => {
    const store = fileStore();
    const gh = testGatehouse({ store });
    const results = await Promise.allSettled(
      ['race@example.com', 'RACE@example.com ', 'Race@Example.com'].map((email) =>
        gh.auth.register({ email, password: GOOD_PASSWORD }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(AlreadyRegisteredError);
    expect(await store.users.count()).toBe(1);
  });

  it('keeps refresh tokens only as hashes in the table', async () => {
    const store = fileStore();
    const gh = testGatehouse({ store });
    await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
    const { refreshToken, accessToken } = await loginTokens(gh, {
      identifier: 'ada@example.com',
      password: GOOD_PASSWORD,
    });
    const rows = JSON.stringify(store.db.prepare('SELECT * FROM tokens').all());
    expect(rows).not.toContain(refreshToken.slice(4, 24));
    expect(rows).not.toContain(accessToken);
  });

  it('refuses tokens of a disabled user immediately, across two instances sharing the file', async () => {
    const store = fileStore();
    const first = testGatehouse({ store });
    const user = await first.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
    const { accessToken } = await loginTokens(first, {
      identifier: 'ada@example.com',
      password: GOOD_PASSWORD,
    });
    const second = testGatehouse({
      store: createSqliteStore({ filename: store.db.name }),
      tokens: { secret: first.secret },
    });
    stores.push(second.store as SqliteStore);
    await expect(second.auth.getCurrentUser(accessToken)).resolves.toMatchObject({ id: user.id });
    await first.auth.disableAccount(user.id);
    await expect(second.auth.getCurrentUser(accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
  });

  it('sees a role change on the next request although the token still says USER', async () => {
    const gh = testGatehouse({ store: fileStore() });
    const user = await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
    const { accessToken } = await loginTokens(gh, { identifier: 'ada@example.com', password: GOOD_PASSWORD });
    await gh.store.users.update(user.id, { role: 'ADMIN' }, new Date());
    const principal = await gh.auth.authenticate(accessToken);
    expect(principal.claims.role).toBe('USER');
    expect(principal.user.role).toBe('ADMIN');
  });
});
