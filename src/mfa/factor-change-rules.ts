/**
 * What every change of a user's second factors obeys: the user must be active, the current
 * password is checked like a login (OWASP ASVS 5.0 7.5.1), and afterwards the user's other sessions are revoked
 * (OWASP ASVS 5.0 7.4.3; RFC 9700 §4.14.2).
 *
 * @module
 */
import { checkPasswordSize, storeCall } from '../auth/session-flows.js';
import { NotFoundError, ReauthenticationRequiredError } from '../errors.js';
import type { RequestContext } from '../events.js';
import type { UserRecord } from '../storage/types.js';
import type { MfaFlowContext } from './mfa-flow-context.js';

/** The user, when active; `NotFoundError` otherwise. */
export async function activeUser(ctx: MfaFlowContext, userId: string): Promise<UserRecord> {
  const user = await storeCall(() => ctx.options.store.users.findById(userId));
  if (!user?.isActive) throw new NotFoundError('User');
  return user;
}

/** Whether the user has an active (confirmed) TOTP factor. */
export async function isTotpEnabled(ctx: MfaFlowContext, userId: string): Promise<boolean> {
  const record = await storeCall(() => ctx.options.store.mfa.getTotp(userId));
  return record?.enabled === true;
}

/**
 * The current password, checked like a login (OWASP ASVS 5.0 7.5.1): a wrong one counts toward the lockout, and
 * a locked account or an account without a password cannot re-authenticate.
 */
export async function reauthenticate(
  ctx: MfaFlowContext,
  user: UserRecord,
  password: unknown,
  context?: RequestContext,
): Promise<void> {
  const { passwords, lockout } = ctx.options;
  if (password === undefined || password === null || password === '') {
    throw new ReauthenticationRequiredError();
  }
  try {
    checkPasswordSize(passwords, password, 'currentPassword');
  } catch {
    throw new ReauthenticationRequiredError();
  }
  if (!user.passwordHash) {
    await passwords.dummyVerify(password);
    throw new ReauthenticationRequiredError();
  }
  const lock = await lockout.state(user.id);
  const { ok } = await passwords.verify(password, user.passwordHash);
  if (!ok && !lock.locked) await lockout.recordFailure(user.id, context);
  if (!ok || lock.locked) throw new ReauthenticationRequiredError();
}

/**
 * Revokes every session of the user but `keepFamilyId` (OWASP ASVS 5.0 7.4.3; RFC 9700 §4.14.2) and emits `token.revoked`.
 * Returns how many tokens were revoked.
 */
export async function revokeOtherSessions(
  ctx: MfaFlowContext,
  userId: string,
  keepFamilyId: string | undefined,
  context?: RequestContext,
): Promise<number> {
  const count = await ctx.options.tokens.revokeAllForUser(userId, { exceptFamilyId: keepFamilyId });
  ctx.options.events.emit('token.revoked', context, ctx.options.clock(), {
    userId,
    scope: 'user',
    reason: 'mfa_changed',
    count,
  });
  return count;
}
