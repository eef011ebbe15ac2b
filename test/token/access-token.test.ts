import { createHmac, generateKeyPairSync } from 'node:crypto';
import { base64url, type JWTPayload, SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { TokenExpiredError, TokenInvalidError, TokenRevokedError } from '../../src/index.js';
import { GOOD_PASSWORD, type TestGatehouse, testGatehouse } from '../support/gatehouse.js';

let gh: TestGatehouse;
let userId: string;
let accessToken: string;

async function forge(
  claims: JWTPayload,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'at+jwt' },
  key: Uint8Array = new TextEncoder().encode(gh.secret),
): Promise<string> {
  const now = Math.floor(gh.clock.now().getTime() / 1000);
  const full: JWTPayload = {
    iss: 'gatehouse',
    aud: 'gatehouse-api',
    sub: userId,
    client_id: 'gatehouse',
    role: 'USER',
    iat: now,
    nbf: now,
    exp: now + 600,
    jti: (await gh.tokens.verify(accessToken)).claims.jti,
    ...claims,
  };
  for (const [k, v] of Object.entries(full)) if (v === undefined) delete full[k];
  return new SignJWT(full).setProtectedHeader(header as { alg: string }).sign(key);
}

function unsigned(header: object, payload: object, signature = ''): string {
  const enc = (o: object) => base64url.encode(JSON.stringify(o));
  return `${enc(header)}.${enc(payload)}.${signature}`;
}

beforeEach(async () => {
  gh = testGatehouse();
  userId = (await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD })).id;
  accessToken = (await gh.auth.login({ identifier: 'ada@example.com', password: GOOD_PASSWORD })).accessToken;
});

