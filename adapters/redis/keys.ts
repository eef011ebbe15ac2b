/**
 * The Redis key layout of `gatehouse/redis`. Every name starts with a prefix (default
 * `gatehouse:`) so that gatehouse can share a database with other data:
 *
 * - a counter `k` or `k@<suffix>` is `<prefix>{c:k}` or `<prefix>{c:k}@<suffix>`: the part of a
 *   counter key before its last `@` (its *base key*) is the Redis Cluster hash tag, so the two
 *   windows one sliding hit reads (`k@<i>` and `k@<i − 1>`) live in one hash slot and one Lua
 *   script may touch both. The `c:` inside the braces keeps the tag from being empty (`{}` would
 *   make Cluster hash the whole name) and tells counters from state;
 * - a state value `k` is `<prefix>s:k` (one key per script: no hash tag needed).
 *
 * Both mappings are one-to-one: two different gatehouse keys never share a Redis key.
 *
 * @module
 */
import { ConfigError } from '../../src/errors.js';

/** The prefix of every Redis key gatehouse writes, unless configured otherwise. */
export const DEFAULT_REDIS_PREFIX = 'gatehouse:';

/**
 * Checks a key prefix. Braces are refused: the stores place the hash tag themselves, and a `{`
 * or `}` in the prefix would move or empty it (an empty `{}` makes Redis Cluster hash the whole
 * name, which would split a sliding hit's two windows over two slots).
 *
 * @throws ConfigError naming `path` when `prefix` is not a string or contains `{` or `}`.
 */
export function checkPrefix(prefix: unknown, path = 'prefix'): string {
  if (typeof prefix !== 'string') throw new ConfigError([{ path, message: 'must be a string' }]);
  if (/[{}]/.test(prefix)) throw new ConfigError([{ path, message: 'must not contain { or }' }]);
  return prefix;
}

/**
 * The Redis key of the counter `key`: `<prefix>{c:<base>}<suffix>`, where `<suffix>` is the part
 * of `key` from its last `@` on (empty without an `@`) and `<base>` the part before it.
 */
export function counterKey(prefix: string, key: string): string {
  const at = key.lastIndexOf('@');
  return at < 0 ? `${prefix}{c:${key}}` : `${prefix}{c:${key.slice(0, at)}}${key.slice(at)}`;
}

/** The Redis key of the state value `key`: `<prefix>s:<key>`. */
export function stateKey(prefix: string, key: string): string {
  return `${prefix}s:${key}`;
}

/**
 * `text` as a literal in a `SCAN ... MATCH` pattern: the glob characters `*`, `?`, `[`, `]` and
 * the escape `\` are each preceded by `\`, so that they only match themselves.
 */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
