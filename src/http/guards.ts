/**
 * The guard core every adapter shares. A guard reads only {@link RequestCredentials} (a few
 * headers) and answers with a principal or an {@link HttpResult} to send; adapters turn that into
 * native middleware (`req.auth`, `request.auth`, `c.get('auth')`).
 *
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthenticatedSubject } from '../auth/auth-service.js';
import type { PublicUser } from '../auth/public-user.js';
import { isAuthError } from '../errors.js';
import type { RequestContext } from '../events.js';
import type { Gatehouse } from '../gatehouse.js';
import { apiKeyPrincipal, externalPrincipal, readApiKey } from './alternative-credentials.js';
import {
  type CookieSettings,
  cookieNames,
  csrfTokenValid,
  isSafeMethod,
  originAllowed,
} from './cookie-session.js';
import {
  parseAuthorization,
  type RequestCookies,
  type RequestCredentials,
  readCookies,
} from './credentials.js';
import { decideAccess } from './object-authorization.js';
import {
  bearerErrorResult,
  clientError,
  forbiddenResult,
  type HttpResult,
  jsonResult,
  rateLimitedResult,
  serverError,
} from './responses.js';

/** Who is making an authenticated request. */
export interface Principal {
  /**
   * Who the subject is: a `user` (a person with an account, or a static Basic user name) or a
   * `client` (a machine: a service client of the client-credentials grant).
   */
  readonly kind: 'user' | 'client';
  /** The user id (for static Basic credentials: the user name; for a `client`: the client id). */
  readonly userId: string;
  /** The user as stored now (`null` for static Basic credentials and for a `client`). */
  readonly user: PublicUser | null;
  /**
   * The user's current role (read from the store on each request, not from the token); for a
   * `client`, the configured `clients.role` (default `''`: no role).
   */
  readonly role: string;
  /** Scopes granted to the token (empty for Basic). */
  readonly scopes: readonly string[];
  /**
   * The access token's `jti` (`null` when an external token has none), an API key's public id, or
   * `null` for Basic.
   */
  readonly tokenId: string | null;
  /** The token family (login session), or `null` for Basic and for a `client`. */
  readonly familyId: string | null;
  /** How the request authenticated. */
  readonly method: 'bearer' | 'cookie' | 'basic' | 'api_key';
  /**
   * For an access token of a trusted external issuer (`resourceServer.issuers`): its `iss`. The
   * subject's identity is then `issuer` + `userId` (its `sub`), never `userId` alone. Absent for
   * credentials of this gatehouse.
   */
  readonly issuer?: string;
}

/** A guard's answer: go on with a principal (or `null` for an optional guard), or send `result`. */
export type GuardOutcome =
  | { readonly ok: true; readonly principal: Principal | null }
  | { readonly ok: false; readonly result: HttpResult };

/** Options of {@link HttpGuards.authenticate}. */
export interface AuthenticateOptions {
  /** Let anonymous requests through with `principal: null` (invalid credentials still fail). */
  readonly optional?: boolean;
}

/** The resource an `authorize` guard asks about: its type, id and (for conditions) attributes. */
export interface ResourceRef {
  readonly type: string;
  readonly id: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** Static credentials for {@link HttpGuards.basic}: user name -> password, or password and role. */
export type BasicCredentials = Readonly<
  Record<string, string | { readonly password: string; readonly role?: string }>
>;

/** Options of {@link HttpGuards.basic}. */
export interface BasicAuthOptions {
  /** Check against these static credentials instead of the user store. */
  readonly credentials?: BasicCredentials;
}

const allowed = (principal: Principal | null): GuardOutcome => ({ ok: true, principal });
const refused = (result: HttpResult): GuardOutcome => ({ ok: false, result });

function context(credentials: RequestCredentials): RequestContext {
  return { ip: credentials.ip ?? null, userAgent: credentials.userAgent ?? null };
}

/** Builds the guards of one gatehouse instance. Adapters hold one and call it per request. */
export class HttpGuards {
  readonly #gatehouse: Gatehouse;
  readonly #realm: string;
  readonly #cookies: CookieSettings;
  readonly #cookieNames: ReturnType<typeof cookieNames>;
  readonly #basicKey = randomBytes(32);

