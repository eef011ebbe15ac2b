/**
 * JWS signature checks, synchronous, with `node:crypto` and a `KeyObject` imported once at
 * start-up: one prepared check per configured key.
 *
 * Why not jose's `compactVerify`: it goes through WebCrypto, which is asynchronous and, for one
 * signature at a time, 1.6–2.5× slower than `crypto.verify` over the same key (and about ten
 * times slower for HMAC). The access token is verified on every request that presents a new one,
 * so that difference is most of a guard's cost. jose still signs, and still imports JWKs.
 *
 * Every check refuses, before any cryptography, a signature segment that is not the canonical
 * base64url encoding (RFC 7515 §2: no padding, and the unused bits of the last character zero) of
 * exactly as many octets as the algorithm produces. So each signature has one spelling, and a
 * DER-encoded ECDSA signature (RFC 7518 §3.4 wants `R || S`) never reaches the verifier.
 *
 * @module
 */
import { constants, createHmac, type KeyObject, timingSafeEqual, verify } from 'node:crypto';
import type { JwsAlgorithm } from './keys.js';

/**
 * Checks the signature of one compact JWS. `signingInput` is the token up to its second dot
 * (`BASE64URL(header) '.' BASE64URL(payload)`, RFC 7515 §5.2 step 8) and `signature` the third
 * segment, both as sent; the caller has already checked that they are base64url characters only.
 */
export type SignatureCheck = (signingInput: string, signature: string) => boolean;

/** The 6-bit value of a base64url character (RFC 4648 §5), or -1. */
function base64urlValue(code: number): number {
  if (code >= 65 && code <= 90) return code - 65;
  if (code >= 97 && code <= 122) return code - 71;
  if (code >= 48 && code <= 57) return code + 4;
  if (code === 45) return 62;
  if (code === 95) return 63;
  return -1;
}

/**
 * Whether `segment` is the canonical unpadded base64url encoding of exactly `into.length` octets
 * (RFC 4648 §3.5, §5): its length is `ceil(4 * n / 3)`, the bits of its last character beyond the
 * data are zero, and it decodes to `n` octets, which are written to `into`. The caller has checked
 * that every character is in the base64url alphabet.
 */
export function canonicalBase64url(segment: string, into: Buffer): boolean {
  const length = into.length;
  if (segment.length !== Math.ceil((length * 4) / 3)) return false;
  const unusedBits = length % 3 === 1 ? 4 : length % 3 === 2 ? 2 : 0;
  const last = base64urlValue(segment.charCodeAt(segment.length - 1));
  if (last < 0 || (last & ((1 << unusedBits) - 1)) !== 0) return false;
  // Node skips characters outside the alphabet: fewer octets written means there was one.
  return into.write(segment, 0, 'base64url') === length;
}

/**
 * HMAC with SHA-2 (RFC 7518 §3.2): recomputes the MAC over the signing input and compares it with
 * the presented one in constant time (`timingSafeEqual`, after the length check, which only
 * depends on the algorithm).
 */
function hmacCheck(hash: 'sha256' | 'sha384' | 'sha512', key: KeyObject, length: number): SignatureCheck {
  // The presented MAC is decoded into this buffer: checks are synchronous, so it is never shared.
  const presented = Buffer.alloc(length);
  // `createHmac` sets a raw key up measurably faster than a `KeyObject` (the same bytes).
  const secret = key.export();
  return (signingInput, signature) => {
    if (!canonicalBase64url(signature, presented)) return false;
    const expected = createHmac(hash, secret).update(signingInput, 'latin1').digest();
    return timingSafeEqual(presented, expected);
  };
}

/**
 * A public-key signature of a fixed length: `crypto.verify` with the algorithm's hash and options
 * (never chosen by the token). A verifier that throws (malformed input) counts as a refusal.
 */
function publicKeyCheck(
  hash: 'sha256' | null,
  key: KeyObject | { key: KeyObject; dsaEncoding?: 'ieee-p1363'; padding?: number },
  length: number,
): SignatureCheck {
  const presented = Buffer.alloc(length);
  return (signingInput, signature) => {
    if (!canonicalBase64url(signature, presented)) return false;
    try {
      return verify(hash, Buffer.from(signingInput, 'latin1'), key, presented);
    } catch {
      return false;
    }
  };
}

/**
 * The prepared signature check of one key for its one algorithm:
 * - `HS256`/`HS384`/`HS512` (RFC 7518 §3.2): HMAC, compared in constant time; 32/48/64 octets.
 * - `ES256` (RFC 7518 §3.4): ECDSA P-256 with SHA-256; the signature is `R || S`, 64 octets
 *   (IEEE P1363), never DER.
 * - `EdDSA` (RFC 8037 §3.1): Ed25519 over the signing input itself; 64 octets.
 * - `RS256` (RFC 7518 §3.3): RSASSA-PKCS1-v1_5 with SHA-256; as many octets as the modulus
 *   (RFC 8017 §8.2.2 step 1).
 * The key's type was checked against the algorithm when it was loaded (`keys.ts`).
 */
export function signatureCheck(alg: JwsAlgorithm, key: KeyObject): SignatureCheck {
  switch (alg) {
    case 'HS256':
      return hmacCheck('sha256', key, 32);
    case 'HS384':
      return hmacCheck('sha384', key, 48);
    case 'HS512':
      return hmacCheck('sha512', key, 64);
    case 'ES256':
      return publicKeyCheck('sha256', { key, dsaEncoding: 'ieee-p1363' }, 64);
    case 'EdDSA':
      return publicKeyCheck(null, key, 64);
    case 'RS256':
      return publicKeyCheck(
        'sha256',
        { key, padding: constants.RSA_PKCS1_PADDING },
        Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8),
      );
  }
}
