/**
 * How many bits of entropy a secret has, judged the way an attacker guesses: the length of the
 * shortest description of the secret as a sequence of parts, where each part costs the bits needed
 * to say what it is. This is the minimum-description-length view of zxcvbn (Wheeler, USENIX
 * Security 2016), cut down to what matters for machine secrets.
 *
 * - A character that fits no pattern costs log2 of the smallest usual alphabet that holds the whole
 *   string: 16 for hex, 64 for base64 or base64url, 62 for letters and digits, 95 for printable
 *   ASCII; a byte costs 8 bits. That is exactly what a random string of that alphabet is worth.
 * - A dictionary word costs log2 of its rank (common words are guessed first), plus bits for its
 *   capitals, look-alike digits (`p4ssw0rd`) or being written backwards.
 * - A repetition of an earlier part, a run of one character, a sequence (`abcd`, `9753`,
 *   `0123456789abcdef`, bytes counting up), a keyboard walk (`qwerty`, `1qaz2wsx`) and a year cost
 *   a few bits each.
 * - Text may also be read as words between separators (`correct-horse-battery`), where words and
 *   the separator are cheap and everything else dear.
 * - Hex or base64 is also read as the bytes it encodes, and bytes that are printable UTF-8 as that
 *   text: encoding a passphrase gains nothing.
 *
 * Every cost includes the bits that say which kind of part comes next, so that the costs form
 * (approximately) a prefix code, for which Kraft's inequality holds: the chance that random input
 * is described in `k` bits fewer than its true entropy is then about 2^-k. That is why the start-up
 * check can sit a fixed margin below 256 bits without refusing CSPRNG output (measured: see
 * `secret-strength.ts`). RFC 8725 §3.5 and NIST SP 800-63B (rev. 3) Appendix A explain why a
 * human-made string has far less entropy than its length suggests.
 *
 * @module
 */
import {
  hexRun,
  keyboardWalks,
  longestEarlierMatch,
  type Part,
  repetitionParts,
  type SecretPattern,
  wordParts,
} from './secret-patterns.js';

export type { SecretPattern } from './secret-patterns.js';

/** The result of {@link estimateSecretEntropy}. */
export interface SecretEntropyEstimate {
  /** Estimated entropy in bits (0 for an empty secret). */
  readonly bits: number;
  /** The structures found on the cheapest reading, in the order they first occur. */
  readonly patterns: readonly SecretPattern[];
}

/** Only this many characters (or bytes) are read; the estimate of a prefix is a lower bound. */
const MAX_ANALYSED = 512;
/** Encodings are looked through at most this deep (base64 of hex of text). */
const MAX_DEPTH = 2;
/** What each kind of part costs on top of its content in one way of reading: the bits naming its kind. */
interface Reading {
  /** A character (or byte) read as itself. */
  readonly literal: number;
  /** A dictionary word. */
  readonly word: number;
  /** A repetition, run, sequence, keyboard walk or year. */
  readonly pattern: number;
  /** The separator of word-separated text, and what each occurrence costs. */
  readonly separator?: { readonly char: string; readonly bits: number };
  /** Bits spent once: which reading this is (and which separator). */
  readonly setup: number;
}

/** Random text: almost every part is a character (15/16); 1/16 is shared by the 5 kinds of pattern. */
const RANDOM_READING: Reading = {
  literal: Math.log2(16 / 15),
  word: Math.log2(16 * 5),
  pattern: Math.log2(16 * 5),
  setup: 0,
};

/** Word-separated text: a word 1/2, the separator 1/4, a character 1/8, another pattern 1/32 each. */
function separatedReading(char: string): Reading {
  return { literal: 3, word: 1, pattern: 5, separator: { char, bits: 2 }, setup: 1 + Math.log2(33) };
}

/** Words without separators (`MySuperSecretKey`): a word 1/2, a character 1/4, another pattern 1/16 each. */
const WORDS_READING: Reading = { literal: 2, word: 1, pattern: 4, setup: 1 };

