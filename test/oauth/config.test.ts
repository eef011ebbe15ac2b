/**
 * Hardened OAuth configuration (OA-08), discovery that names another issuer (OA-03), and the
 * return-target check on its own (RD-01).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigError, createGatehouse, createMemoryStore, type GatehouseConfig } from '../../src/index.js';
import { safeReturnTo } from '../../src/oauth/return-to.js';
import { newSecret } from '../support/gatehouse.js';

const oidc = {
  type: 'oidc' as const,
  issuer: 'https://id.example.com',
  clientId: 'app',
  clientSecret: 'secret',
  redirectUri: 'https://app.example.com/auth/oauth/corp/callback',
};

function build(oauth: GatehouseConfig['oauth']) {
  return createGatehouse({ store: createMemoryStore(), tokens: { secret: newSecret() }, oauth });
}

function issuesOf(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}

describe('OAuth configuration is hardened (OA-08)', () => {
  it('accepts an https provider', () => {
    expect(build({ providers: { corp: oidc } }).oauth.providers.names).toEqual(['corp']);
  });

  it('refuses http: URLs unless allowInsecureRequests is set, naming each field', () => {
    const issues = issuesOf(() =>
      build({
        providers: {
          corp: { ...oidc, issuer: 'http://id.example.com' },
          gh: {
            type: 'github',
            clientId: 'x',
            clientSecret: 'y',
            redirectUri: 'https://app.example.com/cb',
            tokenEndpoint: 'http://github.example/token',
          },
        },
      }),
    );
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['oauth.providers.corp.issuer', 'oauth.providers.gh.tokenEndpoint']),
    );
    expect(() =>
      build({ allowInsecureRequests: true, providers: { corp: { ...oidc, issuer: 'http://127.0.0.1:9' } } }),
    ).not.toThrow();
  });

  it('refuses response_type=token (implicit) and grant_type=password (ROPC)', () => {
    expect(issuesOf(() => build({ providers: { corp: { ...oidc, responseType: 'token' } } }))).toEqual([
      expect.objectContaining({ path: 'oauth.providers.corp.responseType' }),
    ]);
    expect(issuesOf(() => build({ providers: { corp: { ...oidc, grantType: 'password' } } }))).toEqual([
      expect.objectContaining({ path: 'oauth.providers.corp.grantType' }),
    ]);
  });

  it('needs tokenKeys to keep provider tokens, a valid provider name, and no unknown fields', () => {
    expect(issuesOf(() => build({ providers: { corp: { ...oidc, storeTokens: true } } }))).toEqual([
      expect.objectContaining({ path: 'oauth.tokenKeys' }),
    ]);
    expect(issuesOf(() => build({ providers: { 'Git Hub': oidc } })).map((i) => i.path)).toContain(
      'oauth.providers.Git Hub',
    );
    expect(
      issuesOf(() => build({ providers: { corp: { ...oidc, pkce: 'plain' } as typeof oidc } })).length,
    ).toBeGreaterThan(0);
    expect(
      issuesOf(() => build({ providers: { corp: { ...oidc, tokenEndpointAuthMethod: 'none' } } })),
    ).toEqual([expect.objectContaining({ path: 'oauth.providers.corp.tokenEndpointAuthMethod' })]);
  });
});

describe('discovery (OA-03)', () => {
  it('a discovery document naming another issuer is a ConfigError', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer: 'https://evil.example',
          authorization_endpoint: 'https://evil.example/authorize',
          token_endpoint: 'https://evil.example/token',
          jwks_uri: 'https://evil.example/jwks',
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const gatehouse = build({ allowInsecureRequests: true, providers: { corp: { ...oidc, issuer } } });
      const error = await gatehouse.oauth.discover().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toEqual([
        expect.objectContaining({ path: 'oauth.providers.corp.issuer' }),
      ]);
      await expect(gatehouse.oauth.startLogin('corp')).rejects.toBeInstanceOf(ConfigError);
    } finally {
      server.close();
    }
  });

  it('an unreachable issuer is ERR_OAUTH_PROVIDER_UNAVAILABLE (502) and is retried next time', async () => {
    const gatehouse = build({
      allowInsecureRequests: true,
      timeoutMs: 500,
      providers: { corp: { ...oidc, issuer: 'http://127.0.0.1:9' } },
    });
    await expect(gatehouse.oauth.startLogin('corp')).rejects.toMatchObject({
      code: 'ERR_OAUTH_PROVIDER_UNAVAILABLE',
      status: 502,
    });
    await expect(gatehouse.oauth.startLogin('nope')).rejects.toMatchObject({
      code: 'ERR_OAUTH_UNKNOWN_PROVIDER',
    });
  });
});

describe('safeReturnTo (RD-01)', () => {
  const allowed = ['https://app.example.com'];
  it.each([
    ['/dashboard', '/dashboard'],
    ['/a/b?c=d#e', '/a/b?c=d#e'],
    ['/a/../b', '/b'],
    ['https://app.example.com/x', 'https://app.example.com/x'],
    ['https://app.example.com:443/x', 'https://app.example.com/x'],
  ])('keeps %s', (value, expected) => {
    expect(safeReturnTo(value, allowed, '/')).toBe(expected);
  });

  it.each([
    'https://evil.example/',
    'http://app.example.com/x',
    'https://app.example.com.evil.example/',
    'https://app.example.com@evil.example/',
    'https://user:pw@app.example.com/',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/\t/evil.example',
    ' /x',
    'javascript:alert(1)',
    'data:text/html,hi',
    'dashboard',
    '',
    `/${'a'.repeat(3000)}`,
  ])('refuses %s', (value) => {
    expect(safeReturnTo(value, allowed, '/home')).toBe('/home');
  });

  it('refuses non-strings', () => {
    for (const value of [undefined, null, 42, ['/a'], { href: '/a' }])
      expect(safeReturnTo(value, allowed, '/')).toBe('/');
  });
});
