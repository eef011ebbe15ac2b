/**
 * Canonical forms and validation of the identifiers users type: emails and usernames.
 * Canonicalization happens before any uniqueness check or lookup, so `Alice@Example.com ` and
 * `alice@example.com` are one account.
 *
 * @module
 */
import { z } from 'zod';
import type { FieldIssue } from '../errors.js';

/** Longest email accepted (RFC 5321 path limit). */
export const MAX_EMAIL_LENGTH = 254;
/** Username length bounds (the source chapter's rule: 3–20 letters and digits). */
export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 20;

/** The address syntax browsers accept for `<input type="email">` (WHATWG HTML): permissive ASCII, no quoting. */
const emailFormat = z.email({ pattern: z.regexes.html5Email });
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The canonical email: trimmed, NFC-normalized, lower-cased. Emails are compared
 * case-insensitively; the canonical form is what is stored and looked up.
 */
export function canonicalEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/**
 * The canonical username: NFKC (folds full-width letters and digits to ASCII), then lower-cased
 * (a PRECIS UsernameCaseMapped-style mapping restricted to ASCII letters and digits, so no
 * confusable look-alikes survive validation).
 */
export function canonicalUsername(username: string): string {
  return username.trim().normalize('NFKC').toLowerCase();
}

/** Problems with an email, as field issues (empty when valid). Checks the canonical form. */
export function emailIssues(email: unknown, field = 'email'): FieldIssue[] {
  if (typeof email !== 'string') return [{ field, rule: 'invalid_type', message: 'Email must be a string' }];
  if (email.length > MAX_EMAIL_LENGTH * 4) return [{ field, rule: 'too_long', message: 'Email is too long' }];
  const canonical = canonicalEmail(email);
  if (canonical.length > MAX_EMAIL_LENGTH) {
    return [{ field, rule: 'too_long', message: `Email must be at most ${MAX_EMAIL_LENGTH} characters` }];
  }
  if (CONTROL_CHARACTERS.test(canonical) || !emailFormat.safeParse(canonical).success) {
    return [{ field, rule: 'invalid_email', message: 'Email is not a valid address' }];
  }
  return [];
}

/** Problems with a username, as field issues (empty when valid). */
export function usernameIssues(username: unknown, field = 'username'): FieldIssue[] {
  if (typeof username !== 'string') {
    return [{ field, rule: 'invalid_type', message: 'Username must be a string' }];
  }
  const canonical = canonicalUsername(username);
  if (!/^[a-z0-9]+$/.test(canonical)) {
    return [{ field, rule: 'invalid_username', message: 'Username may contain only letters and digits' }];
  }
  if (canonical.length < USERNAME_MIN_LENGTH || canonical.length > USERNAME_MAX_LENGTH) {
    return [
      {
        field,
        rule: 'invalid_username',
        message: `Username must be ${USERNAME_MIN_LENGTH}-${USERNAME_MAX_LENGTH} characters`,
      },
    ];
  }
  return [];
}