describe('access token verification', () => {
  it('accepts a freshly issued token and exposes its claims', async () => {
    const { claims, record } = await gh.tokens.verify(accessToken);
    expect(claims).toMatchObject({
      sub: userId,
      iss: 'gatehouse',
      aud: 'gatehouse-api',
      clientId: 'gatehouse',
      role: 'USER',
    });
    expect(record.id).toBe(claims.jti);
    expect(claims.exp - claims.iat).toBe(15 * 60);
    const [header] = accessToken.split('.');
    expect(JSON.parse(Buffer.from(header as string, 'base64url').toString())).toEqual({
      alg: 'HS256',
      typ: 'at+jwt',
    });
  });

  it('accepts a token forged with the real key and the right claims (sanity check of the forger)', async () => {
    await expect(gh.tokens.verify(await forge({}))).resolves.toBeTruthy();
    await expect(gh.tokens.verify(await forge({ aud: ['other', 'gatehouse-api'] }))).resolves.toBeTruthy();
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg %s (unsecured JWS)', async (alg) => {
    const { claims } = await gh.tokens.verify(accessToken);
    const payload = { ...claims, client_id: 'gatehouse' };
    for (const signature of ['', 'AAAA']) {
      await expect(
        gh.tokens.verify(unsigned({ alg, typ: 'at+jwt' }, payload, signature)),
      ).rejects.toBeInstanceOf(TokenInvalidError);
    }
  });

  it('refuses an HS256 token signed with the public key of an asymmetric configuration', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const asym = testGatehouse({ tokens: { keys: [{ kid: 'k1', alg: 'EdDSA', privateKey }] } });
    const u = await asym.auth.register({ email: 'eve@example.com', password: GOOD_PASSWORD });
    const real = await asym.auth.login({ identifier: 'eve@example.com', password: GOOD_PASSWORD });
    const { claims } = await asym.tokens.verify(real.accessToken);
    for (const material of [
      publicKey.export({ format: 'pem', type: 'spki' }) as string,
      JSON.stringify(publicKey.export({ format: 'jwk' })),
    ]) {
      for (const header of [
        { alg: 'HS256', typ: 'at+jwt', kid: 'k1' },
        { alg: 'HS256', typ: 'at+jwt' },
      ]) {
        const forged = await new SignJWT({ ...claims, client_id: 'gatehouse', sub: u.id })
          .setProtectedHeader(header)
          .sign(new TextEncoder().encode(material));
        await expect(asym.tokens.verify(forged)).rejects.toBeInstanceOf(TokenInvalidError);
      }
    }
  });

  it('refuses a token signed with another algorithm than the allowlist', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await forge({}, { alg: 'ES256', typ: 'at+jwt' }, privateKey as unknown as Uint8Array);
    await expect(gh.tokens.verify(forged)).rejects.toBeInstanceOf(TokenInvalidError);
  });

  it('is valid up to exp + tolerance and expired one second past it', async () => {
    gh.clock.advance(15 * 60 + 5 - 1);
    await expect(gh.tokens.verify(accessToken)).resolves.toBeTruthy();
    gh.clock.advance(2);
    await expect(gh.tokens.verify(accessToken)).rejects.toBeInstanceOf(TokenExpiredError);
  });

  it('refuses nbf or iat in the future (beyond the tolerance)', async () => {
    const now = Math.floor(gh.clock.now().getTime() / 1000);
    await expect(gh.tokens.verify(await forge({ nbf: now + 60 }))).rejects.toBeInstanceOf(TokenInvalidError);
    await expect(gh.tokens.verify(await forge({ iat: now + 60, nbf: now }))).rejects.toBeInstanceOf(
      TokenInvalidError,
    );
    await expect(gh.tokens.verify(await forge({ nbf: now + 4 }))).resolves.toBeTruthy();
  });

  it('caps exp - iat at the access token lifetime', async () => {
    const now = Math.floor(gh.clock.now().getTime() / 1000);
    await expect(gh.tokens.verify(await forge({ exp: now + 24 * 3600 }))).rejects.toBeInstanceOf(
      TokenInvalidError,
    );
  });

  it.each([
    ['iss', { iss: 'https://evil.example' }],
    ['aud', { aud: 'other-api' }],
    ['aud list', { aud: ['a', 'b'] }],
  ])('refuses a wrong %s', async (_name, claims) => {
    await expect(gh.tokens.verify(await forge(claims))).rejects.toBeInstanceOf(TokenInvalidError);
  });

  it.each(['JWT', 'jwt', 'id_token+jwt', undefined])('refuses typ %s', async (typ) => {
    const header: Record<string, unknown> = { alg: 'HS256' };
    if (typ) header.typ = typ;
    await expect(gh.tokens.verify(await forge({}, header))).rejects.toBeInstanceOf(TokenInvalidError);
  });

  it.each(['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'])(
    'refuses a token without %s',
    async (claim) => {
      await expect(gh.tokens.verify(await forge({ [claim]: undefined }))).rejects.toBeInstanceOf(
        TokenInvalidError,
      );
    },
  );

  it('refuses a token with a flipped signature bit', async () => {
    const [h, p, s] = accessToken.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    sig[5] = (sig[5] as number) ^ 0x01;
    await expect(gh.tokens.verify(`${h}.${p}.${sig.toString('base64url')}`)).rejects.toBeInstanceOf(
      TokenInvalidError,
    );
  });

  it('refuses key material named in the header, unknown kids, crit, JWE and JSON serialization', async () => {
    for (const extra of [
      { jku: 'https://evil.example/jwks' },
      { x5u: 'https://evil.example/x' },
      { kid: 'nope' },
    ]) {
      await expect(
        gh.tokens.verify(await forge({}, { alg: 'HS256', typ: 'at+jwt', ...extra })),
      ).rejects.toBeInstanceOf(TokenInvalidError);
    }
    const valid = await forge({});
    const payload = JSON.parse(Buffer.from(valid.split('.')[1] as string, 'base64url').toString());
    const critical = unsigned(
      { alg: 'HS256', typ: 'at+jwt', crit: ['x-extension'], 'x-extension': 1 },
      payload,
    );
    const signature = createHmac('sha256', gh.secret).update(critical.slice(0, -1)).digest('base64url');
    await expect(gh.tokens.verify(critical + signature)).rejects.toBeInstanceOf(TokenInvalidError);
    // The same hand-made signing without crit is accepted: the refusal above is about crit alone.
    const plain = unsigned({ alg: 'HS256', typ: 'at+jwt' }, payload);
    const plainSignature = createHmac('sha256', gh.secret).update(plain.slice(0, -1)).digest('base64url');
    await expect(gh.tokens.verify(plain + plainSignature)).resolves.toBeTruthy();
    await expect(gh.tokens.verify('a.b.c.d.e')).rejects.toBeInstanceOf(TokenInvalidError);
    const [h, p, s] = accessToken.split('.');
    await expect(
      gh.tokens.verify(JSON.stringify({ protected: h, payload: p, signature: s })),
    ).rejects.toBeInstanceOf(TokenInvalidError);
  });

  it('refuses a 1 MB token before decoding it', async () => {
    const huge = `${'a'.repeat(500_000)}.${'b'.repeat(500_000)}.c`;
    await expect(gh.tokens.verify(huge)).rejects.toBeInstanceOf(TokenInvalidError);
    await expect(gh.tokens.verify(`${accessToken}${'A'.repeat(9000)}`)).rejects.toBeInstanceOf(
      TokenInvalidError,
    );
  });

  it('refuses non-strings', async () => {
    for (const value of [undefined, null, 42, {}, ['a.b.c']]) {
      await expect(gh.tokens.verify(value)).rejects.toBeInstanceOf(TokenInvalidError);
    }
  });

  it('refuses a validly signed token whose record was revoked, or never existed', async () => {
    await gh.auth.logout(accessToken);
    await expect(gh.tokens.verify(accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    await expect(gh.tokens.verify(await forgeWithJti('no-such-record'))).rejects.toBeInstanceOf(
      TokenRevokedError,
    );
  });
});

async function forgeWithJti(jti: string): Promise<string> {
  const now = Math.floor(gh.clock.now().getTime() / 1000);
  return new SignJWT({ client_id: 'gatehouse', role: 'USER' })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
    .setIssuer('gatehouse')
    .setAudience('gatehouse-api')
    .setSubject(userId)
    .setJti(jti)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(new TextEncoder().encode(gh.secret));
}
