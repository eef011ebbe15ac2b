/**
 * The second step of a login (RFC 6238 §5.2; OWASP ASVS 5.0 6.5.5, 6.5.8 to NIST SP 800-63B-4 §3.2.2; RFC 4226 §7.3, OWASP ASVS 5.0 2.3.1, 6.6.2; RFC 8725 §3.12, NIST SP 800-63B-4 §3.1.2, §4.2.1.1; OWASP ASVS 5.0 6.5.1, 6.5.2, 6.5.4, OWASP ASVS 5.0 6.6.3; NIST SP 800-63B-4 §3.2.2, OWASP ASVS 5.0 6.3.5): the challenge issued
 * when the password was right for an account with an active factor, and its completion with a TOTP
 * code or a backup code. Wrong codes count toward the lockout and a per-user rate limit, a run of
 * them raises `mfa.suspicious` and a security notice, and `mfa.maxFailures` of them lock TOTP for
 * the account until a backup code, a password reset or an administrator lifts it (see
 * `factor-lock.ts`; NIST SP 800-63B-4 §3.2.2, OWASP ASVS 5.0 V6.3).
 *
 * A challenge issued for an OAuth login code carries the code's redemption: if the code is
 * presented again, the challenge is refused, or the tokens it issued are revoked (RFC 6749 §10.5).
 *
 * @module
 */
import type { AuthenticatedLogin, MfaRequiredLogin } from '../auth/login-result.js';
import { toPublicUser } from '../auth/public-user.js';
import { storeCall } from '../auth/session-flows.js';
import { OneTimeTokenError, PasswordChangeRequiredError, ValidationError } from '../errors.js';
import type { MfaMethod, RequestContext } from '../events.js';
import {
  type CodeRedemptionDeps,
  type RedemptionRef,
  recordIssued,
  wasReused,
} from '../oauth/code-redemption.js';
import type { UserRecord } from '../storage/types.js';
import { hashBackupCode, normalizeBackupCode } from './backup-codes.js';
import { InvalidMfaCodeError } from './errors.js';
import {
  type FactorLockDeps,
  liftSecondFactorLock,
  lockWhenDue,
  mfaFailureKey,
  secondFactorLockState,
} from './factor-lock.js';
import type { MfaFlowContext } from './mfa-flow-context.js';
import type { MfaProof } from './mfa-service.js';
import { openSecret } from './secret-box.js';
import { verifyTotp } from './totp.js';

/** Consecutive failed second-factor attempts after which `mfa.suspicious` is emitted (OWASP ASVS 5.0 6.3.5). */
export const MFA_SUSPICIOUS_AFTER = 3;

/** What a challenge remembers of its login attempt. */
interface ChallengeData {
  readonly scope: readonly string[];
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** The OAuth login code this challenge was issued for, if any. */
  readonly redemption?: RedemptionRef;
}

type FailureReason = 'wrong_code' | 'replayed' | 'not_enrolled' | 'account_locked' | 'factor_locked';

/** The second-factor lock's stores, events and clock. */
export function factorLockDeps(ctx: MfaFlowContext): FactorLockDeps {
  const { store, events, clock } = ctx.options;
  return { state: store.state, counters: store.counters, events, clock };
}

function redemptionDeps(ctx: MfaFlowContext): CodeRedemptionDeps {
  const { store, tokens, events, clock } = ctx.options;
  return { state: store.state, tokens, events, clock };
}

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
  options: { readonly redemption?: RedemptionRef } = {},
): Promise<MfaRequiredLogin> {
  const { config, oneTimeTokens, store, events } = ctx.options;
  const ttl = config.mfa.challengeTtl;
  const data: ChallengeData = {
    scope: [...scope],
    ip: context?.ip ?? null,
    userAgent: context?.userAgent ?? null,
    ...(options.redemption ? { redemption: options.redemption } : {}),
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
  const peeked = await oneTimeTokens.peek<ChallengeData>('mfa_challenge', challenge);
  const { userId } = peeked;
  await limiter.hit('mfa-user', userId, config.rateLimits.mfaPerUser);
  const user = await storeCall(() => store.users.findById(userId));
  if (!user?.isActive) throw new OneTimeTokenError();
  // The login code behind this challenge was presented again: the login is void (RFC 6749 §10.5).
  const origin = peeked.data?.redemption;
  if (origin && (await wasReused(redemptionDeps(ctx), origin))) throw new OneTimeTokenError();
  const fail = (reason: FailureReason): Promise<never> => failed(ctx, user, method, reason, context);
  if ((await lockout.state(userId)).locked) return fail('account_locked');

  const { mfa } = store;
  const now = ctx.options.clock();
  if (method === 'totp') {
    // A locked factor is not checked at all: the right code is refused like any other.
    if ((await secondFactorLockState(factorLockDeps(ctx), userId)).locked) return fail('factor_locked');
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
  // A backup code lifts a second-factor lock (and, like any completed login, resets the count).
  if (method === 'backup_code')
    await liftSecondFactorLock(factorLockDeps(ctx), userId, 'backup_code', context);
  else await storeCall(() => store.counters.reset(mfaFailureKey(userId)));
  if (user.passwordChangeRequired) throw new PasswordChangeRequiredError();
  const issued = await tokens.issue({ id: user.id, role: user.role }, context, {
    scope: Array.isArray(data.scope) ? data.scope : [],
  });
  // The login code came back while these were issued: they are revoked already, so not handed out.
  if (
    data.redemption &&
    (await recordIssued(redemptionDeps(ctx), data.redemption, userId, issued.familyId, context))
  ) {
    throw new OneTimeTokenError();
  }
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
 * Records a failed attempt (not for a locked account or factor: those are only reported, the code
 * was not checked), emits `mfa.failed`, at {@link MFA_SUSPICIOUS_AFTER} in a row `mfa.suspicious`
 * with a security notice, and at `mfa.maxFailures` in a row locks the factor (`mfa.locked`, and a
 * notice that says how to get back in); then throws `InvalidMfaCodeError`.
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
  const counted = reason !== 'account_locked' && reason !== 'factor_locked';
  let consecutiveFailures: number;
  if (!counted) {
    consecutiveFailures = (await storeCall(() => store.counters.get(key, now)))?.count ?? 0;
  } else {
    await lockout.recordFailure(user.id, context);
    const window = config.mfa.failureWindow;
    consecutiveFailures = (await storeCall(() => store.counters.increment(key, window, now))).count;
  }
  events.emit('mfa.failed', context, now, { userId: user.id, method, reason, consecutiveFailures });
  if (counted && consecutiveFailures === MFA_SUSPICIOUS_AFTER) {
    events.emit('mfa.suspicious', context, now, { userId: user.id, consecutiveFailures });
    ctx.notify(user.email, 'Failed two-factor sign-in attempts after a correct password', context);
  }
  if (
    counted &&
    (await lockWhenDue(factorLockDeps(ctx), user.id, consecutiveFailures, config.mfa.maxFailures))
  ) {
    events.emit('mfa.locked', context, now, { userId: user.id, failures: consecutiveFailures });
    ctx.notify(
      user.email,
      'Two-factor sign-in locked after repeated wrong codes',
      context,
      `Your password was entered correctly, followed by ${consecutiveFailures} wrong two-factor codes in a row, ` +
        'so sign-in with your authenticator app is locked. To sign in, use one of your backup codes, or reset ' +
        'your password, which also lifts the lock. Your password is probably known to someone else: change it.',
    );
  }
  throw new InvalidMfaCodeError();
}
