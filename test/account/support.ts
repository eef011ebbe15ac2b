/**
 * Helpers of the account-flow tests: a gatehouse with a memory mailer, and reading the one-time
 * link (and its token) out of a mail the way a user's mail client would.
 */
import { vi } from 'vitest';
import {
  createMemoryMailer,
  type GatehouseConfig,
  type IssuedTokens,
  type MailMessage,
  type MemoryMailer,
  type RequestContext,
} from '../../src/index.js';
import { type TestGatehouse, testGatehouse } from '../support/gatehouse.js';

export const BASE_URL = 'https://app.example.com';

export interface MailGatehouse extends TestGatehouse {
  readonly mailer: MemoryMailer;
}

/** A test gatehouse whose mail goes to a memory mailer, with links built from {@link BASE_URL}. */
export function mailGatehouse(overrides: Partial<GatehouseConfig> = {}): MailGatehouse {
  const mailer = createMemoryMailer();
  const gh = testGatehouse({
    ...overrides,
    mail: { mailer, ...overrides.mail },
    account: { baseUrl: BASE_URL, ...overrides.account },
  });
  return { ...gh, mailer };
}

/** Every absolute URL in a mail's text body. */
export function linksIn(message: Pick<MailMessage, 'text'>): URL[] {
  return [...message.text.matchAll(/https?:\/\/\S+/g)].map((m) => new URL(m[0]));
}

/** The one link carrying a `token` parameter (fails unless there is exactly one). */
export function tokenLink(message: Pick<MailMessage, 'text'>): URL {
  const links = linksIn(message).filter((url) => url.searchParams.has('token'));
  if (links.length !== 1) throw new Error(`expected one token link in: ${message.text}`);
  return links[0] as URL;
}

/** The one-time token of a mail's link. */
export function tokenOf(message: Pick<MailMessage, 'text'>): string {
  return tokenLink(message).searchParams.get('token') as string;
}

/**
 * Waits for the `n`th (1-based) mail to `to` whose link opens `path` (mails of some flows are
 * sent in the background), and returns it.
 */
export async function waitForMail(
  mailer: MemoryMailer,
  to: string,
  path: string,
  n = 1,
): Promise<Readonly<MailMessage>> {
  return vi.waitFor(
    () => {
      const matching = mailer.messages.filter(
        (m) =>
          m.to === to && linksIn(m).some((url) => url.pathname === path && url.searchParams.has('token')),
      );
      const message = matching[n - 1];
      if (!message) throw new Error(`no mail #${n} to ${to} with a link to ${path} yet`);
      return message;
    },
    { timeout: 5000, interval: 5 },
  );
}

/** Waits for the `n`th (1-based) mail to `to` with `subject` containing `part`. */
export async function waitForSubject(
  mailer: MemoryMailer,
  to: string,
  part: string,
  n = 1,
): Promise<Readonly<MailMessage>> {
  return vi.waitFor(
    () => {
      const message = mailer.messages.filter((m) => m.to === to && m.subject.includes(part))[n - 1];
      if (!message) throw new Error(`no mail #${n} to ${to} about "${part}" yet`);
      return message;
    },
    { timeout: 5000, interval: 5 },
  );
}

/** Lets every queued background task (mails sent without waiting) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A password login that must issue tokens (no second factor); returns them. */
export async function signIn(
  gh: TestGatehouse,
  identifier: string,
  password: string,
  context?: RequestContext,
): Promise<IssuedTokens> {
  const result: object = await gh.auth.login({ identifier, password }, context);
  if (!('accessToken' in result)) throw new Error('expected tokens, got a second-factor challenge');
  return result as IssuedTokens;
}
