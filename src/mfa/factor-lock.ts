/**
 * The second-factor lock: after `mfa.maxFailures` consecutive failed second-factor attempts (across
 * logins, sessions and instances) TOTP is locked for the account, and stays locked until a login
 * with a backup code, a completed password reset, or an administrator lifts it.
 *
 * Why: a wrong TOTP code after a right password means the password is probably known to someone
 * else, and the rate limit alone (`rateLimits.mfaPerUser`) and the temporary account lockout only
 * slow the guessing down. NIST SP 800-63B-4 §3.2.2 asks the verifier to limit consecutive failed
 * attempts on one account (at most 100) and to reset the count on success; RFC 4226 §7.3 suggests
 * locking the account after a number of failed attempts; OWASP ASVS 5.0 V6.3 asks for brute-force
 * controls (6.3.1) and for telling the user about suspicious attempts (6.3.5, the notice mail).
 *
 * With the defaults (10 failures, counted over 30 days, reset by every completed login) an
 * attacker who knows the password gets at most 9 guesses per 30 days without tripping the lock
 * (each with a chance of at most 3 in 10^6 with a ±1 step window): under 3.3 × 10^-4 a year, and
 * the owner hears about it at the third failure (`mfa.suspicious`) and at the lock (`mfa.locked`).
 * The lock does not expire on its own: an attacker who keeps guessing gains nothing, and the owner
 * still gets in with a backup code or a password reset, which also replaces the leaked password.
 *
 * Everything lives in the store (the counter in the `CounterStore`, the lock in the `StateStore`),
 * never in process memory, so every instance sharing the store sees the same count and lock.
 *
 * @module
 */
import type { RequestContext, SecurityEvents } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import type { CounterStore, StateStore } from '../storage/types.js';

/** The counter of the user's consecutive failed second-factor attempts (reset by a completed login). */
export const mfaFailureKey = (userId: string): string => `mfa:fail:${userId}`;

/** The state entry that locks the user's TOTP factor: present (no expiry) while locked. */
export const mfaLockKey = (userId: string): string => `mfa:lock:${userId}`;

/** What lifted a second-factor lock. */
export type MfaUnlockReason = 'backup_code' | 'password_reset' | 'admin';

/** Whether the user's TOTP factor is locked, since when, and after how many failures. */
export interface SecondFactorLockState {
  readonly locked: boolean;
  /** When the lock was set; `null` when not locked. */
  readonly since: Date | null;
  /** The consecutive failures that set it; 0 when not locked. */
  readonly failures: number;
}

/** The stores, events and clock the lock works with. */
export interface FactorLockDeps {
  readonly state: StateStore;
  readonly counters: CounterStore;
  readonly events: SecurityEvents;
  readonly clock: () => Date;
}

interface LockRecord {
  /** Epoch milliseconds. */
  readonly at: number;
  readonly failures: number;
}

const UNLOCKED: SecondFactorLockState = Object.freeze({ locked: false, since: null, failures: 0 });

/** The user's second-factor lock state, read from the store. */
export async function secondFactorLockState(
  deps: FactorLockDeps,
  userId: string,
): Promise<SecondFactorLockState> {
  const raw = await storeCall(() => deps.state.get(mfaLockKey(userId), deps.clock()));
  if (raw === null) return UNLOCKED;
  const record = JSON.parse(raw) as LockRecord;
  return { locked: true, since: new Date(record.at), failures: record.failures };
}

/**
 * Called with the count after a failed attempt: at `maxFailures` or more, locks the factor (no
 * expiry). Returns `true` when this call set the lock (then emit `mfa.locked` and mail the owner),
 * `false` when the count is below the limit or the lock was already there. Of concurrent failures
 * the atomic counter gives exactly one the count `maxFailures`, and only that one reports it.
 */
export async function lockWhenDue(
  deps: FactorLockDeps,
  userId: string,
  failures: number,
  maxFailures: number,
): Promise<boolean> {
  if (failures < maxFailures) return false;
  // Past the limit the lock is normally there already (set at the limit): keep its record.
  if (failures > maxFailures && (await secondFactorLockState(deps, userId)).locked) return false;
  const record: LockRecord = { at: deps.clock().getTime(), failures };
  await storeCall(() => deps.state.set(mfaLockKey(userId), JSON.stringify(record), null));
  return true;
}

/**
 * Lifts the user's second-factor lock and starts the failure count again. `true`, and an
 * `mfa.unlocked` event, only when a lock was there (the lock is taken atomically, so concurrent
 * lifts report it once). Exported for the password-reset flow, which lifts it too.
 */
export async function liftSecondFactorLock(
  deps: FactorLockDeps,
  userId: string,
  reason: MfaUnlockReason,
  context?: RequestContext,
): Promise<boolean> {
  const taken = await storeCall(async () => {
    const lock = await deps.state.take(mfaLockKey(userId), deps.clock());
    await deps.counters.reset(mfaFailureKey(userId));
    return lock;
  });
  if (taken === null) return false;
  deps.events.emit('mfa.unlocked', context, deps.clock(), { userId, reason });
  return true;
}

/** Forgets the lock and the count without an event: the factor itself is being removed. */
export async function clearSecondFactorLock(deps: FactorLockDeps, userId: string): Promise<void> {
  await storeCall(async () => {
    await deps.state.delete(mfaLockKey(userId));
    await deps.counters.reset(mfaFailureKey(userId));
  });
}
