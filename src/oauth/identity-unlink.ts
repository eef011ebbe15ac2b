/**
 * Unlinking an identity provider from a user, without ever removing the account's last way to
 * sign in (a password, or another identity at a configured provider), also under concurrency.
 *
 * @module
 */
import { isAuthError, ReauthenticationRequiredError } from '../errors.js';
import type { RequestContext } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import type { LinkedIdentity } from '../storage/types.js';
import { LastSignInMethodError } from './errors.js';
import type { OAuthFlowContext } from './oauth-flow-context.js';
import type { UnlinkOptions } from './oauth-service.js';

/** See `OAuthService.unlink`. */
export async function unlink(
  ctx: OAuthFlowContext,
  userId: string,
  providerName: string,
  context: RequestContext | undefined,
  options: UnlinkOptions,
): Promise<boolean> {
  const o = ctx.options;
  const { identities, users } = o.store;
  const identity = await storeCall(() => identities.findByUserAndProvider(userId, providerName));
  if (!identity) return false;
  const user = await storeCall(() => users.findById(userId));
  if (user?.passwordHash && options.requirePassword) {
    if (!o.reauthenticate) throw new ReauthenticationRequiredError();
    await o.reauthenticate(user, options.currentPassword, context);
  }
  const guarded = user !== null && !options.allowLastSignInMethod && isSignInMethod(ctx, identity);
  if (guarded && !(await otherWayIn(ctx, userId, identity.id))) throw new LastSignInMethodError();
  const deleted = await storeCall(() => identities.delete(identity.id));
  if (!deleted) return false;
  if (guarded && !(await otherWayIn(ctx, userId, identity.id))) {
    // A concurrent unlink (or password removal) took the other way in meanwhile: undo ours.
    await storeCall(() => identities.create(identity)).catch((error: unknown) => {
      if (!isAuthError(error, 'ERR_ALREADY_REGISTERED')) throw error;
    });
    throw new LastSignInMethodError();
  }
  o.events.emit('identity.unlinked', context, o.clock(), { userId, provider: providerName });
  return true;
}

/** Whether an identity can sign its user in: its provider is still configured. */
function isSignInMethod(ctx: OAuthFlowContext, identity: LinkedIdentity): boolean {
  return ctx.providers.names.includes(identity.provider);
}

/** Whether the user can sign in without identity `exceptId`: a password, or another usable identity. */
async function otherWayIn(ctx: OAuthFlowContext, userId: string, exceptId: string): Promise<boolean> {
  const { store } = ctx.options;
  const user = await storeCall(() => store.users.findById(userId));
  if (!user) return true;
  if (user.passwordHash) return true;
  const linked = await storeCall(() => store.identities.listForUser(userId));
  return linked.some((other) => other.id !== exceptId && isSignInMethod(ctx, other));
}
