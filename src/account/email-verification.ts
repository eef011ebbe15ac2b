/**
 * Email verification: a single-use link mailed to the stored address, a resend by address that
 * answers the same whether or not an account exists, and the confirmation.
 *
 * @module
 */
import { canonicalEmail, emailIssues } from '../auth/identity.js';
import { NotFoundError, RateLimitedError } from '../errors.js';
import type { RequestContext } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import type { AccountFlowContext } from './account-flow-context.js';

/** See `AccountService.requestEmailVerification`. */
export async function requestEmailVerification(
  ctx: AccountFlowContext,
  userId: string,
  context?: RequestContext,
): Promise<void> {
  const { config, store, limiter, events } = ctx.options;
  if (config.account.emailVerification === 'off') return;
  const user = await storeCall(() => store.users.findById(userId));
  if (!user?.isActive || user.emailVerifiedAt !== null) return;
  await limiter.hit('verify-resend-user', user.id, config.rateLimits.verificationResendPerAccount);
  const ttl = config.account.verifyEmailTtl;
  const token = await ctx.oneTime.issue('verify_email', user.id, ttl, { email: user.email });
  const link = ctx.link(config.account.paths.verifyEmail, token);
  await ctx.send(
    user.email,
    ctx.templates.verifyEmail({ appName: ctx.appName, link, expiresInMinutes: ttl / 60 }),
  );
  events.emit('email.verification_sent', context, ctx.options.clock(), { userId: user.id });
}

/** See `AccountService.resendEmailVerification`. */
export async function resendEmailVerification(
  ctx: AccountFlowContext,
  email: unknown,
  context?: RequestContext,
): Promise<void> {
  const { config, store, limiter } = ctx.options;
  if (config.account.emailVerification === 'off') return;
  await limiter.hit('verify-resend-ip', context?.ip, config.rateLimits.verificationResendPerIp);
  if (emailIssues(email).length > 0) return;
  const user = await storeCall(() => store.users.findByEmail(canonicalEmail(email as string)));
  if (!user) return;
  ctx.inBackground(async () => {
    try {
      await requestEmailVerification(ctx, user.id, context);
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
    }
  });
}

/** See `AccountService.verifyEmail`. */
export async function verifyEmail(
  ctx: AccountFlowContext,
  token: unknown,
  context?: RequestContext,
): Promise<void> {
  const { store, events } = ctx.options;
  const { userId, data } = await ctx.oneTime.redeem<{ email: string }>('verify_email', token);
  const user = await storeCall(() => store.users.findById(userId));
  // The token verifies the address it was sent to; a changed email needs a new one.
  if (!user || user.email !== data.email) throw new NotFoundError('User');
  await storeCall(() =>
    store.users.update(userId, { emailVerifiedAt: ctx.options.clock() }, ctx.options.clock()),
  );
  events.emit('email.verified', context, ctx.options.clock(), { userId });
}
