/**
 * Password reset: a request that answers the same whether or not the account exists, and the
 * confirmation with the mailed token, which is bound to the password of the moment it was issued.
 * A completed reset lifts the account lockout and the second-factor lock: the mailbox was proven
 * and the password that was being abused is replaced (the second factor is still asked at the
 * next login).
 *
 * @module
 */
import { canonicalEmail, emailIssues } from '../auth/identity.js';
import { MailNotConfiguredError, NotFoundError, OneTimeTokenError, RateLimitedError } from '../errors.js';
import type { RequestContext } from '../events.js';
import { liftSecondFactorLock } from '../mfa/factor-lock.js';
import { storeCall } from '../storage/store-call.js';
import type { AccountFlowContext } from './account-flow-context.js';
import { passwordFingerprint, sameFingerprint } from './password-fingerprint.js';

/**
 * See `AccountService.requestPasswordReset`. Whether the address has an account must not show in
 * the answer, in its content or in its timing (OWASP ASVS 5.0 V6.3.8; Forgot Password Cheat Sheet,
 * "consistent response time"): before answering, every request does the same work — the per-IP
 * rate limit and the address's syntax — and nothing that depends on the account. The look-up, the
 * event, the per-account limit, the token and the mail run after the answer, on a later turn of the
 * event loop ({@link setImmediate}, not a microtask, which would run before the caller resumes and
 * so before an HTTP response is written). `npm run bench -- timing` compares the two paths.
 */
export async function requestPasswordReset(
  ctx: AccountFlowContext,
  email: unknown,
  context?: RequestContext,
): Promise<void> {
  const { config, limiter } = ctx.options;
  if (!config.mail.mailer) throw new MailNotConfiguredError();
  await limiter.hit('reset-ip', context?.ip, config.rateLimits.passwordResetPerIp);
  if (emailIssues(email).length > 0) return;
  const address = canonicalEmail(email as string);
  setImmediate(() => ctx.inBackground(() => mailResetLink(ctx, address, context)));
}

/**
 * The account-dependent part of a reset request, run after the answer: finds the account,
 * emits `password.reset_requested`, and mails an active account a reset link unless its per-account
 * limit is reached. Its failures (store, mail) go to `onMailError`; the requester was answered already.
 */
async function mailResetLink(
  ctx: AccountFlowContext,
  address: string,
  context?: RequestContext,
): Promise<void> {
  const { config, store, limiter, events } = ctx.options;
  const user = await storeCall(() => store.users.findByEmail(address));
  events.emit('password.reset_requested', context, ctx.options.clock(), { userId: user?.id ?? null });
  if (!user?.isActive) return;
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
  const { clock } = ctx.options;
  await liftSecondFactorLock(
    { state: store.state, counters: store.counters, events, clock },
    userId,
    'password_reset',
    context,
  );
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
