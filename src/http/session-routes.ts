/**
 * The session routes: register, login, the OAuth token endpoint, refresh, logout, me, JWKS.
 *
 * @module
 */
import { isAuthError } from '../errors.js';
import { cookieNames } from './cookie-session.js';
import { readCookies } from './credentials.js';
import { machineGrants } from './machine-routes.js';
import { passwordGrantBody, refreshBody, refreshTokenGrantBody } from './request-bodies.js';
import {
  clientError,
  type HttpResult,
  jsonResult,
  tokenEndpointError,
  tokenEndpointErrorResult,
} from './responses.js';
import { oauthTokenBody, type RouteInput, type RouteKit, type RouteTable, stringField } from './route-kit.js';

/** The `scope` parameter (RFC 6749 §3.3) as a list, or `undefined` when not given. */
const scopeList = (scope: string | undefined): string[] | undefined => scope?.split(' ').filter(Boolean);

/**
 * The answer to a registration when registration is uniform (a mailer and email verification are
 * configured): the same for a new and for a taken address (OWASP ASVS 5.0 6.3.8).
 */
const REGISTERED_MESSAGE = 'Check your email to finish creating your account.';

/** The session routes of {@link RouteKit}'s gatehouse. */
export function sessionRoutes(kit: RouteKit): RouteTable {
  const { gatehouse } = kit;
  /** client_credentials and the device-code grant (machine-routes.ts). */
  const machine = machineGrants(kit);
  const refreshBodySchema = refreshBody(kit.cookieMode);

  const register = async (input: RouteInput): Promise<HttpResult> => {
    const refused = kit.crossSite(input);
    if (refused) return refused;
    const body = await kit.body(input);
    try {
      const user = await gatehouse.auth.register(
        {
          email: body.email as string,
          password: body.password as string,
          username: body.username as string | undefined,
        },
        input.context,
      );
      return gatehouse.account.uniformRegistration ? kit.accepted(REGISTERED_MESSAGE) : jsonResult(201, user);
    } catch (error) {
      if (gatehouse.account.uniformRegistration && isAuthError(error, 'ERR_ALREADY_REGISTERED')) {
        gatehouse.account.notifyRegistrationAttempt(body.email, input.context);
        return kit.accepted(REGISTERED_MESSAGE);
      }
      return kit.flowError(error);
    }
  };

  const login = async (input: RouteInput): Promise<HttpResult> => {
    const refused = kit.crossSite(input);
    if (refused) return refused;
    const body = await kit.body(input);
    const identifier = body.identifier ?? body.email ?? body.username;
    try {
      const result = await gatehouse.auth.login(
        { identifier: identifier as string, password: body.password as string },
        input.context,
      );
      return kit.loginResult(result, input);
    } catch (error) {
      return kit.flowError(error);
    }
  };

  /**
   * The password grant's answer for an account with a second factor: RFC 6749 §5.2 keeps the error
   * code `invalid_grant` (the password alone is not a sufficient grant, and clients that know
   * nothing of MFA treat it as a failed login), with `error_description: "mfa_required"` and the
   * challenge as `mfa_token` (RFC 6749 §5.2 allows extra members). The client completes the login
   * with POST /mfa/verify `{ challenge: mfa_token, code }`. No token is issued here.
   */
  const mfaRequiredGrant = (challenge: string, expiresIn: number): HttpResult =>
    jsonResult(400, {
      error: 'invalid_grant',
      error_description: 'mfa_required',
      mfa_token: challenge,
      expires_in: expiresIn,
    });

  const tokenEndpointFailure = (error: unknown): HttpResult => {
    const result = tokenEndpointErrorResult(error);
    if (result.status === 500) kit.onError(error);
    return result;
  };

  const token = async (input: RouteInput): Promise<HttpResult> => {
    const body = await kit.body(input);
    const grantType = stringField(body.grant_type);
    const machineGrant =
      grantType !== undefined && Object.hasOwn(machine, grantType) ? machine[grantType] : undefined;
    if (machineGrant) return machineGrant(input, body);
    try {
      if (grantType === 'password') {
        const grant = passwordGrantBody.safeParse(body);
        if (!grant.success) {
          return tokenEndpointError('invalid_request', 'username and password are required');
        }
        const { username, password } = grant.data;
        const requested = scopeList(grant.data.scope);
        const allowedScopes = gatehouse.config.tokens.scopes;
        if (requested?.some((s) => !allowedScopes.includes(s))) return tokenEndpointError('invalid_scope');
        const result = await gatehouse.auth.login({ identifier: username, password }, input.context, {
          scope: requested ?? [],
        });
        if (result.status === 'mfa_required') return mfaRequiredGrant(result.challenge, result.expiresIn);
        return jsonResult(200, oauthTokenBody(result));
      }
      if (grantType === 'refresh_token') {
        const grant = refreshTokenGrantBody.safeParse(body);
        if (!grant.success) return tokenEndpointError('invalid_request', 'refresh_token is required');
        const { refresh_token: refreshToken, client_id: clientId } = grant.data;
        const requested = scopeList(grant.data.scope);
        // RFC 6749 §6, §10.4; RFC 9700 §4.14.2: a refresh token is bound to its client; a client that names itself must be that one.
        const tokens = await gatehouse.auth.refresh(refreshToken, input.context, {
          ...(requested ? { scope: requested } : {}),
          ...(clientId === undefined ? {} : { clientId }),
        });
        return jsonResult(200, oauthTokenBody(tokens));
      }
      if (grantType === undefined) return tokenEndpointError('invalid_request', 'grant_type is required');
      return tokenEndpointError('unsupported_grant_type');
    } catch (error) {
      return tokenEndpointFailure(error);
    }
  };

  const refresh = async (input: RouteInput): Promise<HttpResult> => {
    const refused = kit.crossSite(input);
    if (refused) return refused;
    const parsed = refreshBodySchema.safeParse(await kit.body(input));
    let refreshToken = parsed.success ? parsed.data.refresh_token : undefined;
    if (refreshToken === undefined && kit.cookieMode) {
      const cookies = readCookies(input.credentials.cookie);
      const name = cookieNames(gatehouse.config.http.cookies).refresh;
      // Two refresh cookies (one may be planted for this path by a sibling subdomain): use neither.
      if (cookies.repeated(name))
        return clientError(400, 'invalid_request', 'The refresh cookie was sent more than once');
      refreshToken = cookies.get(name);
    }
    if (refreshToken === undefined) return clientError(400, 'invalid_request', 'refresh_token is required');
    try {
      return kit.sessionResult(await gatehouse.auth.refresh(refreshToken, input.context), input);
    } catch (error) {
      const result = tokenEndpointFailure(error);
      return { ...result, body: { ...(result.body as object), message: 'Invalid refresh token' } };
    }
  };

  const logout =
    (everywhere: boolean) =>
    async (input: RouteInput): Promise<HttpResult> => {
      const principal = await kit.principal(input);
      if ('status' in principal) return principal;
      try {
        if (everywhere) await gatehouse.auth.logoutAll(principal.userId, input.context);
        else
          await gatehouse.auth.revokeSession(principal.familyId as string, principal.userId, input.context);
      } catch (error) {
        return kit.flowError(error);
      }
      return kit.noContent(input, true);
    };

  const me = async (input: RouteInput): Promise<HttpResult> => {
    const principal = await kit.principal(input);
    if ('status' in principal) return principal;
    return jsonResult(200, principal.user);
  };

  const jwks = async (): Promise<HttpResult> => {
    const document = gatehouse.tokens.jwks();
    if (document.keys.length === 0) return clientError(404, 'not_found', 'Not found');
    return { status: 200, headers: { 'cache-control': 'public, max-age=300' }, body: document };
  };

  return [
    ['/register', 'POST', register],
    ['/login', 'POST', login],
    ['/token', 'POST', token],
    ['/refresh', 'POST', refresh],
    ['/logout', 'POST', logout(false)],
    ['/logout-all', 'POST', logout(true)],
    ['/me', 'GET', me],
    ['/me', 'HEAD', me],
    ['/.well-known/jwks.json', 'GET', jwks],
  ];
}
