/**
 * ClientService and client tokens, without HTTP: registration (secret shown once, stored as a
 * SHA-256 hash), rotation, disabling, deletion, the client-credentials grant, and how a client's
 * token is told apart from a user's (never confused, even when a client id equals a user id).
 * Runs on the memory store and on SQLite.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, type JWTPayload, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../adapters/sqlite/index.js';
import {
  CLIENT_SECRET_PREFIX,
  clientSecretMatches,
  hashClientSecret,
  newClientSecret,
} from '../../src/clients/client-secret.js';
import { decodeFormComponent } from '../../src/http/client-auth.js';
import { HttpGuards } from '../../src/http/guards.js';
import { createMemoryStore, type Store } from '../../src/index.js';
import { isClientTokenRecord } from '../../src/token/client-token.js';
import { GOOD_PASSWORD, testGatehouse } from '../support/gatehouse.js';

const STORES: ReadonlyArray<readonly [string, () => Store]> = [
  ['memory', () => createMemoryStore()],
  ['sqlite', () => createSqliteStore()],
];

describe.each(STORES)('registered clients (%s)', (_name, createStore) => {
  const setup = () => testGatehouse({ store: createStore(), tokens: { scopes: ['read', 'write'] } });

  it('register shows a 256-bit secret once and stores only its SHA-256 (TK-09, OA-10)', async () => {
    const gh = setup();
    const { client, clientSecret } = await gh.clients.register({ name: 'Reports', scopes: ['read'] });
    expect(clientSecret).toMatch(/^ghcs_[A-Za-z0-9_-]{43}$/);
    const secret = clientSecret as string;
    expect(Buffer.from(secret.slice(CLIENT_SECRET_PREFIX.length), 'base64url')).toHaveLength(32);
    expect(client).toMatchObject({ name: 'Reports', isPublic: false, scopes: ['read'], disabledAt: null });
    expect(client.grantTypes).toEqual(['client_credentials']);
    expect(client.id).toMatch(/^ghc_[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify(client)).not.toContain(secret);
    const stored = await gh.store.clients.findById(client.id);
    expect(stored?.secretHash).toBe(createHash('sha256').update(secret).digest('base64url'));
    expect(JSON.stringify(stored)).not.toContain(secret.slice(5));
    expect(gh.seen.map((e) => e.type)).toContain('client.registered');
    expect(JSON.stringify(gh.seen)).not.toContain(secret.slice(5));
  });

  it('refuses bad registrations naming each field; a public client cannot use client_credentials', async () => {
    const gh = setup();
    await expect(
      gh.clients.register({ name: '', scopes: ['has space'], grantTypes: ['password' as never] }),
    ).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      issues: [
        expect.objectContaining({ field: 'name' }),
        expect.objectContaining({ field: 'scopes' }),
        expect.objectContaining({ field: 'grantTypes' }),
      ],
    });
    await expect(
      gh.clients.register({ name: 'cli', public: true, grantTypes: ['client_credentials'] }),
    ).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      issues: [expect.objectContaining({ rule: 'confidential_only' })],
    });
    await expect(gh.clients.register({ name: 'x', id: 'tab\there' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    const cli = await gh.clients.register({ name: 'cli', public: true });
    expect(cli.clientSecret).toBeNull();
    expect(cli.client).toMatchObject({
      isPublic: true,
      grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'],
    });
    await gh.clients.register({ name: 'a', id: 'billing' });
    await expect(gh.clients.register({ name: 'b', id: 'billing' })).rejects.toMatchObject({
      code: 'ERR_ALREADY_REGISTERED',
    });
  });

  it('client credentials: sub = client_id = the client, the granted scope, no refresh token, no role claim', async () => {
    const gh = setup();
    const { client, clientSecret } = await gh.clients.register({ name: 'svc', scopes: ['read', 'write'] });
    const issued = await gh.clients.clientCredentialsGrant(
      { clientId: client.id, clientSecret: clientSecret as string },
      ['read'],
    );
    expect(issued).not.toHaveProperty('refreshToken');
    expect(issued.scope).toEqual(['read']);
    const { claims, record } = await gh.tokens.verify(issued.accessToken);
    expect(claims).toMatchObject({ sub: client.id, clientId: client.id, scope: ['read'], role: null });
    expect(record).toMatchObject({
      kind: 'access',
      userId: `client:${client.id}`,
      familyId: expect.stringMatching(new RegExp(`^client:${client.id}:[A-Za-z0-9_-]{22,}$`)),
    });
    expect(isClientTokenRecord(record)).toBe(true);
    // Default scope: everything the client is allowed (RFC 6749 §3.3).
    const all = await gh.clients.clientCredentialsGrant(
      { clientId: client.id, clientSecret: clientSecret as string },
      undefined,
    );
    expect(all.scope).toEqual(['read', 'write']);
    await expect(
      gh.clients.clientCredentialsGrant({ clientId: client.id, clientSecret: clientSecret as string }, [
        'admin',
      ]),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_SCOPE' });
  });

  it('wrong, missing or unexpected secrets, unknown and disabled clients all fail alike and emit events', async () => {
    const gh = setup();
    const { client, clientSecret } = await gh.clients.register({ name: 'svc' });
    const cli = await gh.clients.register({ name: 'cli', public: true });
    const secret = clientSecret as string;
    const cases = [
      [{ clientId: client.id, clientSecret: `${secret}x` }, 'wrong_secret'],
      [{ clientId: client.id, clientSecret: secret.slice(0, 10) }, 'wrong_secret'],
      [{ clientId: client.id }, 'missing_secret'],
      [{ clientId: cli.client.id, clientSecret: 'anything' }, 'unexpected_secret'],
      [{ clientId: 'ghc_unknown', clientSecret: secret }, 'unknown_client'],
      [{ clientId: client.id, clientSecret: 'x'.repeat(10_000) }, 'wrong_secret'],
    ] as const;
    for (const [credentials, reason] of cases) {
      await expect(gh.clients.clientCredentialsGrant(credentials, undefined)).rejects.toMatchObject({
        code: 'ERR_INVALID_CLIENT',
        status: 401,
        message: 'Client authentication failed',
      });
      expect(gh.seen.at(-1)).toMatchObject({ type: 'client.authentication_failed', reason });
    }
    // A public client is authenticated but may not use client_credentials.
    await expect(
      gh.clients.clientCredentialsGrant({ clientId: cli.client.id }, undefined),
    ).rejects.toMatchObject({
      code: 'ERR_UNAUTHORIZED_CLIENT',
    });
    await gh.clients.disable(client.id);
    await expect(
      gh.clients.clientCredentialsGrant({ clientId: client.id, clientSecret: secret }, undefined),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_CLIENT' });
    expect(gh.seen.at(-1)).toMatchObject({ reason: 'client_disabled' });
    await gh.clients.enable(client.id);
    await expect(
      gh.clients.clientCredentialsGrant({ clientId: client.id, clientSecret: secret }, undefined),
    ).resolves.toBeTruthy();
  });

  it('rotating the secret: the old one stops working and its tokens are revoked (unless keepTokens)', async () => {
    const gh = setup();
    const { client, clientSecret } = await gh.clients.register({ name: 'svc' });
    const old = await gh.clients.clientCredentialsGrant(
      { clientId: client.id, clientSecret: clientSecret as string },
      [],
    );
    const next = await gh.clients.rotateSecret(client.id);
    expect(next).not.toBe(clientSecret);
    await expect(gh.tokens.verify(old.accessToken)).rejects.toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
    await expect(
      gh.clients.clientCredentialsGrant({ clientId: client.id, clientSecret: clientSecret as string }, []),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_CLIENT' });
    const fresh = await gh.clients.clientCredentialsGrant({ clientId: client.id, clientSecret: next }, []);
    await gh.clients.rotateSecret(client.id, { keepTokens: true });
    await expect(gh.tokens.verify(fresh.accessToken)).resolves.toBeTruthy();
    const cli = await gh.clients.register({ name: 'cli', public: true });
    await expect(gh.clients.rotateSecret(cli.client.id)).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    await expect(gh.clients.rotateSecret('ghc_missing')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('client tokens authenticate as kind client; disabling, deleting or revoking refuses them at once', async () => {
    const gh = setup();
    const guards = new HttpGuards(gh);
    const { client, clientSecret } = await gh.clients.register({ name: 'svc', scopes: ['read', 'write'] });
    const grant = () =>
      gh.clients.clientCredentialsGrant({ clientId: client.id, clientSecret: clientSecret as string }, [
        'read',
      ]);
    const bearer = (token: string) =>
      guards.authenticate({ method: 'GET', authorization: `Bearer ${token}` });

    const first = await grant();
    const outcome = await bearer(first.accessToken);
    expect(outcome).toMatchObject({
      ok: true,
      principal: {
        kind: 'client',
        userId: client.id,
        user: null,
        role: '',
        scopes: ['read'],
        method: 'bearer',
      },
    });
    expect(guards.requireScope(outcome.ok ? outcome.principal : null, ['read']).ok).toBe(true);
    expect(guards.requireScope(outcome.ok ? outcome.principal : null, ['write'])).toMatchObject({
      ok: false,
      result: { status: 403 },
    });
    expect(guards.requireRole(outcome.ok ? outcome.principal : null, ['USER']).ok).toBe(false);
    // A client token is not a user's: the user flows refuse it.
    await expect(gh.auth.authenticate(first.accessToken)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
    await expect(gh.auth.logout(first.accessToken)).rejects.toMatchObject({ code: 'ERR_TOKEN_REVOKED' });

    // Narrowing the client's scopes applies to live tokens at once.
    await gh.clients.update(client.id, { scopes: ['write'] });
    expect(await bearer(first.accessToken)).toMatchObject({ ok: true, principal: { scopes: [] } });
    await gh.clients.update(client.id, { scopes: ['read', 'write'] });

    expect(await gh.clients.revokeTokens(client.id)).toBe(1);
    expect(await bearer(first.accessToken)).toMatchObject({ ok: false, result: { status: 401 } });

    const second = await grant();
    await gh.clients.disable(client.id);
    expect(await bearer(second.accessToken)).toMatchObject({ ok: false, result: { status: 401 } });
    await gh.clients.enable(client.id);
    expect(await bearer(second.accessToken)).toMatchObject({ ok: false, result: { status: 401 } });

    const third = await grant();
    expect(await bearer(third.accessToken)).toMatchObject({ ok: true });
    expect(await gh.clients.delete(client.id)).toBe(true);
    expect(await gh.clients.delete(client.id)).toBe(false);
    expect(await bearer(third.accessToken)).toMatchObject({ ok: false, result: { status: 401 } });
  });

  it('a client id equal to a user id changes nothing: each token keeps its own kind', async () => {
    const gh = setup();
    const guards = new HttpGuards(gh);
    const user = await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
    const { clientSecret } = await gh.clients.register({ name: 'twin', id: user.id, scopes: ['read'] });
    const login = await gh.auth.login({ identifier: 'ada@example.com', password: GOOD_PASSWORD });
    if (login.status !== 'authenticated') throw new Error('expected tokens');
    const clientToken = await gh.clients.clientCredentialsGrant(
      { clientId: user.id, clientSecret: clientSecret as string },
      [],
    );

    const asUser = await guards.authenticate({ method: 'GET', authorization: `Bearer ${login.accessToken}` });
    expect(asUser).toMatchObject({ ok: true, principal: { kind: 'user', userId: user.id, role: 'USER' } });
    const asClient = await guards.authenticate({
      method: 'GET',
      authorization: `Bearer ${clientToken.accessToken}`,
    });
    expect(asClient).toMatchObject({
      ok: true,
      principal: { kind: 'client', userId: user.id, user: null, role: '' },
    });
    await expect(gh.auth.getCurrentUser(clientToken.accessToken)).rejects.toMatchObject({ status: 401 });

    // Disabling the client does not touch the user's session, nor disabling the user the client's.
    await gh.clients.disable(user.id);
    expect(
      await guards.authenticate({ method: 'GET', authorization: `Bearer ${login.accessToken}` }),
    ).toMatchObject({
      ok: true,
    });
    await gh.clients.enable(user.id);
    const again = await gh.clients.clientCredentialsGrant(
      { clientId: user.id, clientSecret: clientSecret as string },
      [],
    );
    await gh.auth.disableAccount(user.id);
    await expect(gh.auth.authenticate(login.accessToken)).rejects.toMatchObject({ status: 401 });
    expect(
      await guards.authenticate({ method: 'GET', authorization: `Bearer ${again.accessToken}` }),
    ).toMatchObject({
      ok: true,
      principal: { kind: 'client' },
    });
    // The user's token listing and deletion never reach the client's tokens.
    expect(await gh.store.tokens.listActiveForUser(user.id, gh.now())).toEqual([]);
    await gh.store.tokens.deleteAllForUser(user.id);
    await expect(gh.tokens.verify(again.accessToken)).resolves.toBeTruthy();
  });

  it('list and get never expose the secret hash', async () => {
    const gh = setup();
    const a = await gh.clients.register({ name: 'a' });
    gh.clock.advance(1);
    const b = await gh.clients.register({ name: 'b', public: true });
    const listed = await gh.clients.list();
    expect(listed.map((c) => c.id)).toEqual([a.client.id, b.client.id]);
    expect(JSON.stringify(listed)).not.toMatch(/secretHash|secret_hash/);
    expect(await gh.clients.get(a.client.id)).toEqual(a.client);
    expect(await gh.clients.get('nope')).toBeNull();
  });
});

describe('client tokens under the access-token rules (TK-06, TK-07) and authorize (AZ-07)', () => {
  it('a client token is an at+jwt with every RFC 9068 claim; dropping any one, or a foreign iss, is refused', async () => {
    const gh = testGatehouse();
    const { client, clientSecret } = await gh.clients.register({ name: 'svc' });
    const issued = await gh.clients.clientCredentialsGrant(
      { clientId: client.id, clientSecret: clientSecret as string },
      [],
    );
    expect(decodeProtectedHeader(issued.accessToken)).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    const claims = decodeJwt(issued.accessToken);
    expect(Object.keys(claims).sort()).toEqual([
      'aud',
      'client_id',
      'exp',
      'iat',
      'iss',
      'jti',
      'nbf',
      'sub',
    ]);
    expect(claims).toMatchObject({
      iss: 'gatehouse',
      aud: 'gatehouse-api',
      sub: client.id,
      client_id: client.id,
    });

    const key = new TextEncoder().encode(gh.secret);
    const sign = (payload: Record<string, unknown>, typ = 'at+jwt') =>
      new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: 'HS256', typ }).sign(key);
    // The same claims re-signed (same jti, so the same record) are accepted, with aud as a list (TK-06).
    const relisted = await sign({ ...claims, aud: ['other', 'gatehouse-api'] });
    await expect(gh.auth.authenticateSubject(relisted)).resolves.toMatchObject({ kind: 'client' });
    for (const name of ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti']) {
      const { [name]: _dropped, ...rest } = claims;
      await expect(gh.auth.authenticateSubject(await sign(rest)), name).rejects.toMatchObject({
        status: 401,
      });
    }
    await expect(
      gh.auth.authenticateSubject(await sign({ ...claims, iss: 'gatehouse ' })),
    ).rejects.toMatchObject({
      status: 401,
    });
    await expect(gh.auth.authenticateSubject(await sign({ ...claims, aud: 'other' }))).rejects.toMatchObject({
      status: 401,
    });
    await expect(gh.auth.authenticateSubject(await sign(claims, 'JWT'))).rejects.toMatchObject({
      status: 401,
    });
    // A token naming another subject with this record's jti is refused: the record says whose it is.
    await expect(
      gh.auth.authenticateSubject(await sign({ ...claims, sub: 'ghc_other' })),
    ).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
  });

  it('authorize asks the decider about client:<id>, so a rule for every user does not admit a client', async () => {
    const asked: string[] = [];
    const gh = testGatehouse({
      authorization: {
        decider: {
          // Grants `viewer` on any doc to every `user:*` and to nobody else.
          async check(request) {
            asked.push(`${request.subject.type}:${request.subject.id}`);
            return { allowed: request.subject.type === 'user', code: 'ok' };
          },
        },
      },
    });
    const guards = new HttpGuards(gh);
    const { client, clientSecret } = await gh.clients.register({ name: 'svc', id: 'svc-1' });
    const issued = await gh.clients.clientCredentialsGrant(
      { clientId: client.id, clientSecret: clientSecret as string },
      [],
    );
    const outcome = await guards.authenticate({
      method: 'GET',
      authorization: `Bearer ${issued.accessToken}`,
    });
    const principal = outcome.ok ? outcome.principal : null;
    expect(await guards.authorize(principal, 'viewer', { type: 'doc', id: 'd1' })).toMatchObject({
      ok: false,
      result: { status: 403 },
    });
    expect(asked).toEqual(['client:svc-1']);
  });
});

describe('client secrets and Basic decoding', () => {
  it('secrets are unique over 10k draws and compare in constant time without throwing on any length', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) seen.add(newClientSecret());
    expect(seen.size).toBe(10_000);
    const secret = newClientSecret();
    const hash = hashClientSecret(secret);
    expect(clientSecretMatches(secret, hash)).toBe(true);
    expect(clientSecretMatches(`${secret} `, hash)).toBe(false);
    expect(clientSecretMatches('', hash)).toBe(false);
    expect(clientSecretMatches('x'.repeat(100_000), hash)).toBe(false);
    expect(clientSecretMatches(secret, null)).toBe(false);
  });

  it('form-urlencoded components round-trip secrets with %, :, + and spaces (OA-10)', () => {
    for (const value of ['a:b%c', 's3cr:et%25+x y', 'ünïcödé/?&=', randomBytes(24).toString('base64')]) {
      const encoded = new URLSearchParams({ v: value }).toString().slice(2);
      expect(decodeFormComponent(encoded)).toBe(value);
    }
    expect(decodeFormComponent('a+b')).toBe('a b');
    expect(decodeFormComponent('%E0%A4%A')).toBeUndefined();
    expect(decodeFormComponent('%FF')).toBeUndefined();
  });
});
