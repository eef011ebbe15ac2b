/**
 * A one-time login code (`/oauth/exchange`) redeemed twice, through the three adapters against a
 * real `oidc-provider` (RFC 6749 §10.5, RFC 9700 §4.5): the second attempt is refused as before,
 * and the token family the first one started is revoked (also after a refresh, and also when the
 * tokens came from completing the MFA challenge the first exchange answered); `code.reused` and
 * `token.revoked` are emitted. A code that never existed, or a replay after the code's lifetime,
 * revokes nothing.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { GatehouseConfig, SecurityEvent } from '../../src/index.js';
import { sealSecret } from '../../src/mfa/secret-box.js';
import { generateTotpSecret, totpCode, totpStep } from '../../src/mfa/totp.js';
import {
  ADAPTER_CASES,
  ADAPTERS,
  Browser,
  fragmentOf,
  loginThrough,
  oauthAppForSuite,
  oidcPeerForSuite,
  oidcProviderConfig,
  postJsonWith,
} from './support.js';

const MFA_KEY = randomBytes(32).toString('base64url');

const oidc = oidcPeerForSuite({ doors: ADAPTERS.length });

const config = (url: string): Partial<GatehouseConfig> => ({
  mfa: { secretKeys: MFA_KEY },
  oauth: { allowInsecureRequests: true, providers: { corp: oidcProviderConfig(oidc, url) } },
});

describe.each(ADAPTER_CASES)('a login code redeemed twice ($name)', ({ start, index }) => {
  const h = oauthAppForSuite(start, () => oidc.doors[index]!, config);
  const subjects = new Map<string, string>();
  let users = 0;

  /** A fresh address for this adapter's app. */
  const newEmail = (tag: string): string => {
    users += 1;
    return `${tag}-${index}-${users}@corp.example`;
  };

  /** Logs `email` in at the provider (a new account the first time): the login code of the redirect. */
  async function loginCode(email: string): Promise<string> {
    const known = subjects.get(email);
    if (known === undefined) subjects.set(email, oidc.newAccount(email));
    else oidc.peer.next = { login: known };
    const { next } = await loginThrough(new Browser(), h.url, 'corp');
    const code = fragmentOf(next as string).get('login_code');
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    return code as string;
  }

  const exchange = (code: string) =>
    postJsonWith(new Browser(), `${h.url}/auth/oauth/exchange`, { login_code: code });

  /** The status of GET /auth/me with `access`. */
  const me = async (access: unknown): Promise<number> =>
    (
      await new Browser().request(`${h.url}/auth/me`, {
        headers: { authorization: `Bearer ${String(access)}` },
      })
    ).status;

  const refresh = async (refreshToken: unknown) => {
    const hop = await new Browser().request(`${h.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: String(refreshToken),
      }).toString(),
    });
    return { status: hop.status, body: JSON.parse(hop.text) as Record<string, unknown> };
  };

  const eventsOf = <T extends SecurityEvent['type']>(type: T, userId: string) =>
    h.gh.seen.filter(
      (e): e is Extract<SecurityEvent, { type: T }> =>
        e.type === type && (e as { userId?: string | null }).userId === userId,
    );

  /** The family of the latest login of the user. */
  const lastFamily = (userId: string) => eventsOf('login.succeeded', userId).at(-1)?.familyId;

  it('the second exchange is refused and revokes the access and refresh tokens of the first; other sessions stay', async () => {
    const email = newEmail('twice');
    const code = await loginCode(email);
    const first = await exchange(code);
    expect(first.status, first.text).toBe(200);
    const userId = (first.body.user as { id: string }).id;
    const familyId = lastFamily(userId);
    expect(await me(first.body.access_token)).toBe(200);
    const other = await exchange(await loginCode(email));
    expect(other.status, other.text).toBe(200);

    const again = await exchange(code);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('oauth_invalid_state');
    expect(again.text).not.toContain('access_token');

    expect(await me(first.body.access_token)).toBe(401);
    const refused = await refresh(first.body.refresh_token);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    expect(await me(other.body.access_token)).toBe(200);

    expect(eventsOf('code.reused', userId)).toEqual([
      expect.objectContaining({
        kind: 'login_code',
        clientId: null,
        familyId,
        revokedTokens: 2,
        ip: expect.any(String),
      }),
    ]);
    expect(eventsOf('token.revoked', userId)).toEqual([
      expect.objectContaining({ scope: 'family', reason: 'reuse', count: 2 }),
    ]);
    // Events name the family, never the code or a token (LO-02 in spirit: no secrets in logs).
    const logged = JSON.stringify(h.gh.seen);
    for (const secret of [code, first.body.access_token, first.body.refresh_token]) {
      expect(logged).not.toContain(String(secret));
    }
  });

  it('a family refreshed in between is revoked with its new tokens', async () => {
    const code = await loginCode(newEmail('refreshed'));
    const first = await exchange(code);
    const rotated = await refresh(first.body.refresh_token);
    expect(rotated.status).toBe(200);
    expect(await me(rotated.body.access_token)).toBe(200);
    expect((await exchange(code)).status).toBe(400);
    expect(await me(rotated.body.access_token)).toBe(401);
    expect((await refresh(rotated.body.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('a code that never existed revokes nothing, and neither does a replay after the code expired', async () => {
    const code = await loginCode(newEmail('unknown'));
    const session = await exchange(code);
    const userId = (session.body.user as { id: string }).id;
    // The code with its last character changed (to another one: a code may end in 'A' already).
    const altered = `${code.slice(0, -1)}${code.endsWith('A') ? 'B' : 'A'}`;
    for (const forged of [randomBytes(32).toString('base64url'), altered, 'x'.repeat(200)]) {
      const reply = await exchange(forged);
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('oauth_invalid_state');
    }
    expect(h.gh.seen.filter((e) => e.type === 'code.reused' && e.userId === userId)).toEqual([]);
    expect(await me(session.body.access_token)).toBe(200);

    // The record of a redemption lives as long as the code would have: a replay after that is
    // just an unknown code (it could not have been redeemed either).
    h.clock.advance(h.gh.config.oauth.loginCodeTtl + 1);
    expect((await exchange(code)).status).toBe(400);
    expect(eventsOf('code.reused', userId)).toEqual([]);
    expect(await me(session.body.access_token)).toBe(200);
  });

  it('two concurrent exchanges: whatever each answers, no tokens from the code stay valid', async () => {
    const code = await loginCode(newEmail('race'));
    const replies = await Promise.all([exchange(code), exchange(code)]);
    expect(replies.map((r) => r.status).sort()).toContain(400);
    for (const reply of replies.filter((r) => r.status === 200)) {
      expect(await me(reply.body.access_token)).toBe(401);
      expect((await refresh(reply.body.refresh_token)).status).toBe(400);
    }
    const issued = replies.find((r) => r.status === 200);
    if (issued) expect(eventsOf('code.reused', (issued.body.user as { id: string }).id)).toHaveLength(1);
  });

  describe('for an account with TOTP (the exchange answers an MFA challenge)', () => {
    /** A user created by a first provider login, with TOTP enabled: their email, id and secret. */
    async function mfaUser(tag: string) {
      const email = newEmail(tag);
      await exchange(await loginCode(email));
      const userId = (await h.gh.store.users.findByEmail(email))?.id as string;
      const secret = generateTotpSecret();
      const now = h.clock.now();
      await h.gh.store.mfa.saveTotp({
        userId,
        secret: sealSecret(MFA_KEY, secret, userId),
        enabled: true,
        lastUsedStep: null,
        createdAt: now,
        updatedAt: now,
      });
      return { email, userId, code: () => totpCode(secret, totpStep(h.clock.now())) };
    }

    const verify = (challenge: unknown, code: string) =>
      postJsonWith(new Browser(), `${h.url}/auth/mfa/verify`, { challenge, code });

    it('a second exchange voids the challenge the first one got: the right TOTP code gets nothing', async () => {
      const user = await mfaUser('mfa-pending');
      const code = await loginCode(user.email);
      const first = await exchange(code);
      expect(first.status, first.text).toBe(200);
      expect(first.body.mfa_required).toBe(true);
      expect((await exchange(code)).status).toBe(400);
      const verified = await verify(first.body.challenge, user.code());
      expect(verified.status, verified.text).toBe(400);
      expect(verified.body.error).toBe('invalid_token');
      expect(verified.text).not.toContain('access_token');
      expect(eventsOf('code.reused', user.userId)).toEqual([
        expect.objectContaining({ kind: 'login_code', familyId: null, revokedTokens: 0 }),
      ]);
    });

    it('a second exchange after the challenge was completed revokes the tokens the completion issued', async () => {
      const user = await mfaUser('mfa-done');
      const code = await loginCode(user.email);
      const first = await exchange(code);
      const verified = await verify(first.body.challenge, user.code());
      expect(verified.status, verified.text).toBe(200);
      expect(await me(verified.body.access_token)).toBe(200);
      const familyId = lastFamily(user.userId);

      expect((await exchange(code)).status).toBe(400);
      expect(await me(verified.body.access_token)).toBe(401);
      expect((await refresh(verified.body.refresh_token)).status).toBe(400);
      expect(eventsOf('code.reused', user.userId)).toEqual([
        expect.objectContaining({ familyId, revokedTokens: 2 }),
      ]);
    });
  });
});
