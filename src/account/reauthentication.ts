/**
 * The current-password check of a signed-in user before a sensitive change (OWASP ASVS 5.0 6.3.4, 6.1.3), used by the
 * email change, self-service deletion and, through `AccountService.reauthenticate`, other services.
 *
 * @module
 */
import { ReauthenticationRequiredError } from '../errors.js';
import type { RequestContext } from '../events.js';
import type { UserRecord } from '../storage/types.js';
import type { AccountFlowContext } from './account-flow-context.js';

/**
 * Checks the current password of a signed-in user before a sensitive change. It is a password
 * check like a login (OWASP ASVS 5.0 6.3.4, 6.1.3): the per-IP failure throttle applies, a wrong password counts
 * toward the account lockout and emits `login.failed`, and a locked account is refused even
 * with the right password. A missing password is refused without counting.
 */
export async function reauthenticate(
  ctx: AccountFlowContext,
  user: UserRecord,
  password: unknown,
  context?: RequestContext,
): Promise<void> {
  const { limiter, lockout, passwords, events, config } = ctx.options;
  if (typeof password !== 'string') throw new ReauthenticationRequiredError();
  const ip = context?.ip;
  const ipLimit = config.rateLimits.loginFailuresPerIp;
  await limiter.check('login-failures-ip', ip, ipLimit);
  const lock = await lockout.state(user.id);
  let ok = false;
  if (user.passwordHash) ({ ok } = await passwords.verify(password, user.passwordHash));
  else await passwords.dummyVerify(password);
  if (ok && !lock.locked) {
    await lockout.recordSuccess(user.id);
    return;
  }
  if (!lock.locked && user.passwordHash) await lockout.recordFailure(user.id, context);
  await limiter.record('login-failures-ip', ip, ipLimit);
  const reason = lock.locked ? 'account_locked' : user.passwordHash ? 'wrong_password' : 'no_password';
  events.emit('login.failed', context, ctx.options.clock(), {
    userId: user.id,
    factor: 'password',
    reason,
  });
  throw new ReauthenticationRequiredError();
}
