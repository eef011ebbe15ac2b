/**
 * argon2id hashing with `@node-rs/argon2` (native, runs on the libuv thread pool, so the event
 * loop stays responsive), PHC-string parsing, and the "needs rehash" decision.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { type Algorithm, hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { ConfigError } from '../errors.js';

/**
 * argon2id cost parameters.
 *
 * @see [OWASP Password Storage Cheat Sheet §Argon2id](https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#argon2id)
 */
export interface Argon2Parameters {
  /** Memory per hash in KiB (`m=` in the PHC string). OWASP minimum: 19456 (19 MiB). */
  memoryCost: number;
  /** Number of passes (`t=`). OWASP: 2 with 19 MiB. */
  timeCost: number;
  /** Degree of parallelism (`p=`). OWASP: 1. */
  parallelism: number;
}

/**
 * The OWASP Password Storage Cheat Sheet's first argon2id configuration: m=19456 KiB, t=2, p=1
 * (ASVS 11.4.2). The default of every {@link PasswordService}; about 15 ms per hash on the
 * reference machines.
 */
export const OWASP_ARGON2_PARAMETERS: Readonly<Argon2Parameters> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

/**
 * `Algorithm.Argon2id`. `Algorithm` is a `const enum` in the binding's declarations, but the native
 * module does not export it at runtime (it is `{}`), so `Algorithm.Argon2id` evaluates to `undefined`
 * whenever it is not inlined (isolatedModules, esbuild, tsup). The numeric value is stable API.
 */
const ARGON2ID = 2 as Algorithm;

/** Bytes of CSPRNG salt per hash (PSC §Salting; NIST's floor is 4 bytes). */
export const ARGON2_SALT_BYTES = 16;
/** Bytes of argon2 output per hash (the PHC default). */
export const ARGON2_OUTPUT_BYTES = 32;

/** The fields of an argon2 PHC string `$argon2id$v=19$m=..,t=..,p=..$salt$hash`. */
export interface ParsedArgon2Hash {
  /** Variant. Only `argon2id` is current; the other two always need a rehash. */
  readonly algorithm: 'argon2id' | 'argon2i' | 'argon2d';
  /** Argon2 version: 19 (0x13) is current; 16 when the `v=` field is absent. */
  readonly version: number;
  /** `m=`, KiB. */
  readonly memoryCost: number;
  /** `t=`. */
  readonly timeCost: number;
  /** `p=`. */
  readonly parallelism: number;
  /** Decoded salt length in bytes. */
  readonly saltBytes: number;
  /** Decoded hash length in bytes. */
  readonly outputBytes: number;
}

const PHC =
  /^\$(argon2id|argon2i|argon2d)\$(?:v=(\d{1,3})\$)?m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{6,})$/;

/** Length in bytes of unpadded standard base64 text, or -1 when no byte string encodes to it. */
function base64Bytes(text: string): number {
  return text.length % 4 === 1 ? -1 : Math.floor((text.length * 3) / 4);
}

/**
 * Parses an argon2 PHC string without verifying anything. Used to recognize our hashes and to decide
 * whether one needs a rehash.
 *
 * @param hash A stored hash of any kind.
 * @returns Its parameters, or `undefined` when `hash` is not a well-formed argon2 PHC string.
 * @see [PHC string format](https://github.com/P-H-C/phc-string-format/blob/master/phc-sf-spec.md)
 */
export function parseArgon2Hash(hash: string): ParsedArgon2Hash | undefined {
  const match = PHC.exec(hash);
  if (match === null) return undefined;
  const [, algorithm, version, m, t, p, salt, output] = match;
  const saltBytes = base64Bytes(salt!);
  const outputBytes = base64Bytes(output!);
  if (saltBytes < 0 || outputBytes < 0) return undefined;
  return {
    algorithm: algorithm as ParsedArgon2Hash['algorithm'],
    version: version === undefined ? 16 : Number(version),
    memoryCost: Number(m),
    timeCost: Number(t),
    parallelism: Number(p),
    saltBytes,
    outputBytes,
  };
}

