/**
 * The password policy: length in code points, a hard byte cap, the common-password blocklist,
 * context words, and the optional composition rules of the source chapter.
 *
 * Defaults follow NIST SP 800-63B-4 §3.1.1.2: at least 15 characters for a password that is the
 * only factor (8 when MFA is enforced), at least 64 accepted, no composition rules, blocklist and
 * context-word checks on. Length is counted in Unicode code points after NFC normalization.
 *
 * Control characters (Unicode `Cc`: NUL, tab, line feed, escape, DEL, the C1 controls) are refused
 * in new passwords. NIST SP 800-63B-4 §3.1.1.2 asks verifiers to accept printing characters and
 * spaces, not controls; RFC 8265 §4.2 (OpaqueString, whose NFC gatehouse already follows)
 * disallows them; RFC 7617 §2 forbids them in HTTP Basic credentials, so such a password could
 * never be used there; and they are invisible when typed, pasted or logged. Passwords set before
 * this rule are not re-checked at login: verifying a password never applies the policy, so an
 * existing account whose password has a control character keeps signing in through the login route
 * (NIST SP 800-63B-4 §3.1.1.2 allows forcing a change only on evidence of compromise), and must
 * choose a password without one at its next change or reset.
 *
 * @module
 */

import { ConfigError, type FieldIssue, InputTooLargeError, ValidationError } from '../errors.js';
import { commonPasswordSet } from './blocklist.js';

/** The stable `rule` identifiers a password {@link FieldIssue} carries. */
export type PasswordRule =
  | 'password_too_short'
  | 'password_too_long'
  | 'password_contains_control'
  | 'password_blocklisted'
  | 'password_contains_context'
  | 'password_requires_digit'
  | 'password_requires_uppercase'
  | 'password_requires_lowercase';

/**
 * What a new password must satisfy. Every field has a default in {@link DEFAULT_PASSWORD_POLICY}.
 *
 * @see [NIST SP 800-63B-4 §3.1.1.2](https://pages.nist.gov/800-63-4/sp800-63b.html#password)
 */
export interface PasswordPolicy {
  /**
   * Minimum length in Unicode code points after NFC normalization. Default 15 (NIST SP 800-63B-4
   * §3.1.1.2 for single-factor use). 8 is allowed, and is what the composition root passes when
   * MFA is enforced; values below 8 are refused with a {@link ConfigError}.
   */
  minLength: number;
  /**
   * Maximum length in code points after NFC normalization. Default 64; at least 64 (NIST: verifiers
   * SHALL permit at least 64 characters).
   */
  maxLength: number;
  /**
   * Hard cap on the raw UTF-8 size of the input, default 1024 bytes. Over it, `InputTooLargeError`
   * `('password')` is thrown before any normalization or hashing, which bounds the work an attacker
   * can cause. Must be at least `4 * maxLength` so that every password within `maxLength` fits.
   */
  maxBytes: number;
  /** Optional composition rule of the source chapter: require a decimal digit. Default `false` (NIST: no composition rules). */
  requireDigit: boolean;
  /** Optional composition rule: require an upper-case letter. Default `false`. */
  requireUppercase: boolean;
  /** Optional composition rule: require a lower-case letter. Default `false`. */
  requireLowercase: boolean;
  /** Reject passwords on the common-password list, by whole-string, case-insensitive comparison. Default `true`. */
  blocklist: boolean;
  /** Additional whole-string entries (case-insensitive), e.g. variants of the application name. Always checked. */
  extraBlocklist: readonly string[];
  /**
   * Reject passwords that contain the username, the local part of the email address, or
   * {@link appName} (case-insensitive; only context words of at least 3 code points). Default `true`.
   */
  forbidContext: boolean;
  /** The application's name, used as a context word when {@link forbidContext} is on. */
  appName?: string;
}

/** Context words of the account a password is being set for (ASVS 6.2.11). */
export interface PasswordContext {
  /** The account's email address; its local part (before the last `@`) is a context word. */
  email?: string | null;
  /** The account's username. */
  username?: string | null;
}

/**
 * The default policy: 15 to 64 code points, at most 1024 bytes, blocklist and context checks on,
 * no composition rules.
 */
export const DEFAULT_PASSWORD_POLICY: Readonly<PasswordPolicy> = Object.freeze({
  minLength: 15,
  maxLength: 64,
  maxBytes: 1024,
  requireDigit: false,
  requireUppercase: false,
  requireLowercase: false,
  blocklist: true,
  extraBlocklist: Object.freeze([]) as readonly string[],
  forbidContext: true,
});

