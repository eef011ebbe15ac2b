/**
 * The mail contract shared by every mailer.
 *
 * @module
 */

/** One outgoing mail: a single recipient, a subject, a plain-text body and an optional HTML body. */
export interface MailMessage {
  /** The recipient: exactly one bare address such as `ada@example.com` (no display name, no list). */
  to: string;
  /** The subject line; a single line. */
  subject: string;
  /** The plain-text body; always sent, and the part every client can show. */
  text: string;
  /** An optional HTML alternative of `text`. */
  html?: string;
}

/**
 * Sends mail. gatehouse calls `send` for verification, password reset, email change and security
 * notices; implement it to use any provider, or use {@link createSmtpMailer},
 * {@link createConsoleMailer} (development) or {@link createMemoryMailer} (tests).
 */
export interface Mailer {
  /** Delivers one message; resolves once the server accepted it, rejects with a `MailError` otherwise. */
  send(message: MailMessage): Promise<void>;
}

/** What a mail template renders: everything of a `MailMessage` but the recipient. */
export interface MailContent {
  /** The subject line. */
  subject: string;
  /** The plain-text body. */
  text: string;
  /** The HTML body; every interpolated value is escaped. */
  html: string;
}
