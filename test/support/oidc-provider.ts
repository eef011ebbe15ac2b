/**
 * A real OpenID Connect provider (`oidc-provider`) on loopback for the OAuth client tests.
 *
 * - Interactions are answered by the test: `peer.next` says who logs in (or that the user
 *   refuses, with an `error_description` an attacker might choose); consent is granted
 *   automatically (`loadExistingGrant`), so a browser that follows redirects completes the flow.
 * - `peer.tamper` re-signs the ID token of the next token responses with the provider's own key
 *   after changing claims (wrong `aud`, `exp` in the past, another `nonce`), or with a foreign key,
 *   like a compromised or buggy provider would: the signature stays valid where that is the point.
 * - `peer.ttl` shortens ID token and access token lifetimes (refresh tests), and
 *   `peer.tokenRequests` counts token endpoint calls with their grant types and bodies.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
// Two warnings this prints on stderr are expected and harmless here:
// - "oidc-provider WARNING: Unsupported runtime. Use Node.js v22.x LTS, or a later LTS release." is
//   printed once per test process when this module is imported: oidc-provider compares
//   `process.release.lts` with its own support policy (the "Jod" LTS line, Node 22, and later) and
//   only warns; it runs on Node 20 (every OIDC test passes on it). It is a dev dependency, a real
//   provider for gatehouse's OAuth client (oauth4webapi, which supports every Node in `engines`) to
//   talk to; it is not part of the package and says nothing about the Node gatehouse needs.
// - "a quick start development-only in-memory adapter is used" is printed for each provider started
//   below: the peer keeps its sessions and grants in memory, which is what a throw-away test provider
//   wants.
import Provider, { type Configuration } from 'oidc-provider';

/** An account at the provider. */
export interface OidcAccount {
  readonly sub: string;
  readonly email?: string;
  readonly email_verified?: boolean;
  readonly name?: string;
}

/** A client registered at the provider. */
export interface OidcClientSpec {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris?: readonly string[];
  readonly grantTypes?: readonly string[];
  readonly scope?: string;
}

/** What the next interaction does. */
export type NextInteraction =
  | { readonly login: string }
  | { readonly error: string; readonly description?: string };

/** How the next ID tokens are altered. */
export type Tamper = { readonly claims: Record<string, unknown> } | { readonly foreignKey: true } | undefined;

export interface OidcPeer {
  readonly issuer: string;
  readonly provider: Provider;
  readonly accounts: Map<string, OidcAccount>;
  next: NextInteraction;
  tamper: Tamper;
  readonly ttl: { idToken: number; accessToken: number; clientCredentials: number };
  readonly tokenRequests: { grantType: string; body: URLSearchParams; authorization: string | undefined }[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

/** Starts a provider on 127.0.0.1 with the given clients and accounts. */
export async function startOidcProvider(options: {
  clients: readonly OidcClientSpec[];
  accounts?: readonly OidcAccount[];
}): Promise<OidcPeer> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid: 'peer-key-1', alg: 'RS256', use: 'sig' };
  const foreign = await generateKeyPair('RS256', { extractable: true });
  const accounts = new Map((options.accounts ?? []).map((a) => [a.sub, a]));
  const ttl = { idToken: 3600, accessToken: 3600, clientCredentials: 600 };

  const configuration: Configuration = {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: [...(c.redirectUris ?? [])],
      grant_types: [...(c.grantTypes ?? ['authorization_code', 'refresh_token'])],
      response_types: (c.redirectUris ?? []).length > 0 ? ['code'] : [],
      token_endpoint_auth_method: 'client_secret_basic',
      ...(c.scope ? { scope: c.scope } : {}),
    })),
    jwks: { keys: [jwk as never] },
    scopes: ['openid', 'email', 'profile', 'offline_access', 'api:read', 'api:write'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: async (_ctx, sub) => {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ ...account }) };
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    loadExistingGrant: async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      const client = ctx.oidc.client;
      if (!accountId || !client) return undefined;
      const existing = ctx.oidc.session?.grantIdFor(client.clientId);
      if (existing) {
        const grant = await ctx.oidc.provider.Grant.find(existing);
        if (grant) return grant;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId });
      grant.addOIDCScope('openid email profile offline_access');
      grant.addOIDCClaims(['email', 'email_verified', 'name']);
      await grant.save();
      return grant;
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      IdToken: () => ttl.idToken,
      AccessToken: () => ttl.accessToken,
      ClientCredentials: () => ttl.clientCredentials,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      RefreshToken: 86400,
    },
    cookies: { keys: ['oidc-peer-cookie-key-for-tests-only'] },
    pkce: { required: () => true },
    responseTypes: ['code'],
  };
  const provider = new Provider(issuer, configuration);

  const peer: OidcPeer = {
    issuer,
    provider,
    accounts,
    next: { login: options.accounts?.[0]?.sub ?? 'nobody' },
    tamper: undefined,
    ttl,
    tokenRequests: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  // Record token requests, and alter ID tokens in token responses when told to.
  provider.use(async (ctx, next) => {
    if (ctx.path === '/token' && ctx.method === 'POST') {
      const body = new URLSearchParams(
        (ctx.request as unknown as { body?: Record<string, string> }).body ?? {},
      );
      await next();
      peer.tokenRequests.push({
        grantType: (ctx.oidc?.params?.grant_type as string | undefined) ?? body.get('grant_type') ?? '',
        body: new URLSearchParams(ctx.oidc?.params as Record<string, string>),
        authorization: ctx.get('authorization') || undefined,
      });
      const tamper = peer.tamper;
      const responseBody = ctx.body as Record<string, unknown> | undefined;
      if (tamper && typeof responseBody?.id_token === 'string') {
        const claims = { ...decodeJwt(responseBody.id_token) };
        const header = decodeProtectedHeader(responseBody.id_token);
        const signer = new SignJWT({
          ...claims,
          ...('claims' in tamper ? tamper.claims : {}),
        }).setProtectedHeader({
          alg: 'RS256',
          kid: header.kid ?? jwk.kid,
          typ: header.typ,
        });
        responseBody.id_token = await signer.sign('foreignKey' in tamper ? foreign.privateKey : privateKey);
        ctx.body = responseBody;
      }
      return;
    }
    await next();
  });

  const handleInteraction = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    await readBody(req);
    await provider.interactionDetails(req, res);
    const next = peer.next;
    const result =
      'login' in next
        ? { login: { accountId: next.login } }
        : { error: next.error, ...(next.description ? { error_description: next.description } : {}) };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  };

  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      handleInteraction(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    void callback(req, res);
  });
  return peer;
}
