/**
 * Request-target normalization for frameworks that route on the raw path (Express).
 *
 * @module
 */

/** Unreserved characters except `.`, which is left encoded so that no `..` segment can appear. */
const UNRESERVED = /^[A-Za-z0-9\-_~]$/;

/**
 * Decodes percent-encoded *unreserved* characters in the path of a request target (RFC 3986
 * §2.3, §6.2.2.2: `/%61dmin` and `/admin` are the same resource) and upper-cases the hex of every
 * other escape. Reserved escapes such as `%2F`, and `%2E`, stay encoded, so no new path segment and
 * no dot-segment can appear;
 * the query string is left untouched. Routing then sees one spelling per resource, so a guard on
 * `/admin` also answers for `/%61dmin`.
 */
export function normalizeRequestTarget(target: string): string {
  const queryAt = target.indexOf('?');
  const path = queryAt < 0 ? target : target.slice(0, queryAt);
  const rest = queryAt < 0 ? '' : target.slice(queryAt);
  const normalized = path.replace(/%([0-9A-Fa-f]{2})/g, (encoded, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : encoded.toUpperCase();
  });
  return normalized + rest;
}
