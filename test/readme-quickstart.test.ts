/** The README's quick start, run as written (with a throw-away SQLite file and cheap argon2). */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createSqliteStore } from '../adapters/sqlite/index.js';
import { createGatehouse, isAuthError } from '../src/index.js';

it('runs the README quick start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-readme-'));
  const store = createSqliteStore({ filename: join(dir, 'auth.db') });
  try {
    const gatehouse = createGatehouse({
      store,
      tokens: { secret: randomBytes(32).toString('base64') },
      password: { argon2: { memoryCost: 1024, timeCost: 1 } },
    });
    const user = await gatehouse.auth.register({
      email: 'ada@example.com',
      password: 'correct horse battery staple',
    });
    // An account with a second factor gets { status: 'mfa_required', challenge } and no tokens.
    const login = await gatehouse.auth.login({
      identifier: 'ada@example.com',
      password: 'correct horse battery staple',
    });
    if (login.status !== 'authenticated') throw new Error('complete it with gatehouse.mfa.completeLogin');
    const { accessToken, refreshToken, expiresIn } = login;
    expect(expiresIn).toBe(900);
    expect((await gatehouse.auth.getCurrentUser(accessToken)).id).toBe(user.id);
    const next = await gatehouse.auth.refresh(refreshToken);
    await gatehouse.auth.logout(next.accessToken);
    await gatehouse.auth.logoutAll(user.id);
    const error = await gatehouse.auth
      .login({ identifier: 'ada@example.com', password: 'wrong' })
      .catch((e) => e);
    expect(isAuthError(error, 'ERR_INVALID_CREDENTIALS')).toBe(true);
    expect(error.status).toBe(401);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
