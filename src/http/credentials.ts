/**
 * Reading credentials from request headers, strictly: the `Authorization` header (RFC 9110
 * §11.6.2) with the Bearer (RFC 6750 §2.1) and Basic (RFC 7617 §2) schemes, and cookies.
 *
 * @module
 */
import { parseCookie } from 'cookie';

/**
 * What a guard needs from a request: a few headers, never the body. Adapters fill it from their
 * framework's request object; nothing else of the request is read on the hot path.
 */
export interface RequestCredentials {
  /** HTTP method, upper case. */
  readonly method: string;
  /**
   * Every `Authorization` header line. Node folds duplicates of this header away, so adapters on
   * Node pass every line of it (an array, duplicates kept); fetch runtimes pass the joined string.
   */
  readonly authorization?: string | readonly string[] | undefined;
  /** The `Cookie` header. */
  readonly cookie?: string | undefined;
  /** `Origin`, `Referer`, `Sec-Fetch-Site` and the CSRF header, for cookie-mode CSRF checks. */
  readonly origin?: string | undefined;
  readonly referer?: string | undefined;
  readonly secFetchSite?: string | undefined;
  readonly csrfToken?: string | undefined;
  /** `Host`, used to tell a same-origin `Origin` when no origins are configured. */
  readonly host?: string | undefined;
  /** Client IP (from the adapter's trusted-proxy handling) and user agent, for events. */
  readonly ip?: string | undefined;
  readonly userAgent?: string | undefined;
  /**
   * Reads any other request header by lower-case name (e.g. the configured API-key header): every
   * value as an array on Node (duplicates kept, so they can be refused), the joined string in
   * fetch runtimes. Optional: without it no other header is read.
   */
  readonly header?: ((name: string) => string | readonly string[] | undefined) | undefined;
}

/** What an `Authorization` header says. */
export type AuthorizationHeader =
  | { readonly kind: 'none' }
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'other'; readonly scheme: string }
  | { readonly kind: 'malformed' };

/** RFC 6750 §2.1 `b64token`. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
/** RFC 9110 `tchar`s after the first letter of an auth-scheme. */
const SCHEME_REST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]*$/;

/** RFC 9110 §11.1 auth-scheme: a `token` (here starting with a letter, as every registered scheme does). */
function isScheme(value: string): boolean {
  const first = value.charCodeAt(0);
  return ((first >= 65 && first <= 90) || (first >= 97 && first <= 122)) && SCHEME_REST.test(value);
}
/** Canonical base64 (RFC 4648 §4) with padding. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Longest `Authorization` header read: tokens are capped at 8 KiB, Basic credentials far below. */
const MAX_AUTHORIZATION_LENGTH = 16 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes Basic credentials strictly (RFC 7617 §2): canonical base64, then a *fatal* UTF-8
 * decode, then a split at the *first* colon. No colon, bad base64 or bad UTF-8 -> `undefined`.
 */
export function decodeBasicCredentials(encoded: string): { username: string; password: string } | undefined {
  if (!BASE64.test(encoded)) return undefined;
  let decoded: string;
  try {
    decoded = strictUtf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Parses the `Authorization` header. The scheme name is case-insensitive (RFC 9110 §11.1); more
 * than one header, a header over 16 KiB, or a credential that is not a single token68 is
 * `malformed` (answered with `invalid_request`).
 */
export function parseAuthorization(value: string | readonly string[] | undefined): AuthorizationHeader {
  if (value === undefined) return { kind: 'none' };
  let line: string;
  if (typeof value === 'string') line = value;
  else if (value.length === 0) return { kind: 'none' };
  else if (value.length > 1) return { kind: 'malformed' };
  else line = value[0] as string;
  if (line.length > MAX_AUTHORIZATION_LENGTH) return { kind: 'malformed' };
  // `scheme 1*SP credentials`, credentials one run of non-space characters to the end. Split by
  // hand: one regex over the whole header line costs as much as the rest of a Bearer check.
  const trimmed = line.trim();
  if (trimmed === '') return { kind: 'none' };
  const space = trimmed.indexOf(' ');
  if (space <= 0 || !isScheme(trimmed.slice(0, space))) return { kind: 'malformed' };
  let start = space;
  while (trimmed.charCodeAt(start) === 32) start++;
  const scheme = trimmed.slice(0, space).toLowerCase();
  const credentials = trimmed.slice(start);
  if (scheme === 'bearer')
    return TOKEN68.test(credentials) ? { kind: 'bearer', token: credentials } : { kind: 'malformed' };
  if (/\s/.test(credentials)) return { kind: 'malformed' };
  if (scheme === 'basic') {
    const decoded = decodeBasicCredentials(credentials);
    return decoded ? { kind: 'basic', ...decoded } : { kind: 'malformed' };
  }
  return { kind: 'other', scheme };
}

/** Parses a `Cookie` header into a name -> value record without a prototype (names can't hit `Object.prototype`). */
export function parseCookies(header: string | undefined): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = Object.create(null);
  if (!header) return result;
  const parsed = parseCookie(header);
  for (const name of Object.keys(parsed)) result[name] = parsed[name];
  return result;
}

/** Reads {@link RequestCredentials} from web `Headers` (for fetch runtimes and the route handler). */
export function credentialsFromHeaders(method: string, headers: Headers, ip?: string): RequestCredentials {
  return {
    method: method.toUpperCase(),
    authorization: headers.get('authorization') ?? undefined,
    cookie: headers.get('cookie') ?? undefined,
    origin: headers.get('origin') ?? undefined,
    referer: headers.get('referer') ?? undefined,
    secFetchSite: headers.get('sec-fetch-site') ?? undefined,
    csrfToken: headers.get('x-csrf-token') ?? undefined,
    host: headers.get('host') ?? undefined,
    ip,
    userAgent: headers.get('user-agent') ?? undefined,
    header: (name) => headers.get(name) ?? undefined,
  };
}
