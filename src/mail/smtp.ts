/**
 * An SMTP {@link Mailer} on nodemailer. Secure by default: STARTTLS is required on a plain port
 * unless explicitly turned off, certificates are verified, and no error it throws ever contains
 * the SMTP user name or password.
 *
 * nodemailer is loaded on first use, so importing gatehouse costs nothing when SMTP is not used.
 *
 * @module
 */

import type { Transporter } from 'nodemailer';
import type { SMTPTransportOptions } from 'nodemailer/lib/smtp-transport';
import { ConfigError } from '../errors.js';
import { MailDeliveryError, type MailDeliveryFailure } from './errors.js';
import { validateMailMessage } from './message.js';
import type { Mailer, MailMessage } from './types.js';

/** The few TLS settings an SMTP connection may need; certificate verification stays on unless turned off. */
export interface SmtpTlsOptions {
  /**
   * Verify the server certificate (default `true`). **Unsafe** when `false`: anyone on the path
   * can read the credentials and the one-time links in the mail. Prefer `ca` for a private CA.
   */
  rejectUnauthorized?: boolean;
  /** Trusted CA certificate(s) in PEM, for a server with a private CA. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Server name for SNI and certificate verification, when `host` is an IP address. */
  servername?: string;
  /** Lowest accepted TLS version (default `TLSv1.2`). */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** Options of {@link createSmtpMailer}. */
export interface SmtpMailerOptions {
  /** SMTP server host name. */
  host: string;
  /** SMTP server port, usually 587 (STARTTLS) or 465 (implicit TLS). */
  port: number;
  /** Connect with TLS from the start (implicit TLS). Defaults to `true` on port 465, else `false`. */
  secure?: boolean;
  /** Credentials for SMTP AUTH. Never part of any error message. */
  auth?: { user: string; pass: string };
  /** The sender, e.g. `Acme <no-reply@acme.example>`. */
  from: string;
  /**
   * Fail unless the connection is upgraded with STARTTLS. Defaults to `true` unless `secure` or
   * `ignoreTLS` is set: mails carry one-time links, and credentials must not cross the network in
   * clear. Set `false` only for a local mail catcher.
   */
  requireTLS?: boolean;
  /**
   * Never use STARTTLS, even when offered. **Unsafe**: only for a test server on loopback.
   * Cannot be combined with `requireTLS: true`.
   */
  ignoreTLS?: boolean;
  /** TLS settings. */
  tls?: SmtpTlsOptions;
  /** Limit in milliseconds for connecting, the greeting and each wait on the socket (default 30 000). */
  timeoutMs?: number;
}

/** A {@link Mailer} that talks SMTP; also checks the connection and releases it. */
export interface SmtpMailer extends Mailer {
  /** Connects, upgrades to TLS and authenticates without sending anything; rejects with `MailDeliveryError`. */
  verify(): Promise<void>;
  /** Closes the transport. Sends after `close()` open a new connection. */
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Server replies quoted in error messages are cut to this length. */
const MAX_QUOTED_REPLY = 200;

/**
 * Creates an SMTP mailer. Throws `ConfigError` for invalid options.
 *
 * @example
 * const mailer = createSmtpMailer({
 *   host: 'smtp.example.com', port: 587, from: 'Acme <no-reply@acme.example>',
 *   auth: { user: process.env.SMTP_USER!, pass: process.env.SMTP_PASS! },
 * });
 * await mailer.send({ to: 'ada@example.com', ...defaultMailTemplates.verifyEmail({ appName: 'Acme', link, expiresInMinutes: 60 }) });
 */
export function createSmtpMailer(options: SmtpMailerOptions): SmtpMailer {
  const settings = checkOptions(options);
  const secrets = secretForms(options.auth);
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const transportOptions: SMTPTransportOptions = {
    host: options.host,
    port: options.port,
    secure: settings.secure,
    requireTLS: settings.requireTLS,
    ignoreTLS: options.ignoreTLS === true,
    ...(options.auth ? { auth: { user: options.auth.user, pass: options.auth.pass } } : {}),
    tls: {
      rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
      minVersion: options.tls?.minVersion ?? 'TLSv1.2',
      ...(options.tls?.ca !== undefined ? { ca: options.tls.ca } : {}),
      ...(options.tls?.servername !== undefined ? { servername: options.tls.servername } : {}),
    },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    // Never log SMTP traffic: it holds the AUTH exchange and the one-time links.
    logger: false,
    debug: false,
    // Message parts are plain strings; never let anything read local files or fetch URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  let transport: Promise<Transporter> | undefined;
  const getTransport = (): Promise<Transporter> => {
    transport ??= import('nodemailer').then(({ createTransport }) => createTransport(transportOptions));
    return transport;
  };
  const where = `${options.host}:${options.port}`;

  return {
    async send(message: MailMessage): Promise<void> {
      const checked = validateMailMessage(message);
      try {
        await (await getTransport()).sendMail({
          from: options.from,
          to: checked.to,
          subject: checked.subject,
          text: checked.text,
          ...(checked.html !== undefined ? { html: checked.html } : {}),
        });
      } catch (error) {
        throw toDeliveryError(error, where, secrets);
      }
    },
    async verify(): Promise<void> {
      try {
        await (await getTransport()).verify();
      } catch (error) {
        throw toDeliveryError(error, where, secrets);
      }
    },
    close(): void {
      const closing = transport;
      transport = undefined;
      closing?.then(
        (t) => t.close(),
        () => undefined,
      );
    },
  };
}

function checkOptions(options: SmtpMailerOptions): { secure: boolean; requireTLS: boolean } {
  const issues: { path: string; message: string }[] = [];
  const issue = (path: string, message: string) => issues.push({ path: `smtp.${path}`, message });
  if (options === null || typeof options !== 'object')
    throw new ConfigError([{ path: 'smtp', message: 'required' }]);
  if (typeof options.host !== 'string' || options.host.trim() === '' || /[\s\p{Cc}]/u.test(options.host)) {
    issue('host', 'must be a host name or IP address');
  }
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65_535) {
    issue('port', 'must be an integer from 1 to 65535');
  }
  if (typeof options.from !== 'string' || !options.from.includes('@') || /\p{Cc}/u.test(options.from)) {
    issue('from', 'must be a single sender address, optionally with a display name');
  }
  if (options.auth !== undefined) {
    // Never echo the values themselves.
    if (typeof options.auth.user !== 'string' || options.auth.user === '')
      issue('auth.user', 'must be non-empty');
    if (typeof options.auth.pass !== 'string' || options.auth.pass === '')
      issue('auth.pass', 'must be non-empty');
  }
  if (options.ignoreTLS === true && options.requireTLS === true) {
    issue('ignoreTLS', 'cannot be combined with requireTLS');
  }
  if (options.timeoutMs !== undefined && (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0)) {
    issue('timeoutMs', 'must be a positive integer');
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const secure = options.secure ?? options.port === 465;
  const requireTLS = options.requireTLS ?? !(secure || options.ignoreTLS === true);
  return { secure, requireTLS };
}

/** The credential strings that must never appear in an error: raw and as sent in AUTH PLAIN/LOGIN. */
function secretForms(auth: SmtpMailerOptions['auth']): string[] {
  if (!auth) return [];
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const forms = [
    auth.user,
    auth.pass,
    b64(auth.user),
    b64(auth.pass),
    b64(`\u0000${auth.user}\u0000${auth.pass}`),
    b64(`${auth.user}\u0000${auth.user}\u0000${auth.pass}`),
    encodeURIComponent(auth.user),
    encodeURIComponent(auth.pass),
  ];
  // Longest first, so a form containing another is redacted whole.
  return [...new Set(forms.filter((s) => s !== ''))].sort((a, b) => b.length - a.length);
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    out = out.replace(new RegExp(secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), '[redacted]');
  }
  return out;
}

function quoteReply(reply: unknown, secrets: readonly string[]): string {
  if (typeof reply !== 'string' || reply.trim() === '') return '';
  const oneLine = reply.replace(/[\p{Cc}]+/gu, ' ').trim();
  const cut = oneLine.length > MAX_QUOTED_REPLY ? `${oneLine.slice(0, MAX_QUOTED_REPLY)}…` : oneLine;
  return `: ${redact(cut, secrets)}`;
}

const CONNECTION_CODES = new Set([
  'ECONNECTION',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
]);

/**
 * Turns whatever nodemailer threw into a {@link MailDeliveryError} whose message is built from
 * known-safe parts: the failure kind, the configured host and port, codes checked against a strict
 * pattern, and (never for authentication) the server reply, which is the only free text and has
 * every form of the credentials redacted. nodemailer's own message is not reused: for a failed
 * login it quotes the server reply, which may echo the credentials.
 */
function toDeliveryError(error: unknown, where: string, secrets: readonly string[]): MailDeliveryError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const originalCode = typeof e.originalCode === 'string' ? e.originalCode : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const command =
    typeof e.command === 'string' && /^[A-Z][A-Z0-9 -]{0,23}$/.test(e.command) ? e.command : undefined;
  const codes = [code, originalCode].filter((c): c is string => c !== undefined && /^E[A-Z_]{1,30}$/.test(c));
  const codeNote = [...codes, ...(responseCode !== undefined ? [String(responseCode)] : [])].join(', ');
  const suffix = codeNote === '' ? '' : ` (${codeNote})`;

