/**
 * Reading credentials from request headers, strictly: the `Authorization` header (RFC 9110
 * §11.6.2) with the Bearer (RFC 6750 §2.1) and Basic (RFC 7617 §2) schemes, and cookies.
 *
 * @module
 */

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
  /**
   * The `Cookie` header. Several `Cookie` lines are passed joined with `; ` (as Node and fetch
   * runtimes do), so a cookie repeated across them is seen as repeated.
   */
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
/** Base64 (RFC 4648 §4) with padding: the alphabet, and whole 4-character groups. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Longest `Authorization` header read: tokens are capped at 8 KiB, Basic credentials far below. */
const MAX_AUTHORIZATION_LENGTH = 16 * 1024;
/** RFC 5234 Appendix B.1 `CTL` (%x00-1F / %x7F), and the C1 controls U+0080-U+009F after decoding. */
const CONTROL = /\p{Cc}/u;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes Basic credentials strictly (RFC 7617 §2), and refuses (`undefined`) anything a lenient
 * decoder would let through:
 *
 * - canonical base64 only (RFC 4648 §3.5): padded, and the unused bits of the last group zero, so
 *   each user-id/password pair has exactly one encoding (`dXNlcjpwYXN=` is refused; only
 *   `dXNlcjpwYXM=` is `user:pas`);
 * - a *fatal* UTF-8 decode (the only charset gatehouse announces);
 * - a split at the *first* colon; no colon is refused;
 * - no control characters in the user-id or the password: RFC 7617 §2 forbids `CTL`s in both, and
 *   gatehouse's password policy refuses them in new passwords (RFC 8265 §4.2 OpaqueString,
 *   NIST SP 800-63B-4 §3.1.1.2 printing characters and spaces), so such a header can only be a
 *   probe. An existing password with a control character still signs in through the login route.
 */
export function decodeBasicCredentials(encoded: string): { username: string; password: string } | undefined {
  if (!BASE64.test(encoded)) return undefined;
  const bytes = Buffer.from(encoded, 'base64');
  // Node ignores non-zero padding bits: re-encoding shows whether this was the canonical form.
  if (bytes.toString('base64') !== encoded) return undefined;
  let decoded: string;
  try {
    decoded = strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon < 0 || CONTROL.test(decoded)) return undefined;
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

/** The cookies of a request, read once from its `Cookie` header. */
export interface RequestCookies {
  /**
   * The value of the cookie `name` when it was sent exactly once; `undefined` when it was not
   * sent, and also when it was sent more than once (never one of them picked at random).
   */
  get(name: string): string | undefined;
  /** Whether any of `names` was sent more than once: see {@link readCookies}. */
  repeated(...names: readonly string[]): boolean;
}

/** Removes the spaces and tabs around a cookie's name or value (leniently, as the `cookie` package does). */
function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 32 || value.charCodeAt(start) === 9)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 32 || value.charCodeAt(end - 1) === 9)) end--;
  return value.slice(start, end);
}

/** Percent-decodes a cookie value, as the `cookie` package does; a bad escape leaves it as sent. */
function decodeCookieValue(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Reads a `Cookie` header (RFC 6265 §4.2.1: `name=value` pairs separated by `;`; several `Cookie`
 * header lines arrive joined with `; `) and notes every name sent more than once.
 *
 * Two cookies of one name are ambiguous: a browser sends both when the same name was set for
 * several paths or domains — which a sibling subdomain can do to any name without the `__Host-`
 * prefix ("cookie tossing") — and servers disagree about which one wins. gatehouse never picks one:
 * {@link RequestCookies.get} answers `undefined` for such a name, and callers refuse the request
 * when the name is one of theirs. Names are compared exactly as sent (case-sensitive, after
 * trimming spaces and tabs), pairs without `=` are ignored, and values are percent-decoded.
 */
export function readCookies(header: string | undefined): RequestCookies {
  const values = new Map<string, string>();
  const repeated = new Set<string>();
  if (header) {
    for (const pair of header.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const name = trimOws(pair.slice(0, eq));
      if (values.has(name)) repeated.add(name);
      else values.set(name, decodeCookieValue(trimOws(pair.slice(eq + 1))));
    }
  }
  return {
    get: (name) => (repeated.has(name) ? undefined : values.get(name)),
    repeated: (...names) => names.some((name) => repeated.has(name)),
  };
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

/**
 * {@link RequestCredentials} over web `Headers`, each header read when a guard first asks for it
 * (and again if it asks again): a request with a Bearer token reads two or three headers, not ten.
 * The values are exactly those of {@link credentialsFromHeaders}; `ip()` runs only when a guard
 * needs the client IP (to report a refused credential, or for a per-IP limit), and `host()` only
 * when the request has no `Host` line. Not spreadable (`{ ...credentials }` copies nothing): pass it
 * as it is.
 */
export class HeaderCredentials implements RequestCredentials {
  readonly #method: string;
  readonly #headers: Headers;
  readonly #ip: () => string | undefined;
  readonly #host: (() => string | undefined) | undefined;

  constructor(
    method: string,
    headers: Headers,
    ip: () => string | undefined,
    host?: () => string | undefined,
  ) {
    this.#method = method;
    this.#headers = headers;
    this.#ip = ip;
    this.#host = host;
  }

  get method(): string {
    return this.#method.toUpperCase();
  }
  get authorization(): string | undefined {
    return this.#headers.get('authorization') ?? undefined;
  }
  get cookie(): string | undefined {
    return this.#headers.get('cookie') ?? undefined;
  }
  get origin(): string | undefined {
    return this.#headers.get('origin') ?? undefined;
  }
  get referer(): string | undefined {
    return this.#headers.get('referer') ?? undefined;
  }
  get secFetchSite(): string | undefined {
    return this.#headers.get('sec-fetch-site') ?? undefined;
  }
  get csrfToken(): string | undefined {
    return this.#headers.get('x-csrf-token') ?? undefined;
  }
  get host(): string | undefined {
    return this.#headers.get('host') ?? this.#host?.();
  }
  get ip(): string | undefined {
    return this.#ip();
  }
  get userAgent(): string | undefined {
    return this.#headers.get('user-agent') ?? undefined;
  }
  header(name: string): string | undefined {
    return this.#headers.get(name) ?? undefined;
  }
}
