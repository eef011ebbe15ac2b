/**
 * Where a user may be sent after login (RD-01, RFC 9700 §4.11.1): a same-origin relative path,
 * or an absolute URL on an explicitly allowed origin. Anything else — other origins,
 * scheme-relative `//evil.example`, backslash tricks (`/\evil.example`), `javascript:`, control
 * characters, over-long values — falls back to the default. The decision is made when the login
 * starts, and the stored result is used at the end, never a value from the callback.
 *
 * @module
 */

/** Longest accepted return target. */
const MAX_RETURN_TO_LENGTH = 2048;

/** Parsing base for relative paths; only its origin matters, and it is never an allowed one. */
const BASE = 'https://gatehouse.invalid';

/**
 * `value` when it is a safe post-login target, else `fallback`. A relative path must start with a
 * single `/` and resolve to the same origin; an absolute URL must be `http(s)` on one of
 * `allowedOrigins` (compared as origins: scheme, host and port).
 */
export function safeReturnTo(value: unknown, allowedOrigins: readonly string[], fallback: string): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_RETURN_TO_LENGTH) return fallback;
  // Control characters, spaces and backslashes: browsers normalize them in ways that cross origins.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u0020\u007f\\]/.test(value)) return fallback;
  if (value.startsWith('/')) {
    if (value.startsWith('//')) return fallback;
    let resolved: URL;
    try {
      resolved = new URL(value, BASE);
    } catch {
      return fallback;
    }
    return resolved.origin === BASE ? `${resolved.pathname}${resolved.search}${resolved.hash}` : fallback;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fallback;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return fallback;
  if (url.username !== '' || url.password !== '') return fallback;
  const allowed = allowedOrigins.some((origin) => {
    try {
      return new URL(origin).origin === url.origin;
    } catch {
      return false;
    }
  });
  return allowed ? url.href : fallback;
}

/**
 * `target` with `params` set in its query (a relative path stays relative). Used for the
 * `error=` of a refused login; existing parameters of the same names are replaced.
 */
export function withQuery(target: string, params: Readonly<Record<string, string>>): string {
  const relative = target.startsWith('/');
  const url = new URL(target, BASE);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return relative ? `${url.pathname}${url.search}${url.hash}` : url.href;
}

/** `target` with its fragment replaced by `fragment` (URL-encoded parameters). */
export function withFragment(target: string, fragment: Readonly<Record<string, string>>): string {
  const relative = target.startsWith('/');
  const url = new URL(target, BASE);
  url.hash = new URLSearchParams(fragment).toString();
  return relative ? `${url.pathname}${url.search}${url.hash}` : url.href;
}
