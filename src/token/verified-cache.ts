/**
 * The verified-token cache: access tokens whose form, header, signature and claims already passed,
 * remembered so that a later presentation of the very same string skips those checks (never the
 * time checks or the revocation lookup, which `TokenService` runs on every presentation).
 *
 * Keyed by the signature segment, confirmed by the whole token. A `Map` keyed by the token itself
 * hashes the whole string on every lookup, and a token read from a request header is a new string
 * each time, so its hash is never cached: for a 300–400 character token that hash was about a
 * third of a guard's own cost. The signature segment is a tenth of that length and, for a token
 * that verified, identifies it (another token with the same signature segment would be a forgery:
 * RFC 7515 §5.2, RFC 7518 §3). So the cache looks the entry up by the signature segment, then
 * compares the presented token with the remembered one in full, without an early exit (the time
 * taken depends on the length only, as for a signature: OWASP ASVS 5.0 V11.2.4). A token with a
 * remembered signature segment but any other header or payload is a miss, and goes through full
 * verification; a miss never replaces the entry.
 *
 * @module
 */
import type { AccessTokenClaims } from './access-claims.js';
import { FifoCache } from './fifo-cache.js';

/** One remembered token: its exact string and its verified claims. */
interface Entry {
  readonly token: string;
  readonly claims: AccessTokenClaims;
}

/**
 * Where the two tokens are written to be compared as 32-bit words, four characters a word: the
 * presented one as UTF-8 into `presentedWords`, with room for three bytes per character (the most
 * UTF-8 takes for one UTF-16 unit), so a string with any character outside ASCII always writes more
 * bytes than it has characters; the remembered one (base64url and dots: ASCII) into `knownWords`.
 * Grown on demand. Comparisons are synchronous, so no two ever share them.
 */
let presentedWords = new Int32Array(1024);
let presentedBytes = rawWrites(presentedWords);
let knownWords = new Int32Array(256);
let knownBytes = rawWrites(knownWords);

/** A `Buffer` over the memory of `words`, to write strings into. */
function rawWrites(words: Int32Array): Buffer {
  return Buffer.from(words.buffer);
}

/** Grows the buffers of {@link sameToken} to hold tokens of `length` characters. */
function ensureRoom(length: number): void {
  if (presentedBytes.length < 3 * length + 4) {
    presentedWords = new Int32Array((3 * length + 7) >> 2);
    presentedBytes = rawWrites(presentedWords);
  }
  if (knownBytes.length < length + 4) {
    knownWords = new Int32Array((length + 7) >> 2);
    knownBytes = rawWrites(knownWords);
  }
}

/**
 * Whether `presented` is exactly the remembered token `known`, in time that depends only on the
 * lengths: a string of another length, or with a character outside ASCII (it writes more UTF-8
 * bytes than it has characters), is refused outright; otherwise every word is compared, with no
 * exit before the end. A length tells nothing about a token that its signature segment has not
 * already told. The strings are copied out by `Buffer` (native copies) and compared as words,
 * because `charCodeAt` in a loop is several times slower on the sliced strings that request
 * headers are cut into.
 */
function sameToken(presented: string, known: string): boolean {
  const length = known.length;
  if (presented.length !== length) return false;
  ensureRoom(length);
  const count = (length + 3) >> 2;
  presentedWords[count - 1] = 0;
  knownWords[count - 1] = 0;
  knownBytes.write(known, 0, length, 'latin1');
  if (presentedBytes.write(presented, 0, presentedBytes.length, 'utf8') !== length) return false;
  let difference = 0;
  for (let i = 0; i < count; i++) difference |= (presentedWords[i] as number) ^ (knownWords[i] as number);
  return difference === 0;
}

/** The signature segment of a compact JWS (all of `token` when it has no dot). */
function signatureSegment(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1);
}

/** See the module documentation. Bounded; the oldest insertion is dropped first, in constant time. */
export class VerifiedTokenCache {
  readonly #entries: FifoCache<string, Entry>;

  /** A cache of at most `capacity` tokens; 0 remembers nothing. */
  constructor(capacity: number) {
    this.#entries = new FifoCache(capacity);
  }

  /** Most tokens remembered (0: the cache is off). */
  get capacity(): number {
    return this.#entries.capacity;
  }

  /** The remembered claims of exactly this token string, or `undefined`. */
  get(token: string): AccessTokenClaims | undefined {
    const entry = this.#entries.get(signatureSegment(token));
    return entry !== undefined && sameToken(token, entry.token) ? entry.claims : undefined;
  }

  /**
   * Remembers `token`, which has just passed every check, with its `claims`; first drops up to two
   * of the oldest entries already expired at `horizon` (seconds since the epoch: `exp <= horizon`),
   * so memory follows the tokens in use at a constant cost per insertion.
   */
  set(token: string, claims: AccessTokenClaims, horizon: number): void {
    const entries = this.#entries;
    if (entries.capacity === 0) return;
    entries.dropStale((entry) => entry.claims.exp <= horizon, 2);
    entries.set(signatureSegment(token), { token, claims });
  }
}
