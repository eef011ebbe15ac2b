import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { base64url, type JWTPayload, SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { TokenExpiredError, TokenInvalidError, TokenRevokedError } from '../../src/errors.js';
import type { KeyConfig } from '../../src/index.js';
import { GOOD_PASSWORD, type TestGatehouse, testGatehouse } from '../support/gatehouse.js';
import { loginTokens } from '../support/login.js';

interface Setup {
  readonly alg: 'HS256' | 'EdDSA' | 'ES256';
  readonly header: Record<string, unknown>;
  readonly signingKey: () => Uint8Array | KeyObject;
  readonly keys: () => KeyConfig[] | undefined;
}

const ed = generateKeyPairSync('ed25519');
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const SETUPS: Setup[] = [
  {
    alg: 'HS256',
    header: { alg: 'HS256', typ: 'at+jwt' },
    signingKey: () => new TextEncoder().encode(gh.secret),
    keys: () => undefined,
  },
  {
    alg: 'EdDSA',
    header: { alg: 'EdDSA', typ: 'at+jwt', kid: 'ed' },
    signingKey: () => ed.privateKey,
    keys: () => [{ kid: 'ed', alg: 'EdDSA', privateKey: ed.privateKey }],
  },
  {
    alg: 'ES256',
    header: { alg: 'ES256', typ: 'at+jwt', kid: 'ec' },
    signingKey: () => ec.privateKey,
    keys: () => [{ kid: 'ec', alg: 'ES256', privateKey: ec.privateKey }],
  },
];

let setup: Setup = SETUPS[0] as Setup;
let gh: TestGatehouse;
let userId: string;
let accessToken: string;
let jti: string;

async function forge(claims: JWTPayload, header: Record<string, unknown> = setup.header): Promise<string> {
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
    jti,
    ...claims,
  };
  for (const [k, v] of Object.entries(full)) if (v === undefined) delete full[k];
  return new SignJWT(full).setProtectedHeader(header as { alg: string }).sign(setup.signingKey());
}

function unsigned(header: object, payload: object, signature = ''): string {
  const enc = (o: object) => base64url.encode(JSON.stringify(o));
  return `${enc(header)}.${enc(payload)}.${signature}`;
}

async function start(chosen: Setup): Promise<void> {
  setup = chosen;
  const keys = chosen.keys();
  gh = testGatehouse(keys ? { tokens: { keys } } : {});
  userId = (await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD })).id;
  accessToken = (await loginTokens(gh, { identifier: 'ada@example.com', password: GOOD_PASSWORD }))
    .accessToken;
  jti = (await gh.tokens.verify(accessToken)).claims.jti;
}

