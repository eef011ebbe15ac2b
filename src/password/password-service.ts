/**
 * {@link PasswordService}: the policy check, argon2id hashing, verification of current and legacy
 * hashes with a rehash signal, and equal-cost dummy verification for unknown users.
 *
 * @module
 */

import { type KeyObject, randomBytes } from 'node:crypto';
import { type FieldIssue, WeakPasswordError } from '../errors.js';
import {
  type Argon2Parameters,
  argon2NeedsRehash,
  hashArgon2id,
  parseArgon2Hash,
  resolveArgon2Parameters,
  verifyArgon2,
} from './argon2.js';
import { parseLegacyHash, verifyBcrypt, verifyScrypt } from './legacy.js';
import { applyPepper, importPepper } from './pepper.js';
import {
  assertPasswordInput,
  checkPasswordPolicy,
  normalizePassword,
  type PasswordContext,
  type PasswordPolicy,
  resolvePasswordPolicy,
} from './policy.js';

/** Options of {@link PasswordService}. Every field is optional. */
export interface PasswordServiceOptions {
  /** argon2id cost; missing fields default to {@link OWASP_ARGON2_PARAMETERS}. */
  argon2?: Partial<Argon2Parameters>;
  /** Policy; missing fields default to {@link DEFAULT_PASSWORD_POLICY}. */
  policy?: Partial<PasswordPolicy>;
  /**
   * A secret kept outside the database (at least 16 bytes; 32 random bytes recommended). When set,
   * argon2 hashes this service makes and verifies take `base64url(HMAC-SHA256(pepper, password))` as input, so
   * a database dump plus the plaintext does not verify without it. Adding, changing or removing the
   * pepper makes every existing argon2 hash fail to verify: plan it as a migration.
   */
  pepper?: string | Uint8Array;
}

/** The outcome of {@link PasswordService.verify}. */
export interface VerifyResult {
  /** The password matches the hash. */
  ok: boolean;
  /**
   * Only ever `true` together with `ok`: the hash is legacy (bcrypt, scrypt), argon2i/argon2d, or
   * argon2id with other parameters. Store `await service.hash(password)` in its place now, while the
   * plaintext is at hand.
   */
  needsRehash: boolean;
}

/** Stored hashes longer than this are not parsed (none of the supported formats come close). */
const MAX_HASH_LENGTH = 512;
const FAILED: VerifyResult = Object.freeze({ ok: false, needsRehash: false });

/**
 * Hashes, verifies and checks passwords.
 *
 * - Input: at most `policy.maxBytes` UTF-8 bytes, checked synchronously before any normalization or
 *   hashing (`InputTooLargeError`); then normalized to NFC, the one normalization applied both
 *   when a password is set and when it is verified (no trimming, case folding or truncation).
 * - Storage: argon2id PHC strings at {@link OWASP_ARGON2_PARAMETERS} by default, with a 16-byte CSPRNG
 *   salt, computed off the event loop; optionally peppered.
 * - Legacy: bcrypt and better-auth/Lucia scrypt hashes verify and report `needsRehash`.
 * - Comparison: only the libraries' constant-time verify or `timingSafeEqual`.
 *
 * @example
 * ```ts
 * const passwords = new PasswordService({ pepper: process.env.PASSWORD_PEPPER });
 * passwords.assertValid(input, { email });
 * const stored = await passwords.hash(input);
 * const { ok, needsRehash } = await passwords.verify(input, stored);
 * ```
 */
export class PasswordService {
  /** The resolved policy. */
  readonly policy: Readonly<PasswordPolicy>;
  /** The resolved argon2id parameters new hashes are made with. */
  readonly argon2: Readonly<Argon2Parameters>;
  readonly #pepper: KeyObject | undefined;
  #dummyHash: Promise<string> | undefined;

  /**
   * @param options Policy, argon2 parameters and pepper; all optional.
   * @throws {@link ConfigError} listing every invalid option.
   */
  constructor(options: PasswordServiceOptions = {}) {
    this.policy = resolvePasswordPolicy(options.policy);
    this.argon2 = resolveArgon2Parameters(options.argon2);
    this.#pepper = options.pepper === undefined ? undefined : importPepper(options.pepper);
  }

  /**
   * The normalization applied to every password: Unicode NFC (NIST SP 800-63B-4 §3.1.1.2, RFC 8265
   * OpaqueString). Pinned by tests: changing it breaks every stored hash.
   *
   * @param password The password as received.
   * @returns Its NFC form.
   */
  static normalize(password: string): string {
    return normalizePassword(password);
  }

  /**
   * Checks a new password against the policy and returns every failed rule (see
   * `checkPasswordPolicy` for the rules and their `rule` ids).
   *
   * @param password The password as received.
   * @param context The account's username and email, for the context-word rule.
   * @returns The failed rules; empty when the password is acceptable.
   * @throws `InputTooLargeError` `('password')` over `policy.maxBytes`, before any other work.
   */
  validate(password: string, context?: PasswordContext): FieldIssue[] {
    return checkPasswordPolicy(password, this.policy, context);
  }

  /**
   * Like {@link validate}, but throws.
   *
   * @param password The password as received.
   * @param context The account's username and email.
   * @throws `WeakPasswordError` with every failed rule in `issues`.
   * @throws `InputTooLargeError` `('password')` over `policy.maxBytes`.
   */
  assertValid(password: string, context?: PasswordContext): void {
    const issues = this.validate(password, context);
    if (issues.length > 0) throw new WeakPasswordError(issues);
  }

