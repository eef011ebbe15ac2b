/**
 * Validation of outgoing messages, shared by every built-in mailer so that a test with the memory
 * mailer refuses exactly what production would.
 *
 * @module
 */

import { InvalidMailMessageError } from './errors.js';
import type { MailMessage } from './types.js';

/** Longest accepted recipient address (RFC 5321 §4.5.3.1.3 path limit). */
const MAX_ADDRESS_LENGTH = 254;
/** Longest accepted subject; the built-in templates stay far below this. */
const MAX_SUBJECT_LENGTH = 998;

/**
 * A single bare address: one `@`, no whitespace or control characters, and none of the characters
 * that would make a mail library read it as a list or a display-name form (`,` `;` `<` `>` `"`).
 */
const BARE_ADDRESS = /^[^\s@,;<>"\\()[\]\p{Cc}]+@[^\s@,;<>"\\()[\]\p{Cc}]+$/u;

const LINE_BREAK_OR_CONTROL = /\p{Cc}/u;

/** True when `address` is one bare mail address as {@link MailMessage.to} requires. */
export function isBareAddress(address: string): boolean {
  return (
    typeof address === 'string' &&
    address.length <= MAX_ADDRESS_LENGTH &&
    BARE_ADDRESS.test(address) &&
    !address.endsWith('.')
  );
}

/**
 * Checks a message before it is sent and returns a copy holding only the known fields.
 * Throws {@link InvalidMailMessageError} for a recipient that is not exactly one bare address, a
 * subject with a line break or control character (header injection), or an empty text body.
 */
export function validateMailMessage(message: MailMessage): MailMessage {
  if (message === null || typeof message !== 'object') {
    throw new InvalidMailMessageError('message', 'The mail message must be an object');
  }
  const { to, subject, text, html } = message;
  if (typeof to !== 'string' || !isBareAddress(to)) {
    throw new InvalidMailMessageError('to', 'The recipient must be exactly one bare email address');
  }
  if (typeof subject !== 'string' || subject.trim() === '') {
    throw new InvalidMailMessageError('subject', 'The subject must be a non-empty string');
  }
  if (subject.length > MAX_SUBJECT_LENGTH || LINE_BREAK_OR_CONTROL.test(subject)) {
    throw new InvalidMailMessageError('subject', 'The subject must be one line without control characters');
  }
  if (typeof text !== 'string' || text.trim() === '') {
    throw new InvalidMailMessageError('text', 'The text body must be a non-empty string');
  }
  if (html !== undefined && typeof html !== 'string') {
    throw new InvalidMailMessageError('html', 'The HTML body must be a string when given');
  }
  return html === undefined ? { to, subject, text } : { to, subject, text, html };
}