describe.each(SETUPS.map((s) => [s.alg, s] as const))('%s access token claims', (_alg, chosen) => {
  beforeEach(() => start(chosen));

  it('accepts a token forged with the real key and the right claims (sanity check of the forger)', async () => {
    await expect(gh.tokens.verify(await forge({}))).resolves.toBeTruthy();
    await expect(gh.tokens.verify(await forge({ aud: ['other', 'gatehouse-api'] }))).resolves.toBeTruthy();
    for (const typ of ['AT+JWT', 'application/at+jwt']) {
      await expect(gh.tokens.verify(await forge({}, { ...setup.header, typ }))).resolves.toBeTruthy();
    }
  });

  it('is valid up to exp + tolerance and expired one second past it', async () => {
    gh.clock.advance(15 * 60 + 5 - 1);
    await expect(gh.tokens.verify(accessToken)).resolves.toBeTruthy();
    gh.clock.advance(1);
    await expect(gh.tokens.verify(accessToken)).rejects.toBeInstanceOf(TokenExpiredError);
  });

  it('refuses nbf or iat in the future (beyond the tolerance)', async () => {
    const now = Math.floor(gh.clock.now().getTime() / 1000);
    await expect(gh.tokens.verify(await forge({ nbf: now + 60 }))).rejects.toBeInstanceOf(TokenInvalidError);
    await expect(gh.tokens.verify(await forge({ iat: now + 60, nbf: now }))).rejects.toBeInstanceOf(
      TokenInvalidError,
    );
    await expect(gh.tokens.verify(await forge({ nbf: now + 5 }))).resolves.toBeTruthy();
    await expect(gh.tokens.verify(await forge({ nbf: now + 6 }))).rejects.toBeInstanceOf(TokenInvalidError);
  });

  it('caps exp - iat at the access token lifetime, and the age of the token', async () => {
    const now = Math.floor(gh.clock.now().getTime() / 1000);
    await expect(gh.tokens.verify(await forge({ exp: now + 24 * 3600 }))).rejects.toBeInstanceOf(
      TokenInvalidError,
    );
    await expect(
      gh.tokens.verify(await forge({ iat: now - 3600, nbf: now - 3600, exp: now + 60 })),
    ).rejects.toThrow();
  });

  it.each([
    ['iss', { iss: 'https://evil.example' }],
    ['iss (case)', { iss: 'Gatehouse' }],
    ['aud', { aud: 'other-api' }],
    ['aud list', { aud: ['a', 'b'] }],
    ['exp type', { exp: '9999999999' }],
    ['sub type', { sub: 42 }],
    ['scope type', { scope: ['a'] }],
  ])('refuses a wrong %s', async (_name, claims) => {
    await expect(gh.tokens.verify(await forge(claims as JWTPayload))).rejects.toBeInstanceOf(
      TokenInvalidError,
    );
  });

  it.each(['JWT', 'jwt', 'id_token+jwt', undefined])('refuses typ %s', async (typ) => {
    const header: Record<string, unknown> = { ...setup.header, typ };
    if (typ === undefined) delete header.typ;
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

  it('refuses key material named in the header and unknown kids', async () => {
    for (const extra of [
      { jku: 'https://evil.example/jwks' },
      { x5u: 'https://evil.example/x' },
      { kid: 'nope' },
      { kid: '../../etc/passwd' },
      { kid: "' OR 1=1 --" },
    ]) {
      await expect(gh.tokens.verify(await forge({}, { ...setup.header, ...extra }))).rejects.toBeInstanceOf(
        TokenInvalidError,
      );
    }
  });

  it('refuses a validly signed token whose record was revoked, or never existed', async () => {
    await gh.auth.logout(accessToken);
    await expect(gh.tokens.verify(accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    jti = 'no-such-record';
    await expect(gh.tokens.verify(await forge({}))).rejects.toBeInstanceOf(TokenRevokedError);
  });
});

describe('HS256 access token verification', () => {
  beforeEach(() => start(SETUPS[0] as Setup));

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
    const real = await loginTokens(asym, { identifier: 'eve@example.com', password: GOOD_PASSWORD });
    const { claims } = await asym.tokens.verify(real.accessToken);
    for (const material of [
      publicKey.export({ format: 'pem', type: 'spki' }) as string,
      JSON.stringify(publicKey.export({ format: 'jwk' })),
    ]) {
      for (const header of [
        { alg: 'HS256', typ: 'at+jwt', kid: 'k1' },
        { alg: 'HS256', typ: 'at+jwt' },
      ]) {
        const forged = await new SignJWT({ ...claims, nbf: claims.iat, client_id: 'gatehouse', sub: u.id })
          .setProtectedHeader(header)
          .sign(new TextEncoder().encode(material));
        await expect(asym.tokens.verify(forged)).rejects.toBeInstanceOf(TokenInvalidError);
      }
    }
  });

  it('refuses a token signed with another algorithm than the allowlist', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await new SignJWT({ sub: userId })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
      .sign(privateKey);
    await expect(gh.tokens.verify(forged)).rejects.toBeInstanceOf(TokenInvalidError);
  });

  it('refuses crit, JWE, JSON serialization and malformed headers', async () => {
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

  it('refuses a non-canonical encoding of a valid signature (base64url malleability)', async () => {
    const [h, p, s] = accessToken.split('.') as [string, string, string];
    // 32 bytes encode to 43 characters whose last one carries 2 unused bits: set one of them.
    const last = s.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const tweaked = alphabet[alphabet.indexOf(last) ^ 0x01] as string;
    expect(Buffer.from(s.slice(0, -1) + tweaked, 'base64url').equals(Buffer.from(s, 'base64url'))).toBe(true);
    await expect(gh.tokens.verify(`${h}.${p}.${s.slice(0, -1)}${tweaked}`)).rejects.toBeInstanceOf(
      TokenInvalidError,
    );
  });

  it('refuses headers and payloads that are not JSON objects', async () => {
    const sign = (h: string, p: string) =>
      `${h}.${p}.${createHmac('sha256', gh.secret).update(`${h}.${p}`).digest('base64url')}`;
    const [h, p] = accessToken.split('.') as [string, string];
    for (const junk of [
      'W10',
      'bnVsbA',
      'e30',
      Buffer.from('{"alg":').toString('base64url'),
      Buffer.from('"x"').toString('base64url'),
    ]) {
      await expect(gh.tokens.verify(sign(junk, p))).rejects.toBeInstanceOf(TokenInvalidError);
      await expect(gh.tokens.verify(sign(h, junk))).rejects.toBeInstanceOf(TokenInvalidError);
    }
    await expect(gh.tokens.verify(sign(h, p))).resolves.toBeTruthy();
  });

  it('refuses non-strings', async () => {
    for (const value of [undefined, null, 42, {}, ['a.b.c']]) {
      await expect(gh.tokens.verify(value)).rejects.toBeInstanceOf(TokenInvalidError);
    }
  });
});
