/**
 * Tokens of an external issuer through the `authenticate` guard of every adapter, over real HTTP
 * (AZ-07, TK-06, TK-10): the principal (sub + iss, no role of ours), scopes with requireScope,
 * refusals, our own tokens unaffected, and an issuer whose keys cannot be fetched -> 503.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckRequest } from '../../src/index.js';
import {
  ADAPTERS,
  bearer,
  bearerChallenge,
  get,
  type Harness,
  startHarness,
  userWithTokens,
} from '../http/conformance/support.js';
import { type IssuerKey, type IssuerServer, issuerKey, startIssuerServer } from './issuer-server.js';

const AUDIENCE = 'gatehouse-api';

/** What the `authorize` guard asked the decider. */
const asked: CheckRequest[] = [];

describe.each(ADAPTERS)('external issuer tokens: %s', (_name, start) => {
  let h: Harness;
  let server: IssuerServer;
  let key: IssuerKey;
  beforeAll(async () => {
    server = await startIssuerServer({ now: () => h.gh.clock.now(), audience: AUDIENCE });
    key = await issuerKey('k1');
    server.keys = [key];
    h = await startHarness(start, {
      tokens: { scopes: ['read', 'write'] },
      authorization: {
        // Allows only subjects of the external issuer: the decision sees iss next to sub (AZ-07).
        decider: {
          check: async (request: CheckRequest) => {
            asked.push(request);
            return { allowed: request.subject.attributes?.issuer === server.issuer, code: 'test' };
          },
        },
      },
      resourceServer: {
        allowInsecureHttp: true,
        fetchTimeout: 300,
        jwksCooldown: 0,
        issuers: [
          { issuer: server.issuer, audience: AUDIENCE, jwksUri: server.jwksUri, algorithms: ['ES256'] },
        ],
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await server?.close();
  });

  it('a valid token -> its principal: userId = sub, issuer = iss, no local user and no role', async () => {
    const reply = await get(
      `${h.url}/generate/text`,
      bearer(await server.sign(key, { scope: 'read write' })),
    );
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toEqual({
      userId: 'ext-user-1',
      role: '',
      method: 'bearer',
      scopes: ['read', 'write'],
      issuer: server.issuer,
    });
  });

  it('scopes take part in the decision (AZ-07); no role of ours is granted', async () => {
    const reader = await get(`${h.url}/scoped`, bearer(await server.sign(key, { scope: 'read' })));
    expect(reader.status).toBe(200);
    const writer = await get(`${h.url}/scoped`, bearer(await server.sign(key, { scope: 'write' })));
    expect(writer.status).toBe(403);
    expect(writer.headers.get('www-authenticate')).toBe(
      'Bearer realm="gatehouse", error="insufficient_scope", scope="read"',
    );
    const admin = await get(
      `${h.url}/admin`,
      bearer(await server.sign(key, { sub: 'ADMIN', role: 'ADMIN' })),
    );
    expect(admin.status).toBe(403);
  });

  it('authorize: the decider sees the subject’s issuer and scopes with its sub (AZ-07)', async () => {
    asked.length = 0;
    const external = await get(`${h.url}/docs/d1`, bearer(await server.sign(key, { scope: 'read' })));
    expect(external.status).toBe(200);
    // Another issuer's subject is its own type, so no rule for local users admits it.
    expect(asked[0]?.subject).toMatchObject({
      type: 'external_user',
      id: 'ext-user-1',
      attributes: { issuer: server.issuer, scopes: ['read'], method: 'bearer' },
    });
    const user = await userWithTokens(h, 'rsdoc');
    const own = await get(`${h.url}/docs/d1`, bearer(user.tokens.access));
    expect(own.status).toBe(403);
    expect(asked[1]?.subject).toMatchObject({ type: 'user', id: user.id });
    expect(asked[1]?.subject.attributes).not.toHaveProperty('issuer');
  });

  it('wrong aud, expired, or signed by a key not in the JWKS -> 401 invalid_token', async () => {
    const stranger = await issuerKey('k1');
    const now = Math.floor(h.gh.clock.now().getTime() / 1000);
    for (const token of [
      await server.sign(key, { aud: 'another-api' }),
      await server.sign(key, { iat: now - 600, exp: now - 60 }),
      await server.sign(stranger),
    ]) {
      const reply = await get(`${h.url}/generate/text`, bearer(token));
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(bearerChallenge('invalid_token'));
    }
  });

  it('our own tokens keep working next to external ones; an unknown issuer is just invalid', async () => {
    const user = await userWithTokens(h, 'rsown');
    const own = await get(`${h.url}/generate/text`, bearer(user.tokens.access));
    expect(own.status).toBe(200);
    expect(own.body).toEqual({ userId: user.id, role: 'USER', method: 'bearer', scopes: [] });
    const unknown = await get(
      `${h.url}/generate/text`,
      bearer(await server.sign(key, { iss: 'https://unknown-issuer.example' })),
    );
    expect(unknown.status).toBe(401);
  });

  it('the issuer’s JWKS unreachable -> 503 temporarily_unavailable, answered promptly', async () => {
    const rotated = await issuerKey('k2');
    server.keys = [key, rotated];
    server.mode = 'hang';
    try {
      // An unknown kid forces a refetch, which times out (the endpoint never answers).
      const reply = await get(`${h.url}/generate/text`, bearer(await server.sign(rotated)));
      expect(reply.status).toBe(503);
      expect(reply.body.error).toBe('temporarily_unavailable');
      expect(reply.headers.get('retry-after')).toBe('1');
    } finally {
      server.mode = 'ok';
      server.keys = [key];
    }
  });
});
