/**
 * `npm run bench -- tokens`: verifying an access token the first time it is seen, one at a time,
 * on the installed package, against peers verifying the very same tokens in the same run
 * (interleaved rounds; the ratios are taken round by round).
 *
 * "First seen": 131,072 distinct tokens of as many users, cycled, more than any cache here holds
 * (gatehouse's verified-token cache keeps 65,536; fast-jwt's 1,000), so every call verifies a
 * signature, as with many users. gatehouse also reads the token's record (revocation) in the
 * memory store on every call; no peer does.
 *
 * - HS256: gatehouse (default cache; cache off) vs fast-jwt (no cache; its LRU cache of 1,000),
 *   jose `jwtVerify` (CryptoKey imported once), jsonwebtoken (KeyObject), and the floor: one HMAC
 *   of the signing input with node:crypto and a constant-time compare (no JSON, no claims).
 * - EdDSA and ES256: gatehouse vs the floor, node:crypto's synchronous `crypto.verify` with a
 *   KeyObject imported once (signature only), and jose `jwtVerify` (CryptoKey imported once).
 */
import {
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { createVerifier } from 'fast-jwt';
import { importSPKI, jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import type { Gatehouse } from '../../src/index.js';
import type { BenchContext } from './context.js';
import { roundsFor } from './context.js';
import { claimsOf, createUsers, cycle, issueTokens, FIRST_SEEN_POOL_SIZE as POOL_SIZE } from './fixtures.js';
import { compareRounds } from './harness.js';
import { loadInstalled } from './installed.js';
import { formatRate, type PeerFigure, ratioFigure, ratios, spread } from './results.js';

const rate = (values: readonly number[]) => formatRate(spread(values).median);

/** A peer's figure: its rate, and gatehouse's per-round ratio to it. */
function peer(name: string, samples: number[], gatehouse: number[], note?: string): PeerFigure {
  const r = ratioFigure(ratios(gatehouse, samples));
  return {
    name,
    text: `${rate(samples)} (gatehouse ${r.text})`,
    value: spread(samples).median,
    unit: 'verifies/s',
    ...(r.ratio ? { ratio: r.ratio } : {}),
    ...(note ? { note } : {}),
  };
}

async function hs256(ctx: BenchContext): Promise<void> {
  const { createGatehouse, createMemoryStore } = await loadInstalled('index');
  const secret = randomBytes(32);
  const store = createMemoryStore();
  const config = (verifiedCacheSize?: number) => ({
    store,
    tokens: { secret, ...(verifiedCacheSize === undefined ? {} : { verifiedCacheSize }) },
  });
  const defaults: Gatehouse = createGatehouse(config());
  const noCache: Gatehouse = createGatehouse(config(0));
  const users = await createUsers(store, POOL_SIZE);
  const tokens = await issueTokens(defaults, users);
  const { iss, aud, typ } = claimsOf(tokens[0] as string);
  const cryptoKey = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ]);
  const keyObject: KeyObject = createSecretKey(secret);
  const fastNoCache = createVerifier({
    key: secret,
    algorithms: ['HS256'],
    allowedIss: iss,
    allowedAud: aud,
  });
  const fastCache = createVerifier({
    key: secret,
    algorithms: ['HS256'],
    allowedIss: iss,
    allowedAud: aud,
    cache: true,
  });
  const rawHmac = (token: string) => {
    const dot = token.lastIndexOf('.');
    const mac = createHmac('sha256', secret).update(token.slice(0, dot)).digest();
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    if (signature.length !== mac.length || !timingSafeEqual(signature, mac)) throw new Error('bad signature');
  };
  // Every verifier accepts every token before anything is timed.
  for (const token of tokens.slice(0, 64)) {
    await defaults.tokens.verify(token);
    await noCache.tokens.verify(token);
    fastNoCache(token);
    fastCache(token);
    await jwtVerify(token, cryptoKey, {
      issuer: iss,
      audience: aud,
      algorithms: ['HS256'],
      ...(typ ? { typ } : {}),
    });
    jsonwebtoken.verify(token, keyObject, { algorithms: ['HS256'], issuer: iss, audience: aud });
    rawHmac(token);
  }
  const next = Object.fromEntries(
    ['default', 'off', 'fastNo', 'fastCache', 'jose', 'jsonwebtoken', 'raw'].map((k) => [k, cycle(tokens)]),
  ) as Record<string, () => string>;
  const names = {
    default: 'gatehouse tokens.verify (default cache 65,536)',
    off: 'gatehouse tokens.verify (verifiedCacheSize 0)',
    fastNo: 'fast-jwt createVerifier (no cache)',
    fastCache: 'fast-jwt createVerifier (cache: true, LRU 1,000)',
    jose: 'jose jwtVerify (CryptoKey imported once)',
    jsonwebtoken: 'jsonwebtoken verify (KeyObject)',
    raw: 'raw HMAC-SHA256 + timingSafeEqual (node:crypto)',
  };
  const samples = await compareRounds(
    `HS256 verify, first-seen token (${POOL_SIZE.toLocaleString('en-US')} tokens cycled), one at a time`,
    [
      { name: names.default, run: () => defaults.tokens.verify(next.default!()) },
      { name: names.off, run: () => noCache.tokens.verify(next.off!()) },
      { name: names.fastNo, run: () => fastNoCache(next.fastNo!()) },
      { name: names.fastCache, run: () => fastCache(next.fastCache!()) },
      {
        name: names.jose,
        run: () =>
          jwtVerify(next.jose!(), cryptoKey, {
            issuer: iss,
            audience: aud,
            algorithms: ['HS256'],
            ...(typ ? { typ } : {}),
          }),
      },
      {
        name: names.jsonwebtoken,
        run: () =>
          jsonwebtoken.verify(next.jsonwebtoken!(), keyObject, {
            algorithms: ['HS256'],
            issuer: iss,
            audience: aud,
          }),
      },
      { name: names.raw, run: () => rawHmac(next.raw!()) },
    ],
    roundsFor(ctx.quick),
  );
  const get = (name: string) => samples.get(name) as number[];
  const gh = get(names.default);
  const vsFast = spread(ratios(gh, get(names.fastNo)));
  ctx.rec.add({
    id: 'hs256-first-seen',
    group: 'tokens',
    hotPath: `HS256 verify of a first-seen token (${POOL_SIZE.toLocaleString('en-US')} tokens cycled), memory store, revocation lookup included, c=1`,
    gatehouse: {
      text: `${rate(gh)} default cache; ${rate(get(names.off))} cache off`,
      value: spread(gh).median,
      unit: 'verifies/s',
    },
    peers: [
      peer('fast-jwt, no cache', get(names.fastNo), gh, 'no revocation, no typ check'),
      peer('fast-jwt, cache (LRU 1,000)', get(names.fastCache), gh, 'no revocation, no typ check'),
      peer('jose', get(names.jose), gh, 'no revocation'),
      peer('jsonwebtoken', get(names.jsonwebtoken), gh, 'no revocation, no typ check'),
      peer('raw HMAC floor', get(names.raw), gh, 'signature only'),
    ],
    bar: '≥ 1.0× fast-jwt (no cache), revocation included',
    verdict: vsFast.median >= 1 ? 'met' : 'missed',
    detail: `${vsFast.median.toFixed(2)}× fast-jwt with the default cache`,
  });
  await defaults.close();
  await noCache.close();
}