/** The cheapest description of `n` items, where `partsAt(i)` lists the parts that may start at item `i`. */
function cheapest(n: number, partsAt: (i: number) => Iterable<Part>): SecretEntropyEstimate {
  const bits = new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY);
  const from = new Int32Array(n + 1);
  const pattern: (SecretPattern | null)[] = new Array(n + 1).fill(null);
  bits[0] = 0;
  for (let i = 0; i < n; i++) {
    const start = bits[i] as number;
    for (const part of partsAt(i)) {
      const end = i + part.length;
      if (end <= n && start + part.bits < (bits[end] as number)) {
        bits[end] = start + part.bits;
        from[end] = i;
        pattern[end] = part.pattern;
      }
    }
  }
  const found: SecretPattern[] = [];
  for (let end = n; end > 0; end = from[end] as number) {
    const kind = pattern[end];
    if (kind) found.push(kind);
  }
  return { bits: bits[n] as number, patterns: [...new Set(found.reverse())] };
}

/**
 * The size of the smallest usual alphabet holding every character: hex (16, or 22 in mixed case),
 * letters (26 per case) and digits (10), plus 2 for the symbols of one base64 alphabet (`+/` or
 * `-_`), 33 for any other printable ASCII symbol and 100 for anything beyond ASCII.
 */
function alphabetSize(chars: readonly string[]): number {
  let digits = false;
  let hexLower = false;
  let hexUpper = false;
  let lower = false;
  let upper = false;
  let beyondAscii = false;
  const symbols = new Set<string>();
  for (const char of chars) {
    if (char >= '0' && char <= '9') digits = true;
    else if (char >= 'a' && char <= 'f') hexLower = true;
    else if (char >= 'A' && char <= 'F') hexUpper = true;
    else if (char >= 'a' && char <= 'z') lower = true;
    else if (char >= 'A' && char <= 'Z') upper = true;
    else if (char >= ' ' && char <= '~') symbols.add(char);
    else beyondAscii = true;
  }
  let size = digits ? 10 : 0;
  if (lower || upper) size += (lower || hexLower ? 26 : 0) + (upper || hexUpper ? 26 : 0);
  else size += (hexLower ? 6 : 0) + (hexUpper ? 6 : 0);
  const list = [...symbols];
  const base64Symbols =
    list.every((s) => s === '+' || s === '/') || list.every((s) => s === '-' || s === '_');
  if (list.length > 0) size += base64Symbols ? 2 : 33;
  if (beyondAscii) size += 100;
  return Math.max(size, 2);
}

/** The cheapest description of text under one {@link Reading}. */
function describeText(chars: readonly string[], reading: Reading): SecretEntropyEstimate {
  const charBits = Math.log2(alphabetSize(chars));
  const lower = chars.map((c) => c.toLowerCase());
  const codes = chars.map((c) => c.codePointAt(0) ?? 0);
  const earlier = longestEarlierMatch(chars);
  const { separator } = reading;
  const result = cheapest(chars.length, function* (i) {
    const char = chars[i] as string;
    if (char === separator?.char) yield { length: 1, bits: separator.bits, pattern: 'separator' };
    else yield { length: 1, bits: reading.literal + charBits, pattern: null };
    yield* repetitionParts(codes, i, earlier, charBits, reading.pattern);
    const hex = hexRun(lower, i);
    if (hex > 0) {
      const bits = reading.pattern + charBits + 3 + Math.log2(chars.length - i);
      yield { length: hex, bits, pattern: 'sequence' };
    }
    yield* keyboardWalks(chars, i, reading.pattern);
    yield* wordParts(chars, lower, i, reading.word);
    if (/^(19|20)\d\d$/.test(chars.slice(i, i + 4).join(''))) {
      yield { length: 4, bits: reading.pattern + Math.log2(200), pattern: 'year' };
    }
  });
  return { ...result, bits: result.bits + reading.setup };
}

