/**
 * The mails gatehouse sends, as plain functions from a typed input to `{ subject, text, html }`.
 * {@link defaultMailTemplates} are short English texts; `mergeMailTemplates` replaces any of
 * them (for wording, branding or translation) and keeps the rest.
 *
 * Every interpolated value is reduced to a single line for the text body and subject and escaped
 * for the HTML body; every link must be an absolute `https:` or `http:` URL, otherwise the
 * template throws `UnsafeLinkError`.
 *
 * @module
 */

import { singleLine } from './escape.js';
import { type MailBlock, renderMail } from './layout.js';
import type { MailContent } from './types.js';

/** Input of {@link MailTemplates.verifyEmail}. */
export interface VerifyEmailInput {
  /** Name of the application, shown in the subject and body. */
  appName: string;
  /** The verification link (carries a one-time token). */
  link: string;
  /** Minutes until the link expires; a fraction is rounded down to whole minutes (at least 1). */
  expiresInMinutes: number;
}

/** Input of {@link MailTemplates.passwordReset}. */
export interface PasswordResetInput {
  /** Name of the application. */
  appName: string;
  /** The reset link (carries a one-time token). */
  link: string;
  /** Minutes until the link expires; a fraction is rounded down to whole minutes (at least 1). */
  expiresInMinutes: number;
}

/** Input of {@link MailTemplates.passwordChanged}. */
export interface PasswordChangedInput {
  /** Name of the application. */
  appName: string;
  /** When the password was changed. */
  at: Date;
}

/** Input of {@link MailTemplates.emailChangeRequested}, sent to the NEW address. */
export interface EmailChangeRequestedInput {
  /** Name of the application. */
  appName: string;
  /** The confirmation link (carries a one-time token). */
  link: string;
  /** Minutes until the link expires; a fraction is rounded down to whole minutes (at least 1). */
  expiresInMinutes: number;
  /** The new address being confirmed (the recipient of this mail). */
  newEmail: string;
}

/** Input of {@link MailTemplates.emailChanged}, sent to the OLD address. */
export interface EmailChangedInput {
  /** Name of the application. */
  appName: string;
  /** When the change took effect. */
  at: Date;
  /** The new address; omit it (or pass a masked form such as `a***@example.com`) to not disclose it. */
  newEmail?: string;
}

/** Input of {@link MailTemplates.accountLocked}. */
export interface AccountLockedInput {
  /** Name of the application. */
  appName: string;
  /** When the lock ends. */
  until: Date;
}

/** Input of {@link MailTemplates.securityNotice}, e.g. a sign-in from a new device. */
export interface SecurityNoticeInput {
  /** Name of the application. */
  appName: string;
  /** What happened, in a few words, e.g. `New sign-in` or `Two-factor authentication disabled`. */
  event: string;
  /** When it happened. */
  at: Date;
  /** The client's IP address, when known. */
  ipAddress?: string;
  /** The client's user agent, when known (attacker-controlled: it is shortened and escaped). */
  userAgent?: string;
  /**
   * What the user should do, in place of the default closing lines ("If this was you, there is
   * nothing to do..."), e.g. how to lift the second-factor lock. One paragraph, at most 600
   * characters.
   */
  advice?: string;
}

/** One function per kind of mail gatehouse sends. Each returns the subject, text and HTML of the mail. */
export interface MailTemplates {
  /** Asks a new user to confirm their email address. */
  verifyEmail(input: VerifyEmailInput): MailContent;
  /** Sends a password-reset link. */
  passwordReset(input: PasswordResetInput): MailContent;
  /** Tells the user their password was changed. */
  passwordChanged(input: PasswordChangedInput): MailContent;
  /** Asks the NEW address to confirm an email change. */
  emailChangeRequested(input: EmailChangeRequestedInput): MailContent;
  /** Tells the OLD address that the account's email address was changed. */
  emailChanged(input: EmailChangedInput): MailContent;
  /** Tells the user the account is locked after failed sign-ins, and until when. */
  accountLocked(input: AccountLockedInput): MailContent;
  /** Tells the user about a security-relevant event such as a new sign-in. */
  securityNotice(input: SecurityNoticeInput): MailContent;
}

