/**
 * Over real HTTP, on every adapter: a bearer token refused by the `authenticate` guard (forged,
 * `alg: none`, expired, garbage) is answered 401 `invalid_token` as before and now leaves a
 * `token.rejected` event naming the reason class; a flood of them leaves at most the cap.
 */
import { base64url, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/index.js';
import {
  ADAPTERS,
  bearer,
  get,
  type Harness,
  startHarness,
  userWithTokens,
} from '../http/conformance/support.js';

describe.each(ADAPTERS)('token.rejected at the guards: %s', (_name, start) => {
  let h: Harness;
  let userId: string;

  beforeAll(async () => {
    h = await startHarness(start);
    userId = (await userWithTokens(h, 'rejected')).id;
  });
  afterAll(async () => {
    await h?.close();
  });

  const rejected = () =>
    h.gh.seen.filter((e): e is SecurityEvent<'token.rejected'> => e.type === 'token.rejected');

  const forge = (claims: Record<string, unknown>, secret: string) => {
    const now = Math.floor(h.gh.now().getTime() / 1000);
    return new SignJWT({
      iss: 'gatehouse',
      aud: 'gatehouse-api',
      sub: userId,
      client_id: 'gatehouse',
      iat: now,
      exp: now + 600,
      jti: 'x',
      ...claims,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(new TextEncoder().encode(secret));
  };

  it('each refused token: 401 invalid_token, and one event with its reason class', async () => {
    const cases: ReadonlyArray<readonly [() => Promise<string> | string, object]> = [
      [
        () => forge({}, 'not-the-secret-not-the-secret-not-the-secret'),
        { check: 'signature', reason: 'invalid' },
      ],
      [
        () => `${base64url.encode('{"alg":"none","typ":"at+jwt"}')}.${base64url.encode('{}')}.c2ln`,
        { check: 'alg', reason: 'not_allowed' },
      ],
      [
        () => forge({ iat: 1_700_000_000, exp: 1_700_000_600 }, h.gh.secret),
        { code: 'ERR_TOKEN_EXPIRED', check: 'exp' },
      ],
      [() => 'garbage', { check: 'format', reason: 'malformed' }],
    ];
    for (const [make, expected] of cases) {
      const before = rejected().length;
      const reply = await get(`${h.url}/generate/text`, {
        ...bearer(await make()),
        'user-agent': 'rejected-token-probe',
      });
      expect(reply.status).toBe(401);
      expect(reply.body.error).toBe('invalid_token');
      // The request context rides along: who sent it, from where.
      expect(rejected().slice(before)).toEqual([
        expect.objectContaining({
          ...expected,
          suppressed: 0,
          ip: expect.stringMatching(/127\.0\.0\.1|::1/),
          userAgent: 'rejected-token-probe',
        }),
      ]);
    }
  });

  it('a flood of one kind leaves at most the cap of events (10 a minute)', async () => {
    const before = rejected().filter((e) => e.check === 'kid').length;
    const token = `${base64url.encode('{"alg":"HS256","typ":"at+jwt","kid":"nope"}')}.${base64url.encode('{}')}.c2ln`;
    for (let i = 0; i < 30; i++)
      expect((await get(`${h.url}/generate/text`, bearer(token))).status).toBe(401);
    const events = rejected().filter((e) => e.check === 'kid');
    expect(before).toBe(0);
    expect(events).toHaveLength(10);
  });
});
