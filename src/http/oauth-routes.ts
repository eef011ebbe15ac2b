/**
 * The routes of login with an identity provider, one pair per configured provider (the route
 * table matches exact paths, and a distinct callback per provider is what RFC 9700 §4.4.2.2 asks
 * for providers without RFC 9207 `iss`, like GitHub):
 *
 * | route | what |
 * | --- | --- |
 * | `GET /oauth/<provider>/login?return_to=/path` | 302 to the provider with state, PKCE S256 and nonce; sets the flow cookie; rate limited per IP |
 * | `GET /oauth/<provider>/callback` | checks state + flow cookie, `iss`, the code, the ID token; 302 to the checked `return_to` |
 * | `POST /oauth/exchange` `{ login_code }` | token mode (and accounts with a second factor): the one-time code from the redirect's fragment → tokens (or cookies), or `mfa_required` |
 * | `POST /oauth/<provider>/link` | signed in: `{ authorization_url }` to link the provider to the account |
 * | `POST /oauth/<provider>/unlink` `{ current_password }` | signed in: removes the identity (204); 404 when none; 409 `oauth_last_sign_in_method` when it is the account's only way to sign in; a user with a password confirms it (403 `reauthentication_required`) |
 * | `GET /oauth/identities` | signed in: the linked identities |
 *
 * Unlinking re-authenticates like the account's other sensitive changes (`/email/change`,
 * `/account/delete`): losing a sign-in method is an account-recovery change, so a stolen session
 * alone does not do it for an account that has a password. An account without one has nothing to
 * confirm and, by the last-sign-in-method rule, always keeps another identity.
 *
 * How the callback ends: in cookie mode the session cookies are set and the browser goes to the
 * `return_to` path. In token mode gatehouse cannot hand tokens to a script through a redirect
 * without exposing them in a URL, so the redirect carries only a one-time login code (256 bits,
 * single use, `oauth.loginCodeTtl` seconds, in the fragment: never sent to a server or in a
 * `Referer`), which the app's script posts to `/oauth/exchange`. A failed login after a valid
 * state redirects with `?error=<code>` (a fixed set, never the provider's text); an invalid
 * state answers 400. A flow cookie sent more than once counts as no flow cookie (gatehouse never
 * guesses which one is the browser's own): the attempt is used up and the callback answers 400
 * `oauth_invalid_state`. Every answer is `no-store` with `Referrer-Policy: no-referrer`, and the
 * provider's tokens are never part of one (OWASP ASVS 5.0 10.1.1; RFC 9700 §4.2.4, §4.3).
 *
 * @module
 */
import { type AuthError, NotFoundError } from '../errors.js';
import type { CompletedLogin } from '../oauth/oauth-service.js';
import { withFragment, withQuery } from '../oauth/return-to.js';
import { sessionCookies } from './cookie-session.js';
import { readCookies } from './credentials.js';
import { type HttpResult, jsonResult } from './responses.js';
import type { RouteInput, RouteKit, RouteTable } from './route-kit.js';
import { stringField } from './route-kit.js';

const NO_REFERRER = { 'referrer-policy': 'no-referrer' } as const;

/** The `error` a failed login redirects with: a fixed vocabulary, never text from the provider. */
function redirectError(error: AuthError): string {
  switch (error.code) {
    case 'ERR_OAUTH_DENIED':
      return (error as AuthError & { reason: string }).reason;
    case 'ERR_OAUTH_EMAIL_NOT_VERIFIED':
      return 'email_not_verified';
    case 'ERR_OAUTH_ACCOUNT_EXISTS':
      return 'account_exists';
    case 'ERR_OAUTH_IDENTITY_LINKED':
      return 'identity_linked';
    case 'ERR_OAUTH_PROVIDER_UNAVAILABLE':
    case 'ERR_STORE_UNAVAILABLE':
      return 'temporarily_unavailable';
    default:
      return 'login_failed';
  }
}

