/**
 * What the account flow modules share, built once by `AccountService`: its options, the one-time
 * tokens, the mail templates, the links in mails, and sending mail now or in the background.
 *
 * @module
 */
import { MailNotConfiguredError } from '../errors.js';
import {
  defaultMailTemplates,
  type MailContent,
  type MailTemplates,
  mergeMailTemplates,
} from '../mail/index.js';
import type { AccountServiceOptions } from './account-service.js';
import { OneTimeTokens } from './one-time-tokens.js';

/** The shared state of the account flows. */
export interface AccountFlowContext {
  readonly options: AccountServiceOptions;
  readonly oneTime: OneTimeTokens;
  readonly templates: MailTemplates;
  /** `account.appName`, for the mails. */
  readonly appName: string;
  /**
   * The link of an emailed token: `account.baseUrl` (never a request's Host) with the configured
   * path appended to its own path, so an app served under a prefix (`https://x.example/app`) keeps it.
   */
  link(path: string, token: string): string;
  /** Sends a mail to a stored address; awaited, so delivery errors reach the caller. */
  send(to: string, content: MailContent): Promise<void>;
  /** Sends a mail without making the caller wait (uniform timing for enumeration-sensitive flows). */
  sendInBackground(to: string, content: () => MailContent): void;
  /** Runs `task` after the caller got its answer; its errors go to `onMailError`. */
  inBackground(task: () => Promise<void>): void;
}

/** Builds the context of the account flows. */
export function createAccountFlowContext(options: AccountServiceOptions): AccountFlowContext {
  const oneTime = new OneTimeTokens(options.store.state, options.clock);
  const templates = mergeMailTemplates(options.config.mail.templates ?? {}, defaultMailTemplates);
  const inBackground = (task: () => Promise<void>): void => {
    void Promise.resolve()
      .then(task)
      .catch((error) => (options.onMailError ?? ((e) => console.error('gatehouse: mail failed', e)))(error));
  };
  return {
    options,
    oneTime,
    templates,
    get appName(): string {
      return options.config.account.appName;
    },
    link(path: string, token: string): string {
      const { baseUrl } = options.config.account;
      if (!baseUrl) throw new MailNotConfiguredError();
      const url = new URL(baseUrl);
      url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
      url.search = '';
      url.hash = '';
      url.searchParams.set('token', token);
      return url.href;
    },
    async send(to: string, content: MailContent): Promise<void> {
      const { mailer } = options.config.mail;
      if (!mailer) throw new MailNotConfiguredError();
      await mailer.send({ to, ...content });
    },
    sendInBackground(to: string, content: () => MailContent): void {
      const { mailer } = options.config.mail;
      if (!mailer) return;
      inBackground(() => mailer.send({ to, ...content() }));
    },
    inBackground,
  };
}
