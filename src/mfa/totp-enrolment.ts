/**
 * TOTP enrolment (OWASP ASVS 5.0 7.5.1): a sealed, inactive secret shown once, then confirmed with a first code
 * from the app, which enables the factor, creates the backup codes and revokes the user's other
 * sessions (OWASP ASVS 5.0 7.4.3; RFC 9700 §4.14.2).
 *
 * @module
 */
import { storeCall } from '../auth/session-flows.js';
import type { ResolvedConfig } from '../config.js';
import { NotFoundError } from '../errors.js';
import type { RequestContext } from '../events.js';
import { replaceBackupCodes } from './backup-code-renewal.js';
import { InvalidMfaCodeError, MfaAlreadyEnabledError } from './errors.js';
import { activeUser, reauthenticate, revokeOtherSessions } from './factor-change-rules.js';
import type { MfaFlowContext } from './mfa-flow-context.js';
import type { BackupCodeSet, ReauthenticationInput, TotpEnrolment } from './mfa-service.js';
import { openSecret, sealSecret } from './secret-box.js';
import { generateTotpSecret, totpQrSvg, totpUri, verifyTotp } from './totp.js';

/** Label parts of the otpauth URI must not contain `:` or control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const LABEL_UNSAFE = /[:\u0000-\u001f\u007f]/g;

/** The issuer of the otpauth URI: `mfa.issuer`, else the app name made safe for the label. */
export function totpIssuer(config: Pick<ResolvedConfig, 'mfa' | 'account'>): string {
  return config.mfa.issuer ?? (config.account.appName.replace(LABEL_UNSAFE, ' ').trim() || 'gatehouse');
}

/** See `MfaService.beginTotpEnrolment`. */
export async function beginTotpEnrolment(
  ctx: MfaFlowContext,
  userId: string,
  input: ReauthenticationInput,
  context?: RequestContext,
): Promise<TotpEnrolment> {
  const keys = ctx.secretKeys();
  const user = await activeUser(ctx, userId);
  await reauthenticate(ctx, user, input?.currentPassword, context);
  const { mfa } = ctx.options.store;
  const existing = await storeCall(() => mfa.getTotp(userId));
  if (existing?.enabled) throw new MfaAlreadyEnabledError();
  const secret = generateTotpSecret();
  const now = ctx.options.clock();
  await storeCall(() =>
    mfa.saveTotp({
      userId,
      secret: sealSecret(keys, secret, userId),
      enabled: false,
      lastUsedStep: null,
      createdAt: now,
      updatedAt: now,
    }),
  );
  const uri = totpUri({
    secret,
    issuer: ctx.issuer,
    accountName: user.email.replace(LABEL_UNSAFE, ''),
  });
  const qrSvg = await totpQrSvg(uri);
  ctx.options.events.emit('mfa.enrolment_started', context, now, { userId });
  return { secret, uri, qrSvg };
}

/** See `MfaService.confirmTotpEnrolment`. */
export async function confirmTotpEnrolment(
  ctx: MfaFlowContext,
  userId: string,
  code: unknown,
  context: RequestContext | undefined,
  options: { keepFamilyId?: string },
): Promise<BackupCodeSet> {
  const { config, limiter, events } = ctx.options;
  const keys = ctx.secretKeys();
  const user = await activeUser(ctx, userId);
  // Its own bucket: fumbling the first code must not block the user's logins.
  await limiter.hit('mfa-enrol-user', userId, config.rateLimits.mfaPerUser);
  const { mfa } = ctx.options.store;
  const record = await storeCall(() => mfa.getTotp(userId));
  if (!record) throw new NotFoundError('TOTP enrolment');
  if (record.enabled) throw new MfaAlreadyEnabledError();
  const now = ctx.options.clock();
  const step =
    typeof code === 'string'
      ? verifyTotp({
          secret: openSecret(keys, record.secret, userId),
          code,
          now,
          window: config.mfa.window,
        })
      : null;
  if (step === null || !(await storeCall(() => mfa.useTotpStep(userId, step, now)))) {
    throw new InvalidMfaCodeError();
  }
  await storeCall(() => mfa.saveTotp({ ...record, enabled: true, lastUsedStep: step, updatedAt: now }));
  const backupCodes = await replaceBackupCodes(ctx, userId, now);
  const revokedTokens = await revokeOtherSessions(ctx, userId, options.keepFamilyId, context);
  events.emit('mfa.enabled', context, ctx.options.clock(), { userId, method: 'totp', revokedTokens });
  ctx.notify(user.email, 'Two-factor authentication enabled', context);
  return { backupCodes };
}
