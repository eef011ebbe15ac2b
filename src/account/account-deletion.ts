/**
 * Account deletion: everything gatehouse keeps about a user goes (tokens, API keys, second
 * factors, linked identities, pending one-time tokens, lockout state, relationship tuples), then
 * the user, then the application's own data through `account.onDelete`.
 *
 * @module
 */
import { InvalidCredentialsError, NotFoundError, ReauthenticationRequiredError } from '../errors.js';
import type { RequestContext } from '../events.js';
import { clearSecondFactorLock } from '../mfa/factor-lock.js';
import { storeCall } from '../storage/store-call.js';
import type { AccountFlowContext } from './account-flow-context.js';
import { reauthenticate } from './reauthentication.js';

/** See `AccountService.deleteAccount`. */
export async function deleteAccount(
  ctx: AccountFlowContext,
  userId: string,
  options: { currentPassword?: unknown; requirePassword?: boolean },
  context?: RequestContext,
): Promise<void> {
  const { store, tokens, config, events } = ctx.options;
  const user = await storeCall(() => store.users.findById(userId));
  if (!user) throw new NotFoundError('User');
  if (options.requirePassword || options.currentPassword !== undefined) {
    try {
      await reauthenticate(ctx, user, options.currentPassword, context);
    } catch (error) {
      if (error instanceof ReauthenticationRequiredError) throw new InvalidCredentialsError();
      throw error;
    }
  }
  await tokens.revokeAllForUser(userId);
  await storeCall(async () => {
    await store.tokens.deleteAllForUser(userId);
    await store.mfa.deleteAllForUser(userId);
    await store.identities.deleteAllForUser(userId);
    await store.apiKeys.deleteAllForUser(userId);
    for (const purpose of ['verify_email', 'password_reset', 'email_change', 'mfa_challenge'] as const) {
      await ctx.oneTime.revoke(purpose, userId);
    }
    await store.state.delete(`lock:${userId}`);
    await clearSecondFactorLock(
      { state: store.state, counters: store.counters, events, clock: ctx.options.clock },
      userId,
    );
    await deleteRelationships(ctx, userId);
    await store.users.delete(userId);
  });
  await config.account.onDelete?.(userId);
  events.emit('account.deleted', context, ctx.options.clock(), { userId });
}

/** Deletes every relationship tuple naming the user as subject or as object. */
async function deleteRelationships(ctx: AccountFlowContext, userId: string): Promise<void> {
  const { relationships } = ctx.options.store;
  const type = ctx.options.config.authorization.userType;
  const tuples = [
    ...(await relationships.read({ subject: { type, id: userId } })),
    ...(await relationships.read({ object: { type, id: userId } })),
  ];
  if (tuples.length > 0) await relationships.delete(tuples);
}
