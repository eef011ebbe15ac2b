/**
 * The verified-token cache remembers a token's signature and claim checks, never its validity:
 * every presentation still reads the token's record (revocation) and re-checks the time claims.
 */
import { describe, expect, it } from 'vitest';
import { TokenExpiredError, TokenInvalidError, TokenRevokedError } from '../../src/errors.js';
import { testGatehouse } from '../support/gatehouse.js';

async function signedIn(gh: ReturnType<typeof testGatehouse>) {
  const user = await gh.auth.register({ email: 'cache@example.com', password: 'violet-otter-42-lantern' });
  return { user, ...(await gh.tokens.issue({ id: user.id, role: user.role })) };
}

describe('verified-token cache', () => {
  it('refuses a revoked token on a cache hit', async () => {
    const gh = testGatehouse();
    const { accessToken, familyId } = await signedIn(gh);
    await gh.tokens.verify(accessToken);
    await gh.tokens.verify(accessToken);
    await gh.tokens.revokeFamily(familyId);
    const error = await gh.tokens.verify(accessToken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRevokedError);
  });

  it('refuses an expired token on a cache hit, and a token presented before its time', async () => {
    const gh = testGatehouse();
    const { accessToken } = await signedIn(gh);
    await gh.tokens.verify(accessToken);
    gh.clock.advance(gh.config.tokens.accessTokenTtl + gh.config.tokens.clockTolerance);
    const error = await gh.tokens.verify(accessToken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenExpiredError);
    expect((error as TokenExpiredError).detail).toEqual({ check: 'exp', reason: 'expired' });

    const early = testGatehouse();
    const later = await signedIn(early);
    await early.tokens.verify(later.accessToken);
    early.clock.advance(-60);
    const refused = await early.tokens.verify(later.accessToken).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TokenInvalidError);
  });

  it('answers a token seen before exactly as the first time, cache on or off', async () => {
    for (const verifiedCacheSize of [0, 1, 65_536]) {
      const gh = testGatehouse({ tokens: { verifiedCacheSize } });
      const { accessToken, user } = await signedIn(gh);
      const first = await gh.tokens.verify(accessToken);
      const second = await gh.tokens.verify(accessToken);
      expect(second).toEqual(first);
      expect(second.claims.sub).toBe(user.id);
    }
  });

  it('still refuses a token that differs from a remembered one in any character', async () => {
    const gh = testGatehouse();
    const { accessToken } = await signedIn(gh);
    await gh.tokens.verify(accessToken);
    const [header, payload, signature] = accessToken.split('.') as [string, string, string];
    for (const variant of [
      `${header}.${payload}.${signature}x`,
      `${header}.${payload}x.${signature}`,
      ` ${accessToken}`,
    ]) {
      await expect(gh.tokens.verify(variant)).rejects.toBeInstanceOf(TokenInvalidError);
    }
  });

  it('keeps at most verifiedCacheSize tokens, oldest out first, and keeps verifying the others', async () => {
    const gh = testGatehouse({ tokens: { verifiedCacheSize: 2 } });
    const user = await gh.auth.register({ email: 'many@example.com', password: 'violet-otter-42-lantern' });
    const tokens = [];
    for (let i = 0; i < 5; i++)
      tokens.push((await gh.tokens.issue({ id: user.id, role: user.role })).accessToken);
    for (const token of tokens) await gh.tokens.verify(token);
    for (const token of tokens) expect((await gh.tokens.verify(token)).claims.sub).toBe(user.id);
  });
});
