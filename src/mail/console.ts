/**
 * A development mailer that prints mails instead of sending them.
 *
 * @module
 */

import { validateMailMessage } from './message.js';
import type { Mailer, MailMessage } from './types.js';

/** Replaces control characters other than line breaks and tabs, so a mail cannot drive the terminal. */
function printable(value: string): string {
  return value.replace(/\r\n?/g, '\n').replace(/[^\P{Cc}\n\t]/gu, '\uFFFD');
}

/**
 * Creates a mailer that prints each message's recipient, subject and text body, one line per call
 * of `log` (default `console.log`). The HTML body is not printed.
 *
 * **Development only.** The text of verification, reset and email-change mails contains their
 * one-time links, and those links are secrets: anyone who can read the output (a log aggregator,
 * a shared terminal, CI logs) can take over the account. Use {@link createSmtpMailer} or your own
 * {@link Mailer} in production.
 *
 * Messages are validated like every other mailer's, so invalid ones are refused here too.
 */
export function createConsoleMailer(log: (line: string) => void = console.log): Mailer {
  return {
    async send(message: MailMessage): Promise<void> {
      const { to, subject, text } = validateMailMessage(message);
      log('--- gatehouse mail (development console mailer: links below are secrets) ---');
      log(`To: ${printable(to)}`);
      log(`Subject: ${printable(subject)}`);
      log('');
      for (const line of printable(text).replace(/\n+$/, '').split('\n')) log(line);
      log('--- end of mail ---');
    },
  };
}
