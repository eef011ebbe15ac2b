/**
 * A small detector of personal data, standing in for a real PII classifier: e-mail addresses,
 * phone numbers and card-like numbers (13–19 digits passing the Luhn check). The policy decides
 * what to do with the answer (`has_pii` in `access-model.ts`); this only finds it.
 *
 * @module
 */

const EMAIL = /[^\s@<>()]+@[^\s@<>()]+\.[a-z]{2,}/i;
// International or national numbers of 9+ digits, spaces, dots or dashes between groups.
const PHONE = /(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){2,4}/;
const CARD_CANDIDATE = /\b(?:\d[ -]?){12,18}\d\b/g;

function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The kinds of personal data found in `text` (empty when none). */
export function findPii(text: string): ('email' | 'phone' | 'card')[] {
  const found: ('email' | 'phone' | 'card')[] = [];
  if (EMAIL.test(text)) found.push('email');
  const cards = [...text.matchAll(CARD_CANDIDATE)].map((m) => m[0].replace(/\D/g, ''));
  if (cards.some((digits) => digits.length >= 13 && passesLuhn(digits))) found.push('card');
  const phone = PHONE.exec(text);
  if (phone && phone[0].replace(/\D/g, '').length >= 9 && !found.includes('card')) found.push('phone');
  return found;
}

/** `true` when the text looks like it carries personal data. */
export function containsPii(text: string): boolean {
  return findPii(text).length > 0;
}
