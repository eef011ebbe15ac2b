/**
 * Errors of the mail module. Each carries a stable `code`; none of their messages ever contains
 * SMTP credentials.
 *
 * @module
 */

/** Every stable code a {@link MailError} can carry. */
export type MailErrorCode = 'ERR_MAIL_DELIVERY' | 'ERR_MAIL_INVALID_MESSAGE' | 'ERR_MAIL_UNSAFE_LINK';

/** Base class of the errors thrown by the mailers and mail templates. */
export class MailError extends Error {
  /** Stable, machine-readable error code. */
  readonly code: MailErrorCode;

  constructor(code: MailErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Why a delivery failed, as far as can be told without leaking anything the server said about the login. */
export type MailDeliveryFailure = 'auth' | 'connection' | 'tls' | 'rejected' | 'timeout' | 'unknown';

/** What {@link MailDeliveryError} is built from. */
export interface MailDeliveryErrorDetails {
  /** The broad kind of failure. */
  readonly failure: MailDeliveryFailure;
  /** True when trying again later may succeed: a timeout, a lost connection or a 4xx SMTP reply. */
  readonly retryable: boolean;
  /** The transport's error code, e.g. nodemailer's `EAUTH`, `ECONNECTION`, `EENVELOPE`. */
  readonly transportCode?: string;
  /** The SMTP reply code, e.g. `535` or `550`, when the server answered. */
  readonly responseCode?: number;
  /** The SMTP command that failed, e.g. `AUTH PLAIN`, `RCPT TO`, `CONN`. */
  readonly command?: string;
}

/**
 * A message could not be handed to the mail server. The message names the kind of failure, the
 * SMTP reply code and (except for authentication failures) the server's reply with any
 * credential redacted. The transport's original error is deliberately not attached as `cause`:
 * its fields can carry a server reply that echoes the user name, and error loggers print causes.
 */
export class MailDeliveryError extends MailError {
  /** The broad kind of failure. */
  readonly failure: MailDeliveryFailure;
  /** True when trying again later may succeed: a timeout, a lost connection or a 4xx SMTP reply. */
  readonly retryable: boolean;
  /** The transport's error code, e.g. `EAUTH`, when known. */
  readonly transportCode: string | undefined;
  /** The SMTP reply code, e.g. `535`, when the server answered. */
  readonly responseCode: number | undefined;
  /** The SMTP command that failed, e.g. `AUTH PLAIN`, when known. */
  readonly command: string | undefined;

  constructor(message: string, details: MailDeliveryErrorDetails) {
    super('ERR_MAIL_DELIVERY', message);
    this.failure = details.failure;
    this.retryable = details.retryable;
    this.transportCode = details.transportCode;
    this.responseCode = details.responseCode;
    this.command = details.command;
  }
}

/** A `MailMessage` was refused before sending: bad recipient, header injection attempt, empty body. */
export class InvalidMailMessageError extends MailError {
  /** The offending field of the message, e.g. `to` or `subject`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('ERR_MAIL_INVALID_MESSAGE', message);
    this.field = field;
  }
}

/**
 * A link given to a mail template is not an absolute `https:` or `http:` URL (e.g. `javascript:`,
 * `data:`, a relative path, or a URL carrying credentials). The link itself is not repeated in
 * the message, since links in these mails carry one-time tokens.
 */
export class UnsafeLinkError extends MailError {
  constructor(reason: string) {
    super('ERR_MAIL_UNSAFE_LINK', `Refusing to put this link in a mail: ${reason}`);
  }
}
