/**
 * Over real HTTP, on every adapter: a refused token is answered with the same RFC 6750 §3.1
 * `invalid_token` whatever check failed. The `detail` that names the check exists on the error
 * (checked through the service) and appears nowhere in the response: not in the body, not in the
 * challenge, not in any header.
 */
import { base64url, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenExpiredError, TokenInvalidError } from '../../src/errors.js';
import type { TokenRejection } from '../../src/token/rejection.js';
import {
  ADAPTERS,
  bearer,
  bearerChallenge,
  expectNoLeak,
  get,
  type Harness,
  startHarness,
  userWithTokens,
} from '../http/conformance/support.js';

/** Words of the detail vocabulary that must never reach a client. */
const DETAIL_WORDS =
  /detail|check|reason|expired|mismatch|malformed|not_allowed|not_yet_valid|lifetime|unknown_key|signature|"(exp|aud|iss|nbf|iat|kid|alg|typ)"/i;

describe.each(ADAPTERS)('token rejection detail stays out of responses: %s', (_name, start) => {
  let h: Harness;
  let forge: (claims?: JWTPayload, header?: Record<string, unknown>) => Promise<string>;

  beforeAll(async () => {
    h = await startHarness(start);
    const { id, tokens } = await userWithTokens(h, 'detail');
    const { jti } = (await h.gh.tokens.verify(tokens.access)).claims;
    const now = Math.floor(h.gh.now().getTime() / 1000);
    forge = (claims = {}, header = { alg: 'HS256', typ: 'at+jwt' }) => {
      const full: JWTPayload = {
        iss: 'gatehouse',
        aud: 'gatehouse-api',
        sub: id,
        client_id: 'gatehouse',
        iat: now,
        exp: now + 600,
        jti,
        ...claims,
      };
      return new SignJWT(full)
        .setProtectedHeader(header as { alg: string })
        .sign(new TextEncoder().encode(h.gh.secret));
    };
  });
  afterAll(async () => {
    await h?.close();
  });

  const unsigned = (header: object, payload: object) =>
    `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}.c2ln`;

  const CASES: ReadonlyArray<readonly [string, () => Promise<string>, TokenRejection]> = [
    ['expired', () => forge({ iat: 1_700_000_000, exp: 1_700_000_600 }), { check: 'exp', reason: 'expired' }],
    ['for another audience', () => forge({ aud: 'billing-api' }), { check: 'aud', reason: 'mismatch' }],
    [
      'from another issuer',
      () => forge({ iss: 'https://evil.example' }),
      { check: 'iss', reason: 'mismatch' },
    ],
    ['not yet valid', () => forge({ nbf: 4_000_000_000 }), { check: 'nbf', reason: 'not_yet_valid' }],
    [
      'wrongly signed',
      async () => `${(await forge()).slice(0, -6)}AAAAAA`,
      { check: 'signature', reason: 'invalid' },
    ],
    [
      'alg none',
      async () => unsigned({ alg: 'none', typ: 'at+jwt' }, { sub: 'x' }),
      { check: 'alg', reason: 'not_allowed' },
    ],
  ];

  it.each(CASES)('a token %s: 401 invalid_token, nothing about the check', async (_case, make, detail) => {
    const token = await make();
    const error = (await h.gh.tokens.verify(token).catch((e: unknown) => e)) as TokenInvalidError;
    expect(error).toBeInstanceOf(detail.reason === 'expired' ? TokenExpiredError : TokenInvalidError);
    expect(error.detail).toEqual(detail);

    const reply = await get(`${h.url}/generate/text`, bearer(token));
    expect(reply.status, reply.text).toBe(401);
    expect(reply.body).toEqual({ error: 'invalid_token', message: 'Invalid or missing token' });
    expect(reply.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_token'));
    expect(reply.text).not.toMatch(DETAIL_WORDS);
    for (const [name, value] of reply.headers) {
      expect(`${name}: ${value}`).not.toMatch(DETAIL_WORDS);
    }
    expectNoLeak(reply.text);
  });

  it('answers every failed check with the same bytes', async () => {
    const replies = await Promise.all(
      CASES.map(async ([, make]) => get(`${h.url}/generate/text`, bearer(await make()))),
    );
    expect(
      new Set(replies.map((r) => `${r.status} ${r.headers.get('www-authenticate')} ${r.text}`)).size,
    ).toBe(1);
  });
});
