/**
 * Cookie mode for browser apps: the access token, the refresh token and a CSRF token in cookies.
 *
 * - Access cookie `__Host-gatehouse-at`: `HttpOnly; Secure; SameSite=Lax; Path=/`.
 * - Refresh cookie `__Secure-gatehouse-rt`: `HttpOnly; Secure; SameSite=Lax`, scoped to the
 *   refresh route's path, so it is sent nowhere else.
 * - CSRF cookie `__Host-gatehouse-csrf`: readable by the page's script, which echoes it in the
 *   `X-CSRF-Token` header. Its value is SHA-256 of the access token, so it is bound to the
 *   session: an attacker who can plant cookies cannot compute it without the `HttpOnly` access
 *   token (a signed double-submit cookie, OWASP CSRF cheat sheet).
 *
 * Cookie-authenticated unsafe requests must pass an origin check (`Sec-Fetch-Site`, `Origin`,
 * `Referer`) and the double-submit check.
 *
 * Each of these cookies must arrive at most once (in one `Cookie` header or across several).
 * Two of one name are what a planted cookie looks like next to the real one — a sibling
 * subdomain can set `__Secure-` and unprefixed names for the refresh path ("cookie tossing") — and
 * frameworks disagree about which one wins, so gatehouse uses neither and answers 400
 * `invalid_request` wherever it reads the name: the guards for the access and CSRF cookies,
 * `POST /refresh` for the refresh cookie (the OAuth flow cookie: see `oauth-routes.ts`). Other
 * applications' cookies may repeat freely.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { stringifySetCookie } from 'cookie';
import type { RequestCredentials } from './credentials.js';

/** Cookie-mode settings (from `config.http.cookies`). */
export interface CookieSettings {
  readonly enabled: boolean;
  readonly secure: boolean;
  readonly sameSite: 'lax' | 'strict';
  readonly origins: readonly string[];
}

/** The three cookie names for the given settings. */
export interface CookieNames {
  readonly access: string;
  readonly refresh: string;
  readonly csrf: string;
}

/** Cookie names: with `__Host-`/`__Secure-` prefixes when `secure`, without for plain-http development. */
export function cookieNames(settings: Pick<CookieSettings, 'secure'>): CookieNames {
  return settings.secure
    ? { access: '__Host-gatehouse-at', refresh: '__Secure-gatehouse-rt', csrf: '__Host-gatehouse-csrf' }
    : { access: 'gatehouse-at', refresh: 'gatehouse-rt', csrf: 'gatehouse-csrf' };
}

/** The CSRF token bound to an access token: SHA-256, base64url. */
export function csrfTokenFor(accessToken: string): string {
  return createHash('sha256').update('gatehouse-csrf:').update(accessToken).digest('base64url');
}

/** The path the refresh cookie is scoped to: the refresh route under the mount path. */
export function refreshCookiePath(mountPath: string): string {
  return `${mountPath.replace(/\/+$/, '')}/refresh`;
}

/**
 * Set-Cookie values that store a login's tokens. `maxAge` of each cookie follows its token's
 * expiry. Values are base64url/JWT characters, so no encoding is needed.
 */
export function sessionCookies(
  settings: CookieSettings,
  mountPath: string,
  tokens: { accessToken: string; refreshToken: string; expiresIn: number; refreshExpiresIn: number },
): string[] {
  const names = cookieNames(settings);
  const base = { secure: settings.secure, sameSite: settings.sameSite } as const;
  return [
    stringifySetCookie({
      name: names.access,
      value: tokens.accessToken,
      ...base,
      httpOnly: true,
      path: '/',
      maxAge: tokens.expiresIn,
    }),
    stringifySetCookie({
      name: names.refresh,
      value: tokens.refreshToken,
      ...base,
      httpOnly: true,
      path: refreshCookiePath(mountPath),
      maxAge: tokens.refreshExpiresIn,
    }),
    stringifySetCookie({
      name: names.csrf,
      value: csrfTokenFor(tokens.accessToken),
      ...base,
      httpOnly: false,
      path: '/',
      maxAge: tokens.refreshExpiresIn,
    }),
  ];
}

/** Set-Cookie values that clear every session cookie (`Max-Age=0`, same name, path and attributes). */
export function clearedSessionCookies(settings: CookieSettings, mountPath: string): string[] {
  const names = cookieNames(settings);
  const base = { secure: settings.secure, sameSite: settings.sameSite, maxAge: 0, value: '' } as const;
  return [
    stringifySetCookie({ name: names.access, ...base, httpOnly: true, path: '/' }),
    stringifySetCookie({ name: names.refresh, ...base, httpOnly: true, path: refreshCookiePath(mountPath) }),
    stringifySetCookie({ name: names.csrf, ...base, httpOnly: false, path: '/' }),
  ];
}

/** Methods that never change state (RFC 9110 §9.2.1); CSRF checks apply to all others. */
export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}

function originOf(url: string): string | undefined {
  try {
    const { origin } = new URL(url);
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * The origin check for a cookie-authenticated (or cookie-issuing) unsafe request: refuses
 * `Sec-Fetch-Site: cross-site`, and an `Origin` (or, without one, a `Referer`) that is neither a
 * configured origin nor the request's own host. A request with neither header passes this check
 * (non-browser clients) and still needs the double-submit token where one applies.
 */
export function originAllowed(credentials: RequestCredentials, settings: CookieSettings): boolean {
  if (credentials.secFetchSite?.toLowerCase() === 'cross-site') return false;
  const source = credentials.origin ?? credentials.referer;
  if (source === undefined) return true;
  if (credentials.origin === 'null') return false;
  const origin = originOf(source);
  if (!origin) return false;
  if (settings.origins.some((allowed) => originOf(allowed) === origin)) return true;
  return credentials.host !== undefined && hostOf(origin) === credentials.host.toLowerCase();
}

/**
 * The double-submit check: the `X-CSRF-Token` header equals the CSRF cookie, and both equal the
 * token bound to the access token (constant-time comparisons).
 */
export function csrfTokenValid(
  headerToken: string | undefined,
  cookieToken: string | undefined,
  accessToken: string,
): boolean {
  if (!headerToken || !cookieToken) return false;
  const expected = Buffer.from(csrfTokenFor(accessToken));
  const fromHeader = Buffer.from(headerToken);
  const fromCookie = Buffer.from(cookieToken);
  return (
    fromHeader.length === expected.length &&
    fromCookie.length === expected.length &&
    timingSafeEqual(fromHeader, expected) &&
    timingSafeEqual(fromCookie, expected)
  );
}
