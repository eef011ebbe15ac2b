/**
 * Encryption at rest for TOTP secrets (RFC 4226 §4 R6; RFC 6238 §5.1: "stored encrypted"): AES-256-GCM under a 32-byte
 * key from configuration, a fresh random 96-bit IV per seal, and the user id as associated data,
 * so a sealed secret copied into another user's row does not open. The output is a versioned
 * string, `v1.<iv>.<ciphertext>.<tag>`, each part base64url without padding.
 *
 * Key rotation: every function takes one key or a list. {@link sealSecret} always uses the first
 * key; {@link openSecret} tries each in turn, so secrets sealed under a retired key still open
 * while it stays in the list (re-seal them with {@link openSecretDetailed}'s `keyIndex`).
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.js';

/** AES-256 key size in bytes. */
export const SECRET_BOX_KEY_BYTES = 32;

/** Format version written by {@link sealSecret}; the only one {@link openSecret} reads. */
export const SECRET_BOX_VERSION = 'v1';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';
const B64URL_UNPADDED = /^[A-Za-z0-9_-]*$/;
const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * A secret-box key as configured: 32 raw bytes, or their base64 / base64url encoding (padding
 * optional). Several keys are given as a list, newest first.
 */
export type SecretBoxKey = Uint8Array | string;

/** One key or a rotation list, newest (the sealing key) first. */
export type SecretBoxKeys = SecretBoxKey | readonly SecretBoxKey[];

/** Why {@link openSecret} refused a sealed value. */
export type SecretBoxFailure = 'malformed' | 'unsupported_version' | 'authentication_failed';

/**
 * A sealed value did not open: it is malformed, of an unknown version, or failed GCM
 * authentication (tampered, wrong key, or sealed for another user id). The message is generic and
 * holds no key or ciphertext material. This is a server-side integrity failure, not a client
 * error: fail closed (refuse the MFA step) and alert.
 */
export class SecretBoxError extends Error {
  /** Always `ERR_SECRET_BOX`. */
  readonly code = 'ERR_SECRET_BOX' as const;
  /** What failed. */
  readonly reason: SecretBoxFailure;

  constructor(reason: SecretBoxFailure) {
    super(`Sealed secret could not be opened (${reason})`);
    this.name = 'SecretBoxError';
    this.reason = reason;
  }
}

/** Decodes base64 (`url` false) or base64url, or returns null for anything not canonical. */
function decodeStrict(value: string, url: boolean, pattern = url ? B64URL : B64): Buffer | null {
  if (!pattern.test(value)) return null;
  const bytes = Buffer.from(value, url ? 'base64url' : 'base64');
  // Refuse non-canonical encodings (stray trailing bits, wrong padding), which Buffer tolerates.
  const canonical = bytes.toString(url ? 'base64url' : 'base64');
  return canonical.replace(/=+$/, '') === value.replace(/=+$/, '') ? bytes : null;
}

/**
 * Imports one configured key, checking that it is exactly 32 bytes: a `Uint8Array`, or a string
 * in strict base64 or base64url. Anything else (a passphrase, hex, another length, another type)
 * is refused, because a key that is not 256 random bits must not be used quietly.
 *
 * @param path Configuration path named in the error, e.g. `mfa.secretKeys[0]`.
 * @throws {@link ConfigError} naming `path`.
 */
export function importSecretBoxKey(key: SecretBoxKey, path = 'mfa.secretKey'): KeyObject {
  let bytes: Buffer | null = null;
  if (key instanceof Uint8Array) bytes = Buffer.from(key);
  else if (typeof key === 'string') bytes = decodeStrict(key, false) ?? decodeStrict(key, true);
  else throw new ConfigError([{ path, message: 'must be a Uint8Array or a base64/base64url string' }]);
  if (bytes === null || bytes.length !== SECRET_BOX_KEY_BYTES) {
    throw new ConfigError([
      { path, message: `must be exactly ${SECRET_BOX_KEY_BYTES} bytes, raw or base64/base64url encoded` },
    ]);
  }
  return createSecretKey(bytes);
}