/** The most frequent symbol (not a letter or digit), used at least twice: the likely separator. */
function likelySeparator(chars: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const char of chars) if (!/[\p{L}\p{N}]/u.test(char)) counts.set(char, (counts.get(char) ?? 0) + 1);
  let best: string | undefined;
  let most = 1;
  for (const [char, count] of counts) {
    if (count > most) [best, most] = [char, count];
  }
  return best;
}

function lowest(a: SecretEntropyEstimate, b: SecretEntropyEstimate): SecretEntropyEstimate {
  return b.bits < a.bits ? b : a;
}

/** The bytes `text` encodes as hex, base64 or base64url (canonical encodings only). */
function decodings(text: string): Uint8Array[] {
  const found: Uint8Array[] = [];
  if (/^(?:[0-9a-f]{2})+$|^(?:[0-9A-F]{2})+$/.test(text)) found.push(Buffer.from(text, 'hex'));
  const unpadded = text.replace(/={1,2}$/, '');
  if (unpadded.length >= 4 && /^[A-Za-z0-9+/]+$/.test(unpadded)) {
    const bytes = Buffer.from(unpadded, 'base64');
    if (bytes.toString('base64').replace(/=+$/, '') === unpadded) found.push(bytes);
  }
  if (unpadded === text && unpadded.length >= 4 && /^[A-Za-z0-9_-]+$/.test(text) && /[-_]/.test(text)) {
    const bytes = Buffer.from(text, 'base64url');
    if (bytes.toString('base64url') === text) found.push(bytes);
  }
  return found;
}

function textEstimate(text: string, depth: number): SecretEntropyEstimate {
  // base64 padding carries no information.
  const body = /^[A-Za-z0-9+/]+={1,2}$/.test(text) ? text.replace(/=+$/, '') : text;
  const chars = Array.from(body).slice(0, MAX_ANALYSED);
  if (chars.length === 0) return { bits: 0, patterns: [] };
  let best = describeText(chars, RANDOM_READING);
  best = lowest(best, describeText(chars, WORDS_READING));
  const separator = likelySeparator(chars);
  if (separator !== undefined) best = lowest(best, describeText(chars, separatedReading(separator)));
  if (depth < MAX_DEPTH)
    for (const bytes of decodings(text)) best = lowest(best, bytesEstimate(bytes, depth + 1));
  return best;
}

/** The text of `bytes` when they are valid UTF-8 without control characters, else `undefined`. */
function printableText(bytes: Uint8Array): string | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    return /[\u0000-\u001f\u007f-\u009f]/.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

function bytesEstimate(bytes: Uint8Array, depth: number): SecretEntropyEstimate {
  const values = Array.from(bytes.subarray(0, MAX_ANALYSED));
  if (values.length === 0) return { bits: 0, patterns: [] };
  const earlier = longestEarlierMatch(values);
  const flag = RANDOM_READING.pattern;
  let best = cheapest(values.length, function* (i) {
    yield { length: 1, bits: 8 + RANDOM_READING.literal, pattern: null };
    yield* repetitionParts(values, i, earlier, 8, flag);
  });
  const text = depth < MAX_DEPTH ? printableText(bytes) : undefined;
  if (text !== undefined) {
    const asText = textEstimate(text, depth + 1);
    best = lowest(best, { bits: asText.bits, patterns: ['encoded-text', ...asText.patterns] });
  }
  return best;
}

/**
 * Estimates the entropy of a secret as described in the module documentation. A string is read
 * as text (and, when it is hex or base64, as the bytes it encodes); a `Uint8Array` as bytes (and,
 * when it is printable UTF-8, as that text). The lowest estimate wins.
 */
export function estimateSecretEntropy(secret: string | Uint8Array): SecretEntropyEstimate {
  return typeof secret === 'string' ? textEstimate(secret, 0) : bytesEstimate(secret, 0);
}
