/**
 * A refused access token on the guards' path (`authenticate`, `authenticateSubject`) emits
 * `token.rejected` with the reason class (error code, the token error's `{ check, reason }`) and
 * the request context, capped per reason class and process so that a flood of bad tokens costs a
 * few events a window, with the dropped ones counted in the next event's `suppressed`.
 */
import { base64url, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { createMemoryStore, type SecurityEvent, type Store } from '../../src/index.js';
import { GOOD_PASSWORD, type TestGatehouse, testGatehouse } from '../support/gatehouse.js';
import { loginTokens } from '../support/login.js';

const CTX = { ip: '203.0.113.9', userAgent: 'curl/8.0' };

async function withUser(gh: TestGatehouse) {
  const user = await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
  const tokens = await loginTokens(gh, { identifier: 'ada@example.com', password: GOOD_PASSWORD });
  return { user, tokens };
}

const rejected = (gh: TestGatehouse) =>
  gh.seen.filter((e): e is SecurityEvent<'token.rejected'> => e.type === 'token.rejected');

/** A token with every claim right, signed with `secret` (the gatehouse's own unless told). */
function sign(gh: TestGatehouse, sub: string, claims: Record<string, unknown> = {}, secret = gh.secret) {
  const now = Math.floor(gh.clock.now().getTime() / 1000);
  return new SignJWT({
    iss: 'gatehouse',
    aud: 'gatehouse-api',
    sub,
    client_id: 'gatehouse',
    iat: now,
    exp: now + 600,
    jti: 'not-a-recorded-jti',
    ...claims,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
    .sign(new TextEncoder().encode(secret));
}

/** An unsecured JWS (`alg: none`): with an empty signature, as RFC 7519 §6.1 writes it, or junk. */
const unsigned = (header: object, payload: object, signature = '') =>
  `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}.${signature}`;

describe('token.rejected', () => {
  it('names the reason class and carries the request context, for each kind of bad token', async () => {
    const gh = testGatehouse();
    const { user, tokens } = await withUser(gh);
    const forged = await sign(gh, user.id, {}, 'another-secret-another-secret-another-secret!');
    const expired = await sign(gh, user.id, { iat: 1_700_000_000, exp: 1_700_000_600 });
    const cases: ReadonlyArray<readonly [unknown, object]> = [
      [forged, { code: 'ERR_TOKEN_INVALID', check: 'signature', reason: 'invalid' }],
      [
        unsigned({ alg: 'none', typ: 'at+jwt' }, { sub: user.id }),
        { code: 'ERR_TOKEN_INVALID', check: 'format', reason: 'malformed' },
      ],
      [
        unsigned({ alg: 'none', typ: 'at+jwt' }, { sub: user.id }, 'c2ln'),
        { code: 'ERR_TOKEN_INVALID', check: 'alg', reason: 'not_allowed' },
      ],
      [expired, { code: 'ERR_TOKEN_EXPIRED', check: 'exp', reason: 'expired' }],
      ['not a token', { code: 'ERR_TOKEN_INVALID', check: 'format', reason: 'malformed' }],
      [42, { code: 'ERR_TOKEN_INVALID', check: 'format', reason: 'malformed' }],
      [await sign(gh, user.id), { code: 'ERR_TOKEN_REVOKED', check: 'jti', reason: 'unknown' }],
    ];
    for (const [token, expected] of cases) {
      gh.seen.length = 0;
      await expect(gh.auth.authenticate(token, CTX)).rejects.toMatchObject({ status: 401 });
      expect(rejected(gh)).toEqual([
        expect.objectContaining({ ...expected, ip: CTX.ip, userAgent: CTX.userAgent, suppressed: 0 }),
      ]);
    }
    await gh.auth.logout(tokens.accessToken);
    gh.seen.length = 0;
    await expect(gh.auth.authenticateSubject(tokens.accessToken, CTX)).rejects.toMatchObject({ status: 401 });
    expect(rejected(gh)).toEqual([
      expect.objectContaining({ code: 'ERR_TOKEN_REVOKED', check: 'jti', reason: 'revoked', ip: CTX.ip }),
    ]);
  });

  it('a live token of an account disabled behind the service’s back, or of a deleted user, is a rejection too', async () => {
    const store = createMemoryStore();
    const gh = testGatehouse({ store });
    const { user, tokens } = await withUser(gh);
    await store.users.update(user.id, { isActive: false }, gh.clock.now());
    await expect(gh.auth.authenticate(tokens.accessToken, CTX)).rejects.toMatchObject({
      code: 'ERR_ACCOUNT_DISABLED',
    });
    expect(rejected(gh).at(-1)).toMatchObject({
      code: 'ERR_ACCOUNT_DISABLED',
      check: 'sub',
      reason: 'revoked',
    });
    await store.users.delete(user.id);
    await expect(gh.auth.authenticate(tokens.accessToken, CTX)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
    expect(rejected(gh).at(-1)).toMatchObject({ code: 'ERR_TOKEN_REVOKED', check: 'sub', reason: 'unknown' });
  });

  it('never carries the token or anything read from it', async () => {
    const gh = testGatehouse();
    const { user } = await withUser(gh);
    const token = await sign(gh, user.id, { iss: 'https://evil.example/<script>' });
    await gh.auth.authenticate(token, CTX).catch(() => {});
    const [event] = rejected(gh);
    expect(event).toMatchObject({ check: 'iss', reason: 'mismatch' });
    const dump = JSON.stringify(event);
    for (const part of [token, ...token.split('.'), 'evil.example', user.id])
      expect(dump).not.toContain(part);
  });

  it('is not emitted for a good token, nor for a store that failed (that is not a refused token)', async () => {
    const store = createMemoryStore();
    const gh = testGatehouse({ store });
    const { tokens } = await withUser(gh);
    await gh.auth.authenticate(tokens.accessToken, CTX);
    await gh.auth.authenticateSubject(tokens.accessToken, CTX);
    const broken: Store = {
      ...store,
      tokens: new Proxy(store.tokens, {
        get: (target, prop) =>
          prop === 'findById' || prop === 'findByIdWithUser'
            ? () => Promise.reject(new Error('connection reset'))
            : Reflect.get(target, prop),
      }),
    };
    const failing = testGatehouse({ store: broken, tokens: { secret: gh.secret } });
    await expect(failing.auth.authenticate(tokens.accessToken, CTX)).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    expect(rejected(gh)).toEqual([]);
    expect(rejected(failing)).toEqual([]);
  });

  it('is capped per reason class and window; the next one after the cap says how many were dropped', async () => {
    const gh = testGatehouse();
    const { user } = await withUser(gh);
    const forged = await sign(gh, user.id, {}, 'another-secret-another-secret-another-secret!');
    for (let i = 0; i < 25; i++) await gh.auth.authenticate(forged, CTX).catch(() => {});
    expect(rejected(gh)).toHaveLength(10);
    expect(rejected(gh).every((e) => e.suppressed === 0)).toBe(true);
    // Another class is counted apart: an expired token during the flood is still reported.
    await gh.auth
      .authenticate(await sign(gh, user.id, { exp: 1_700_000_600, iat: 1_700_000_000 }), CTX)
      .catch(() => {});
    expect(rejected(gh).at(-1)).toMatchObject({ check: 'exp', suppressed: 0 });
    gh.clock.advance(59);
    await gh.auth.authenticate(forged, CTX).catch(() => {});
    expect(rejected(gh)).toHaveLength(11);
    gh.clock.advance(1);
    await gh.auth.authenticate(forged, CTX).catch(() => {});
    expect(rejected(gh)).toHaveLength(12);
    expect(rejected(gh).at(-1)).toMatchObject({ check: 'signature', reason: 'invalid', suppressed: 16 });
    await gh.auth.authenticate(forged, CTX).catch(() => {});
    expect(rejected(gh).at(-1)).toMatchObject({ suppressed: 0 });
  });

  it('follows tokens.rejectedEvents; limit 0 emits none', async () => {
    const gh = testGatehouse({ tokens: { rejectedEvents: { limit: 2, window: 5 } } });
    for (let i = 0; i < 4; i++) await gh.auth.authenticate('junk', CTX).catch(() => {});
    expect(rejected(gh).map((e) => e.suppressed)).toEqual([0, 0]);
    gh.clock.advance(5);
    await gh.auth.authenticate('junk', CTX).catch(() => {});
    expect(rejected(gh).map((e) => e.suppressed)).toEqual([0, 0, 2]);

    const silent = testGatehouse({ tokens: { rejectedEvents: { limit: 0, window: 60 } } });
    for (let i = 0; i < 3; i++) await silent.auth.authenticate('junk', CTX).catch(() => {});
    expect(rejected(silent)).toEqual([]);
  });
});
