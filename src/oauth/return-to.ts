/**
 * Where a user may be sent after login: a plain same-origin path, or an absolute URL on an
 * explicitly allowed origin (OWASP ASVS 5.0 V3.7.2; RFC 9700 §4.11.1; OWASP Unvalidated
 * Redirects and Forwards Cheat Sheet). Anything else falls back to the default. The decision is
 * made when the login starts, and the stored result is used at the end, never a value from the
 * callback.
 *
 * A target is judged by what it becomes, not only by how it is written. Front ends often decode a
 * `return_to` again (or hand it to a router that does) before they navigate, so `/%2F%2Fevil.example`
 * is as dangerous as `//evil.example`. The path is therefore percent-decoded repeatedly until it no
 * longer changes, and every layer must be a plain path:
 *
 * - no encoded `/` or `\` (`%2F`, `%5C`, `%u002F`, also double-encoded as `%252F`);
 * - no `\`, control character, white space other than a plain space, or invisible formatting
 *   character (`/%09/evil.example` becomes `//evil.example` once a browser drops the tab);
 * - no escaped bytes that are not UTF-8 (`%C0%AF`, an over-long `/` that old decoders accept);
 * - no look-alike of a separator: characters whose compatibility form (NFKC) is ASCII
 *   punctuation, such as `／` (U+FF0F) or `．` (U+FF0E), and slash-shaped symbols such as `∕`
 *   (U+2215), which some servers and routers fold into `/` or `.`;
 * - after resolving `.` and `..` segments it still starts with exactly one `/`: `/..//evil.example`
 *   resolves to `//evil.example`, a scheme-relative URL.
 *
 * The query and fragment of a target are kept as given (they may carry encoded URLs of their own),
 * except that the raw value must not contain control characters, white space or `\` anywhere.
 *
 * @module
 */

/** Longest accepted return target. */
const MAX_RETURN_TO_LENGTH = 2048;

/** More layers of percent-encoding than this is not a plain path. */
const MAX_DECODING_ROUNDS = 8;

/** Parsing base for relative paths; only its origin matters, and it is never an allowed one. */
const BASE = 'https://gatehouse.invalid';

/**
 * Characters refused anywhere in the raw value: C0 and C1 controls, DEL, white space (including
 * no-break, line and paragraph separators), invisible formatting characters and `\`. Browsers
 * drop or rewrite these in ways that change where a URL points.
 */
const UNSAFE_RAW = /[\p{Cc}\p{Cf}\s\\]/u;

/**
 * Characters refused in a decoded path: the same, except a plain space (U+0020), which URL
 * parsers keep (and re-encode) inside a path, so `/my%20files` stays a legitimate target.
 */
const UNSAFE_DECODED = /[\p{Cc}\p{Cf}\\]|[^\S ]/u;

/** A percent-encoded `/` or `\`, in the standard form or the non-standard `%uXXXX` one. */
const ENCODED_SEPARATOR = /%(?:2f|5c)|%u(?:002f|005c)/i;

/**
 * Slash- and dot-shaped symbols that no normalization form maps to ASCII but that render like a
 * separator: fraction slash, division slash, set minus, box-drawing diagonals, big solidus and
 * reverse solidus operators, ideographic full stop, one dot leader.
 */
const SEPARATOR_LOOKALIKE = /[\u2044\u2215\u2216\u2571\u2572\u29f5\u29f8\u29f9\u3002\u2024]/u;

/** Any character outside ASCII. */
const NON_ASCII = /[\u{80}-\u{10FFFF}]/gu;

/** A run of `%XX` escapes, or one `%uXXXX` escape. */
const ESCAPES = /(?:%[0-9a-f]{2})+|%u[0-9a-f]{4}/gi;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One round of percent-decoding, the way the most permissive decoder would do it: every `%XX` run
 * (as UTF-8) and every `%uXXXX`; a `%` that starts no escape stays as it is. Escaped bytes that
 * are not UTF-8 (`%C0%AF`, an over-long `/`) are not a plain path: `undefined`.
 */
