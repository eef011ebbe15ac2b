/**
 * The HMAC keys that derive refresh-token successors for the reuse interval
 * (`tokens.refreshReuseInterval`, see `refresh-rotation.ts`).
 *
 * Why a key at all: the successor handed out again within the interval must be the *same* token,
 * yet only its hash is stored. It is therefore derived from the presented token with HMAC under a
 * server key; without the key, anyone holding a used refresh token could compute its successor and
 * skip reuse detection (RFC 9700 §4.14.2).
 *
 * Where the key comes from, in this order (every candidate is kept, see below):
 * 1. `tokens.refreshSuccessorSecret`, when set (a key of its own, rotated independently);
 * 2. the HMAC signing secrets (`tokens.secret`, `tokens.keys[].secret`, the signing key first);
 * 3. with an asymmetric key set, the private keys (the signing key first): the private scalar or
 *    exponent, read canonically from its JWK form so that PEM, JWK and `KeyObject` spellings of one
 *    key give the same bytes.
 *
 * Each candidate goes through HKDF-SHA256 with a label of its own, so no key material is used for
 * two purposes: the derived key signs nothing else and says nothing about the key it came from
 * (public key material is never an input). Every instance with the same configuration derives the
 * same keys, so one token presented to two instances at once gets the same successor from both.
 *
 * The first key derives new successors; every key is accepted when a token comes back within the
 * interval, so a successor derived just before a key rotation (a new secret listed first, the old
 * one still configured) is still recognised. A configuration with no candidate is a verify-only
 * key set: it never rotates a refresh token, and the interval has nothing to do there.
 *
 * @module
 */
import { createPrivateKey, hkdfSync, type JsonWebKey, KeyObject } from 'node:crypto';
import type { AsymmetricKeyInput, KeyConfig } from './keys.js';

/** The parts of `tokens` configuration the successor keys come from. */
export interface SuccessorKeySources {
  readonly refreshSuccessorSecret?: string | Uint8Array | undefined;
  readonly secret?: string | Uint8Array | undefined;
  readonly keys?: readonly KeyConfig[] | undefined;
  readonly signingKeyId?: string | undefined;
}

/** HKDF label of keys derived from a secret (the same as before private keys were a source). */
const SECRET_LABEL = 'gatehouse refresh successor';
/** HKDF label of keys derived from a private signing key. */
const PRIVATE_KEY_LABEL = 'gatehouse refresh successor from a private signing key';

function derive(material: Uint8Array, label: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', material, new Uint8Array(0), label, 32));
}

function secretBytes(secret: string | Uint8Array): Uint8Array {
  return typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
}

/**
 * The private part of an asymmetric key in a canonical form: `d` of its JWK (the Ed25519 seed, the
 * EC private scalar, the RSA private exponent). `undefined` for anything that is not a private key
 * (`loadKeySet` has refused those already).
 */
function privateScalar(input: AsymmetricKeyInput): Uint8Array | undefined {
  let key: KeyObject;
  try {
    if (input instanceof KeyObject) key = input;
    else if (typeof input === 'string') key = createPrivateKey(input);
    else key = createPrivateKey({ key: input as JsonWebKey, format: 'jwk' });
  } catch {
    return undefined;
  }
  if (key.type !== 'private') return undefined;
  const { d } = key.export({ format: 'jwk' });
  return typeof d === 'string' ? Buffer.from(d, 'base64url') : undefined;
}

/** The configured keys with the signing key first (it is the one a rotation introduces). */
function signingFirst(keys: readonly KeyConfig[], signingKeyId: string | undefined): KeyConfig[] {
  const signing = signingKeyId === undefined ? undefined : keys.find((k) => k.kid === signingKeyId);
  return signing ? [signing, ...keys.filter((k) => k !== signing)] : [...keys];
}

/**
 * The successor keys of a configuration, the deriving one first (see the module documentation);
 * empty for a verify-only key set.
 */
export function successorKeys(tokens: SuccessorKeySources): Uint8Array[] {
  const found: Uint8Array[] = [];
  if (tokens.refreshSuccessorSecret !== undefined) {
    found.push(derive(secretBytes(tokens.refreshSuccessorSecret), SECRET_LABEL));
  }
  if (tokens.secret !== undefined) found.push(derive(secretBytes(tokens.secret), SECRET_LABEL));
  const keys = signingFirst(tokens.keys ?? [], tokens.signingKeyId);
  for (const key of keys) {
    if (key.secret !== undefined) found.push(derive(secretBytes(key.secret), SECRET_LABEL));
  }
  for (const key of keys) {
    if (key.secret !== undefined || key.privateKey === undefined) continue;
    const scalar = privateScalar(key.privateKey);
    if (scalar) found.push(derive(scalar, PRIVATE_KEY_LABEL));
  }
  return found;
}
