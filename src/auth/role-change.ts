/**
 * Changing a user's role: the flow behind `gatehouse.account.setRole` and the `gatehouse set-role`
 * command.
 *
 * How a role reaches a request, and why a change needs no token to be reissued: an access token
 * carries a `role` claim, but it is only the role when the token was issued. No guard of gatehouse
 * authorizes on it: `authenticate` reads the user with the token's record on every request (one
 * query, or the token-record cache, which a user update invalidates on every instance) and the
 * principal's `role` is the stored one. So the request after `setRole` returns already runs with
 * the new role, on every session of the user (OWASP ASVS v5 8.3.2: changes to what authorization
 * decisions rest on apply immediately). What keeps the old role is the claim inside tokens issued
 * before: a service that verifies gatehouse's tokens on its own (without asking gatehouse) would
 * read it until the token expires (`tokens.accessTokenTtl`); refreshed tokens carry the new role.
 * `revokeSessions` ends every session as well (ASVS v5 7.4.5: an administrator can terminate a
 * user's sessions), for a demotion after a compromise: gatehouse then accepts no token issued
 * before the change, and the user signs in again.
 *
 * @module
 */
import { NotFoundError, ValidationError } from '../errors.js';
import type { RequestContext, SecurityEvents } from '../events.js';
import { isSafeName } from '../policy/names.js';
import type { Roles } from '../policy/roles.js';
import { storeCall } from '../storage/store-call.js';
import { DEFAULT_ROLE, type UserRepository } from '../storage/types.js';

/** Options of `AccountService.setRole`. */
export interface SetRoleOptions {
  /**
   * Also revoke every access and refresh token of the user (every session, API keys excepted), so
   * the user must sign in again. For a demotion after a compromise. Default `false`: sessions go
   * on, with the new role from the next request.
   */
  readonly revokeSessions?: boolean;
  /** Who is making the change (e.g. the administrator's user id), recorded in the event. */
  readonly changedBy?: string;
}

/** What `setRole` did. */
export interface RoleChange {
  readonly userId: string;
  /** The role before. */
  readonly from: string;
  /** The role now. */
  readonly to: string;
  /** `false` when the user already had the role: nothing was written and no `user.role_changed` emitted. */
  readonly changed: boolean;
  /** Tokens revoked (`revokeSessions`), else 0. */
  readonly revokedTokens: number;
}

/**
 * The role is not one of the configured `authorization.roles` (nor `USER`, the role every account
 * is registered with, which is always allowed). A `ValidationError` (`ERR_VALIDATION`, 400)
 * with one issue, `{ field: 'role', rule: 'unknown_role' }`: assigning a role that no definition
 * grants anything to would give the user nothing while looking like a promotion (a typo such as
 * `ADMNI`), so it is refused rather than stored.
 */
export class UnknownRoleError extends ValidationError {
  /** The refused role. */
  readonly role: string;
  /** The roles that may be assigned: the configured ones and `USER`. Not part of `toJSON()`. */
  readonly knownRoles: readonly string[];

  constructor(role: string, knownRoles: readonly string[]) {
    super(
      [{ field: 'role', rule: 'unknown_role', message: 'The role is not defined by the configured roles' }],
      'Unknown role',
    );
    this.role = role;
    this.knownRoles = knownRoles;
  }
}

/** What {@link changeRole} needs: the users, a way to end sessions, the events and the clock. */
export interface RoleChangeDeps {
  readonly users: UserRepository;
  /** Revokes every token of the user; resolves to how many (`TokenService.revokeAllForUser`). */
  readonly revokeAllForUser: (userId: string) => Promise<number>;
  readonly events: SecurityEvents;
  readonly clock: () => Date;
  /** `authorization.roles`: when set, only these roles (and `USER`) may be assigned. */
  readonly roles?: Roles | undefined;
  /** Where the change comes from, for the event. Default `service`. */
  readonly via?: 'service' | 'cli';
}

/**
 * Checks a role name: a string that `defineRoles` would accept as a name (a letter or `_`, then
 * letters, digits, `_` or `-`, at most 64 characters; so any role set now can be defined later),
 * and, when `roles` is configured, one of its roles or `USER`. Returns it, or throws
 * `ValidationError` (`invalid_role`) or {@link UnknownRoleError}.
 */
export function checkRole(role: unknown, roles: Roles | undefined): string {
  if (!isSafeName(role)) {
    throw new ValidationError([
      {
        field: 'role',
        rule: 'invalid_role',
        message: 'A role is a letter or _, then letters, digits, _ or -, at most 64 characters',
      },
    ]);
  }
  if (roles && role !== DEFAULT_ROLE && !roles.names.includes(role)) {
    throw new UnknownRoleError(role, [...new Set([...roles.names, DEFAULT_ROLE])]);
  }
  return role;
}

/**
 * Sets the role of the user `userId` (see the module documentation for when it takes effect).
 * Checks the role first ({@link checkRole}: nothing is read or written for a refused one), then
 * that the user exists (`NotFoundError`), writes the role when it differs, revokes every
 * token of the user with `revokeSessions`, and emits `user.role_changed` (only when the role
 * changed) and, with `revokeSessions`, `token.revoked` (`scope: 'user'`, `reason: 'admin'`).
 * It checks nobody's permission: call it only behind your own administrator check.
 */
export async function changeRole(
  deps: RoleChangeDeps,
  userId: string,
  role: unknown,
  options: SetRoleOptions = {},
  context?: RequestContext,
): Promise<RoleChange> {
  const to = checkRole(role, deps.roles);
  const user = await storeCall(() => deps.users.findById(userId));
  if (!user) throw new NotFoundError('User');
  const from = user.role;
  const changed = from !== to;
  if (changed) {
    const updated = await storeCall(() => deps.users.update(userId, { role: to }, deps.clock()));
    if (!updated) throw new NotFoundError('User');
  }
  const revokedTokens = options.revokeSessions ? await deps.revokeAllForUser(userId) : 0;
  const now = deps.clock();
  if (changed) {
    deps.events.emit('user.role_changed', context, now, {
      userId,
      from,
      to,
      changedBy: options.changedBy ?? null,
      via: deps.via ?? 'service',
      revokedTokens,
    });
  }
  if (options.revokeSessions) {
    deps.events.emit('token.revoked', context, now, {
      userId,
      scope: 'user',
      reason: 'admin',
      count: revokedTokens,
    });
  }
  return { userId, from, to, changed, revokedTokens };
}