  /**
   * Hashes a password for storage: size cap, NFC, the pepper if configured, then argon2id with the
   * configured parameters and a fresh salt. Does not apply the policy: call {@link assertValid} first
   * for passwords a user chooses.
   *
   * @param password The password as received.
   * @returns An argon2id PHC string.
   * @throws `InputTooLargeError` `('password')` synchronously, before normalization or hashing.
   * @throws `ValidationError` (rule `invalid_type`) synchronously when `password` is not a string.
   */
  hash(password: string): Promise<string> {
    assertPasswordInput(password, this.policy.maxBytes);
    return hashArgon2id(this.#argon2Input(normalizePassword(password)), this.argon2);
  }

  /**
   * Verifies a password against a stored hash.
   *
   * - argon2 (`$argon2id$`, `$argon2i$`, `$argon2d$`): NFC (+ pepper) input; `needsRehash` when the
   *   variant or parameters differ from the configured ones.
   * - bcrypt (`$2a$`, `$2b$`, `$2y$`): NFC input, then the raw input if it differs; inputs over
   *   72 bytes are refused, never truncated; `needsRehash` on success.
   * - better-auth / Lucia scrypt: NFKC input as those systems computed it; `needsRehash` on success.
   * - Anything else (malformed, unknown, `null` from a passwordless account): `{ ok: false }` after
   *   the same work as a dummy verification, so the answer takes as long as for a real hash.
   *
   * @param password The password as received.
   * @param hash The stored hash.
   * @returns `{ ok, needsRehash }`. Never rejects for a wrong password or a bad hash.
   * @throws `InputTooLargeError` `('password')` synchronously, before any work.
   * @throws `ValidationError` (rule `invalid_type`) synchronously when `password` is not a string.
   */
  verify(password: string, hash: string): Promise<VerifyResult> {
    assertPasswordInput(password, this.policy.maxBytes);
    return this.#verify(password, hash);
  }

  /**
   * Whether a stored hash should be replaced by a fresh `hash`: `false` only for an argon2id
   * PHC string with exactly the configured parameters (and a 16-byte salt, 32-byte output);
   * `true` for legacy, argon2i/argon2d, differently-tuned and unrecognized hashes.
   *
   * @param hash The stored hash.
   * @returns `true` when it is not a current hash.
   */
  needsRehash(hash: string): boolean {
    const parsed =
      typeof hash === 'string' && hash.length <= MAX_HASH_LENGTH ? parseArgon2Hash(hash) : undefined;
    return parsed === undefined || argon2NeedsRehash(parsed, this.argon2);
  }

  /**
   * Spends the same work as a real verification (normalization, pepper, one argon2id verification at
   * the configured parameters) against a hash of a random secret, for logins of unknown users, so
   * that response time does not reveal whether an account exists (ASVS 6.3.8). The hash is computed
   * once, on first use, and cached. Input over the size cap is skipped, as {@link verify} refuses it
   * before any work.
   *
   * @param password The password as received.
   * @returns Always resolves, never rejects.
   * @see [OWASP Authentication Cheat Sheet §Authentication Responses](https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html#authentication-responses)
   */
  async dummyVerify(password: string): Promise<void> {
    try {
      assertPasswordInput(password, this.policy.maxBytes);
    } catch {
      return;
    }
    await this.#spendDummyWork(normalizePassword(password));
  }

  async #verify(password: string, hash: string): Promise<VerifyResult> {
    const normalized = normalizePassword(password);
    if (typeof hash === 'string' && hash.length <= MAX_HASH_LENGTH) {
      const argon2 = parseArgon2Hash(hash);
      if (argon2 !== undefined) {
        const ok = await verifyArgon2(hash, this.#argon2Input(normalized));
        return ok ? { ok, needsRehash: argon2NeedsRehash(argon2, this.argon2) } : FAILED;
      }
      const legacy = parseLegacyHash(hash);
      if (legacy?.kind === 'bcrypt') {
        const outcome = await verifyBcrypt(password, normalized, legacy.hash);
        if (outcome === 'match') return { ok: true, needsRehash: true };
        if (outcome === 'mismatch') return FAILED;
      } else if (legacy?.kind === 'scrypt') {
        return (await verifyScrypt(password, legacy)) ? { ok: true, needsRehash: true } : FAILED;
      }
    }
    await this.#spendDummyWork(normalized);
    return FAILED;
  }

  /** NFC password -> argon2 input: the pepper's HMAC when configured, else the string itself. */
  #argon2Input(normalized: string): string {
    return this.#pepper === undefined ? normalized : applyPepper(this.#pepper, normalized);
  }

  async #spendDummyWork(normalized: string): Promise<void> {
    try {
      this.#dummyHash ??= hashArgon2id(randomBytes(32).toString('base64url'), this.argon2).catch(
        (error: unknown) => {
          this.#dummyHash = undefined;
          throw error;
        },
      );
      await verifyArgon2(await this.#dummyHash, this.#argon2Input(normalized));
    } catch {
      // Always resolves: a failure here must not turn an unknown user into a distinguishable error.
    }
  }
}
