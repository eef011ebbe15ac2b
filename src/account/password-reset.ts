/**
 * Password reset: a request that answers the same whether or not the account exists, and the
 * confirmation with the mailed token, which is bound to the password of the moment it was issued.
 *
 * @module
 */
import { canonicalEmail, emailIssues } from '../auth/identity.js';
import { MailNotConfiguredError, NotFoundError, OneTimeTokenError, RateLimitedError } from '../errors.js';
import type { RequestContext } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import type { AccountFlowContext } from './account-flow-context.js';
import { passwordFingerprint, sameFingerprint } from './password-fingerprint.js';

/** See `AccountService.requestPasswordReset`. */
export async function requestPasswordReset(
  ctx: AccountFlowContext,
  email: unknown,
  context?: RequestContext,
): Promise<void> {
  const { config, store, limiter, events } = ctx.options;
  if (!config.mail.mailer) throw new MailNotConfiguredError();
  await limiter.hit('reset-ip', context?.ip, config.rateLimits.passwordResetPerIp);
  if (emailIssues(email).length > 0) return;
  const user = await storeCall(() => store.users.findByEmail(canonicalEmail(email as string)));
  events.emit('password.reset_requested', context, ctx.options.clock(), { userId: user?.id ?? null });
  if (!user?.isActive) return;
  ctx.inBackground(async () => {
    try {
      await limiter.hit('reset-user', user.id, config.rateLimits.passwordResetPerAccount);
    } catch (error) {
      if (error instanceof RateLimitedError) return; // Over the per-account limit: send nothing.
      throw error;
    }
    const ttl = config.account.passwordResetTtl;
    const token = await ctx.oneTime.issue('password_reset', user.id, ttl, {
      password: passwordFingerprint(user.passwordHash),
    });
    const link = ctx.link(config.account.paths.passwordReset, token);
    await ctx.send(
      user.email,
      ctx.templates.passwordReset({ appName: ctx.appName, link, expiresInMinutes: ttl / 60 }),
    );
  });
}

/** See `AccountService.confirmPasswordReset`. */
export async function confirmPasswordReset(
  ctx: AccountFlowContext,
  token: unknown,
  newPassword: unknown,
  context?: RequestContext,
): Promise<void> {
  const { store, passwords, tokens, lockout, events } = ctx.options;
  const { userId, data } = await ctx.oneTime.peek<{ password?: string }>('password_reset', token);
  const user = await storeCall(() => store.users.findById(userId));
  if (!user?.isActive) throw new NotFoundError('User');
  // The password changed since the link was sent: the link is void.
  if (!sameFingerprint(data?.password, user)) {
    await ctx.oneTime.revoke('password_reset', userId);
    throw new OneTimeTokenError();
  }
  passwords.assertValid(newPassword as string, { email: user.email, username: user.username });
  await ctx.oneTime.redeem('password_reset', token);
  const passwordHash = await passwords.hash(newPassword as string);
  await storeCall(() =>
    store.users.update(userId, { passwordHash, passwordChangeRequired: false }, ctx.options.clock()),
  );
  const revoked = await tokens.revokeAllForUser(userId);
  await lockout.unlock(userId, 'password_reset', context);
  const now = ctx.options.clock();
  events.emit('password.reset', context, now, { userId, revokedTokens: revoked });
  events.emit('token.revoked', context, now, {
    userId,
    scope: 'user',
    reason: 'password_changed',
    count: revoked,
  });
  ctx.sendInBackground(user.email, () => ctx.templates.passwordChanged({ appName: ctx.appName, at: now }));
}
