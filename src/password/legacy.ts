/**
 * Verify-only support for password hashes made by the systems gatehouse replaces: bcrypt
 * (`$2a$`, `$2b$`, `$2y$`), and scrypt as better-auth and Lucia store it. A successful verification
 * always reports that the hash needs to be replaced by argon2id; nothing here ever creates a hash.
 *
 * @module
 */

import { scrypt, timingSafeEqual } from 'node:crypto';
import { compare as bcryptCompare } from 'bcryptjs';

/**
 * bcrypt uses at most 72 bytes of its input and silently ignores the rest. A longer input is never
 * passed to bcrypt: it is refused, because accepting it would also accept every other password
 * with the same first 72 bytes. A user whose legacy password is longer must reset it.
 *
 * @see [OWASP Password Storage Cheat Sheet §Input Limits of bcrypt](https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#input-limits-of-bcrypt)
 */
export const BCRYPT_MAX_INPUT_BYTES = 72;

/** Where a recognized scrypt hash came from; decides the block size and how the salt is used. */
export type ScryptHashFormat = 'better-auth' | 'lucia-v2' | 'lucia-v1';

/** A recognized legacy hash. */
export type LegacyHash =
  | { readonly kind: 'bcrypt'; readonly hash: string; readonly cost: number }
  | {
      readonly kind: 'scrypt';
      readonly format: ScryptHashFormat;
      /** The salt exactly as stored: these systems feed the salt *text* (UTF-8) to scrypt, not decoded bytes. */
      readonly salt: string;
      /** The stored derived key. */
      readonly key: Buffer;
      readonly N: number;
      readonly r: number;
      readonly p: number;
    };

const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
const HEX_SALT = /^[0-9a-fA-F]{32}$/;
const TEXT_SALT = /^[A-Za-z0-9_-]{1,128}$/;
const KEY_HEX = /^[0-9a-fA-F]{128}$/;
const SCRYPT_N = 16384;
const SCRYPT_P = 1;

/**
 * Recognizes a legacy hash by its exact shape.
 *
 * - bcrypt: `$2a$`, `$2b$` or `$2y$`, cost 04-31, 53 characters of salt and hash. (`$2x$` is not accepted.)
 * - better-auth (`hashPassword`), Lucia v3 `Scrypt` and oslo `Scrypt`: `<salt>:<key>` where the salt is
 *   16 random bytes as 32 hex characters and the key is 64 bytes as 128 hex characters; scrypt
 *   N=16384, r=16, p=1, dkLen=64 over the NFKC-normalized password, with the salt's hex *text* as salt.
 * - Lucia v2 (`generateScryptHash`): `s2:<salt>:<key>`, the salt a 16-character random alphanumeric
 *   string, the same scrypt parameters (r=16).
 * - Lucia v1, as Lucia v2's `validateScryptHash` and v3's `LegacyScrypt` still verify it: `<salt>:<key>`
 *   with a non-hex text salt, r=8.
 *
 * @param hash A stored hash of any kind.
 * @returns The parsed hash, or `undefined` when it is none of these.
 * @see [better-auth `crypto/password.ts`](https://github.com/better-auth/better-auth/blob/main/packages/better-auth/src/crypto/password.ts)
 * @see [Lucia v3 `crypto.ts`](https://github.com/lucia-auth/lucia/blob/v3/packages/lucia/src/crypto.ts)
 */
export function parseLegacyHash(hash: string): LegacyHash | undefined {
  const bcrypt = BCRYPT.exec(hash);
  if (bcrypt !== null) return { kind: 'bcrypt', hash, cost: Number(bcrypt[1]) };

  const parts = hash.split(':');
  let format: ScryptHashFormat;
  let salt: string;
  let key: string;
  if (parts.length === 2) {
    [salt, key] = parts as [string, string];
    if (HEX_SALT.test(salt)) format = 'better-auth';
    else if (TEXT_SALT.test(salt)) format = 'lucia-v1';
    else return undefined;
  } else if (parts.length === 3 && parts[0] === 's2') {
    [, salt, key] = parts as [string, string, string];
    if (!TEXT_SALT.test(salt)) return undefined;
    format = 'lucia-v2';
  } else {
    return undefined;
  }
  if (!KEY_HEX.test(key)) return undefined;
  return {
    kind: 'scrypt',
    format,
    salt,
    key: Buffer.from(key, 'hex'),
    N: SCRYPT_N,
    r: format === 'lucia-v1' ? 8 : 16,
    p: SCRYPT_P,
  };
}

/** The inputs to try against a legacy hash: the NFC form first, then the raw input when it differs. */
function candidates(password: string, normalized: string): string[] {
  // constant-time-exempt: two spellings of the same input, never a stored secret
  return normalized === password ? [normalized] : [normalized, password];
}

/**
 * Verifies a bcrypt hash with `bcryptjs`'s asynchronous, constant-time `compare`. Tries the NFC
 * form of the password, then the raw input if it differs (the system that made the hash may not
 * have normalized). Any candidate over {@link BCRYPT_MAX_INPUT_BYTES} is skipped, never truncated.
 *
 * `bcryptjs` is pure JavaScript and blocks the event loop for each chunk of rounds: use it only to
 * verify, never to hash.
 *
 * @param password The password as received.
 * @param normalized Its NFC form.
 * @param hash A bcrypt hash recognized by {@link parseLegacyHash}.
 * @returns `'match'`, `'mismatch'`, or `'refused'` when every candidate is over 72 bytes.
 */
export async function verifyBcrypt(
  password: string,
  normalized: string,
  hash: string,
): Promise<'match' | 'mismatch' | 'refused'> {
  const usable = candidates(password, normalized).filter(
    (candidate) => Buffer.byteLength(candidate, 'utf8') <= BCRYPT_MAX_INPUT_BYTES,
  );
  if (usable.length === 0) return 'refused';
  for (const candidate of usable) {
    try {
      if (await bcryptCompare(candidate, hash)) return 'match';
    } catch {
      return 'mismatch';
    }
  }
  return 'mismatch';
}

function deriveScrypt(password: string, salt: string, length: number, N: number, r: number, p: number) {
  return new Promise<Buffer>((resolve, reject) => {
    // maxmem as better-auth sets it: twice the 128 * N * r bytes scrypt needs.
    scrypt(password, salt, length, { N, r, p, maxmem: 2 * 128 * N * r * p }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

/**
 * Verifies a better-auth or Lucia scrypt hash with `node:crypto`'s asynchronous `scrypt` and
 * `timingSafeEqual`.
 *
 * These systems NFKC-normalized the password before hashing, so the candidate is NFKC of the input,
 * exactly as they computed it. Because NFKC(NFC(x)) = NFKC(x), trying the NFC form and then the raw
 * input would derive the same key twice; one derivation covers both.
 *
 * @param password The password as received.
 * @param parsed A scrypt hash recognized by {@link parseLegacyHash}.
 * @returns `true` on a match. Never throws.
 */
export async function verifyScrypt(password: string, parsed: Extract<LegacyHash, { kind: 'scrypt' }>) {
  try {
    const derived = await deriveScrypt(
      password.normalize('NFKC'),
      parsed.salt,
      parsed.key.length,
      parsed.N,
      parsed.r,
      parsed.p,
    );
    return timingSafeEqual(derived, parsed.key);
  } catch {
    return false;
  }
}
