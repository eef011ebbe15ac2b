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

  it('refuses a remembered signature segment under any other header or payload', async () => {
    const gh = testGatehouse();
    const first = await signedIn(gh);
    const other = await gh.tokens.issue({ id: first.user.id, role: first.user.role });
    await gh.tokens.verify(first.accessToken);
    const [header, payload, signature] = first.accessToken.split('.') as [string, string, string];
    const [otherHeader, otherPayload] = other.accessToken.split('.') as [string, string];
    for (const forged of [
      `${header}.${otherPayload}.${signature}`,
      `${otherHeader}.${otherPayload}.${signature}`,
      `${header}.${payload.slice(0, -1)}.${signature}`,
      `${signature}`,
    ]) {
      await expect(gh.tokens.verify(forged)).rejects.toBeInstanceOf(TokenInvalidError);
    }
    // The remembered token and the other one both still verify.
    expect((await gh.tokens.verify(first.accessToken)).claims.jti).not.toBe(
      (await gh.tokens.verify(other.accessToken)).claims.jti,
    );
  });

  it('refuses a remembered token with one character replaced by a non-ASCII one', async () => {
    const gh = testGatehouse();
    const { accessToken } = await signedIn(gh);
    await gh.tokens.verify(accessToken);
    const at = accessToken.indexOf('.') + 5;
    const code = accessToken.charCodeAt(at);
    // Same low byte (a latin1 copy would not tell them apart), one UTF-16 unit, and a lone surrogate.
    for (const replacement of [String.fromCharCode(code + 0x100), String.fromCharCode(0xd800), 'é']) {
      const variant = accessToken.slice(0, at) + replacement + accessToken.slice(at + 1);
      expect(variant).toHaveLength(accessToken.length);
      await expect(gh.tokens.verify(variant)).rejects.toBeInstanceOf(TokenInvalidError);
    }
    expect((await gh.tokens.verify(accessToken)).claims.jti).toBeTruthy();
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