async function asymmetric(ctx: BenchContext, alg: 'EdDSA' | 'ES256'): Promise<void> {
  const { createGatehouse, createMemoryStore } = await loadInstalled('index');
  const { privateKey, publicKey } =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const store = createMemoryStore();
  const gatehouse: Gatehouse = createGatehouse({
    store,
    tokens: { keys: [{ kid: 'bench-1', alg, privateKey }] },
  });
  const users = await createUsers(store, POOL_SIZE);
  const tokens = await issueTokens(gatehouse, users);
  const { iss, aud, typ } = claimsOf(tokens[0] as string);
  const joseKey = await importSPKI(publicKey.export({ type: 'spki', format: 'pem' }).toString(), alg);
  const rawVerify = (token: string) => {
    const dot = token.lastIndexOf('.');
    const data = Buffer.from(token.slice(0, dot));
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    const ok =
      alg === 'EdDSA'
        ? verify(null, data, publicKey, signature)
        : verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    if (!ok) throw new Error('bad signature');
  };
  const joseOptions = { issuer: iss, audience: aud, algorithms: [alg], ...(typ ? { typ } : {}) };
  for (const token of tokens.slice(0, 32)) {
    await gatehouse.tokens.verify(token);
    rawVerify(token);
    await jwtVerify(token, joseKey, joseOptions);
  }
  const [a, b, c] = [cycle(tokens), cycle(tokens), cycle(tokens)];
  const names = {
    gatehouse: `gatehouse tokens.verify ${alg} (default cache)`,
    raw: `node:crypto verify ${alg} (KeyObject imported once)`,
    jose: `jose jwtVerify ${alg} (CryptoKey imported once)`,
  };
  const samples = await compareRounds(
    `${alg} verify, first-seen token (${POOL_SIZE.toLocaleString('en-US')} tokens cycled), one at a time`,
    [
      { name: names.gatehouse, run: () => gatehouse.tokens.verify(a()) },
      { name: names.raw, run: () => rawVerify(b()) },
      { name: names.jose, run: () => jwtVerify(c(), joseKey, joseOptions) },
    ],
    { ...roundsFor(ctx.quick), batch: 20 },
  );
  const gh = samples.get(names.gatehouse) as number[];
  const raw = samples.get(names.raw) as number[];
  const vsRaw = spread(ratios(gh, raw));
  ctx.rec.add({
    id: `${alg.toLowerCase()}-first-seen`,
    group: 'tokens',
    hotPath: `${alg} verify of a first-seen token, memory store, revocation lookup included, c=1`,
    gatehouse: { text: rate(gh), value: spread(gh).median, unit: 'verifies/s' },
    peers: [
      peer('node:crypto sync verify', raw, gh, 'signature only: no JSON, no claims, no revocation'),
      peer('jose', samples.get(names.jose) as number[], gh, 'no revocation'),
    ],
    bar: '≥ 0.95× the raw node:crypto signature check',
    verdict: vsRaw.median >= 0.95 ? 'met' : 'missed',
    detail: `${vsRaw.median.toFixed(2)}× node:crypto`,
  });
  await gatehouse.close();
}

export async function benchTokenVerify(ctx: BenchContext): Promise<void> {
  await hs256(ctx);
  await asymmetric(ctx, 'EdDSA');
  await asymmetric(ctx, 'ES256');
}
