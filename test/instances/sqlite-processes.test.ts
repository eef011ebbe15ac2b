/**
 * Two service processes sharing one SQLite file, racing the writes of issuing against the writes
 * of revoking: refresh against refresh (within the reuse interval both get the same successor;
 * with the interval off, or after it, reuse detection revokes the family), refresh against
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
  /** Two more on the same file with the refresh reuse interval off, and two with a 2 s interval. */
  let strictA: Instance;
  let strictB: Instance;
  let shortA: Instance;
  let shortB: Instance;

  beforeAll(async () => {
    const env = { STORE: 'sqlite', SQLITE_FILE: join(dir, 'shared.sqlite'), SECRET: sharedSecret() };
    const [pair, strict, short] = await Promise.all([
      startInstances(2, env),
      startInstances(2, { ...env, REFRESH_REUSE_INTERVAL: '0' }),
      startInstances(2, { ...env, REFRESH_REUSE_INTERVAL: '2' }),
    ]);
    [a, b] = pair as [Instance, Instance];
    [strictA, strictB] = strict as [Instance, Instance];
    [shortA, shortB] = short as [Instance, Instance];
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a, b, strictA, strictB, shortA, shortB].map((instance) => instance?.kill()));
    rmSync(dir, { recursive: true, force: true });
  });

  it(`refresh against refresh (${TRIALS} trials): within the reuse interval both get the same successor, one family; reuse two rotations back revokes it`, async () => {
    await register(a, 'race-refresh@example.com');
    for (let trial = 0; trial < TRIALS; trial++)
      await races.refreshAgainstRefresh(a, b, 'race-refresh@example.com');
  });

  it(`refresh against refresh with the reuse interval off (${TRIALS} trials): one wins, and the family it revoked takes the winner's tokens with it`, async () => {
    await register(strictA, 'race-strict@example.com');
    for (let trial = 0; trial < TRIALS; trial++)
      await races.refreshAgainstRefreshStrict(strictA, strictB, 'race-strict@example.com');
  });

  it('a used refresh token: the same successor on the other process within the interval, the family revoked after it', async () => {
    await register(shortA, 'race-interval@example.com');
    for (let trial = 0; trial < 2; trial++)
      await races.reuseAfterInterval(shortA, shortB, 'race-interval@example.com');
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
