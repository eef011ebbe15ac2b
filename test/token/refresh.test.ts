import { describe, expect, it } from 'vitest';
import {
  InvalidGrantError,
  InvalidScopeError,
  RefreshTokenReusedError,
  StoreUnavailableError,
  TokenInvalidError,
  TokenRevokedError,
} from '../../src/errors.js';
import { createMemoryStore, type Store } from '../../src/index.js';
import { GOOD_PASSWORD, type TestGatehouse, testGatehouse } from '../support/gatehouse.js';
import { loginTokens } from '../support/login.js';

async function loggedIn(gh: TestGatehouse, email = 'ada@example.com') {
  const user = await gh.auth.register({ email, password: GOOD_PASSWORD });
  const tokens = await loginTokens(gh, { identifier: email, password: GOOD_PASSWORD });
  return { user, tokens };
}

describe('refresh token rotation', () => {
  it('rotates: each refresh returns a new refresh token and invalidates the old one', async () => {
    const gh = testGatehouse();
    const { tokens } = await loggedIn(gh);
    expect(tokens.refreshToken).toMatch(/^ghr_[A-Za-z0-9_-]{43}$/);
    const second = await gh.auth.refresh(tokens.refreshToken);
    expect(second.refreshToken).not.toBe(tokens.refreshToken);
    expect(second.familyId).toBe(tokens.familyId);
    await expect(gh.tokens.verify(second.accessToken)).resolves.toBeTruthy();
    const third = await gh.auth.refresh(second.refreshToken);
    expect(third.refreshToken).not.toBe(second.refreshToken);
  });

  it('revokes the whole family (live refresh and access tokens) when a used refresh token comes back after the reuse interval', async () => {
    const gh = testGatehouse();
    const { tokens } = await loggedIn(gh);
    const second = await gh.auth.refresh(tokens.refreshToken);
    gh.clock.advance(11);
    await expect(gh.auth.refresh(tokens.refreshToken)).rejects.toBeInstanceOf(RefreshTokenReusedError);
    await expect(gh.auth.refresh(second.refreshToken)).rejects.toBeInstanceOf(InvalidGrantError);
    await expect(gh.tokens.verify(second.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    await expect(gh.tokens.verify(tokens.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    const reused = gh.seen.filter((e) => e.type === 'refresh.reused');
    expect(reused).toHaveLength(1);
    expect(reused[0]).toMatchObject({ familyId: tokens.familyId });
    expect(gh.seen.some((e) => e.type === 'token.revoked' && e.reason === 'reuse')).toBe(true);
  });

  it('by default, many concurrent refreshes with one token (tabs) all get the same successor: one family, nothing revoked', async () => {
    const gh = testGatehouse();
    const { tokens } = await loggedIn(gh);
    const results = await Promise.all(Array.from({ length: 20 }, () => gh.auth.refresh(tokens.refreshToken)));
    expect(new Set(results.map((r) => r.refreshToken)).size).toBe(1);
    expect(new Set(results.map((r) => r.familyId))).toEqual(new Set([tokens.familyId]));
    for (const r of results) await expect(gh.tokens.verify(r.accessToken)).resolves.toBeTruthy();
    expect(gh.seen.some((e) => e.type === 'refresh.reused' || e.type === 'token.revoked')).toBe(false);
    await expect(gh.auth.refresh(results[0]?.refreshToken)).resolves.toBeTruthy();
  });

  it('with refreshReuseInterval 0, exactly one of many concurrent refreshes wins and the others revoke the family', async () => {
    const gh = testGatehouse({ tokens: { refreshReuseInterval: 0 } });
    const { tokens } = await loggedIn(gh);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => gh.auth.refresh(tokens.refreshToken)),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected')
        expect(r.reason.code).toMatch(/^ERR_(REFRESH_TOKEN_REUSED|INVALID_GRANT)$/);
    const [winner] = won as PromiseFulfilledResult<Awaited<ReturnType<typeof gh.auth.refresh>>>[];
    await expect(gh.tokens.verify(winner?.value.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
  });

  it('with refreshReuseInterval 0, a used refresh token revokes the family at once', async () => {
    const gh = testGatehouse({ tokens: { refreshReuseInterval: 0 } });
    const { tokens } = await loggedIn(gh);
    const second = await gh.auth.refresh(tokens.refreshToken);
    await expect(gh.auth.refresh(tokens.refreshToken)).rejects.toBeInstanceOf(RefreshTokenReusedError);
    await expect(gh.tokens.verify(second.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
  });

  it('with a reuse interval, returns the same successor for the previous token, then detects reuse after it', async () => {
    const gh = testGatehouse({ tokens: { refreshReuseInterval: 10 } });
    const { tokens } = await loggedIn(gh);
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () => gh.auth.refresh(tokens.refreshToken)),
    );
    const successors = new Set(concurrent.map((r) => r.refreshToken));
    expect(successors.size).toBe(1);
    const [successor] = [...successors] as [string];
    gh.clock.advance(5);
    expect((await gh.auth.refresh(tokens.refreshToken)).refreshToken).toBe(successor);
    gh.clock.advance(6);
    await expect(gh.auth.refresh(tokens.refreshToken)).rejects.toBeInstanceOf(RefreshTokenReusedError);
    await expect(gh.auth.refresh(successor)).rejects.toBeInstanceOf(InvalidGrantError);
  });

  it('with a reuse interval, a token two generations back is reuse', async () => {
    const gh = testGatehouse({ tokens: { refreshReuseInterval: 30 } });
    const { tokens } = await loggedIn(gh);
    const second = await gh.auth.refresh(tokens.refreshToken);
    await gh.auth.refresh(second.refreshToken);
    await expect(gh.auth.refresh(tokens.refreshToken)).rejects.toBeInstanceOf(RefreshTokenReusedError);
  });

  it('expires after the inactivity lifetime', async () => {
    const gh = testGatehouse({ tokens: { refreshTokenTtl: 3600, sessionMaxAge: 86_400 } });
    const { tokens } = await loggedIn(gh);
    gh.clock.advance(3599);
    const second = await gh.auth.refresh(tokens.refreshToken);
    gh.clock.advance(3600);
    await expect(gh.auth.refresh(second.refreshToken)).rejects.toBeInstanceOf(InvalidGrantError);
  });

  it('ends at the absolute session limit even when refreshed every minute', async () => {
    const gh = testGatehouse({ tokens: { refreshTokenTtl: 600, sessionMaxAge: 3600, accessTokenTtl: 300 } });
    const sessionEnd = gh.clock.now().getTime() + 3600 * 1000;
    let current = (await loggedIn(gh)).tokens.refreshToken;
    for (let minute = 1; minute < 60; minute++) {
      gh.clock.advance(60);
      const next = await gh.auth.refresh(current);
      expect(next.refreshTokenExpiresAt.getTime()).toBeLessThanOrEqual(sessionEnd);
      expect(next.accessTokenExpiresAt.getTime()).toBeLessThanOrEqual(sessionEnd);
      current = next.refreshToken;
    }
    gh.clock.advance(60);
    await expect(gh.auth.refresh(current)).rejects.toBeInstanceOf(InvalidGrantError);
  });

  it('never widens the scope and stays bound to its client', async () => {
    const gh = testGatehouse();
    const user = await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
    const issued = await gh.tokens.issue({ id: user.id, role: 'USER' }, undefined, {
      scope: ['read', 'write'],
      clientId: 'cli',
    });
    await expect(
      gh.auth.refresh(issued.refreshToken, undefined, { scope: ['admin'] }),
    ).rejects.toBeInstanceOf(InvalidScopeError);
    await expect(
      gh.auth.refresh(issued.refreshToken, undefined, { clientId: 'other' }),
    ).rejects.toBeInstanceOf(InvalidGrantError);
    const narrowed = await gh.auth.refresh(issued.refreshToken, undefined, {
      scope: ['read'],
      clientId: 'cli',
    });
    expect((await gh.tokens.verify(narrowed.accessToken)).claims.scope).toEqual(['read']);
    const again = await gh.auth.refresh(narrowed.refreshToken);
    expect((await gh.tokens.verify(again.accessToken)).claims.scope).toEqual(['read', 'write']);
  });

  it('never accepts an access token as a refresh token, nor a refresh token as an access token', async () => {
    const gh = testGatehouse();
    const { tokens } = await loggedIn(gh);
    await expect(gh.auth.refresh(tokens.accessToken)).rejects.toBeInstanceOf(InvalidGrantError);
    await expect(gh.tokens.verify(tokens.refreshToken)).rejects.toBeInstanceOf(TokenInvalidError);
    for (const junk of [undefined, 42, '', 'ghr_short', `ghr_${'A'.repeat(1_000_000)}`]) {
      await expect(gh.auth.refresh(junk)).rejects.toBeInstanceOf(InvalidGrantError);
    }
  });

  it('stores refresh tokens only as hashes', async () => {
    const store = createMemoryStore();
    const gh = testGatehouse({ store });
    const { tokens } = await loggedIn(gh);
    const record = await gh.tokens.findRefreshToken(tokens.refreshToken);
    expect(record).not.toBeNull();
    const row = JSON.stringify(record);
    expect(row).not.toContain(tokens.refreshToken.slice(4));
    expect(row).not.toContain(tokens.refreshToken.slice(10, 30));
  });

  it('refuses refresh for a disabled user and after logout', async () => {
    const gh = testGatehouse();
    const { user, tokens } = await loggedIn(gh);
    await gh.auth.logout(tokens.accessToken);
    await expect(gh.auth.refresh(tokens.refreshToken)).rejects.toBeInstanceOf(InvalidGrantError);
    const again = await loginTokens(gh, { identifier: 'ada@example.com', password: GOOD_PASSWORD });
    await gh.auth.disableAccount(user.id);
    await expect(gh.auth.refresh(again.refreshToken)).rejects.toBeInstanceOf(InvalidGrantError);
  });

  it('carries the current role into refreshed access tokens', async () => {
    const gh = testGatehouse();
    const { user, tokens } = await loggedIn(gh);
    await gh.store.users.update(user.id, { role: 'ADMIN' }, new Date());
    const next = await gh.auth.refresh(tokens.refreshToken);
    expect((await gh.tokens.verify(next.accessToken)).claims.role).toBe('ADMIN');
  });
});

describe('token ids and revocation', () => {
  it('gives every token id at least 128 random bits and refresh tokens 256', async () => {
    const { randomId } = await import('../../src/token/opaque.js');
    const ids = new Set(Array.from({ length: 10_000 }, () => randomId()));
    expect(ids.size).toBe(10_000);
    expect(Buffer.from([...ids][0] as string, 'base64url')).toHaveLength(16);
    const gh = testGatehouse();
    const { tokens } = await loggedIn(gh);
    expect(Buffer.from(tokens.refreshToken.slice(4), 'base64url')).toHaveLength(32);
  });

  it("revokes one token, a family, or all of a user's tokens, and leaves other users alone", async () => {
    const gh = testGatehouse();
    const a = await loggedIn(gh, 'a@example.com');
    const a2 = await loginTokens(gh, { identifier: 'a@example.com', password: GOOD_PASSWORD });
    const b = await loggedIn(gh, 'b@example.com');
    const { record } = await gh.tokens.verify(a.tokens.accessToken);
    expect(await gh.tokens.revoke(record.id)).toBe(true);
    expect(await gh.tokens.revoke(record.id)).toBe(false);
    await expect(gh.tokens.verify(a.tokens.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    await expect(gh.tokens.verify(a2.accessToken)).resolves.toBeTruthy();
    await gh.auth.logoutAll(a.user.id);
    await expect(gh.tokens.verify(a2.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    await expect(gh.auth.refresh(a2.refreshToken)).rejects.toBeInstanceOf(InvalidGrantError);
    await expect(gh.tokens.verify(b.tokens.accessToken)).resolves.toBeTruthy();
    await expect(gh.auth.refresh(b.tokens.refreshToken)).resolves.toBeTruthy();
  });

  it('fails closed when the token store errors', async () => {
    const store = createMemoryStore();
    const gh = testGatehouse({ store });
    const { tokens } = await loggedIn(gh);
    const broken: Store = {
      ...store,
      tokens: new Proxy(store.tokens, {
        get: (target, prop) => {
          if (prop === 'findById' || prop === 'findByHash')
            return () => Promise.reject(new Error('connection reset'));
          return Reflect.get(target, prop);
        },
      }),
    };
    const failing = testGatehouse({ store: broken, tokens: { secret: gh.secret } });
    const error = await failing.tokens.verify(tokens.accessToken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).status).toBe(503);
    expect((error as Error).message).not.toContain('connection reset');
    await expect(failing.auth.refresh(tokens.refreshToken)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
