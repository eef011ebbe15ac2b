/**
 * What every auth route shares: reading the body, the login-CSRF origin check, authenticating
 * the caller, mapping flow errors, and answering with tokens or session cookies.
 *
 * @module
 */
import type { LoginResult } from '../auth/login-result.js';
import type { PublicUser } from '../auth/public-user.js';
import { SessionRequiredError } from '../errors.js';
import type { RequestContext } from '../events.js';
import type { Gatehouse } from '../gatehouse.js';
import type { IssuedTokens } from '../token/token-service.js';
import { readBody } from './body.js';
import { clearedSessionCookies, originAllowed, sessionCookies } from './cookie-session.js';
import type { RequestCredentials } from './credentials.js';
import type { HttpGuards, Principal } from './guards.js';
import { clientError, flowErrorResult, type HttpResult, jsonResult } from './responses.js';

/** One request as a route sees it. */
export interface RouteInput {
  readonly request: Request;
  readonly credentials: RequestCredentials;
  readonly context: RequestContext;
  readonly mountPath: string;
}

/** A route: a request in, a response as data out. */
export type Route = (input: RouteInput) => Promise<HttpResult>;

/** Routes by path, then by method. */
export type RouteTable = ReadonlyArray<readonly [path: string, method: string, route: Route]>;

/** A body field as a string, or `undefined`. */
export const stringField = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** A user signed in to this gatehouse with an access token: the only principal the auth routes act for. */
export type SessionPrincipal = Principal & {
  readonly kind: 'user';
  readonly user: PublicUser;
  readonly method: 'bearer' | 'cookie';
};

/** Whether a principal is a {@link SessionPrincipal}: not a client, an API key or another issuer's subject. */
function isSessionPrincipal(principal: Principal): principal is SessionPrincipal {
  return (
    principal.kind === 'user' &&
    principal.user !== null &&
    principal.issuer === undefined &&
    (principal.method === 'bearer' || principal.method === 'cookie')
  );
}

/** The RFC 6749 §5.1 success body. */
export function oauthTokenBody(tokens: IssuedTokens): Record<string, unknown> {
  return {
    access_token: tokens.accessToken,
    token_type: 'Bearer',
    expires_in: tokens.expiresIn,
    refresh_token: tokens.refreshToken,
    ...(tokens.scope.length > 0 ? { scope: tokens.scope.join(' ') } : {}),
  };
}

/** The shared helpers of the auth routes. */
export class RouteKit {
  readonly gatehouse: Gatehouse;
  readonly guards: HttpGuards;
  /** Receives unexpected errors (answered with a generic 500). */
  onError: (error: unknown) => void;

  constructor(gatehouse: Gatehouse, guards: HttpGuards, onError: (error: unknown) => void) {
    this.gatehouse = gatehouse;
    this.guards = guards;
    this.onError = onError;
  }

  get cookieMode(): boolean {
    return this.gatehouse.config.http.cookies.enabled;
  }

  /** The request body as fields (JSON or form), within `http.maxBodyBytes`. */
  body(input: RouteInput): Promise<Record<string, unknown>> {
    return readBody(input.request, this.gatehouse.config.http.maxBodyBytes);
  }

  /** In cookie mode, routes that set cookies or act without a session refuse cross-site requests. */
  crossSite(input: RouteInput): HttpResult | undefined {
    if (!this.cookieMode || originAllowed(input.credentials, this.gatehouse.config.http.cookies))
      return undefined;
    return clientError(403, 'csrf_failed', 'Cross-site request refused');
  }

  /**
   * The signed-in user (with the CSRF checks of cookie mode), or the refusal to send. The auth
   * routes act on a user's own account, so they take only a user signed in to this gatehouse with
   * an access token (Bearer or the cookie). Any other valid credential — a client's token (client
   * credentials), an API key, another issuer's token — answers 403 `session_required`
   * (`ERR_SESSION_REQUIRED`), not 401: the credential is valid but not enough for the route
   * (RFC 6750 §3.1 keeps 401 `invalid_token` for bad tokens, which clients answer by refreshing
   * and retrying), and an API key or a machine must not change what only a person may (OWASP
   * ASVS v4 3.7.1: account changes need a full, valid login session).
   */
  async principal(input: RouteInput): Promise<SessionPrincipal | HttpResult> {
    const outcome = await this.guards.authenticate(input.credentials);
    if (!outcome.ok) return outcome.result;
    const principal = outcome.principal as Principal;
    if (!isSessionPrincipal(principal)) return this.flowError(new SessionRequiredError());
    return principal;
  }

  /**
   * A route for the signed-in user: authenticates (with the CSRF checks of cookie mode), reads
   * the body, runs `run`, and maps flow errors.
   */
  signedIn(
    run: (
      userId: string,
      body: Record<string, unknown>,
      input: RouteInput,
      familyId: string | null,
    ) => Promise<HttpResult>,
  ): Route {
    return async (input) => {
      const principal = await this.principal(input);
      if ('status' in principal) return principal;
      const body = await this.body(input);
      try {
        return await run(principal.userId, body, input, principal.familyId);
      } catch (error) {
        return this.flowError(error);
      }
    };
  }

  /** A flow error as a response; unexpected ones are reported to `onError`. */
  flowError(error: unknown): HttpResult {
    const result = flowErrorResult(error);
    if (result.status >= 500 && result.status !== 503) this.onError(error);
    return result;
  }

  /** 204 with `no-store`, plus cookies that end the session when `clearSession` (cookie mode). */
  noContent(input: RouteInput, clearSession = false): HttpResult {
    const cookies =
      clearSession && this.cookieMode
        ? clearedSessionCookies(this.gatehouse.config.http.cookies, input.mountPath)
        : undefined;
    return { status: 204, headers: { 'cache-control': 'no-store' }, ...(cookies ? { cookies } : {}) };
  }

  /** 202 with a fixed message: the answer of flows that must not reveal whether an account exists. */
  accepted(message: string): HttpResult {
    return jsonResult(202, { message });
  }

  /**
   * The answer to a completed first factor: for `mfa_required` (OWASP ASVS 5.0 2.3.1, 6.6.2; RFC 8725 §3.12) only the challenge, no
   * token and no cookie until `POST /mfa/verify`; otherwise the session ({@link sessionResult}).
   */
  loginResult(result: LoginResult, input: RouteInput): HttpResult {
    if (result.status === 'mfa_required') {
      return jsonResult(200, {
        mfa_required: true,
        challenge: result.challenge,
        expires_in: result.expiresIn,
        methods: result.methods,
      });
    }
    return this.sessionResult(result, input, result.user);
  }

  /** Tokens as the OAuth JSON body, or in cookie mode as cookies with no token in the body. */
  sessionResult(tokens: IssuedTokens, input: RouteInput, user?: PublicUser): HttpResult {
    const now = this.gatehouse.now().getTime();
    if (this.cookieMode) {
      const cookies = sessionCookies(this.gatehouse.config.http.cookies, input.mountPath, {
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        expiresIn: tokens.expiresIn,
        refreshExpiresIn: Math.max(0, Math.floor((tokens.refreshTokenExpiresAt.getTime() - now) / 1000)),
      });
      return jsonResult(
        200,
        { token_type: 'cookie', expires_in: tokens.expiresIn, ...(user ? { user } : {}) },
        {},
        cookies,
      );
    }
    return jsonResult(200, { ...oauthTokenBody(tokens), ...(user ? { user } : {}) });
  }
}