  constructor(gatehouse: Gatehouse) {
    this.#gatehouse = gatehouse;
    this.#realm = gatehouse.config.http.realm;
    this.#cookies = gatehouse.config.http.cookies;
    this.#cookieNames = cookieNames(this.#cookies);
  }

  /**
   * Bearer (RFC 6750) or, in cookie mode, the access-token cookie. Checks, in order: at most one
   * `Authorization` header and a well-formed one (else 400 `invalid_request`); in cookie mode, the
   * access and CSRF cookies each sent at most once (else 400 `invalid_request`, RFC 6750 §3.1 for a
   * request that repeats a parameter: gatehouse never picks one of two, and a 401 would only make
   * the client retry with the same cookies); not both a header and a cookie (400); for
   * cookie-authenticated unsafe methods the origin and the CSRF double-submit token (403); then
   * the token itself and its user (401 `invalid_token`).
   * No credentials: 401 with a bare `Bearer realm` challenge, or `principal: null` when optional.
   * Tokens in the query string are never looked at.
   *
   * With `apiKeys.enabled`, an API key in the configured header (default `X-API-Key`, never next
   * to an `Authorization` header or an access cookie: 400) or as `Bearer ghk_...` is checked
   * instead (`method: 'api_key'`); its failures answer 401 like a bad token and are throttled per
   * IP with failed logins (429). A Bearer token whose `iss` is a configured external issuer
   * (`resourceServer.issuers`) is verified against that issuer's JWKS (`issuer` set on the
   * principal); its keys unreachable -> 503. See `src/http/alternative-credentials.ts`.
   */
  async authenticate(credentials: RequestCredentials, options?: AuthenticateOptions): Promise<GuardOutcome> {
    return this.authenticateMaybeSync(credentials, options);
  }

