/**
 * Removing a user's second factors: by the user, who confirms the current password (OWASP ASVS 5.0 7.5.1), or
 * by an administrator for a user who lost both the device and the backup codes. Either way every
 * other session of the user is revoked (OWASP ASVS 5.0 7.4.3; RFC 9700 §4.14.2), a pending login challenge is voided, and the
 * second-factor lock and failure count go with the factor.
 *
 * @module
 */
import { storeCall } from '../auth/session-flows.js';
import { NotFoundError } from '../errors.js';
import type { RequestContext } from '../events.js';
import type { UserRecord } from '../storage/types.js';
import { activeUser, reauthenticate, revokeOtherSessions } from './factor-change-rules.js';
import { clearSecondFactorLock } from './factor-lock.js';
import type { MfaFlowContext } from './mfa-flow-context.js';
import type { ReauthenticationInput } from './mfa-service.js';
import { factorLockDeps } from './second-factor-login.js';

/** See `MfaService.disableTotp`. */
export async function disableTotp(
  ctx: MfaFlowContext,
  userId: string,
  input: ReauthenticationInput,
  context: RequestContext | undefined,
  options: { keepFamilyId?: string },
): Promise<void> {
  const user = await activeUser(ctx, userId);
  await reauthenticate(ctx, user, input?.currentPassword, context);
  const record = await storeCall(() => ctx.options.store.mfa.getTotp(userId));
  if (!record) throw new NotFoundError('Second factor');
  await removeFactors(ctx, user, 'user', options.keepFamilyId, context);
}

/** See `MfaService.resetForUser`. */
export async function resetForUser(
  ctx: MfaFlowContext,
  userId: string,
  context?: RequestContext,
): Promise<boolean> {
  const { store } = ctx.options;
  const user = await storeCall(() => store.users.findById(userId));
  if (!user) throw new NotFoundError('User');
  const record = await storeCall(() => store.mfa.getTotp(userId));
  const codes = await storeCall(() => store.mfa.countBackupCodes(userId));
  if (!record && codes === 0) return false;
  await removeFactors(ctx, user, 'admin', undefined, context);
  return true;
}

async function removeFactors(
  ctx: MfaFlowContext,
  user: UserRecord,
  by: 'user' | 'admin',
  keepFamilyId: string | undefined,
  context?: RequestContext,
): Promise<void> {
  const { store, oneTimeTokens, events } = ctx.options;
  await storeCall(() => store.mfa.deleteAllForUser(user.id));
  // The failures were against the removed factor: a new enrolment starts unlocked, from zero.
  await clearSecondFactorLock(factorLockDeps(ctx), user.id);
  await oneTimeTokens.revoke('mfa_challenge', user.id);
  const revokedTokens = await revokeOtherSessions(ctx, user.id, keepFamilyId, context);
  events.emit('mfa.disabled', context, ctx.options.clock(), { userId: user.id, by, revokedTokens });
  ctx.notify(user.email, 'Two-factor authentication disabled', context);
}
