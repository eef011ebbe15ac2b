/**
 * Mail: the {@link Mailer} contract, an SMTP mailer on nodemailer, development and in-memory
 * mailers, and the templates of the mails gatehouse sends.
 *
 * @module
 */

export { createConsoleMailer } from './console.js';
export {
  InvalidMailMessageError,
  MailDeliveryError,
  type MailDeliveryErrorDetails,
  type MailDeliveryFailure,
  MailError,
  type MailErrorCode,
  UnsafeLinkError,
} from './errors.js';
export { escapeHtml, safeLink, singleLine } from './escape.js';
export { type MailBlock, type MailLayout, renderMail } from './layout.js';
export { createMemoryMailer, type MemoryMailer } from './memory.js';
export { isBareAddress, validateMailMessage } from './message.js';
export { createSmtpMailer, type SmtpMailer, type SmtpMailerOptions, type SmtpTlsOptions } from './smtp.js';
export {
  type AccountLockedInput,
  defaultMailTemplates,
  type EmailChangedInput,
  type EmailChangeRequestedInput,
  MAIL_TEMPLATE_KINDS,
  type MailTemplateKind,
  type MailTemplates,
  mergeMailTemplates,
  type PasswordChangedInput,
  type PasswordResetInput,
  type SecurityNoticeInput,
  type VerifyEmailInput,
} from './templates.js';
export type { MailContent, Mailer, MailMessage } from './types.js';
