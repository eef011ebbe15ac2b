/**
 * A refused access token says which check failed, in `detail` ({ check, reason }), for logs; the
 * message is the same whatever failed and `toJSON()` never carries the detail.
 */
import { createHmac } from 'node:crypto';
import { base64url, type JWTPayload, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { TokenExpiredError, TokenInvalidError } from '../../src/errors.js';
import { AuthError, isAuthError } from '../../src/index.js';
import { checkTimes } from '../../src/token/access-token.js';
import type { TokenRejection } from '../../src/token/rejection.js';
import { GOOD_PASSWORD, type TestGatehouse, testGatehouse } from '../support/gatehouse.js';
import { loginTokens } from '../support/login.js';

let gh: TestGatehouse;
let userId: string;
let jti: string;
let now: number;

beforeAll(async () => {
  gh = testGatehouse();
  userId = (await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD })).id;
  const { accessToken } = await loginTokens(gh, { identifier: 'ada@example.com', password: GOOD_PASSWORD });
  jti = (await gh.tokens.verify(accessToken)).claims.jti;
  now = Math.floor(gh.clock.now().getTime() / 1000);
});

const HEADER = { alg: 'HS256', typ: 'at+jwt' };

/** A token signed with the gatehouse's own secret: valid unless `claims` or `header` break it. */
function forge(claims: JWTPayload = {}, header: Record<string, unknown> = HEADER): Promise<string> {
  const full: JWTPayload = {
    iss: 'gatehouse',
    aud: 'gatehouse-api',
    sub: userId,
    client_id: 'gatehouse',
    iat: now,
    nbf: now,
    exp: now + 600,
    jti,
    ...claims,
  };
  for (const [name, value] of Object.entries(full)) if (value === undefined) delete full[name];
  return new SignJWT(full)
    .setProtectedHeader(header as { alg: string })
    .sign(new TextEncoder().encode(gh.secret));
}

/** A token from raw segments, signed with the secret when `sign` (so only its content is wrong). */
function raw(header: string, payload: string, sign = true): string {
  const signature = sign
    ? createHmac('sha256', gh.secret).update(`${header}.${payload}`).digest('base64url')
    : 'c2ln';
  return `${header}.${payload}.${signature}`;
}

const enc = (value: unknown) => base64url.encode(JSON.stringify(value));

const CASES: ReadonlyArray<
  readonly [
    string,
    () => unknown | Promise<unknown>,
    typeof TokenInvalidError | typeof TokenExpiredError,
    TokenRejection,
  ]
