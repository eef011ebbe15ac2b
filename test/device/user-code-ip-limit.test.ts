/**
 * Wrong device user codes are limited per client IP across accounts (RFC 8628 §5.1: the user
 * code is short, so guessing must be throttled; OWASP ASVS 5.0 V6.3.1/V6.1.1 in spirit): guesses
 * spread over several signed-in accounts from one address add up to the per-IP limit
 * (`rateLimits.deviceCodeFailuresPerIp`, default 10 per 15 minutes), after which every code entry
 * from that address is refused with 429, a right code too; other addresses are not affected, right
 * codes do not count, and the window ends. Through the service and over HTTP (Hono).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidUserCodeError } from '../../src/device/errors.js';
import { RateLimitedError } from '../../src/errors.js';
import { startHonoApp } from '../http/apps/hono.js';
import {
  bearer,
  field,
  type Harness,
  postForm,
  postJson,
  startHarness,
  type Tokens,
  userWithTokens,
} from '../http/conformance/support.js';
import { GOOD_PASSWORD, type TestGatehouse, testGatehouse } from '../support/gatehouse.js';

const ATTACKER = { ip: '203.0.113.66', userAgent: 'guesser' };
const WRONG = ['BBBB-BBBB', 'CCCC-CCCC', 'DDDD-DDDD', 'FFFF-FFFF', 'GGGG-GGGG'];

function deviceGatehouse(): TestGatehouse {
  return testGatehouse({ account: { baseUrl: 'https://app.example.com' } });
}

async function users(gh: TestGatehouse, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push((await gh.auth.register({ email: `user${i}@example.com`, password: GOOD_PASSWORD })).id);
  }
  return ids;
}

async function pendingCode(gh: TestGatehouse): Promise<string> {
  const cli = await gh.clients.register({ name: `cli-${Math.random()}`, public: true });
  return (await gh.device.authorize({ clientId: cli.client.id }, undefined)).userCode;
}

describe('DeviceService: wrong user codes per IP, across accounts', () => {
  it('20 wrong codes over 4 accounts from one IP: the 11th entry gets 429, a right code too', async () => {
    const gh = deviceGatehouse();
    const ids = await users(gh, 4);
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const userId = ids[i % 4] as string;
      const code = WRONG[i % WRONG.length];
      const error = await (i % 2 === 0
        ? gh.device.describe(userId, code, ATTACKER)
        : gh.device.decide(userId, code, true, ATTACKER)
      ).catch((e: unknown) => e);
      outcomes.push(
        error instanceof RateLimitedError ? '429' : error instanceof InvalidUserCodeError ? '400' : '?',
      );
    }
    expect(outcomes).toEqual([...Array(10).fill('400'), ...Array(10).fill('429')]);
    const right = await pendingCode(gh);
    const refused = await gh.device.decide(ids[0] as string, right, true, ATTACKER).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).retryAfter).toBeGreaterThan(0);
    expect(gh.seen.some((e) => e.type === 'rate.limited' && e.bucket === 'device-code-failures-ip')).toBe(
      true,
    );
    // Another address, and a signed-in user there, are not affected; the code was not consumed.
    await expect(
      gh.device.decide(ids[1] as string, right, true, { ip: '198.51.100.1' }),
    ).resolves.toBeTruthy();
  });

  it('right codes do not count; the window ends', async () => {
    const gh = deviceGatehouse();
    const ids = await users(gh, 3);
    for (let i = 0; i < 12; i++) {
      await gh.device.describe(ids[i % 3] as string, await pendingCode(gh), ATTACKER);
    }
    for (let i = 0; i < 10; i++) {
      await expect(gh.device.describe(ids[i % 3] as string, WRONG[0], ATTACKER)).rejects.toBeInstanceOf(
        InvalidUserCodeError,
      );
    }
    await expect(gh.device.describe(ids[0] as string, WRONG[0], ATTACKER)).rejects.toBeInstanceOf(
      RateLimitedError,
    );
    gh.clock.advance(2 * 15 * 60);
    await expect(gh.device.describe(ids[0] as string, await pendingCode(gh), ATTACKER)).resolves.toBeTruthy();
  });

  it('follows rateLimits.deviceCodeFailuresPerIp; malformed codes count as wrong ones', async () => {
    const gh = testGatehouse({
      account: { baseUrl: 'https://app.example.com' },
      rateLimits: { deviceCodeFailuresPerIp: { limit: 2, window: 60 } },
    });
    const [id] = (await users(gh, 1)) as [string];
    for (const code of ['not a code', 12]) {
      await expect(gh.device.describe(id, code, ATTACKER)).rejects.toBeInstanceOf(InvalidUserCodeError);
    }
    await expect(gh.device.describe(id, WRONG[0], ATTACKER)).rejects.toBeInstanceOf(RateLimitedError);
  });
});

describe('over HTTP (Hono): wrong user codes per IP, across accounts', () => {
  let h: Harness;
  let accounts: { id: string; tokens: Tokens }[];
  let userCode: string;

  beforeAll(async () => {
    h = await startHarness(startHonoApp, { account: { baseUrl: 'https://app.example.com' } });
    accounts = [];
    for (let i = 0; i < 4; i++) accounts.push(await userWithTokens(h, `guess${i}`));
    const cli = await h.gh.clients.register({ name: 'cli', public: true });
    userCode = field(
      await postForm(`${h.url}/auth/device/authorize`, { client_id: cli.client.id }),
      'user_code',
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  it('20 wrong codes over 4 accounts from one address: 429 with Retry-After from the 11th, a right code too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const account = accounts[i % 4] as { tokens: Tokens };
      const path = i % 2 === 0 ? '/auth/device/verify' : '/auth/device/approve';
      const reply = await postJson(
        `${h.url}${path}`,
        { user_code: WRONG[i % WRONG.length], approve: true },
        bearer(account.tokens.access),
      );
      statuses.push(reply.status);
      if (reply.status === 429) expect(reply.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    expect(statuses).toEqual([...Array(10).fill(400), ...Array(10).fill(429)]);
    const right = await postJson(
      `${h.url}/auth/device/approve`,
      { user_code: userCode, approve: true },
      bearer((accounts[0] as { tokens: Tokens }).tokens.access),
    );
    expect(right.status).toBe(429);
  });
});
