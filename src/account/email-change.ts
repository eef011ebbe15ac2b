/**
 * Email change: requested with the current password, confirmed with a link mailed to the new
 * address, with notices to the old one. Nothing changes until the link is used, and a password
 * change since the request voids it.
 *
 * @module
 */
import { canonicalEmail, emailIssues } from '../auth/identity.js';
import { AlreadyRegisteredError, NotFoundError, OneTimeTokenError, ValidationError } from '../errors.js';
import type { RequestContext } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import type { AccountFlowContext } from './account-flow-context.js';
import { passwordFingerprint, sameFingerprint } from './password-fingerprint.js';
import { reauthenticate } from './reauthentication.js';

/** See `AccountService.requestEmailChange`. */
export async function requestEmailChange(
  ctx: AccountFlowContext,
  userId: string,
  input: { currentPassword: unknown; newEmail: unknown },
  context?: RequestContext,
): Promise<void> {
  const { store, config, events } = ctx.options;
  const user = await storeCall(() => store.users.findById(userId));
  if (!user?.isActive) throw new NotFoundError('User');
  await reauthenticate(ctx, user, input.currentPassword, context);
  const issues = emailIssues(input.newEmail, 'newEmail');
  if (issues.length > 0) throw new ValidationError(issues);
  const newEmail = canonicalEmail(input.newEmail as string);
  if (await storeCall(() => store.users.findByEmail(newEmail))) throw new AlreadyRegisteredError();
  const ttl = config.account.emailChangeTtl;
  const token = await ctx.oneTime.issue('email_change', user.id, ttl, {
    newEmail,
    oldEmail: user.email,
    password: passwordFingerprint(user.passwordHash),
  });
  const link = ctx.link(config.account.paths.confirmEmailChange, token);
  await ctx.send(
    newEmail,
    ctx.templates.emailChangeRequested({
      appName: ctx.appName,
      link,
      expiresInMinutes: ttl / 60,
      newEmail,
    }),
  );
  const now = ctx.options.clock();
  events.emit('email.change_requested', context, now, { userId });
  // Tell the current address right away, so its owner can react before the link is used.
  ctx.sendInBackground(user.email, () =>
    ctx.templates.securityNotice({
      appName: ctx.appName,
      event: 'Email change requested',
      at: now,
      ...(context?.ip ? { ipAddress: context.ip } : {}),
      ...(context?.userAgent ? { userAgent: context.userAgent } : {}),
    }),
  );
}

/** See `AccountService.confirmEmailChange`. */
export async function confirmEmailChange(
  ctx: AccountFlowContext,
  token: unknown,
  context?: RequestContext,
): Promise<void> {
  const { store, events } = ctx.options;
  const { userId, data } = await ctx.oneTime.redeem<{
    newEmail: string;
    oldEmail: string;
    password?: string;
  }>('email_change', token);
  const user = await storeCall(() => store.users.findById(userId));
  if (!user?.isActive || !sameFingerprint(data.password, user)) throw new OneTimeTokenError();
  const now = ctx.options.clock();
  const updated = await storeCall(() =>
    store.users.update(userId, { email: data.newEmail, emailVerifiedAt: now }, now),
  );
  if (!updated) throw new NotFoundError('User');
  events.emit('email.changed', context, now, { userId });
  ctx.sendInBackground(data.oldEmail, () => ctx.templates.emailChanged({ appName: ctx.appName, at: now }));
}
