/**
 * The compact JWS form of an access token and its JOSE header: which form is accepted, which
 * header parameters are refused, and which configured key a header names.
 *
 * A header's verdict depends only on its exact bytes and the key set, and every token one key
 * signs carries the same header, so the verdict of a header that passed is remembered per key set
 * (a few dozen entries, keyed by the exact segment string): a token with a known header skips the
 * header's decoding, `JSON.parse` and checks, never the signature or the claims. A header that
 * fails is never remembered and is refused with its reason every time.
 *
 * @module
 */
import { FifoCache } from './fifo-cache.js';
import type { KeySet, VerificationKey } from './keys.js';
import type { TokenRejection } from './rejection.js';

/** The `typ` header of access tokens (RFC 9068 §2.1). Other JWT kinds use other types. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/**
 * Header parameters refused outright: those that would let a token name its own key (RFC 8725
 * §3.10), and `crit`/`b64`, since gatehouse understands no JWS extension (RFC 7515 §4.1.11).
 */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit', 'b64'] as const;

/** Three base64url segments: compact JWS only, so JWE (five parts) and JSON serialization never parse. */
export const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Headers remembered per key set (see the module documentation). */
const HEADER_MEMO_SIZE = 64;

const memos = new WeakMap<KeySet, FifoCache<string, VerificationKey>>();

/**
 * Where segments are decoded: one buffer reused by every call (decoding and `JSON.parse` are
 * synchronous, so no two calls ever share it), instead of a new `Buffer` per segment.
 */
const scratch = Buffer.allocUnsafe(16 * 1024);

/** The UTF-8 text a base64url segment encodes (characters outside the alphabet are skipped). */
function decodedText(segment: string): string {
  // 3 bytes per 4 characters, rounded up: the decoded length is never more than this.
  if (Math.ceil((segment.length * 3) / 4) > scratch.length) {
    return Buffer.from(segment, 'base64url').toString('utf8');
  }
  const length = scratch.write(segment, 0, 'base64url');
  return scratch.toString('utf8', 0, length);
}

/**
 * The JSON object in one base64url segment of a compact JWS, or `undefined` when it is not valid
 * base64url JSON or not an object. Decoding only: nothing here is verified or trusted.
 */
export function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(decodedText(segment));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `typ` compared as RFC 7515 §4.1.9 says: case-insensitively, with an optional `application/` prefix. */
function normalizedType(typ: unknown): string | undefined {
  if (typeof typ !== 'string') return undefined;
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/**
 * The first header check that fails, or `null`: `alg` present and in the key set's allowlist
 * (RFC 8725 §3.1: never `none`, never an algorithm we do not hold a key for), `typ` = `at+jwt`
 * (RFC 9068 §2.1, RFC 8725 §3.11), and none of the forbidden parameters.
 */
export function headerProblem(header: Record<string, unknown>, keys: KeySet): TokenRejection | null {
  if (header.alg === undefined) return { check: 'alg', reason: 'missing' };
  if (typeof header.alg !== 'string' || !keys.algorithms.includes(header.alg as never)) {
    return { check: 'alg', reason: 'not_allowed' };
  }
  if (header.typ === undefined) return { check: 'typ', reason: 'missing' };
  if (normalizedType(header.typ) !== ACCESS_TOKEN_TYPE) return { check: 'typ', reason: 'mismatch' };
  for (const name of FORBIDDEN_HEADERS) if (name in header) return { check: name, reason: 'forbidden' };
  return null;
}

/**
 * The key that the header segment `segment` names, or why the header is refused: not base64url
 * JSON of an object (`header` `malformed`), a failed {@link headerProblem}, or no key with exactly
 * this `kid` whose one algorithm is the header's `alg` (`kid` `unknown_key`, see `KeySet.lookup`).
 * Verdicts of accepted headers are remembered (see the module documentation).
 */
export function headerKey(segment: string, keys: KeySet): VerificationKey | TokenRejection {
  let memo = memos.get(keys);
  if (memo === undefined) {
    memo = new FifoCache(HEADER_MEMO_SIZE);
    memos.set(keys, memo);
  }
  const known = memo.get(segment);
  if (known !== undefined) return known;
  const header = decodeSegment(segment);
  if (!header) return { check: 'header', reason: 'malformed' };
  const problem = headerProblem(header, keys);
  if (problem) return problem;
  const key = keys.lookup(header);
  if (!key) return { check: 'kid', reason: 'unknown_key' };
  memo.set(segment, key);
  return key;
}