/** The name of one template in {@link MailTemplates}. */
export type MailTemplateKind = keyof MailTemplates;

/** Every template name, in a stable order. */
export const MAIL_TEMPLATE_KINDS: readonly MailTemplateKind[] = Object.freeze([
  'verifyEmail',
  'passwordReset',
  'passwordChanged',
  'emailChangeRequested',
  'emailChanged',
  'accountLocked',
  'securityNotice',
] as const);

function appNameOf(appName: string): string {
  const name = typeof appName === 'string' ? singleLine(appName, 100) : '';
  if (name === '') throw new TypeError('appName must be a non-empty string');
  return name;
}

function requiredLine(value: string, field: string, maxLength: number): string {
  const line = typeof value === 'string' ? singleLine(value, maxLength) : '';
  if (line === '') throw new TypeError(`${field} must be a non-empty string`);
  return line;
}

function formatDate(date: Date, field: string): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new TypeError(`${field} must be a valid Date`);
  }
  return date.toUTCString().replace(/GMT$/, 'UTC');
}

function formatExpiry(expiresInMinutes: number): string {
  if (typeof expiresInMinutes !== 'number' || !Number.isFinite(expiresInMinutes) || expiresInMinutes <= 0) {
    throw new TypeError('expiresInMinutes must be a positive number');
  }
  // A lifetime in seconds divided by 60 may be fractional: round down (never promise more time), at least 1.
  const minutes = Math.max(1, Math.floor(expiresInMinutes));
  if (minutes % 1440 === 0) return minutes === 1440 ? '1 day' : `${minutes / 1440} days`;
  if (minutes % 60 === 0) return minutes === 60 ? '1 hour' : `${minutes / 60} hours`;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

const p = (paragraph: string): MailBlock => ({ paragraph });

/** The built-in English templates. Frozen; derive variants with `mergeMailTemplates`. */
export const defaultMailTemplates: Readonly<MailTemplates> = Object.freeze({
  verifyEmail(input: VerifyEmailInput): MailContent {
    const app = appNameOf(input.appName);
    const expiry = formatExpiry(input.expiresInMinutes);
    return renderMail({
      subject: `Verify your email address for ${app}`,
      blocks: [
        p(`Welcome to ${app}! Please confirm that this is your email address.`),
        { action: { label: 'Verify your email address', link: input.link } },
        p(`The link expires in ${expiry}.`),
        p(`If you did not create an account with ${app}, you can ignore this message.`),
      ],
      signature: app,
    });
  },

  passwordReset(input: PasswordResetInput): MailContent {
    const app = appNameOf(input.appName);
    const expiry = formatExpiry(input.expiresInMinutes);
    return renderMail({
      subject: `Reset your ${app} password`,
      blocks: [
        p(`Someone asked to reset the password of your ${app} account.`),
        { action: { label: 'Choose a new password', link: input.link } },
        p(`The link expires in ${expiry} and works once.`),
        p('If you did not ask for this, ignore this message: your password stays unchanged.'),
      ],
      signature: app,
    });
  },

  passwordChanged(input: PasswordChangedInput): MailContent {
    const app = appNameOf(input.appName);
    const at = formatDate(input.at, 'at');
    return renderMail({
      subject: `Your ${app} password was changed`,
      blocks: [
        p(`The password of your ${app} account was changed on ${at}.`),
        p('If you made this change, there is nothing to do.'),
        p('If you did not, reset your password right away and contact support.'),
      ],
      signature: app,
    });
  },

  emailChangeRequested(input: EmailChangeRequestedInput): MailContent {
    const app = appNameOf(input.appName);
    const expiry = formatExpiry(input.expiresInMinutes);
    const newEmail = requiredLine(input.newEmail, 'newEmail', 254);
    return renderMail({
      subject: `Confirm your new email address for ${app}`,
      blocks: [
        p(`Someone asked to use this address (${newEmail}) for their ${app} account.`),
        { action: { label: 'Confirm this email address', link: input.link } },
        p(`The link expires in ${expiry}.`),
        p('If you did not ask for this, ignore this message: nothing changes unless the link is used.'),
      ],
      signature: app,
    });
  },

  emailChanged(input: EmailChangedInput): MailContent {
    const app = appNameOf(input.appName);
    const at = formatDate(input.at, 'at');
    const newEmail = input.newEmail === undefined ? '' : requiredLine(input.newEmail, 'newEmail', 254);
    const changed =
      newEmail === ''
        ? `The email address of your ${app} account was changed on ${at}.`
        : `The email address of your ${app} account was changed to ${newEmail} on ${at}.`;
    return renderMail({
      subject: `The email address of your ${app} account was changed`,
      blocks: [
        p(changed),
        p('Messages about the account now go to the new address.'),
        p('If you did not make this change, contact support right away.'),
      ],
      signature: app,
    });
  },

  accountLocked(input: AccountLockedInput): MailContent {
    const app = appNameOf(input.appName);
    const until = formatDate(input.until, 'until');
    return renderMail({
      subject: `Your ${app} account is temporarily locked`,
      blocks: [
        p(`After several failed sign-in attempts, your ${app} account is locked until ${until}.`),
        p(
          'If those attempts were not yours, someone may be guessing your password: choose a new one once the lock ends.',
        ),
      ],
      signature: app,
    });
  },

  securityNotice(input: SecurityNoticeInput): MailContent {
    const app = appNameOf(input.appName);
    const event = requiredLine(input.event, 'event', 100);
    const at = formatDate(input.at, 'at');
    const details: [string, string][] = [
      ['Event', event],
      ['Time', at],
    ];
    if (input.ipAddress !== undefined && input.ipAddress !== '') {
      details.push(['IP address', singleLine(input.ipAddress, 64)]);
    }
    if (input.userAgent !== undefined && input.userAgent !== '') {
      details.push(['Device', singleLine(input.userAgent, 200)]);
    }
    const advice = input.advice === undefined ? '' : singleLine(input.advice, 600);
    return renderMail({
      subject: `Security notice for your ${app} account: ${event}`,
      blocks: [
        p(`We noticed this activity on your ${app} account:`),
        { details },
        ...(advice !== ''
          ? [p(advice)]
          : [
              p('If this was you, there is nothing to do.'),
              p('If it was not, change your password right away and review your account.'),
            ]),
      ],
      signature: app,
    });
  },
});

/**
 * Returns a full set of templates: `base` (the defaults unless given) with each template present
 * in `overrides` replaced. Throws `TypeError` for an unknown template name (a typo would otherwise
 * silently keep the default) or a value that is not a function; `undefined` entries are ignored.
 *
 * @example
 * const templates = mergeMailTemplates({
 *   passwordReset: ({ link, appName }) => ({ subject: `${appName}: reset`, text: link, html: ... }),
 * });
 */
export function mergeMailTemplates(
  overrides: Partial<MailTemplates>,
  base: MailTemplates = defaultMailTemplates,
): Readonly<MailTemplates> {
  const merged: MailTemplates = { ...pickTemplates(base) };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) continue;
    if (!(MAIL_TEMPLATE_KINDS as readonly string[]).includes(key)) {
      throw new TypeError(
        `Unknown mail template "${key}"; expected one of ${MAIL_TEMPLATE_KINDS.join(', ')}`,
      );
    }
    if (typeof value !== 'function') throw new TypeError(`Mail template "${key}" must be a function`);
    (merged as unknown as Record<string, unknown>)[key] = value;
  }
  return Object.freeze(merged);
}

function pickTemplates(templates: MailTemplates): MailTemplates {
  return {
    verifyEmail: templates.verifyEmail,
    passwordReset: templates.passwordReset,
    passwordChanged: templates.passwordChanged,
    emailChangeRequested: templates.emailChangeRequested,
    emailChanged: templates.emailChanged,
    accountLocked: templates.accountLocked,
    securityNotice: templates.securityNotice,
  };
}
