/**
 * Two service processes sharing one SQLite file, racing the writes of issuing against the writes
 * of revoking: refresh against refresh (reuse detection revokes the family), refresh against
 * logout, login against "log out everywhere". Once a revocation has answered, no access token it
 * covers may be accepted by either process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Instance, races, register, sharedSecret, startInstances } from './support.js';

const TRIALS = 40;

describe('two processes on one SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-two-processes-'));
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    [a, b] = (await startInstances(2, {
      STORE: 'sqlite',
      SQLITE_FILE: join(dir, 'shared.sqlite'),
      SECRET: sharedSecret(),
    })) as [Instance, Instance];
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`refresh against refresh (${TRIALS} trials): one wins, and the family it revoked takes the winner's tokens with it`, async () => {
    await register(a, 'race-refresh@example.com');
    for (let trial = 0; trial < TRIALS; trial++)
      await races.refreshAgainstRefresh(a, b, 'race-refresh@example.com');
  });

  it(`refresh against logout (${TRIALS} trials): nothing of the session outlives the logout`, async () => {
    await register(a, 'race-logout@example.com');
    for (let trial = 0; trial < TRIALS; trial++)
      await races.refreshAgainstLogout(a, b, 'race-logout@example.com');
  });

  it(`login against "log out everywhere" (${TRIALS} trials): a new login is whole or gone`, async () => {
    await register(a, 'race-all@example.com');
    for (let trial = 0; trial < TRIALS; trial++)
      await races.loginAgainstLogoutAll(a, b, 'race-all@example.com');
  });
});
