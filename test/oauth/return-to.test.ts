/**
 * The open-redirect corpus against the post-login target check (OWASP ASVS 5.0 V3.7.2, RFC 9700
 * §4.11.1): what `safeReturnTo` keeps and refuses, then the same over real HTTP through a login
 * with a real OIDC provider on each adapter, where the answer is the callback's `Location`.
 *
 * A target counts as refused when it falls back to the default. Front ends often decode a
 * `return_to` once more before they navigate, so encoded separators count as separators.
 */
import { describe, expect, it } from 'vitest';
import { createGatehouse, createMemoryStore } from '../../src/index.js';
import { safeReturnTo } from '../../src/oauth/return-to.js';
import { newSecret } from '../support/gatehouse.js';
import {
  ADAPTER_CASES,
  ADAPTERS,
  Browser,
  loginThrough,
  oauthAppForSuite,
  oidcPeerForSuite,
  oidcProviderConfig,
} from './support.js';

const ALLOWED = ['https://app.example.com'];

/** A short test title for a value (some are kilobytes long). */
const label = (value: string): string => {
  const json = JSON.stringify(value);
  return json.length > 70 ? `${json.slice(0, 60)}… (${value.length} characters)` : json;
};
const FALLBACK = '/home';

/** Targets that must fall back, by family. */
const REFUSED: ReadonlyArray<readonly [family: string, value: string]> = [
  ['scheme-relative', '//evil.example'],
  ['scheme-relative', '///evil.example'],
  ['scheme-relative', '////evil.example/x'],
  ['backslash', '/\\evil.example'],
  ['backslash', '\\/evil.example'],
  ['backslash', '\\\\evil.example'],
  ['backslash', '/\\/evil.example'],
  ['encoded slash', '/%2F%2Fevil.example'],
  ['encoded slash', '/%2f%2fevil.example'],
  ['encoded slash', '/%2F/evil.example'],
  ['encoded slash', '//%2Fevil.example'],
  ['encoded slash', '%2F%2Fevil.example'],
  ['encoded slash', '/..%2F..%2Fevil.example'],
  ['encoded slash', '/account%2F%2Fevil.example'],
  ['encoded slash', '/%u002F%u002Fevil.example'],
  ['encoded backslash', '/%5Cevil.example'],
  ['encoded backslash', '/%5cevil.example'],
  ['encoded backslash', '/%5C%5Cevil.example'],
  ['double encoding', '/%252F%252Fevil.example'],
  ['double encoding', '/%252f/evil.example'],
  ['double encoding', '/%25252F%25252Fevil.example'],
  ['double encoding', '/%255Cevil.example'],
  ['double encoding', '/%252e%252e//evil.example'],
  ['over-long UTF-8', '/%C0%AF%C0%AFevil.example'],
  ['over-long UTF-8', '/%25C0%25AFevil.example'],
  ['many layers', `/a${'%25'.repeat(1)}${'25'.repeat(10)}41`],
  ['encoded control', '/%09/evil.example'],
  ['encoded control', '/%0a/evil.example'],
  ['encoded control', '/%0d%0a/evil.example'],
  ['encoded control', '/%00/evil.example'],
  ['encoded control', '/%7f/evil.example'],
  ['encoded control', '/%C2%85/evil.example'],
  ['encoded control', '/%E2%80%A8/evil.example'],
  ['encoded control', '/%E2%80%8B/evil.example'],
  ['encoded control', '/%0ajavascript:alert(1)'],
  ['tab or newline', '/\t/evil.example'],
  ['tab or newline', '/\n/evil.example'],
  ['tab or newline', '/\r\n/evil.example'],
  ['tab or newline', '\t//evil.example'],
  ['tab or newline', '/x\u0000'],
  ['white space', ' /x'],
  ['white space', '/ /evil.example'],
  ['white space', '/x\u00a0'],
  ['white space', '/\u2028/evil.example'],
  ['invisible', '/\u200b/evil.example'],
  ['invisible', '/\u202e/evil.example'],
  ['javascript:', 'javascript:alert(1)'],
  ['javascript:', 'JaVaScRiPt:alert(1)'],
  ['javascript:', 'javascript://%0aalert(1)'],
  ['javascript:', 'java%0ascript:alert(1)'],
  ['other scheme', 'data:text/html,hi'],
  ['other scheme', 'vbscript:msgbox(1)'],
  ['other scheme', 'ftp://app.example.com/x'],
  ['http:', 'http://evil.example/'],
  ['http:', 'https://evil.example/'],
  ['http:', 'http:evil.example'],
  ['http:', 'http:/evil.example'],
  ['http:', 'https:/\\evil.example'],
  ['http:', 'http://app.example.com/x'],
  ['http:', 'https://app.example.com.evil.example/'],
  ['http:', 'https://app.example.com/%2F%2Fevil.example'],
  ['http:', 'https://app.example.com/..//evil.example'],
  ['@', 'https://app.example.com@evil.example/'],
  ['@', 'https://evil.example@app.example.com/'],
  ['@', 'https://user:pw@app.example.com/'],
  ['@', '//app.example.com@evil.example'],
  ['@', '/%2F@evil.example'],
  ['@', '@evil.example'],
  ['unicode look-alike', '/／evil.example'],
  ['unicode look-alike', '/／／evil.example'],
  ['unicode look-alike', '／／evil.example'],
  ['unicode look-alike', '/＼evil.example'],
  ['unicode look-alike', '/%EF%BC%8F%EF%BC%8Fevil.example'],
  ['unicode look-alike', '/%25EF%25BC%258Fevil.example'],
  ['unicode look-alike', '/∕∕evil.example'],
  ['unicode look-alike', '/⁄evil.example'],
  ['unicode look-alike', '/%u2215evil.example'],
  ['unicode look-alike', '/．．/evil.example'],
  ['unicode look-alike', '/x＠evil.example'],
  ['unicode look-alike', '/evil。example'],
  ['dot segments', '/..//evil.example'],
  ['dot segments', '/.//evil.example'],
  ['dot segments', '/a/..//evil.example'],
  ['dot segments', '/%2e%2e//evil.example'],
  ['dot segments', '/%2e//evil.example'],
  ['dot segments', '/%2E%2E/%2E%2E//evil.example'],
  ['relative', 'dashboard'],
  ['relative', './dashboard'],
  ['relative', '../evil.example'],
  ['empty', ''],
  ['very long', `/${'a'.repeat(2048)}`],
  ['very long', `/${'%2e%2e/'.repeat(400)}`],
];

