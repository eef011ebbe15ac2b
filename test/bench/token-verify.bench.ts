/**
 * TokenService.verify (signature, claims and the revocation lookup in the token table) against
 * jose's jwtVerify alone with a CryptoKey imported once — the floor gatehouse builds on.
 */
import { randomBytes } from 'node:crypto';
import { jwtVerify } from 'jose';
import { createSqliteStore } from '../../adapters/sqlite/index.js';
import { createGatehouse, createMemoryStore, type Store } from '../../src/index.js';
import { loginTokens } from '../support/login.js';
import { compare } from './harness.js';

const PASSWORD = 'violet-otter-42-lantern';

async function setup(store: Store, secret: Uint8Array, verifiedCacheSize?: number) {
  const gatehouse = createGatehouse({
    store,
    tokens: { secret, ...(verifiedCacheSize === undefined ? {} : { verifiedCacheSize }) },
    password: { argon2: { memoryCost: 1024, timeCost: 1 } },
  });
  await gatehouse.auth.register({ email: 'bench@example.com', password: PASSWORD });
  const { accessToken } = await loginTokens(gatehouse, {
    identifier: 'bench@example.com',
    password: PASSWORD,
  });
  return { gatehouse, accessToken };
}

export async function benchTokenVerify(): Promise<void> {
  const secret = randomBytes(32);
  const memory = await setup(createMemoryStore(), secret);
  const sqlite = await setup(createSqliteStore(), secret);
  const cold = await setup(createMemoryStore(), secret, 0);
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ]);
  const options = { issuer: 'gatehouse', audience: 'gatehouse-api', algorithms: ['HS256'], typ: 'at+jwt' };
  await compare('HS256 access token verification (one at a time)', [
    {
      name: 'jose jwtVerify (CryptoKey imported once)',
      run: () => jwtVerify(memory.accessToken, key, options),
    },
    {
      name: 'gatehouse verify, memory store, no cache (first sight)',
      run: () => cold.gatehouse.tokens.verify(cold.accessToken),
    },
    {
      name: 'gatehouse TokenService.verify, memory store',
      run: () => memory.gatehouse.tokens.verify(memory.accessToken),
    },
    {
      name: 'gatehouse TokenService.verify, SQLite store',
      run: () => sqlite.gatehouse.tokens.verify(sqlite.accessToken),
    },
  ]);
}
