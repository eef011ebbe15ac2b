/**
 * Security notices mailed to an account's owner outside the account's own flows: a registration
 * attempt with an already registered address (OWASP ASVS 5.0 6.3.8), and a lockout.
 *
 * @module
 */
import { canonicalEmail, emailIssues } from '../auth/identity.js';
import type { RequestContext } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import type { AccountFlowContext } from './account-flow-context.js';

/** See `AccountService.notifyRegistrationAttempt`. */
export function notifyRegistrationAttempt(
  ctx: AccountFlowContext,
  email: unknown,
  context?: RequestContext,
): void {
  const { config, store } = ctx.options;
  if (!config.mail.mailer || emailIssues(email).length > 0) return;
  const address = canonicalEmail(email as string);
  ctx.inBackground(async () => {
    const user = await storeCall(() => store.users.findByEmail(address));
    if (!user) return;
    await ctx.send(
      user.email,
      ctx.templates.securityNotice({
        appName: ctx.appName,
        event: 'Someone tried to create an account with your address',
        at: ctx.options.clock(),
        ...(context?.ip ? { ipAddress: context.ip } : {}),
      }),
    );
  });
}

/** See `AccountService.notifyLocked`. */
export async function notifyLocked(
  ctx: AccountFlowContext,
  userId: string,
  until: Date | null,
): Promise<void> {
  const { store, config } = ctx.options;
  const user = await storeCall(() => store.users.findById(userId));
  if (!user || !config.mail.mailer) return;
  const content = until
    ? ctx.templates.accountLocked({ appName: ctx.appName, until })
    : ctx.templates.securityNotice({
        appName: ctx.appName,
        event: 'Account locked',
        at: ctx.options.clock(),
      });
  await ctx.send(user.email, content);
}
