/**
 * Linking provider identities to local accounts, through the three adapters, against a real
 * `oidc-provider`: explicit linking by a signed-in user, linking by a verified email when
 * configured (and never to an unverified local address), the same account state as a password
 * login (disabled, locked: LG-06), and a second factor that a provider login does not skip.
 */
import { randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import type { GatehouseConfig } from '../../src/index.js';
import { sealSecret } from '../../src/mfa/secret-box.js';
import { GOOD_PASSWORD } from '../support/gatehouse.js';
import {
  ADAPTER_CASES,
  ADAPTERS,
  Browser,
  fragmentOf,
  loginThrough,
  oauthAppForSuite,
  oidcPeerForSuite,
  oidcProviderConfig,
  outsideAuth,
  postJsonWith,
} from './support.js';

const MFA_KEY = randomBytes(32).toString('base64url');

const oidc = oidcPeerForSuite({ doors: ADAPTERS.length });

const config = (url: string): Partial<GatehouseConfig> => ({
  mfa: { secretKeys: MFA_KEY },
  http: { cookies: { enabled: true } },
  oauth: {
    allowInsecureRequests: true,
    linkByEmail: true,
    providers: { corp: oidcProviderConfig(oidc, url) },
  },
});

describe.each(ADAPTER_CASES)('linking identities ($name)', ({ start, index }) => {
  const h = oauthAppForSuite(start, () => oidc.doors[index]!, config);

  const register = async (email: string, verified: boolean): Promise<string> => {
    const user = await h.gh.auth.register({ email, password: GOOD_PASSWORD });
    if (verified) await h.gh.store.users.update(user.id, { emailVerifiedAt: h.clock.now() }, h.clock.now());
    return user.id;
  };

  const signIn = async (email: string): Promise<Browser> => {
    const browser = new Browser();
    const reply = await postJsonWith(browser, `${h.url}/auth/login`, { email, password: GOOD_PASSWORD });
    expect(reply.status, reply.text).toBe(200);
    return browser;
  };

  it('a signed-in user links a provider explicitly, then logs in with it', async () => {
    const email = `linker-${index}@example.com`;
    const userId = await register(email, false);
    const browser = await signIn(email);
    const csrf = browser.cookiesFor(`${h.url}/`)['__Host-gatehouse-csrf'] as string;
    const sub = oidc.newAccount(`someone-else-${index}@corp.example`);
    const started = await postJsonWith(
      browser,
      `${h.url}/auth/oauth/corp/link`,
      { return_to: '/settings' },
      { 'x-csrf-token': csrf },
    );
    expect(started.status, started.text).toBe(200);
    const { next } = await browser.follow(started.body.authorization_url as string, outsideAuth(h.url));
    expect(new URL(next as string).search).toBe('?linked=corp');
    expect(await h.gh.store.identities.findBySubject(oidc.peer.issuer, sub)).toMatchObject({ userId });
    expect(
      h.gh.seen.some((e) => e.type === 'identity.linked' && e.via === 'link' && e.userId === userId),
    ).toBe(true);

    const { last } = await loginThrough(new Browser(), h.url, 'corp');
    expect(last.headers.getSetCookie().some((c) => c.startsWith('__Host-gatehouse-at='))).toBe(true);
    const identities = await browser.request(`${h.url}/auth/oauth/identities`);
    expect(JSON.parse(identities.text)).toMatchObject({ identities: [{ provider: 'corp', subject: sub }] });
    expect(identities.text).not.toMatch(/tokens/);

    expect(await h.gh.oauth.unlink(userId, 'corp')).toBe(true);
    expect(await h.gh.oauth.unlink(userId, 'corp')).toBe(false);
    expect(await h.gh.store.identities.listForUser(userId)).toEqual([]);
    expect(h.gh.seen.at(-1)).toMatchObject({ type: 'identity.unlinked', userId, provider: 'corp' });
  });

  it('links by a verified email when configured, but never to an unverified local address', async () => {
    const verifiedEmail = `verified-${index}@example.com`;
    const verifiedId = await register(verifiedEmail, true);
    oidc.newAccount(verifiedEmail);
    const linked = await loginThrough(new Browser(), h.url, 'corp');
    expect(new URL(linked.next as string).searchParams.has('error')).toBe(false);
    expect(await h.gh.store.identities.listForUser(verifiedId)).toHaveLength(1);
    expect(
      h.gh.seen.some((e) => e.type === 'identity.linked' && e.via === 'email' && e.userId === verifiedId),
    ).toBe(true);

    const squatted = `squatted-${index}@example.com`;
    const squatterId = await register(squatted, false);
    oidc.newAccount(squatted);
    const refused = await loginThrough(new Browser(), h.url, 'corp');
    expect(new URL(refused.next as string).searchParams.get('error')).toBe('account_exists');
    expect(await h.gh.store.identities.listForUser(squatterId)).toEqual([]);

    oidc.newAccount(`unverified-${index}@corp.example`, false);
    const unverified = await loginThrough(new Browser(), h.url, 'corp');
    expect(new URL(unverified.next as string).searchParams.get('error')).toBe('email_not_verified');
  });

  it('a disabled or locked account cannot log in through a provider either (LG-06)', async () => {
    const email = `state-${index}@corp.example`;
    oidc.newAccount(email);
    await loginThrough(new Browser(), h.url, 'corp');
    const user = await h.gh.store.users.findByEmail(email);
    const userId = user?.id as string;

    await h.gh.auth.disableAccount(userId);
    const disabled = await loginThrough(new Browser(), h.url, 'corp');
    expect(new URL(disabled.next as string).searchParams.get('error')).toBe('login_failed');
    expect(disabled.last.headers.getSetCookie().some((c) => c.startsWith('__Host-gatehouse-at='))).toBe(
      false,
    );
    expect(h.gh.seen.at(-1)).toMatchObject({ type: 'login.failed', reason: 'account_disabled', userId });
    await h.gh.auth.enableAccount(userId);

    for (let i = 0; i < h.gh.config.lockout.maxFailures; i++) await h.gh.lockout.recordFailure(userId);
    expect((await h.gh.lockout.state(userId)).locked).toBe(true);
    const locked = await loginThrough(new Browser(), h.url, 'corp');
    expect(new URL(locked.next as string).searchParams.get('error')).toBe('login_failed');
    expect(h.gh.seen.at(-1)).toMatchObject({ type: 'login.failed', reason: 'account_locked', userId });
  });

  it('an account with TOTP gets no session from the provider login: the login code answers mfa_required', async () => {
    const email = `mfa-${index}@corp.example`;
    oidc.newAccount(email);
    await loginThrough(new Browser(), h.url, 'corp');
    const userId = (await h.gh.store.users.findByEmail(email))?.id as string;
    const secret = new OTPAuth.Secret({ size: 20 });
    const now = h.clock.now();
    await h.gh.store.mfa.saveTotp({
      userId,
      secret: sealSecret(MFA_KEY, secret.base32, userId),
      enabled: true,
      lastUsedStep: null,
      createdAt: now,
      updatedAt: now,
    });

    const browser = new Browser();
    const { last, next } = await loginThrough(browser, h.url, 'corp');
    expect(last.headers.getSetCookie().some((c) => c.startsWith('__Host-gatehouse-at='))).toBe(false);
    const code = fragmentOf(next as string).get('login_code');
    const exchanged = await postJsonWith(browser, `${h.url}/auth/oauth/exchange`, { login_code: code });
    expect(exchanged.status, exchanged.text).toBe(200);
    expect(exchanged.body).toMatchObject({ mfa_required: true, methods: expect.arrayContaining(['totp']) });
    expect(exchanged.headers.getSetCookie()).toEqual([]);

    const totp = new OTPAuth.TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' });
    const verified = await postJsonWith(browser, `${h.url}/auth/mfa/verify`, {
      challenge: exchanged.body.challenge,
      code: totp.generate({ timestamp: h.clock.now().getTime() }),
    });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.headers.getSetCookie().some((c) => c.startsWith('__Host-gatehouse-at='))).toBe(true);
  });
});
