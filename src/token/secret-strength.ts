/**
 * Start-up checks on the symmetric keys gatehouse signs or encrypts with (HMAC secrets of access
 * tokens, the flow-cookie and refresh-successor secrets, AES keys): long enough, and random.
 *
 * RFC 7518 §3.2 requires an HMAC key at least as long as the hash output (256 bits for HS256) and
 * RFC 8725 §3.5 forbids human-memorable passwords as keys. Length alone does not show randomness:
 * `my-super-secret-key-for-jwt-signing-2024` is 40 bytes and perhaps 100 bits. So a secret is judged
 * as a random source would be: its entropy is estimated from its alphabet and structure
 * (dictionary words, repetitions, sequences, keyboard walks, separators, encodings; see
 * `secret-entropy.ts`) and must reach {@link MIN_SECRET_ENTROPY_BITS}.
 *
 * Measured over 20 000 fresh 32-byte CSPRNG secrets of each usual form (raw, hex, base64,
 * base64url): 246.7 to 259 bits, none refused. The weak corpus of `test/token/secret-strength.test.ts`
 * (words, passphrases, repetitions, walks, sequences, encodings of those): at most 183 bits; random
 * 24-byte secrets at most 195.
 *
 * @module
 */
import { estimateSecretEntropy, type SecretPattern } from './secret-entropy.js';

/** Minimum HMAC secret length in bytes (256 bits, RFC 7518 §3.2 for HS256). */
export const MIN_HMAC_SECRET_BYTES = 32;

/**
 * Estimated entropy (bits) a secret needs: 256 bits less a 32-bit allowance for the structure
 * that random output shows by chance (random 32-byte secrets fall that far short with a
 * probability of about 2^-32). Keys of 24 random bytes (192 bits) and anything made by hand fall
 * short.
 */
export const MIN_SECRET_ENTROPY_BITS = 224;

/** How to make a good secret of `bytes` random bytes, for error messages. */
export function secretAdvice(bytes = MIN_HMAC_SECRET_BYTES): string {
  return (
    `generate ${bytes} random bytes, e.g. \`openssl rand -base64 ${bytes}\` or ` +
    `\`node -e "console.log(require('node:crypto').randomBytes(${bytes}).toString('base64url'))"\``
  );
}

const PATTERN_NAMES: Readonly<Record<SecretPattern, string>> = {
  word: 'dictionary words',
  repeat: 'repetition',
  sequence: 'a sequence',
  keyboard: 'a keyboard walk',
  year: 'a year',
  separator: 'separators',
  'encoded-text': 'text in hex or base64',
};

/**
 * The estimated entropy of `secret` in bits: a string is read as text (and as the bytes it
 * encodes when it is hex or base64), a `Uint8Array` as bytes (and as text when it is printable
 * UTF-8). Close to the true entropy for CSPRNG output, far above it for nothing human-made.
 */
export function estimateEntropyBits(secret: string | Uint8Array): number {
  return estimateSecretEntropy(secret).bits;
}

/**
 * Why `secret` is unfit as a signing or encryption key, or `null` when it is acceptable: under
 * `minBytes` (default 32) bytes, or an estimated entropy under {@link MIN_SECRET_ENTROPY_BITS}.
 * The reason says what was found (never the secret) and how to generate a good one, so that a
 * misconfiguration fails at start-up with a fix instead of shipping.
 */
export function weakSecretReason(
  secret: string | Uint8Array,
  options: { readonly minBytes?: number } = {},
): string | null {
  const minBytes = options.minBytes ?? MIN_HMAC_SECRET_BYTES;
  const length = typeof secret === 'string' ? Buffer.byteLength(secret, 'utf8') : secret.length;
  if (length < minBytes) {
    return `is ${length} bytes; needs at least ${minBytes} (${minBytes * 8} bits): ${secretAdvice(minBytes)}`;
  }
  const { bits, patterns } = estimateSecretEntropy(secret);
  if (bits >= MIN_SECRET_ENTROPY_BITS) return null;
  const found =
    patterns.length > 0
      ? `it contains ${patterns.map((p) => PATTERN_NAMES[p]).join(', ')}`
      : 'too few random characters';
  return (
    `looks made by hand, not by a random generator (about ${Math.floor(bits)} bits of entropy ` +
    `estimated, ${MIN_SECRET_ENTROPY_BITS} needed; ${found}): ${secretAdvice(minBytes)}`
  );
}