/** Targets that are kept, with what is stored (dot segments resolved, non-ASCII percent-encoded). */
const KEPT: ReadonlyArray<readonly [value: string, stored: string]> = [
  ['/dashboard', '/dashboard'],
  ['/a/b?c=d#e', '/a/b?c=d#e'],
  ['/account?tab=security', '/account?tab=security'],
  ['/search?next=%2F%2Fother&q=a%5Cb', '/search?next=%2F%2Fother&q=a%5Cb'],
  ['/cb?url=https%3A%2F%2Fother.example%2F', '/cb?url=https%3A%2F%2Fother.example%2F'],
  ['/docs#%2F%2Fsection', '/docs#%2F%2Fsection'],
  ['/caf%C3%A9', '/caf%C3%A9'],
  ['/café', '/caf%C3%A9'],
  ['/ユーザー/設定', '/%E3%83%A6%E3%83%BC%E3%82%B6%E3%83%BC/%E8%A8%AD%E5%AE%9A'],
  ['/@alice', '/@alice'],
  ['/my%20files', '/my%20files'],
  ['/100%25-off', '/100%25-off'],
  ['/a/../b', '/b'],
  ['/../../evil.example', '/evil.example'],
  ['/a//b', '/a//b'],
  [`/${'a'.repeat(2047)}`, `/${'a'.repeat(2047)}`],
  ['https://app.example.com/x?y=1#z', 'https://app.example.com/x?y=1#z'],
  ['https://app.example.com:443/x', 'https://app.example.com/x'],
  ['https://app.example.com', 'https://app.example.com/'],
];