/** The OAuth routes of {@link RouteKit}'s gatehouse. */
export function oauthRoutes(kit: RouteKit): RouteTable {
  const { gatehouse } = kit;
  const { oauth } = gatehouse;
  if (oauth.providers.names.length === 0) return [];

  const redirect = (location: string, cookies: string[]): HttpResult => ({
    status: 302,
    headers: { 'cache-control': 'no-store', pragma: 'no-cache', ...NO_REFERRER, location },
    cookies,
  });

  const login =
    (provider: string) =>
    async (input: RouteInput): Promise<HttpResult> => {
      const returnTo = new URL(input.request.url).searchParams.getAll('return_to');
      try {
        const started = await oauth.startLogin(
          provider,
          { returnTo: returnTo.length === 1 ? returnTo[0] : undefined },
          input.context,
        );
        const { value, path, maxAge } = started.cookie;
        return redirect(started.url, [oauth.flowCookies.set(value, path, maxAge)]);
      } catch (error) {
        return kit.flowError(error);
      }
    };

  const sessionRedirect = (
    done: Extract<CompletedLogin, { status: 'session' }>,
    input: RouteInput,
    cookies: string[],
  ) => {
    const { tokens } = done;
    const now = gatehouse.now().getTime();
    const session = sessionCookies(gatehouse.config.http.cookies, input.mountPath, {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresIn: tokens.expiresIn,
      refreshExpiresIn: Math.max(0, Math.floor((tokens.refreshTokenExpiresAt.getTime() - now) / 1000)),
    });
    return redirect(done.returnTo, [...cookies, ...session]);
  };

  const callback =
    (provider: string) =>
    async (input: RouteInput): Promise<HttpResult> => {
      const url = new URL(input.request.url);
      // An ambiguous (repeated) flow cookie counts as none: the attempt is burnt and refused.
      const cookie = readCookies(input.credentials.cookie).get(oauth.flowCookies.name);
      const cleared = [oauth.flowCookies.clear(url.pathname)];
      let done: CompletedLogin;
      try {
        done = await oauth.completeLogin(provider, url.searchParams, cookie, input.context, {
          issueSession: kit.cookieMode,
        });
      } catch (error) {
        const result = kit.flowError(error);
        return { ...result, headers: { ...result.headers, ...NO_REFERRER }, cookies: cleared };
      }
      switch (done.status) {
        case 'session':
          return sessionRedirect(done, input, cleared);
        case 'login_code':
          return redirect(
            withFragment(done.returnTo, { login_code: done.code, expires_in: String(done.expiresIn) }),
            cleared,
          );
        case 'linked':
          return redirect(withQuery(done.returnTo, { linked: provider }), cleared);
        case 'failed':
          return redirect(withQuery(done.returnTo, { error: redirectError(done.error) }), cleared);
      }
    };

  const exchange = async (input: RouteInput): Promise<HttpResult> => {
    const refused = kit.crossSite(input);
    if (refused) return refused;
    const body = await kit.body(input);
    try {
      const result = await oauth.exchangeLoginCode(stringField(body.login_code), input.context);
      return kit.loginResult(result, input);
    } catch (error) {
      return kit.flowError(error);
    }
  };

  const link = (provider: string) =>
    kit.signedIn(async (userId, body, input) => {
      const started = await oauth.startLogin(
        provider,
        { returnTo: body.return_to, linkUserId: userId },
        input.context,
      );
      const { value, path, maxAge } = started.cookie;
      return jsonResult(200, { authorization_url: started.url }, NO_REFERRER, [
        oauth.flowCookies.set(value, path, maxAge),
      ]);
    });

  const unlink = (provider: string) =>
    kit.signedIn(async (userId, body, input) => {
      const removed = await oauth.unlink(userId, provider, input.context, {
        requirePassword: true,
        currentPassword: body.current_password,
      });
      if (!removed) throw new NotFoundError('Linked identity');
      return kit.noContent(input);
    });

  const identities = async (input: RouteInput): Promise<HttpResult> => {
    const principal = await kit.principal(input);
    if ('status' in principal) return principal;
    try {
      const list = await oauth.listIdentities(principal.userId);
      return jsonResult(200, {
        identities: list.map((identity) => ({
          provider: identity.provider,
          subject: identity.subject,
          email: identity.email,
          email_verified: identity.emailVerified,
          created_at: identity.createdAt.toISOString(),
          last_login_at: identity.lastLoginAt?.toISOString() ?? null,
        })),
      });
    } catch (error) {
      return kit.flowError(error);
    }
  };

  return [
    ...oauth.providers.names.flatMap(
      (name) =>
        [
          [`/oauth/${name}/login`, 'GET', login(name)],
          [`/oauth/${name}/callback`, 'GET', callback(name)],
          [`/oauth/${name}/link`, 'POST', link(name)],
          [`/oauth/${name}/unlink`, 'POST', unlink(name)],
        ] as const,
    ),
    ['/oauth/exchange', 'POST', exchange],
    ['/oauth/identities', 'GET', identities],
  ];
}
