/**
 * A loopback authorization server for resource-server tests: serves a JWKS (and discovery
 * documents) from `node:http`, counts fetches, can rotate keys, answer 500, or hang; and signs
 * access tokens for it with jose.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/** One signing key of the test issuer. */
export interface IssuerKey {
  readonly kid: string;
  readonly alg: 'ES256' | 'RS256' | 'EdDSA';
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function issuerKey(kid: string, alg: IssuerKey['alg'] = 'ES256'): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export type ServerMode = 'ok' | 'error' | 'hang';

/** A running loopback issuer. */
export interface IssuerServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** The issuer identifier: `<origin>/realm`. */
  readonly issuer: string;
  /** `<origin>/jwks` */
  readonly jwksUri: string;
  /** The keys published now (replace to rotate). */
  keys: IssuerKey[];
  /** How the JWKS and discovery endpoints answer. */
  mode: ServerMode;
  /** The `issuer` the discovery documents claim (default: the real one). */
  metadataIssuer: string | undefined;
  /** Requests per path. */
  readonly hits: Map<string, number>;
  jwksFetches(): number;
  /** Signs an access token (`typ: at+jwt`) with `key`; `claims` and `header` override defaults. */
  sign(key: IssuerKey, claims?: JWTPayload, header?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** Starts the issuer on 127.0.0.1; `now` is the clock tokens are dated by (seconds). */
export async function startIssuerServer(options: {
  now: () => Date;
  audience: string;
}): Promise<IssuerServer> {
  const hanging = new Set<import('node:http').ServerResponse>();
  const state: { server?: Server } = {};
  const self = {} as IssuerServer & {
    keys: IssuerKey[];
    mode: ServerMode;
    metadataIssuer: string | undefined;
  };
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (self.mode === 'hang') {
      hanging.add(res);
      return;
    }
    if (self.mode === 'error') {
      res.statusCode = 500;
      res.end('down');
      return;
    }
    const json = (body: unknown) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (path === '/jwks') return json({ keys: self.keys.map((k) => k.publicJwk) });
    const metadata = { issuer: self.metadataIssuer ?? self.issuer, jwks_uri: self.jwksUri };
    if (path === '/realm/.well-known/openid-configuration') return json(metadata);
    if (path === '/.well-known/oauth-authorization-server/realm') return json(metadata);
    res.statusCode = 404;
    res.end();
  });
  state.server = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(self, {
    origin,
    issuer: `${origin}/realm`,
    jwksUri: `${origin}/jwks`,
    keys: [],
    mode: 'ok',
    metadataIssuer: undefined,
    hits,
    jwksFetches: () => hits.get('/jwks') ?? 0,
    async sign(key: IssuerKey, claims: JWTPayload = {}, header: Record<string, unknown> = {}) {
      const iat = Math.floor(options.now().getTime() / 1000);
      return new SignJWT({
        iss: self.issuer,
        aud: options.audience,
        sub: 'ext-user-1',
        client_id: 'reporting-service',
        jti: `jti-${Math.random().toString(36).slice(2)}`,
        scope: 'read',
        iat,
        exp: iat + 300,
        ...claims,
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
        .sign(key.privateKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return self;
}

/** An unsecured JWT (`alg: none`) with the given header spelling. */
export function unsecuredToken(payload: JWTPayload, alg = 'none'): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg, typ: 'at+jwt' })}.${encode(payload)}.`;
}