describe('safeReturnTo: the open-redirect corpus', () => {
  it.each(REFUSED.map(([family, value]) => [family, label(value), value]))(
    'refuses %s: %s',
    (_family, _label, value) => {
      expect(safeReturnTo(value, ALLOWED, FALLBACK)).toBe(FALLBACK);
    },
  );

  it.each(KEPT.map(([value, stored]) => [label(value), value, stored]))(
    'keeps %s',
    (_label, value, stored) => {
      expect(safeReturnTo(value, ALLOWED, FALLBACK)).toBe(stored);
    },
  );

  it('what it keeps passes its own check again unchanged', () => {
    for (const [value] of KEPT) {
      const stored = safeReturnTo(value, ALLOWED, FALLBACK);
      expect(safeReturnTo(stored, ALLOWED, FALLBACK), value).toBe(stored);
    }
  });

  it('no kept relative target becomes scheme-relative however often it is decoded', () => {
    for (const [value] of KEPT) {
      let current = safeReturnTo(value, ALLOWED, FALLBACK);
      if (!current.startsWith('/')) continue;
      for (let i = 0; i < 4; i++) {
        const path = current.split(/[?#]/)[0] as string;
        expect(path, value).not.toMatch(/^\/[/\\]/);
        expect(new URL(path, 'https://app.test').origin, value).toBe('https://app.test');
        try {
          current = decodeURIComponent(path);
        } catch {
          break; // a `%` that starts no escape: a strict decoder stops here
        }
      }
    }
  });
});

const oidc = oidcPeerForSuite({ doors: ADAPTERS.length, accounts: [] });

describe.each(ADAPTER_CASES)('return_to over HTTP ($name)', ({ start, index }) => {
  const h = oauthAppForSuite(
    start,
    () => oidc.doors[index]!,
    (url) => ({
      rateLimits: { oauthStartPerIp: { limit: 10_000, window: 60 } },
      oauth: {
        allowInsecureRequests: true,
        allowedReturnOrigins: ALLOWED,
        providers: { corp: oidcProviderConfig(oidc, url) },
      },
    }),
  );

  /** The raw `Location` of the callback after a login started with `returnTo`. */
  const callbackLocation = async (returnTo: string): Promise<string> => {
    const { last } = await loginThrough(new Browser(), h.url, 'corp', returnTo);
    expect(last.status).toBe(302);
    return last.headers.get('location') as string;
  };

  it('a completed login with return_to=/%2F%2Fevil.example lands on / with the login code', async () => {
    const sub = `eve-${index}`;
    oidc.peer.accounts.set(sub, { sub, email: `eve${index}@corp.example`, email_verified: true });
    oidc.peer.next = { login: sub };
    const location = await callbackLocation('/%2F%2Fevil.example');
    expect(location).toMatch(/^\/#login_code=[A-Za-z0-9_-]{43}&/);
    expect(location).not.toContain('evil');
  });

  it('every refused target of the corpus ends at the default path', async () => {
    for (const [family, value] of REFUSED) {
      oidc.peer.next = { error: 'access_denied' };
      const location = await callbackLocation(value);
      expect(location, `${family}: ${JSON.stringify(value)}`).toBe('/?error=access_denied');
    }
  });

  it('every kept target of the corpus ends where it pointed', async () => {
    for (const [value, stored] of KEPT) {
      oidc.peer.next = { error: 'access_denied' };
      const location = new URL(await callbackLocation(value), 'https://base.test');
      location.searchParams.delete('error');
      const landed = stored.startsWith('/')
        ? `${location.pathname}${location.search}${location.hash}`
        : location.href;
      expect(landed, JSON.stringify(value)).toBe(
        new URL(stored, 'https://base.test').href.replace(/^https:\/\/base\.test/, ''),
      );
    }
  });
});

describe('oauth.defaultReturnTo', () => {
  it('must pass the same check as return_to', () => {
    const base = { store: createMemoryStore(), tokens: { secret: newSecret() } };
    for (const bad of ['//evil.example', '/%2F%2Fevil.example', '/\\evil', 'https://evil.example/']) {
      expect(() => createGatehouse({ ...base, oauth: { defaultReturnTo: bad } }), bad).toThrow(
        /oauth\.defaultReturnTo/,
      );
    }
    expect(
      createGatehouse({ ...base, oauth: { defaultReturnTo: '/app?tab=1' } }).config.oauth.defaultReturnTo,
    ).toBe('/app?tab=1');
  });
});