/** Every key of {@link PasswordPolicy}; anything else in the overrides is ignored. */
const POLICY_KEYS = [...Object.keys(DEFAULT_PASSWORD_POLICY), 'appName'] as (keyof PasswordPolicy)[];
/** The absolute floor for `minLength` (NIST SP 800-63B-4 §3.1.1.2, with MFA). */
const MIN_LENGTH_FLOOR = 8;
/** The floor for `maxLength` (NIST SP 800-63B-4 §3.1.1.2: permit at least 64 characters). */
const MAX_LENGTH_FLOOR = 64;
/** Control characters (C0, DEL, C1): not printing characters, refused in new passwords. */
const CONTROL_CHARACTER = /\p{Cc}/u;
/** Context words shorter than this are not checked: they would reject too many good passwords. */
const MIN_CONTEXT_WORD_LENGTH = 3;

/**
 * Normalizes a password to Unicode Normalization Form C, the one documented normalization applied
 * both when a password is set and when it is verified. Pinned: changing it breaks stored hashes.
 *
 * @param password The password as received.
 * @returns The NFC form.
 * @see [NIST SP 800-63B-4 §3.1.1.2](https://pages.nist.gov/800-63-4/sp800-63b.html#password)
 * @see [RFC 8265 §4.2 (OpaqueString)](https://www.rfc-editor.org/rfc/rfc8265#section-4.2)
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFC');
}

/**
 * The number of Unicode code points in `value` (not UTF-16 code units: `'😀'` counts 1).
 *
 * @param value Any string.
 * @returns Its length in code points.
 */
