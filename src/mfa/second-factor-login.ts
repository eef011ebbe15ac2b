/**
 * The second step of a login (MF-03 to MF-05, MF-07, MF-08, RL-06, RL-07): the challenge issued
 * when the password was right for an account with an active factor, and its completion with a TOTP
 * code or a backup code. Wrong codes count toward the lockout and a per-user rate limit, and a run
 * of them raises `mfa.suspicious` and a security notice.
 *
 * @module
 */
import type { AuthenticatedLogin, MfaRequiredLogin } from '../auth/login-result.js';
import { toPublicUser } from '../auth/public-user.js';
import { storeCall } from '../auth/session-flows.js';
import { OneTimeTokenError, PasswordChangeRequiredError, ValidationError } from '../errors.js';
import type { MfaMethod, RequestContext } from '../events.js';
import type { UserRecord } from '../storage/types.js';
import { hashBackupCode, normalizeBackupCode } from './backup-codes.js';
import { InvalidMfaCodeError } from './errors.js';
import type { MfaFlowContext } from './mfa-flow-context.js';
import type { MfaProof } from './mfa-service.js';
import { openSecret } from './secret-box.js';
import { verifyTotp } from './totp.js';

/** Consecutive failed second-factor attempts after which `mfa.suspicious` is emitted (RL-07). */
export const MFA_SUSPICIOUS_AFTER = 3;

/** The counter of the user's consecutive failed second-factor attempts. */
export const mfaFailureKey = (userId: string): string => `mfa:fail:${userId}`;

/** What a challenge remembers of its login attempt. */
interface ChallengeData {
  readonly scope: readonly string[];
  readonly ip: string | null;
  readonly userAgent: string | null;
}

type FailureReason = 'wrong_code' | 'replayed' | 'not_enrolled' | 'account_locked';

function parseProof(proof: unknown): { method: MfaMethod; value: string } {
  const raw = (typeof proof === 'object' && proof !== null ? proof : {}) as Record<string, unknown>;
  const hasCode = raw.code !== undefined;
  const hasBackup = raw.backupCode !== undefined;
  if (hasCode === hasBackup) {
    throw new ValidationError([
      { field: 'code', rule: 'required', message: 'Give either a code or a backup code' },
    ]);
  }
  const value = hasCode ? raw.code : raw.backupCode;
  const field = hasCode ? 'code' : 'backupCode';
  if (typeof value !== 'string') {
    throw new ValidationError([{ field, rule: 'invalid_type', message: 'Must be a string' }]);
  }
  if (value.length > 64) throw new ValidationError([{ field, rule: 'too_long', message: 'Too long' }]);
  return { method: hasCode ? 'totp' : 'backup_code', value };
}

/** See `MfaService.challengeLogin`. */
export async function challengeLogin(
  ctx: MfaFlowContext,
  userId: string,
  context: RequestContext | undefined,
  scope: readonly string[],
): Promise<MfaRequiredLogin> {
  const { config, oneTimeTokens, store, events } = ctx.options;
  const ttl = config.mfa.challengeTtl;
  const data: ChallengeData = {
    scope: [...scope],
    ip: context?.ip ?? null,
    userAgent: context?.userAgent ?? null,
  };
  const challenge = await oneTimeTokens.issue('mfa_challenge', userId, ttl, data);
  const remaining = await storeCall(() => store.mfa.countBackupCodes(userId));
  events.emit('mfa.challenged', context, ctx.options.clock(), { userId });
  return {
    status: 'mfa_required',
    challenge,
    expiresIn: ttl,
    methods: remaining > 0 ? ['totp', 'backup_code'] : ['totp'],
  };
}

/** See `MfaService.completeLogin`. */
export async function completeLogin(
  ctx: MfaFlowContext,
  challenge: unknown,
  proof: MfaProof,
  context?: RequestContext,
): Promise<AuthenticatedLogin> {
  const { oneTimeTokens, limiter, lockout, store, tokens, events, config } = ctx.options;
  const { method, value } = parseProof(proof);
  const { userId } = await oneTimeTokens.peek<ChallengeData>('mfa_challenge', challenge);
  await limiter.hit('mfa-user', userId, config.rateLimits.mfaPerUser);
  const user = await storeCall(() => store.users.findById(userId));
  if (!user?.isActive) throw new OneTimeTokenError();
  const fail = (reason: FailureReason): Promise<never> => failed(ctx, user, method, reason, context);
  if ((await lockout.state(userId)).locked) return fail('account_locked');

  const { mfa } = store;
  const now = ctx.options.clock();
  if (method === 'totp') {
    const keys = ctx.secretKeys();
    const record = await storeCall(() => mfa.getTotp(userId));
    if (!record?.enabled) return fail('not_enrolled');
    const step = verifyTotp({
      secret: openSecret(keys, record.secret, userId),
      code: value,
      now,
      window: config.mfa.window,
    });
    if (step === null) return fail('wrong_code');
    if (!(await storeCall(() => mfa.useTotpStep(userId, step, now)))) return fail('replayed');
  } else {
    const normalized = normalizeBackupCode(value);
    if (normalized === null) return fail('wrong_code');
    const hash = hashBackupCode(normalized);
    if (!(await storeCall(() => mfa.consumeBackupCode(userId, hash)))) return fail('wrong_code');
  }

  const { data } = await oneTimeTokens.redeem<ChallengeData>('mfa_challenge', challenge);
  await lockout.recordSuccess(userId);
  await storeCall(() => store.counters.reset(mfaFailureKey(userId)));
  if (user.passwordChangeRequired) throw new PasswordChangeRequiredError();
  const issued = await tokens.issue({ id: user.id, role: user.role }, context, {
    scope: Array.isArray(data.scope) ? data.scope : [],
  });
  events.emit('login.succeeded', context, ctx.options.clock(), {
    userId,
    factor: method,
    familyId: issued.familyId,
  });
  if (method === 'backup_code') {
    const remaining = await storeCall(() => mfa.countBackupCodes(userId));
    events.emit('mfa.backup_code_used', context, ctx.options.clock(), { userId, remaining });
  }
  return { status: 'authenticated', ...issued, user: toPublicUser(user) };
}

/**
 * Records a failed attempt (not for a locked account: it is only reported), emits `mfa.failed`,
 * and at {@link MFA_SUSPICIOUS_AFTER} in a row `mfa.suspicious` with a security notice; then throws
 * {@link InvalidMfaCodeError}.
 */
async function failed(
  ctx: MfaFlowContext,
  user: UserRecord,
  method: MfaMethod,
  reason: FailureReason,
  context?: RequestContext,
): Promise<never> {
  const { store, lockout, events, config } = ctx.options;
  const now = ctx.options.clock();
  const key = mfaFailureKey(user.id);
  let consecutiveFailures: number;
  if (reason === 'account_locked') {
    consecutiveFailures = (await storeCall(() => store.counters.get(key, now)))?.count ?? 0;
  } else {
    await lockout.recordFailure(user.id, context);
    const window = config.lockout.failureWindow;
    consecutiveFailures = (await storeCall(() => store.counters.increment(key, window, now))).count;
  }
  events.emit('mfa.failed', context, now, { userId: user.id, method, reason, consecutiveFailures });
  if (reason !== 'account_locked' && consecutiveFailures === MFA_SUSPICIOUS_AFTER) {
    events.emit('mfa.suspicious', context, now, { userId: user.id, consecutiveFailures });
    ctx.notify(user.email, 'Failed two-factor sign-in attempts after a correct password', context);
  }
  throw new InvalidMfaCodeError();
}