function decodeOnce(value: string): string | undefined {
  let invalid = false;
  const decoded = value.replace(ESCAPES, (run) => {
    if (run[1] === 'u' || run[1] === 'U') {
      return String.fromCharCode(Number.parseInt(run.slice(2), 16));
    }
    const bytes = new Uint8Array(run.length / 3);
    for (let i = 0; i < bytes.length; i++) {
      bytes[i] = Number.parseInt(run.slice(3 * i + 1, 3 * i + 3), 16);
    }
    try {
      return strictUtf8.decode(bytes);
    } catch {
      invalid = true;
      return '';
    }
  });
  return invalid ? undefined : decoded;
}

/** Whether a non-ASCII character of `value` looks like a separator (see the module comment). */
function hasLookalike(value: string): boolean {
  if (SEPARATOR_LOOKALIKE.test(value)) return true;
  for (const [character] of value.matchAll(NON_ASCII)) {
    const folded = character.normalize('NFKC');
    // Letters and digits fold to ASCII letters and digits harmlessly (`ａ` -> `a`); anything else is punctuation.
    for (const code of folded) if (code.charCodeAt(0) < 0x80 && !/[A-Za-z0-9]/.test(code)) return true;
  }
  return false;
}

/**
 * Whether one layer of a path (as given, or after some rounds of decoding) is plain: one leading
 * `/`, also after resolving dot segments, and none of the characters the module comment lists.
 */
function isPlainDecodedPath(decoded: string): boolean {
  if (!decoded.startsWith('/') || decoded.startsWith('//')) return false;
  if (UNSAFE_DECODED.test(decoded) || hasLookalike(decoded)) return false;
  let resolved: URL;
  try {
    resolved = new URL(decoded, BASE);
  } catch {
    return false;
  }
  return resolved.origin === BASE && !resolved.pathname.startsWith('//');
}

/**
 * Whether `path` (the path part of a target, without query and fragment) is a plain path at every
 * layer of percent-decoding: see the module comment for what that excludes.
 */
function isPlainPath(path: string): boolean {
  let current = path;
  for (let round = 0; round <= MAX_DECODING_ROUNDS; round++) {
    if (ENCODED_SEPARATOR.test(current) || !isPlainDecodedPath(current)) return false;
    const next = decodeOnce(current);
    if (next === undefined) return false;
    if (next === current) return true;
    current = next;
  }
  return false;
}

/** The path part of a relative target: up to the first `?` or `#`. */
function pathPart(target: string): string {
  const end = target.search(/[?#]/);
  return end < 0 ? target : target.slice(0, end);
}

/** A relative target resolved against the parsing base, or `undefined` when it leaves the origin. */
function sameOriginTarget(value: string): string | undefined {
  if (!isPlainPath(pathPart(value))) return undefined;
  let resolved: URL;
  try {
    resolved = new URL(value, BASE);
  } catch {
    return undefined;
  }
  if (resolved.origin !== BASE) return undefined;
  const target = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  // What is stored must pass the same check: resolving dot segments must not have made it unsafe.
  return isPlainPath(resolved.pathname) ? target : undefined;
}

/** An absolute `http(s)` target on one of `allowedOrigins` with a plain path, or `undefined`. */
function allowedAbsoluteTarget(value: string, allowedOrigins: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  const allowed = allowedOrigins.some((origin) => {
    try {
      return new URL(origin).origin === url.origin;
    } catch {
      return false;
    }
  });
  return allowed && isPlainPath(url.pathname) ? url.href : undefined;
}

/**
 * `value` when it is a safe post-login target, else `fallback`. A relative target must be a
 * plain path (see the module comment) that stays on the same origin, optionally with a query and
 * a fragment; it is returned with dot segments resolved. An absolute URL must be `http(s)` without
 * user info, on one of `allowedOrigins` (compared as origins: scheme, host and port), with a plain
 * path. Non-strings, empty strings and values over 2048 characters get `fallback`.
 */
export function safeReturnTo(value: unknown, allowedOrigins: readonly string[], fallback: string): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_RETURN_TO_LENGTH) return fallback;
  if (UNSAFE_RAW.test(value)) return fallback;
  const target = value.startsWith('/')
    ? sameOriginTarget(value)
    : allowedAbsoluteTarget(value, allowedOrigins);
  return target ?? fallback;
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
