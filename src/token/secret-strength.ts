/**
 * Start-up checks on HMAC secrets (RFC 8725 §3.5, JWTCS §MAC): at least 256 bits, and not
 * something a person typed.
 *
 * @module
 */

/** Minimum HMAC secret length in bytes (256 bits). */
export const MIN_HMAC_SECRET_BYTES = 32;

/** Estimated entropy (bits) below which a secret is refused as password-like. */
const MIN_ESTIMATED_BITS = 128;

/**
 * Estimates the entropy of `bytes` as its length times the Shannon entropy of its byte
 * distribution. It is a rough upper bound for human-made strings ("secretsecret...",
 * "changeme-changeme-...") and close to the truth for CSPRNG output in hex or base64.
 */
export function estimateEntropyBits(bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  const counts = new Map<number, number>();
  for (const b of bytes) counts.set(b, (counts.get(b) ?? 0) + 1);
  let perSymbol = 0;
  for (const count of counts.values()) {
    const p = count / bytes.length;
    perSymbol -= p * Math.log2(p);
  }
  return perSymbol * bytes.length;
}

/**
 * Why `secret` is unfit as an HMAC key, or `null` when it is acceptable. Refuses secrets under
 * 32 bytes and secrets whose estimated entropy is under 128 bits (repetitions, words, a
 * password), so that a misconfiguration fails at start-up instead of in production.
 */
export function weakSecretReason(secret: string | Uint8Array): string | null {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (bytes.length < MIN_HMAC_SECRET_BYTES) {
    return `must be at least ${MIN_HMAC_SECRET_BYTES} bytes (256 bits) of CSPRNG output`;
  }
  if (estimateEntropyBits(bytes) < MIN_ESTIMATED_BITS) {
    return 'looks password-like (too little entropy); use 32+ random bytes, e.g. `openssl rand -base64 32`';
  }
  return null;
}