> = [
  ['not a string', () => 42, TokenInvalidError, { check: 'format', reason: 'malformed' }],
  ['over maxTokenBytes', () => 'a'.repeat(9000), TokenInvalidError, { check: 'size', reason: 'too_large' }],
  ['not a compact JWS', () => 'a.b.c.d.e', TokenInvalidError, { check: 'format', reason: 'malformed' }],
  [
    'a header that is not JSON',
    () => raw('bm90LWpzb24', enc({})),
    TokenInvalidError,
    { check: 'header', reason: 'malformed' },
  ],
  [
    'no alg',
    () => raw(enc({ typ: 'at+jwt' }), enc({})),
    TokenInvalidError,
    { check: 'alg', reason: 'missing' },
  ],
  [
    'alg none',
    () => raw(enc({ alg: 'none', typ: 'at+jwt' }), enc({}), false),
    TokenInvalidError,
    { check: 'alg', reason: 'not_allowed' },
  ],
  ['no typ', () => forge({}, { alg: 'HS256' }), TokenInvalidError, { check: 'typ', reason: 'missing' }],
  [
    'typ JWT',
    () => forge({}, { alg: 'HS256', typ: 'JWT' }),
    TokenInvalidError,
    { check: 'typ', reason: 'mismatch' },
  ],
  [
    'a jku header',
    () => forge({}, { ...HEADER, jku: 'https://evil.example/jwks' }),
    TokenInvalidError,
    { check: 'jku', reason: 'forbidden' },
  ],
  [
    'a crit header',
    () => raw(enc({ ...HEADER, crit: ['exp'] }), enc({})),
    TokenInvalidError,
    { check: 'crit', reason: 'forbidden' },
  ],
  [
    'an unknown kid',
    () => forge({}, { ...HEADER, kid: 'nope' }),
    TokenInvalidError,
    { check: 'kid', reason: 'unknown_key' },
  ],
  [
    'a wrong signature',
    async () => `${(await forge()).slice(0, -4)}AAAA`,
    TokenInvalidError,
    { check: 'signature', reason: 'invalid' },
  ],
  [
    'a payload that is not JSON',
    () => raw(enc(HEADER), 'bm90LWpzb24'),
    TokenInvalidError,
    { check: 'payload', reason: 'malformed' },
  ],
  ['no iss', () => forge({ iss: undefined }), TokenInvalidError, { check: 'iss', reason: 'missing' }],
  [
    'another iss',
    () => forge({ iss: 'https://other.example' }),
    TokenInvalidError,
    { check: 'iss', reason: 'mismatch' },
  ],
  ['no aud', () => forge({ aud: undefined }), TokenInvalidError, { check: 'aud', reason: 'missing' }],
  [
    'a numeric aud',
    () => forge({ aud: 5 as never }),
    TokenInvalidError,
    { check: 'aud', reason: 'malformed' },
  ],
  [
    'another aud',
    () => forge({ aud: ['other-api'] }),
    TokenInvalidError,
    { check: 'aud', reason: 'mismatch' },
  ],
  ['no exp', () => forge({ exp: undefined }), TokenInvalidError, { check: 'exp', reason: 'missing' }],
  [
    'a string iat',
    () => forge({ iat: 'yesterday' as never }),
    TokenInvalidError,
    { check: 'iat', reason: 'malformed' },
  ],
  [
    'a string nbf',
    () => forge({ nbf: 'soon' as never }),
    TokenInvalidError,
    { check: 'nbf', reason: 'malformed' },
  ],
  ['no sub', () => forge({ sub: undefined }), TokenInvalidError, { check: 'sub', reason: 'missing' }],
  ['an empty jti', () => forge({ jti: '' }), TokenInvalidError, { check: 'jti', reason: 'malformed' }],
  [
    'no client_id',
    () => forge({ client_id: undefined }),
    TokenInvalidError,
    { check: 'client_id', reason: 'missing' },
  ],
  ['a numeric role', () => forge({ role: 1 }), TokenInvalidError, { check: 'role', reason: 'malformed' }],
  [
    'a list scope',
    () => forge({ scope: ['read'] }),
    TokenInvalidError,
    { check: 'scope', reason: 'malformed' },
  ],
  [
    'a lifetime over the longest',
    () => forge({ exp: now + 86_400 }),
    TokenInvalidError,
    { check: 'exp', reason: 'lifetime_too_long' },
  ],
  [
    'nbf in the future',
    () => forge({ nbf: now + 120 }),
    TokenInvalidError,
    { check: 'nbf', reason: 'not_yet_valid' },
  ],
  [
    'iat in the future',
    () => forge({ iat: now + 120, nbf: undefined, exp: now + 600 }),
    TokenInvalidError,
    { check: 'iat', reason: 'issued_in_future' },
  ],
  [
    'exp passed',
    () => forge({ iat: now - 700, nbf: now - 700, exp: now - 100 }),
    TokenExpiredError,
    { check: 'exp', reason: 'expired' },
  ],
];

describe('which check refused a token', () => {
  it.each(CASES)('%s', async (_name, token, type, detail) => {
    const error = await gh.tokens.verify(await token()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as TokenInvalidError).detail).toEqual(detail);
  });

  it('a token older than the longest lifetime (cached claims re-checked later): iat too_old', () => {
    const error = (() => {
      try {
        checkTimes(
          { exp: now + 100, iat: now - 2000, nbf: null },
          { clockTolerance: 5, maxLifetime: 900 },
          new Date(now * 1000),
        );
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(TokenExpiredError);
    expect((error as TokenExpiredError).detail).toEqual({ check: 'iat', reason: 'too_old' });
  });

  it('says the same thing to a client whatever failed: message and JSON carry no detail', async () => {
    const errors = await Promise.all(
      CASES.map(async ([, token]) => gh.tokens.verify(await token()).catch((e: unknown) => e as AuthError)),
    );
    for (const error of errors) {
      expect(error).toBeInstanceOf(AuthError);
      const json = JSON.stringify(error);
      expect(json).not.toMatch(/detail|check|reason/);
      expect(Object.keys(JSON.parse(json))).toEqual(['code', 'message']);
    }
    expect(new Set(errors.filter((e) => e instanceof TokenInvalidError).map((e) => e.message))).toEqual(
      new Set(['Invalid token']),
    );
  });

  it('is reachable after isAuthError narrows, without a cast', async () => {
    const error: unknown = await gh.tokens.verify(await forge({ aud: 'other' })).catch((e: unknown) => e);
    if (!isAuthError(error, 'ERR_TOKEN_INVALID')) throw new Error('expected ERR_TOKEN_INVALID');
    expect(error.detail?.check).toBe('aud');
  });
});
