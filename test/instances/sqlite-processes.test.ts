/**
 * Two service processes sharing one SQLite file, racing the writes of issuing against the writes
 * of revoking: refresh against refresh (reuse detection revokes the family), refresh against
 * logout, login against "log out everywhere". Once a revocation has answered, no access token it
 * covers may be accepted by either process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  type Instance,
  login,
  me,
  refresh,
  register,
  sharedSecret,
  signIn,
  startInstances,
} from './support.js';

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
    for (let trial = 0; trial < TRIALS; trial++) {
      const session = await signIn(a, 'race-refresh@example.com');
      const results = await Promise.all([refresh(a, session.refreshToken), refresh(b, session.refreshToken)]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
      const winner = results.find((r) => r.session)?.session;
      if (!winner) throw new Error('no winner');
      expect([await me(a, winner.accessToken), await me(b, winner.accessToken)]).toEqual([401, 401]);
    }
  });

  it(`refresh against logout (${TRIALS} trials): nothing of the session outlives the logout`, async () => {
    await register(a, 'race-logout@example.com');
    for (let trial = 0; trial < TRIALS; trial++) {
      const session = await signIn(a, 'race-logout@example.com');
      const [rotated] = await Promise.all([
        refresh(a, session.refreshToken),
        call(`${b.url}/auth/logout`, { body: {}, token: session.accessToken }),
      ]);
      if (rotated.session) {
        expect([await me(a, rotated.session.accessToken), await me(b, rotated.session.accessToken)]).toEqual([
          401, 401,
        ]);
      }
    }
  });

  it(`login against "log out everywhere" (${TRIALS} trials): a new login is whole or gone`, async () => {
    await register(a, 'race-all@example.com');
    for (let trial = 0; trial < TRIALS; trial++) {
      const old = await signIn(b, 'race-all@example.com');
      const [fresh] = await Promise.all([
        login(a, 'race-all@example.com'),
        call(`${b.url}/auth/logout-all`, { body: {}, token: old.accessToken }),
      ]);
      expect(await me(a, old.accessToken)).toBe(401);
      const session = fresh.session;
      if (!session) throw new Error(`login: ${fresh.status}`);
      const accessLive = (await me(b, session.accessToken)) === 200;
      const refreshLive = (await refresh(a, session.refreshToken)).status === 200;
      expect(refreshLive).toBe(accessLive);
    }
  });
});