export function codePointLength(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/**
 * Checks that `password` is a string of at most `maxBytes` UTF-8 bytes. Runs in constant time for
 * oversized input (UTF-8 needs at least one byte per UTF-16 code unit) and never normalizes.
 *
 * @param password The untrusted input.
 * @param maxBytes The cap, from {@link PasswordPolicy.maxBytes}.
 * @throws `ValidationError` (rule `invalid_type`) when `password` is not a string.
 * @throws `InputTooLargeError` `('password')` when it is over the cap.
 */
export function assertPasswordInput(password: unknown, maxBytes: number): asserts password is string {
  if (typeof password !== 'string') {
    throw new ValidationError([
      { field: 'password', rule: 'invalid_type', message: 'Password must be a string' },
    ]);
  }
  if (password.length > maxBytes || Buffer.byteLength(password, 'utf8') > maxBytes) {
    throw new InputTooLargeError('password');
  }
}

/**
 * Merges `overrides` onto {@link DEFAULT_PASSWORD_POLICY} (keys set to `undefined` keep the default)
 * and checks the result.
 *
 * @param overrides Fields to change.
 * @returns A frozen, complete policy.
 * @throws {@link ConfigError} naming each bad field, e.g. `policy.minLength: must be an integer >= 8`.
 */
export function resolvePasswordPolicy(overrides: Partial<PasswordPolicy> = {}): Readonly<PasswordPolicy> {
  const merged: PasswordPolicy = { ...DEFAULT_PASSWORD_POLICY };
  for (const key of POLICY_KEYS) {
    const value = overrides[key];
    if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
  }
  const issues: { path: string; message: string }[] = [];
  const integer = (key: 'minLength' | 'maxLength' | 'maxBytes', min: number): void => {
    const value = merged[key];
    if (!Number.isSafeInteger(value) || value < min) {
      issues.push({ path: `policy.${key}`, message: `must be an integer >= ${min}` });
    }
  };
  integer('minLength', MIN_LENGTH_FLOOR);
  integer(
    'maxLength',
    Math.max(MAX_LENGTH_FLOOR, Number.isSafeInteger(merged.minLength) ? merged.minLength : 0),
  );
  integer('maxBytes', 4 * (Number.isSafeInteger(merged.maxLength) ? merged.maxLength : MAX_LENGTH_FLOOR));
  for (const key of [
    'requireDigit',
    'requireUppercase',
    'requireLowercase',
    'blocklist',
    'forbidContext',
  ] as const) {
    if (typeof merged[key] !== 'boolean')
      issues.push({ path: `policy.${key}`, message: 'must be a boolean' });
  }
  if (!Array.isArray(merged.extraBlocklist) || !merged.extraBlocklist.every((e) => typeof e === 'string')) {
    issues.push({ path: 'policy.extraBlocklist', message: 'must be an array of strings' });
  }
  if (merged.appName !== undefined && typeof merged.appName !== 'string') {
    issues.push({ path: 'policy.appName', message: 'must be a string' });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze({ ...merged, extraBlocklist: Object.freeze([...merged.extraBlocklist]) });
}

/** Lower-cases for case-insensitive comparison of normalized text. */
function fold(value: string): string {
  return value.normalize('NFC').toLowerCase();
}

/** The context words to look for: username, email local part (and its part before `+`), appName. */
function contextWords(context: PasswordContext, appName: string | undefined): string[] {
  const words: string[] = [];
  if (typeof context.username === 'string') words.push(context.username);
  if (typeof context.email === 'string') {
    const at = context.email.lastIndexOf('@');
    const local = at >= 0 ? context.email.slice(0, at) : context.email;
    words.push(local);
    const plus = local.indexOf('+');
    if (plus > 0) words.push(local.slice(0, plus));
  }
  if (appName !== undefined) words.push(appName);
  return words.map((w) => fold(w.trim())).filter((w) => codePointLength(w) >= MIN_CONTEXT_WORD_LENGTH);
}

/**
 * Checks a password against `policy` and reports every failed rule, not just the first. The size
 * cap is checked first and throws; the other rules run on the NFC form.
 *
 * Rules, with the `rule` of the issue they produce (field `password`):
 * - `password_too_short` / `password_too_long`: length in code points after NFC.
 * - `password_contains_control`: a control character (Unicode `Cc`: U+0000-U+001F, U+007F-U+009F),
 *   such as NUL, tab or a line break. Spaces, symbols, emoji and every other character are accepted.
 * - `password_blocklisted`: the whole password, case-insensitively, is on the common-password list
 *   (when `policy.blocklist`) or on `policy.extraBlocklist`.
 * - `password_contains_context`: contains the username, the email local part or `appName`
 *   (when `policy.forbidContext`).
 * - `password_requires_digit` / `_uppercase` / `_lowercase`: only when those rules are enabled;
 *   messages never mention composition otherwise.
 *
 * @param password The password as received.
 * @param policy A resolved policy.
 * @param context The account's username and email, when known.
 * @returns The failed rules; empty when the password is acceptable.
 * @throws `InputTooLargeError` `('password')` over `policy.maxBytes`, before normalization.
 * @throws `ValidationError` when `password` is not a string.
 * @see [NIST SP 800-63B-4 §3.1.1.2](https://pages.nist.gov/800-63-4/sp800-63b.html#password)
 */
export function checkPasswordPolicy(
  password: string,
  policy: Readonly<PasswordPolicy>,
  context: PasswordContext = {},
): FieldIssue[] {
  assertPasswordInput(password, policy.maxBytes);
  const normalized = normalizePassword(password);
  const issues: FieldIssue[] = [];
  const issue = (rule: PasswordRule, message: string): void => {
    issues.push({ field: 'password', rule, message });
  };

  const length = codePointLength(normalized);
  if (length < policy.minLength) {
    issue('password_too_short', `Password must be at least ${policy.minLength} characters long`);
  }
  if (length > policy.maxLength) {
    issue('password_too_long', `Password must be at most ${policy.maxLength} characters long`);
  }

  if (CONTROL_CHARACTER.test(normalized)) {
    issue(
      'password_contains_control',
      'Password must not contain control characters such as line breaks, tabs or NUL; letters, digits, spaces, symbols and emoji are all fine',
    );
  }

  const folded = normalized.toLowerCase();
  const onExtraList = policy.extraBlocklist.some((entry) => fold(entry) === folded);
  if (onExtraList || (policy.blocklist && commonPasswordSet().has(folded))) {
    issue('password_blocklisted', 'This password is too common or easy to guess; choose another one');
  }

  if (policy.forbidContext && contextWords(context, policy.appName).some((word) => folded.includes(word))) {
    issue(
      'password_contains_context',
      'Password must not contain your username, your email address or the name of this service',
    );
  }

  if (policy.requireDigit && !/\p{Nd}/u.test(normalized)) {
    issue('password_requires_digit', 'Password must contain at least one digit');
  }
  if (policy.requireUppercase && !/\p{Lu}/u.test(normalized)) {
    issue('password_requires_uppercase', 'Password must contain at least one upper-case letter');
  }
  if (policy.requireLowercase && !/\p{Ll}/u.test(normalized)) {
    issue('password_requires_lowercase', 'Password must contain at least one lower-case letter');
  }
  return issues;
}
