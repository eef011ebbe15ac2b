/**
 * DeviceService on SQLite, without HTTP: only hashes of the codes reach the store, approval is
 * delivered exactly once under concurrent polls, the user code is single use under concurrent
 * approvals, an approving account disabled in between gets nothing, and codes are unique CSPRNG
 * values (TK-09, OA-11).
 */
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../adapters/sqlite/index.js';
import {
  formatUserCode,
  newDeviceCode,
  newUserCode,
  normalizeUserCode,
  USER_CODE_ALPHABET,
} from '../../src/device/user-code.js';
import { GOOD_PASSWORD, testGatehouse } from '../support/gatehouse.js';

function setup() {
  const store = createSqliteStore();
  const gh = testGatehouse({
    store,
    account: { baseUrl: 'https://app.example.com' },
    tokens: { scopes: ['read'] },
  });
  return { gh, store };
}

async function started(gh: ReturnType<typeof setup>['gh']) {
  const cli = await gh.clients.register({ name: 'cli', public: true, scopes: ['read'] });
  const user = await gh.auth.register({
    email: `u${Math.random()}@example.com`.replace('0.', ''),
    password: GOOD_PASSWORD,
  });
  const authorization = await gh.device.authorize({ clientId: cli.client.id }, undefined);
  return { cli, user, authorization };
}

describe('DeviceService (SQLite)', () => {
  it('stores only hashes of the device and user codes', async () => {
    const { gh, store } = setup();
    const { authorization, user } = await started(gh);
    await gh.device.decide(user.id, authorization.userCode, true);
    const rows = store.db.prepare('SELECT key, value FROM gatehouse_state').all() as {
      key: string;
      value: string;
    }[];
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(authorization.deviceCode);
    expect(dump).not.toContain(normalizeUserCode(authorization.userCode) as string);
    expect(dump).not.toContain(authorization.userCode);
    store.close();
  });

  it('of concurrent polls after approval exactly one gets tokens; the rest get invalid_grant', async () => {
    const { gh, store } = setup();
    const { cli, user, authorization } = await started(gh);
    await gh.device.decide(user.id, authorization.userCode, true);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => gh.device.poll({ clientId: cli.client.id }, authorization.deviceCode)),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    // A poll that read the request before the winner answered is told to keep polling; none issues.
    for (const lost of outcomes.filter((o) => o.status === 'rejected')) {
      expect(['ERR_INVALID_GRANT', 'ERR_AUTHORIZATION_PENDING', 'ERR_SLOW_DOWN']).toContain(
        (lost as PromiseRejectedResult).reason.code,
      );
    }
    // Afterwards the device code is unknown, whatever the losers wrote.
    gh.clock.advance(60);
    await expect(gh.device.poll({ clientId: cli.client.id }, authorization.deviceCode)).rejects.toMatchObject(
      {
        code: 'ERR_INVALID_GRANT',
      },
    );
    store.close();
  });

  it('the user code is single use under concurrent decisions', async () => {
    const { gh, store } = setup();
    const { user, authorization } = await started(gh);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => gh.device.decide(user.id, authorization.userCode, i % 2 === 0)),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    store.close();
  });

  it('an approving account disabled before the poll gets no tokens: access_denied', async () => {
    const { gh, store } = setup();
    const { cli, user, authorization } = await started(gh);
    await gh.device.decide(user.id, authorization.userCode, true);
    await gh.auth.disableAccount(user.id);
    await expect(gh.device.poll({ clientId: cli.client.id }, authorization.deviceCode)).rejects.toMatchObject(
      {
        code: 'ERR_ACCESS_DENIED',
      },
    );
    store.close();
  });

  it('a disabled client can neither start nor poll', async () => {
    const { gh, store } = setup();
    const { cli, authorization } = await started(gh);
    await gh.clients.disable(cli.client.id);
    await expect(gh.device.poll({ clientId: cli.client.id }, authorization.deviceCode)).rejects.toMatchObject(
      {
        code: 'ERR_INVALID_CLIENT',
      },
    );
    await expect(gh.device.authorize({ clientId: cli.client.id }, undefined)).rejects.toMatchObject({
      code: 'ERR_INVALID_CLIENT',
    });
    store.close();
  });
});

describe('device and user codes', () => {
  it('device codes: 256 CSPRNG bits, 10k unique (TK-09)', () => {
    const codes = new Set(Array.from({ length: 10_000 }, newDeviceCode));
    expect(codes.size).toBe(10_000);
    for (const code of [...codes].slice(0, 100)) expect(Buffer.from(code, 'base64url')).toHaveLength(32);
  });

  it('user codes: 8 characters of BCDFGHJKLMNPQRSTVWXZ, every letter used, shown as XXXX-XXXX (OA-11)', () => {
    expect(USER_CODE_ALPHABET).toBe('BCDFGHJKLMNPQRSTVWXZ');
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const code = newUserCode();
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      for (const char of code) seen.add(char);
    }
    expect(seen.size).toBe(20);
    expect(formatUserCode('BCDFGHJK')).toBe('BCDF-GHJK');
  });

  it('entry is case-, dash- and space-insensitive; anything else is refused before any lookup', () => {
    for (const typed of ['BCDF-GHJK', 'bcdf-ghjk', 'bcdfghjk', ' BcDf GhJk ', 'B-C-D-F-G-H-J-K']) {
      expect(normalizeUserCode(typed)).toBe('BCDFGHJK');
    }
    for (const bad of ['BCDF-GHJA', 'BCDF-GHJ', 'BCDF-GHJKL', '0000-0000', '', null, 42, 'x'.repeat(100)]) {
      expect(normalizeUserCode(bad)).toBeUndefined();
    }
  });
});