/**
 * Imports a key or a rotation list with {@link importSecretBoxKey}. Checks that the list is not
 * empty and every entry is valid. Call it at start-up to fail fast on bad configuration.
 *
 * @throws {@link ConfigError}.
 */
export function importSecretBoxKeys(keys: SecretBoxKeys, path = 'mfa.secretKeys'): KeyObject[] {
  if (!Array.isArray(keys)) return [importSecretBoxKey(keys as SecretBoxKey, path)];
  if (keys.length === 0) throw new ConfigError([{ path, message: 'must hold at least one key' }]);
  return (keys as readonly SecretBoxKey[]).map((key, index) => importSecretBoxKey(key, `${path}[${index}]`));
}

function checkAad(aad: unknown): Buffer {
  if (typeof aad !== 'string' || aad.length === 0) {
    throw new TypeError('associated data (the user id) must be a non-empty string');
  }
  return Buffer.from(aad, 'utf8');
}

/**
 * Encrypts `plaintext` (e.g. a base32 TOTP secret) under the first key, bound to `aad` (the user
 * id), and returns `v1.<iv>.<ciphertext>.<tag>`.
 *
 * Checks the keys ({@link importSecretBoxKeys}) and that `aad` is a non-empty string. The IV is 12
 * fresh bytes from the CSPRNG per call; with random IVs NIST SP 800-38D §8.3 allows 2^32 seals
 * per key, far beyond the number of enrolments, and rotation resets the count.
 */
export function sealSecret(keys: SecretBoxKeys, plaintext: string, aad: string): string {
  const [key] = importSecretBoxKeys(keys);
  if (typeof plaintext !== 'string') throw new TypeError('plaintext must be a string');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key!, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(checkAad(aad));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [SECRET_BOX_VERSION, iv, ciphertext, tag]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** Result of {@link openSecretDetailed}. */
export interface OpenedSecret {
  /** The decrypted text. */
  plaintext: string;
  /** Index in the key list of the key that opened it; above 0 means re-seal with the current key. */
  keyIndex: number;
}

/**
 * {@link openSecret}, also telling which key opened the value, so a caller can re-seal values
 * still under a retired key. Same checks and errors.
 */
export function openSecretDetailed(keys: SecretBoxKeys, sealed: string, aad: string): OpenedSecret {
  const imported = importSecretBoxKeys(keys);
  const associated = checkAad(aad);
  if (typeof sealed !== 'string') throw new SecretBoxError('malformed');
  const parts = sealed.split('.');
  if (parts.length !== 4) throw new SecretBoxError('malformed');
  const [version, ivText = '', ciphertextText = '', tagText = ''] = parts;
  if (version !== SECRET_BOX_VERSION) throw new SecretBoxError('unsupported_version');
  const iv = decodeStrict(ivText, true, B64URL_UNPADDED);
  const ciphertext = decodeStrict(ciphertextText, true, B64URL_UNPADDED);
  const tag = decodeStrict(tagText, true, B64URL_UNPADDED);
  if (iv?.length !== IV_BYTES || ciphertext === null || tag?.length !== TAG_BYTES) {
    throw new SecretBoxError('malformed');
  }
  for (const [keyIndex, key] of imported.entries()) {
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(associated);
      decipher.setAuthTag(tag);
      const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
      return { plaintext, keyIndex };
    } catch {
      // GCM authentication failed under this key: try the next one.
    }
  }
  throw new SecretBoxError('authentication_failed');
}

/**
 * Decrypts a value made by {@link sealSecret}, trying each key in order (rotation).
 *
 * Checks, before any decryption: the keys are valid, `aad` is a non-empty string, the value has
 * exactly the four parts of version `v1`, each part is canonical base64url, the IV is 12 bytes
 * and the tag 16 bytes (the tag length is pinned, so a truncated tag is refused). Then GCM
 * verifies the tag over the ciphertext and `aad`: a changed IV, ciphertext or tag, a wrong key,
 * or another user id all fail.
 *
 * @throws {@link SecretBoxError} when the value does not open; {@link ConfigError} for bad keys.
 */
export function openSecret(keys: SecretBoxKeys, sealed: string, aad: string): string {
  return openSecretDetailed(keys, sealed, aad).plaintext;
}
