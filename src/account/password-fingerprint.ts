/**
 * A fingerprint of the user's current password hash. Reset and email-change tokens carry the one
 * of the moment they were issued and are refused once the password has changed (OWASP MFA Cheat Sheet: a password
 * change voids outstanding reset tokens; a stolen password cannot complete an email change after
 * the owner reset it), whichever flow changed it. A rehash on login also changes it.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { UserRecord } from '../storage/types.js';

/** The fingerprint of a password hash (of no password: `null`). */
export function passwordFingerprint(passwordHash: string | null): string {
  return createHash('sha256')
    .update('gatehouse password fingerprint\0', 'utf8')
    .update(passwordHash ?? '', 'utf8')
    .digest('base64url');
}

/** Whether a token's stored fingerprint is the one of the user's current password. */
export function sameFingerprint(stored: unknown, user: UserRecord): boolean {
  if (typeof stored !== 'string') return false;
  const a = Buffer.from(stored, 'utf8');
  const b = Buffer.from(passwordFingerprint(user.passwordHash), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
