/**
 * How a provider login ends for the local account: the same account-state rules as a password
 * login (OWASP ASVS 5.0 6.3.4, 6.1.3), `login.failed` with a reason, or tokens and `login.succeeded`.
 *
 * @module
 */
import type { AuthError } from '../errors.js';
import type { RequestContext } from '../events.js';
import type { UserRecord } from '../storage/types.js';
import type { IssuedTokens } from '../token/token-service.js';
import { OAuthFailedError } from './errors.js';
import type { OAuthFlowContext } from './oauth-flow-context.js';

/**
 * The account behind a provider login is disabled or locked. Answered like any failed login
 * (`ERR_OAUTH_FAILED`), so the response does not tell the account's state; the event does.
 */
class AccountUnavailableError extends OAuthFailedError {
  readonly reason: 'account_disabled' | 'account_locked';

  constructor(reason: 'account_disabled' | 'account_locked') {
    super();
    this.reason = reason;
  }
}

/** OWASP ASVS 5.0 6.3.4, 6.1.3: a provider login obeys the same account state as a password login. */
export async function assertMayLogIn(ctx: OAuthFlowContext, user: UserRecord): Promise<void> {
  if (!user.isActive) throw new AccountUnavailableError('account_disabled');
  const lock = await ctx.options.lockout.state(user.id);
  if (lock.locked) throw new AccountUnavailableError('account_locked');
}

/** Emits `login.failed` for a provider login, with the reason `error` stands for. */
export function recordLoginFailure(
  ctx: OAuthFlowContext,
  provider: string,
  error: AuthError,
  userId: string | null,
  context?: RequestContext,
): void {
  const reason =
    error instanceof AccountUnavailableError
      ? error.reason
      : error.code === 'ERR_OAUTH_INVALID_STATE'
        ? 'oauth_invalid_state'
        : error.code === 'ERR_OAUTH_DENIED'
          ? 'oauth_denied'
          : error.code === 'ERR_OAUTH_EMAIL_NOT_VERIFIED'
            ? 'oauth_email_not_verified'
            : error.code === 'ERR_OAUTH_ACCOUNT_EXISTS'
              ? 'oauth_account_exists'
              : 'oauth_failed';
  ctx.options.events.emit('login.failed', context, ctx.options.clock(), {
    userId,
    factor: 'oauth',
    reason,
    provider,
  });
}

/** Issues the user's tokens for a provider login and emits `login.succeeded`. */
export async function issueSession(
  ctx: OAuthFlowContext,
  user: UserRecord,
  provider: string,
  context?: RequestContext,
): Promise<IssuedTokens> {
  const tokens = await ctx.options.tokens.issue({ id: user.id, role: user.role }, context);
  ctx.options.events.emit('login.succeeded', context, ctx.options.clock(), {
    userId: user.id,
    factor: 'oauth',
    familyId: tokens.familyId,
    provider,
  });
  return tokens;
}
