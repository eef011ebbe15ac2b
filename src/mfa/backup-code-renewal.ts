/**
 * New sets of backup codes (NIST SP 800-63B-4 §3.1.2, §4.2.1.1; OWASP ASVS 5.0 6.5.1, 6.5.2, 6.5.4): generated, stored as hashes only, shown once. A new set
 * replaces the old one at once, both when TOTP is confirmed and on the user's request.
 *
 * @module
 */
import { storeCall } from '../auth/session-flows.js';
import { NotFoundError } from '../errors.js';
import type { RequestContext } from '../events.js';
import { generateBackupCodes, hashBackupCode } from './backup-codes.js';
import { activeUser, isTotpEnabled, reauthenticate, revokeOtherSessions } from './factor-change-rules.js';
import type { MfaFlowContext } from './mfa-flow-context.js';
import type { BackupCodeSet, ReauthenticationInput } from './mfa-service.js';

/** Stores the hashes of `mfa.backupCodeCount` new codes in place of the old set; returns the codes. */
export async function replaceBackupCodes(ctx: MfaFlowContext, userId: string, now: Date): Promise<string[]> {
  const codes = generateBackupCodes(ctx.options.config.mfa.backupCodeCount);
  const hashes = codes.map((code) => hashBackupCode(code));
  await storeCall(() => ctx.options.store.mfa.replaceBackupCodes(userId, hashes, now));
  return codes;
}

/** See `MfaService.regenerateBackupCodes`. */
export async function regenerateBackupCodes(
  ctx: MfaFlowContext,
  userId: string,
  input: ReauthenticationInput,
  context: RequestContext | undefined,
  options: { keepFamilyId?: string },
): Promise<BackupCodeSet> {
  const { events } = ctx.options;
  const user = await activeUser(ctx, userId);
  await reauthenticate(ctx, user, input?.currentPassword, context);
  if (!(await isTotpEnabled(ctx, userId))) throw new NotFoundError('Second factor');
  const backupCodes = await replaceBackupCodes(ctx, userId, ctx.options.clock());
  const revokedTokens = await revokeOtherSessions(ctx, userId, options.keepFamilyId, context);
  events.emit('mfa.backup_codes_regenerated', context, ctx.options.clock(), { userId, revokedTokens });
  ctx.notify(user.email, 'New backup codes created', context);
  return { backupCodes };
}