  /**
   * {@link HttpGuards.authenticate} without a promise when none is needed: the same checks in the
   * same order and the same answers. With a store that reads synchronously (memory, SQLite) a
   * request with a token of this gatehouse is decided without a single promise; anything that
   * needs I/O (PostgreSQL, API keys, external issuers) answers a promise. Adapters call this.
   */
  authenticateMaybeSync(
    credentials: RequestCredentials,
    options?: AuthenticateOptions,
  ): GuardOutcome | Promise<GuardOutcome> {
    const header = parseAuthorization(credentials.authorization);
    if (header.kind === 'malformed') return refused(bearerErrorResult(this.#realm, 'invalid_request'));
    const cookies = this.#cookies.enabled ? readCookies(credentials.cookie) : undefined;
    const names = this.#cookieNames;
    // Two access or CSRF cookies: which one is meant is anyone's guess, so neither is used.
    if (cookies?.repeated(names.access, names.csrf)) {
      return refused(bearerErrorResult(this.#realm, 'invalid_request'));
    }
    const apiKey = readApiKey(this.#gatehouse, credentials, header);
    if (apiKey.kind !== 'none') return this.#apiKey(apiKey, credentials, cookies);
    let token: string | undefined;
    let method: Principal['method'] = 'bearer';
    const cookieToken = cookies?.get(names.access);
    if (header.kind === 'bearer') {
      if (cookieToken !== undefined) return refused(bearerErrorResult(this.#realm, 'invalid_request'));
      token = header.token;
    } else if (cookieToken !== undefined && cookies) {
      if (!isSafeMethod(credentials.method)) {
        if (
          !originAllowed(credentials, this.#cookies) ||
          !csrfTokenValid(credentials.csrfToken, cookies.get(names.csrf), cookieToken)
        ) {
          return refused(clientError(403, 'csrf_failed', 'Cross-site request refused'));
        }
      }
      token = cookieToken;
      method = 'cookie';
    }
    if (token === undefined) {
      return options?.optional ? allowed(null) : refused(bearerErrorResult(this.#realm));
    }
    if (method === 'bearer' && this.#gatehouse.externalTokens.claimsExternalIssuer(token)) {
      return this.#settle(externalPrincipal(this.#gatehouse, token));
    }
    let subject: AuthenticatedSubject | Promise<AuthenticatedSubject>;
    try {
      subject = this.#gatehouse.auth.authenticateSubjectMaybeSync(token, () => context(credentials));
    } catch (error) {
      return refused(this.#failure(error));
    }
    if (!(subject instanceof Promise)) return this.#subjectOutcome(subject, method);
    return subject.then(
      (s) => this.#subjectOutcome(s, method),
      (error: unknown) => refused(this.#failure(error)),
    );
  }

  /** The principal of an authenticated token; a client's token only as a bearer token. */
  #subjectOutcome(subject: AuthenticatedSubject, method: Principal['method']): GuardOutcome {
    if (subject.kind === 'client') {
      // A client's token (client credentials) is a bearer token only: never issued as a cookie.
      if (method !== 'bearer') return refused(bearerErrorResult(this.#realm, 'invalid_token'));
      return allowed({
        kind: 'client',
        userId: subject.client.id,
        user: null,
        role: subject.role,
        scopes: subject.scopes,
        tokenId: subject.claims.jti,
        familyId: null,
        method,
      });
    }
    const { user, claims, familyId } = subject;
    return allowed({
      kind: 'user',
      userId: user.id,
      user,
      role: user.role,
      scopes: claims.scope,
      tokenId: claims.jti,
      familyId,
      method,
    });
  }

  /** An API key (header or `Bearer ghk_...`): refused next to an access cookie (one method per request). */
  #apiKey(
    apiKey: ReturnType<typeof readApiKey>,
    credentials: RequestCredentials,
    cookies: RequestCookies | undefined,
  ): Promise<GuardOutcome> {
    if (apiKey.kind !== 'key' || cookies?.get(this.#cookieNames.access) !== undefined) {
      return Promise.resolve(refused(bearerErrorResult(this.#realm, 'invalid_request')));
    }
    return this.#settle(apiKeyPrincipal(this.#gatehouse, apiKey.key, context(credentials)));
  }

  async #settle(principal: Promise<Principal>): Promise<GuardOutcome> {
    try {
      return allowed(await principal);
    } catch (error) {
      return refused(this.#failure(error));
    }
  }

  #failure(error: unknown): HttpResult {
    if (isAuthError(error, 'ERR_RATE_LIMITED')) return rateLimitedResult(error);
    if (isAuthError(error, 'ERR_INSUFFICIENT_SCOPE')) {
      const scopes = 'scopes' in error && Array.isArray(error.scopes) ? (error.scopes as string[]) : [];
      return bearerErrorResult(this.#realm, 'insufficient_scope', scopes);
    }
    if (isAuthError(error, 'ERR_STORE_UNAVAILABLE') || isAuthError(error, 'ERR_ISSUER_UNAVAILABLE')) {
      return jsonResult(
        503,
        { error: 'temporarily_unavailable', message: error.message },
        { 'retry-after': '1' },
      );
    }
    if (isAuthError(error)) return bearerErrorResult(this.#realm, 'invalid_token');
    return serverError();
  }

  /**
   * HTTP Basic (RFC 7617) for prototypes and internal tools: strict decoding, then either static
   * credentials compared in constant time (HMAC of both sides, then `timingSafeEqual`, so lengths
   * never leak and never throw) or the user store through the same path as login (same hashing
   * cost for unknown users, same events). Failures get 401 with
   * `WWW-Authenticate: Basic realm="...", charset="UTF-8"` and a generic body.
   */
  async basic(credentials: RequestCredentials, options: BasicAuthOptions = {}): Promise<GuardOutcome> {
    const header = parseAuthorization(credentials.authorization);
    if (header.kind !== 'basic') return refused(this.#basicChallenge());
    if (options.credentials) {
      const role = this.#checkStatic(options.credentials, header.username, header.password);
      if (role === undefined) return refused(this.#basicChallenge());
      return allowed({
        kind: 'user',
        userId: header.username,
        user: null,
        role,
        scopes: [],
        tokenId: null,
        familyId: null,
        method: 'basic',
      });
    }
    try {
      const user = await this.#gatehouse.auth.verifyCredentials(
        { identifier: header.username, password: header.password },
        context(credentials),
        'basic',
      );
      return allowed({
        kind: 'user',
        userId: user.id,
        user,
        role: user.role,
        scopes: [],
        tokenId: null,
        familyId: null,
        method: 'basic',
      });
    } catch (error) {
      if (isAuthError(error, 'ERR_STORE_UNAVAILABLE') || !isAuthError(error))
        return refused(this.#failure(error));
      return refused(this.#basicChallenge());
    }
  }

  #digest(value: string): Buffer {
    return createHmac('sha256', this.#basicKey).update(value, 'utf8').digest();
  }

  #checkStatic(table: BasicCredentials, username: string, password: string): string | undefined {
    const givenUser = this.#digest(username.normalize('NFC'));
    const givenPassword = this.#digest(password.normalize('NFC'));
    let role: string | undefined;
    for (const [name, entry] of Object.entries(table)) {
      const expected = typeof entry === 'string' ? { password: entry } : entry;
      const userMatches = timingSafeEqual(givenUser, this.#digest(name.normalize('NFC')));
      const passwordMatches = timingSafeEqual(
        givenPassword,
        this.#digest(expected.password.normalize('NFC')),
      );
      if (userMatches && passwordMatches) role = expected.role ?? 'USER';
    }
    return role;
  }

  #basicChallenge(): HttpResult {
    return jsonResult(
      401,
      { error: 'unauthorized', message: 'Authentication required' },
      { 'www-authenticate': `Basic realm="${this.#realm.replace(/["\\]/g, '\\$&')}", charset="UTF-8"` },
    );
  }

  /**
   * 401 without a principal; 403 unless the principal has one of `roles` — or, with a role
   * hierarchy configured (`authorization.roles`), a role that inherits from one of them.
   */
  requireRole(principal: Principal | null | undefined, roles: readonly string[]): GuardOutcome {
    if (!principal) return refused(bearerErrorResult(this.#realm));
    const hierarchy = this.#gatehouse.config.authorization.roles;
    const ok = hierarchy
      ? roles.some((role) => hierarchy.inheritsFrom(principal.role, role))
      : roles.includes(principal.role);
    return ok ? allowed(principal) : refused(forbiddenResult());
  }

  /**
   * 401 without a principal; 403 unless the principal's role (with the hierarchy of
   * `authorization.roles`) has every one of `permissions` and denies none. Without configured
   * roles nothing is allowed (deny by default).
   */
  requirePermission(principal: Principal | null | undefined, permissions: readonly string[]): GuardOutcome {
    if (!principal) return refused(bearerErrorResult(this.#realm));
    const roles = this.#gatehouse.config.authorization.roles;
    const ok = roles !== undefined && permissions.every((p) => roles.rolesAllow([principal.role], p));
    return ok ? allowed(principal) : refused(forbiddenResult());
  }

  /**
   * Object-level authorization: asks the configured decider (`authorization.decider`) whether the
   * principal may `action` on `resource` — see `decideAccess`. 401 without a principal;
   * denied -> 403, or 404 with `authorization.hideForbidden` (the same answer as an unknown
   * route). `resource` may be a function of the principal: it is then called only once a
   * principal is known, so an anonymous request never reaches your resource lookup.
   */
  async authorize(
    principal: Principal | null | undefined,
    action: string,
    resource: ResourceRef | ((principal: Principal) => ResourceRef | Promise<ResourceRef>),
    context?: Readonly<Record<string, unknown>>,
  ): Promise<GuardOutcome> {
    if (!principal) return refused(bearerErrorResult(this.#realm));
    const target = typeof resource === 'function' ? await resource(principal) : resource;
    if (await decideAccess(this.#gatehouse, principal, action, target, context)) return allowed(principal);
    const { hideForbidden } = this.#gatehouse.config.authorization;
    return refused(hideForbidden ? clientError(404, 'not_found', 'Not found') : forbiddenResult());
  }

  /** 401 without a principal; 403 `insufficient_scope` (RFC 6750 §3.1) unless every scope was granted. */
  requireScope(principal: Principal | null | undefined, scopes: readonly string[]): GuardOutcome {
    if (!principal) return refused(bearerErrorResult(this.#realm));
    return scopes.every((s) => principal.scopes.includes(s))
      ? allowed(principal)
      : refused(bearerErrorResult(this.#realm, 'insufficient_scope', scopes));
  }
}