/**
 * Whether a parsed argon2 hash should be replaced by a fresh hash at `current` parameters: true for
 * argon2i/argon2d, a version other than 19, any `m`/`t`/`p` that differs from `current` (lower or
 * higher), a salt under {@link ARGON2_SALT_BYTES} or an output length other than {@link ARGON2_OUTPUT_BYTES}.
 *
 * @param parsed From {@link parseArgon2Hash}.
 * @param current The configured parameters.
 * @returns `true` when the hash should be upgraded after the next successful verification.
 * @see [OWASP Password Storage Cheat Sheet §Upgrading the Work Factor](https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#upgrading-the-work-factor)
 */
export function argon2NeedsRehash(parsed: ParsedArgon2Hash, current: Readonly<Argon2Parameters>): boolean {
  return (
    parsed.algorithm !== 'argon2id' ||
    parsed.version !== 19 ||
    parsed.memoryCost !== current.memoryCost ||
    parsed.timeCost !== current.timeCost ||
    parsed.parallelism !== current.parallelism ||
    parsed.saltBytes < ARGON2_SALT_BYTES ||
    parsed.outputBytes !== ARGON2_OUTPUT_BYTES
  );
}

/**
 * Merges `overrides` onto {@link OWASP_ARGON2_PARAMETERS} and checks the result against argon2's own
 * limits (it does not enforce the OWASP minimum: tests and benchmarks use cheaper settings on purpose).
 *
 * @param overrides Parameters to change.
 * @returns Frozen, complete parameters.
 * @throws {@link ConfigError} naming each bad field, e.g. `argon2.memoryCost: ...`.
 */
export function resolveArgon2Parameters(
  overrides: Partial<Argon2Parameters> = {},
): Readonly<Argon2Parameters> {
  const params: Argon2Parameters = {
    memoryCost: overrides.memoryCost ?? OWASP_ARGON2_PARAMETERS.memoryCost,
    timeCost: overrides.timeCost ?? OWASP_ARGON2_PARAMETERS.timeCost,
    parallelism: overrides.parallelism ?? OWASP_ARGON2_PARAMETERS.parallelism,
  };
  const issues: { path: string; message: string }[] = [];
  const inRange = (value: number, min: number, max: number): boolean =>
    Number.isSafeInteger(value) && value >= min && value <= max;
  if (!inRange(params.parallelism, 1, 255)) {
    issues.push({ path: 'argon2.parallelism', message: 'must be an integer from 1 to 255' });
  }
  const minMemory = 8 * (inRange(params.parallelism, 1, 255) ? params.parallelism : 1);
  if (!inRange(params.memoryCost, minMemory, 0xffffffff)) {
    issues.push({
      path: 'argon2.memoryCost',
      message: `must be an integer >= ${minMemory} (8 KiB per lane)`,
    });
  }
  if (!inRange(params.timeCost, 1, 0xffffffff)) {
    issues.push({ path: 'argon2.timeCost', message: 'must be an integer >= 1' });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze(params);
}

/**
 * Hashes `input` with argon2id at `params`, with a fresh {@link ARGON2_SALT_BYTES}-byte salt from
 * the CSPRNG, and returns the PHC string. Runs off the event loop.
 *
 * @param input The normalized password (or its peppered MAC). Text only: `@node-rs/argon2` verifies a
 *   byte input only if it is valid UTF-8, so a hash of arbitrary bytes could never be verified.
 * @param params The cost parameters.
 * @returns `$argon2id$v=19$m=..,t=..,p=..$salt$hash`.
 * @see [OWASP Password Storage Cheat Sheet §Salting](https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#salting)
 */
export function hashArgon2id(input: string, params: Readonly<Argon2Parameters>): Promise<string> {
  return argon2Hash(input, {
    algorithm: ARGON2ID,
    memoryCost: params.memoryCost,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
    outputLen: ARGON2_OUTPUT_BYTES,
    salt: randomBytes(ARGON2_SALT_BYTES),
  });
}

/**
 * Verifies `input` against an argon2 PHC string with the library's constant-time comparison. The
 * variant and parameters come from the string itself.
 *
 * @param hash An argon2 PHC string.
 * @param input The candidate, transformed exactly as at hashing time.
 * @returns `true` on a match; `false` on a mismatch or when the library rejects the hash. Never throws.
 */
export async function verifyArgon2(hash: string, input: string): Promise<boolean> {
  try {
    return await argon2Verify(hash, input);
  } catch {
    return false;
  }
}