  let failure: MailDeliveryFailure;
  let message: string;
  if (code === 'EAUTH' || code === 'ENOAUTH' || code === 'EOAUTH2' || command?.startsWith('AUTH')) {
    failure = 'auth';
    // Servers often echo the user name in a rejected login: quote nothing they said.
    message = `SMTP authentication failed at ${where}${suffix}`;
  } else if (code === 'ETIMEDOUT' || originalCode === 'ETIMEDOUT') {
    failure = 'timeout';
    message = `SMTP server ${where} timed out${suffix}`;
  } else if (code === 'ETLS' || code === 'EREQUIRETLS' || (command === 'STARTTLS' && code !== undefined)) {
    failure = 'tls';
    message = `TLS with SMTP server ${where} failed${suffix}${quoteReply(e.message, secrets)}`;
  } else if (code !== undefined && CONNECTION_CODES.has(code)) {
    failure = 'connection';
    message = `Could not talk to SMTP server ${where}${suffix}`;
  } else if (code === 'EENVELOPE' || code === 'EMESSAGE' || responseCode !== undefined) {
    failure = 'rejected';
    message = `SMTP server ${where} rejected the message${suffix}${quoteReply(e.response, secrets)}`;
  } else {
    failure = 'unknown';
    message = `Mail delivery through ${where} failed${suffix}${quoteReply(e.message, secrets)}`;
  }
  const retryable =
    failure === 'timeout' ||
    failure === 'connection' ||
    (responseCode !== undefined && responseCode >= 400 && responseCode < 500);
  return new MailDeliveryError(message, {
    failure,
    retryable,
    ...(code !== undefined ? { transportCode: code } : {}),
    ...(responseCode !== undefined ? { responseCode } : {}),
    ...(command !== undefined ? { command } : {}),
  });
}
