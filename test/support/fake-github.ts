/**
 * A loopback server that speaks GitHub's three OAuth endpoints the way GitHub does:
 *
 * - `GET /login/oauth/authorize`: consent is immediate (as for an app the user already
 *   authorized), or refused with `error=access_denied` and an `error_description` chosen by the
 *   test (`peer.deny`). PKCE: only `S256` is accepted (GitHub, since 2025-07-14).
 * - `POST /login/oauth/access_token`: answers `application/x-www-form-urlencoded` unless the
 *   request says `Accept: application/json`; a bad code, verifier or redirect URI is answered
 *   with **HTTP 200** and an `error` body, as GitHub does. Codes are single use.
 * - `GET /user` and `GET /user/emails` with the Bearer token; no RFC 9207 `iss`, no discovery.
 *
 * Every token request is recorded (`peer.tokenRequests`) for assertions on what the client sent.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GithubEmailEntry {
  readonly email: string;
  readonly primary: boolean;
  readonly verified: boolean;
}

export interface GithubUser {
  readonly id: number;
  readonly login: string;
  readonly name?: string;
  /** The public profile email (GitHub does not vouch for it). */
  readonly email?: string | null;
  readonly emails: readonly GithubEmailEntry[];
}

export interface FakeGithub {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Who the next authorization logs in as. */
  user: GithubUser;
  /** When set, the next authorizations are refused with this `error_description`. */
  deny: string | undefined;
  readonly tokenRequests: { accept: string | undefined; body: URLSearchParams }[];
  /** Access tokens issued (never expected anywhere near the browser). */
  readonly issuedTokens: string[];
  close(): Promise<void>;
}

interface PendingCode {
  readonly user: GithubUser;
  readonly challenge: string;
  readonly redirectUri: string;
}

function body(req: IncomingMessage): Promise<string> {
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

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value));
}

export async function startFakeGithub(user: GithubUser): Promise<FakeGithub> {
  const codes = new Map<string, PendingCode>();
  const tokens = new Map<string, GithubUser>();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const peer: FakeGithub = {
    url,
    clientId: 'Iv1.gatehousetest',
    clientSecret: randomBytes(20).toString('hex'),
    user,
    deny: undefined,
    tokenRequests: [],
    issuedTokens: [],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const authorize = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams): unknown => {
    const redirectUri = query.get('redirect_uri') ?? '';
    const state = query.get('state') ?? '';
    if (query.get('client_id') !== peer.clientId || !redirectUri)
      return json(res, 400, { error: 'bad client' });
    if (query.get('code_challenge_method') !== 'S256' || !query.get('code_challenge')) {
      return json(res, 400, { error: 'invalid_request', error_description: 'PKCE S256 required' });
    }
    const target = new URL(redirectUri);
    if (peer.deny !== undefined) {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', peer.deny);
      target.searchParams.set('error_uri', 'https://docs.github.com/apps/troubleshooting');
    } else {
      const code = randomBytes(10).toString('hex');
      codes.set(code, { user: peer.user, challenge: query.get('code_challenge') as string, redirectUri });
      target.searchParams.set('code', code);
    }
    target.searchParams.set('state', state);
    res.writeHead(302, { location: target.href }).end();
    void req;
  };

  const accessToken = async (req: IncomingMessage, res: ServerResponse): Promise<unknown> => {
    const params = new URLSearchParams(await body(req));
    const accept = req.headers.accept;
    peer.tokenRequests.push({ accept, body: params });
    const answer = (value: Record<string, string>): unknown => {
      if (accept?.includes('application/json')) return json(res, 200, value);
      res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' });
      res.end(new URLSearchParams(value).toString());
    };
    const code = params.get('code') ?? '';
    const pending = codes.get(code);
    codes.delete(code);
    const verifier = params.get('code_verifier') ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (params.get('client_id') !== peer.clientId || params.get('client_secret') !== peer.clientSecret) {
      return answer({
        error: 'incorrect_client_credentials',
        error_description: 'The client_id and/or client_secret passed are incorrect.',
      });
    }
    if (!pending || pending.challenge !== challenge || pending.redirectUri !== params.get('redirect_uri')) {
      // GitHub answers HTTP 200 with an error body here.
      return answer({
        error: 'bad_verification_code',
        error_description: 'The code passed is incorrect or expired.',
      });
    }
    const token = `gho_${randomBytes(18).toString('base64url')}`;
    tokens.set(token, pending.user);
    peer.issuedTokens.push(token);
    return answer({ access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
  };

  server.on('request', (req, res) => {
    const requestUrl = new URL(req.url ?? '/', url);
    const route = `${req.method} ${requestUrl.pathname}`;
    if (route === 'GET /login/oauth/authorize') return authorize(req, res, requestUrl.searchParams);
    if (route === 'POST /login/oauth/access_token') {
      accessToken(req, res).catch(() => res.writeHead(500).end());
      return;
    }
    const bearer = /^(?:Bearer|token) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const owner = bearer === undefined ? undefined : tokens.get(bearer);
    if (!owner) return json(res, 401, { message: 'Bad credentials' });
    if (route === 'GET /user') {
      return json(res, 200, {
        id: owner.id,
        login: owner.login,
        name: owner.name ?? null,
        email: owner.email ?? null,
      });
    }
    if (route === 'GET /user/emails') {
      return json(
        res,
        200,
        owner.emails.map((e) => ({ ...e, visibility: e.primary ? 'private' : null })),
      );
    }
    json(res, 404, { message: 'Not Found' });
  });
  return peer;
}
