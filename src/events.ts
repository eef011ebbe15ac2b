/**
 * Typed security events. Every flow emits one; listeners forward them to logs, metrics or
 * notifications. Events never carry a secret: no password, no token, no hash, no OTP — only
 * ids, the client's IP and user agent, the time and an outcome.
 *
 * @module
 */
import type { TokenCheck, TokenRejectionReason } from './token/rejection.js';

/** Where a request came from. Passed by the HTTP layer (or the caller) into every flow. */
export interface RequestContext {
  /** Client IP as determined by trusted-proxy configuration, never a raw `X-Forwarded-For`. */
  readonly ip?: string | null;
  /** The `User-Agent` header, truncated by the caller if it wishes. */
  readonly userAgent?: string | null;
}

/**
 * How a user proved who they are: `password` (a login without a second factor), `basic` (HTTP
 * Basic), or, for a login completed with a second factor after the password, `totp` or
 * `backup_code`; `device_code` for tokens issued to a device the signed-in user approved (RFC 8628).
 */
export type AuthenticationFactor = 'password' | 'basic' | 'totp' | 'backup_code' | 'device_code' | 'oauth';

/** A second factor a login challenge can be answered with. */
export type MfaMethod = 'totp' | 'backup_code';

/** Fields every event carries. */
interface BaseEvent {
  /** When it happened (from the configured clock), UTC. */
  readonly at: Date;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/** The payload of each event type, keyed by type. */
export interface SecurityEventMap {
  'user.registered': { readonly userId: string };
  'login.succeeded': {
    readonly userId: string;
    readonly factor: AuthenticationFactor;
    /** The token family started by this login; `null` when no tokens were issued (HTTP Basic). */
    readonly familyId: string | null;
    /** For `factor: 'oauth'`: the configured provider name. */
    readonly provider?: string;
  };
  'login.failed': {
    /** Set when the identifier matched an account. */
    readonly userId: string | null;
    readonly factor: AuthenticationFactor;
    readonly reason:
      | 'unknown_user'
      | 'wrong_password'
      | 'account_disabled'
      | 'account_locked'
      | 'no_password'
      /** HTTP Basic for an account with a second factor: a password alone is not enough. */
      | 'mfa_required'
      /** Login with an identity provider (`factor: 'oauth'`): see `provider` and the OAuth reasons. */
      | 'oauth_invalid_state'
      | 'oauth_denied'
      | 'oauth_failed'
      | 'oauth_email_not_verified'
      | 'oauth_account_exists';
    /** For `factor: 'oauth'`: the configured provider name. */
    readonly provider?: string;
  };
  'password.rehashed': { readonly userId: string; readonly from: 'argon2' | 'bcrypt' | 'scrypt' | 'unknown' };
  'password.changed': { readonly userId: string; readonly revokedTokens: number };
  'token.refreshed': {
    readonly userId: string;
    readonly familyId: string;
    /**
     * Set when the token presented had already been rotated and came back within
     * `tokens.refreshReuseInterval`: the same successor was handed out again (parallel tabs, a
     * retry). Worth watching: a thief racing the client within the interval looks the same.
     */
    readonly withinReuseInterval?: true;
  };
  /**
   * A presented access token was refused by `authenticate`/`authenticateSubject` (the guards):
   * forged, `alg: none`, expired, malformed, revoked, or its account gone or disabled. `code` is the
   * error code, `check` and `reason` the fixed-vocabulary detail of the token error (never a value
   * from the token; `null` when the error named none). Rate-limited per reason class in each
   * process (`tokens.rejectedEvents`, default 10 a minute), so an attack cannot flood the log:
   * `suppressed` counts the events of the same class dropped since the last one emitted.
   */
  'token.rejected': {
    readonly code: 'ERR_TOKEN_INVALID' | 'ERR_TOKEN_EXPIRED' | 'ERR_TOKEN_REVOKED' | 'ERR_ACCOUNT_DISABLED';
    readonly check: TokenCheck | null;
    readonly reason: TokenRejectionReason | null;
    readonly suppressed: number;
  };
  'token.revoked': {
    readonly userId: string | null;
    readonly scope: 'token' | 'family' | 'user';
    readonly reason:
      | 'logout'
      | 'logout_all'
      | 'password_changed'
      | 'account_disabled'
      | 'admin'
      | 'reuse'
      /** A second factor was enabled, disabled or its backup codes replaced (OWASP ASVS 5.0 7.4.3; RFC 9700 §4.14.2). */
      | 'mfa_changed';
    readonly count: number;
  };
  'refresh.reused': { readonly userId: string; readonly familyId: string };
  /**
   * A one-time code was presented again after it had been redeemed (RFC 6749 §10.5; RFC 9700
   * §4.5): the second attempt was refused and the token family the first redemption started was
   * revoked (`token.revoked` with reason `reuse` is emitted for it too). The code was probably
   * intercepted, or the client sent it twice.
   */
  'code.reused': {
    /** The user the first redemption was for. */
    readonly userId: string;
    /** `login_code`: the OAuth login code of `/oauth/exchange`; `device_code`: the device grant. */
    readonly kind: 'login_code' | 'device_code';
    /** For a device code, the client it was issued to; `null` for a login code. */
    readonly clientId: string | null;
    /**
     * The family revoked; `null` when the first redemption had issued none yet (it is then revoked
     * as soon as it is issued), or issued none at all (a second factor was still due).
     */
    readonly familyId: string | null;
    /** Tokens revoked by this attempt. */
    readonly revokedTokens: number;
  };
  'account.disabled': { readonly userId: string };
  'account.locked': {
    readonly userId: string;
    /** When the lock ends; `null` when only an administrator or a password reset lifts it. */
    readonly until: Date | null;
    readonly failures: number;
  };
  'account.unlocked': { readonly userId: string; readonly reason: 'admin' | 'password_reset' };
  'rate.limited': { readonly bucket: string; readonly retryAfter: number };
  /** A rate limit let a request through uncounted: its counter store failed and `rateLimits.failOpen` is on. */
  'rate.unchecked': { readonly bucket: string };
  'account.deleted': { readonly userId: string };
  'email.verification_sent': { readonly userId: string };
  'email.verified': { readonly userId: string };
  'email.change_requested': { readonly userId: string };
  'email.changed': { readonly userId: string };
  /** `userId` is `null` when no account matched (the requester is told nothing either way). */
  'password.reset_requested': { readonly userId: string | null };
  'password.reset': { readonly userId: string; readonly revokedTokens: number };
  'account.enabled': { readonly userId: string };
  /**
   * A user's role was changed (`gatehouse.account.setRole`, or `gatehouse set-role` on the command
   * line): a change of privileges, logged at `warn` by `subscribeJsonLines` (OWASP Logging
   * Vocabulary, `authz_change`). Guards read the new role from the next request on.
   */
  'user.role_changed': {
    readonly userId: string;
    readonly from: string;
    readonly to: string;
    /** The id of whoever made the change, when the caller names them (`changedBy`); else `null`. */
    readonly changedBy: string | null;
    /** `service`: through `setRole`; `cli`: through `gatehouse set-role`. */
    readonly via: 'service' | 'cli';
    /** Tokens revoked with the change (`revokeSessions: true`); 0 when the sessions were kept. */
    readonly revokedTokens: number;
  };
  /** TOTP enrolment started: a pending secret was stored (not active until confirmed). */
  'mfa.enrolment_started': { readonly userId: string };
  /** A second factor became active (enrolment confirmed); other sessions were revoked. */
  'mfa.enabled': { readonly userId: string; readonly method: 'totp'; readonly revokedTokens: number };
  /** The second factor and backup codes were removed; other sessions were revoked. */
  'mfa.disabled': {
    readonly userId: string;
    /** `user`: self-service with the password; `admin`: `gatehouse.mfa.resetForUser`. */
    readonly by: 'user' | 'admin';
    readonly revokedTokens: number;
  };
  /** A new set of backup codes replaced the old one. */
  'mfa.backup_codes_regenerated': { readonly userId: string; readonly revokedTokens: number };
  /** A password was right and the account has a second factor: a challenge was issued, no tokens. */
  'mfa.challenged': { readonly userId: string };
  /** A second-factor check at login failed (OWASP ASVS 5.0 6.3.5). Counts toward the account lockout. */
  'mfa.failed': {
    readonly userId: string;
    readonly method: MfaMethod;
    /**
     * `factor_locked`: a TOTP code while the second factor is locked (see `mfa.locked`); it is not
     * checked and not counted.
     */
    readonly reason: 'wrong_code' | 'replayed' | 'not_enrolled' | 'account_locked' | 'factor_locked';
    /** Consecutive second-factor failures of this user, this one included. */
    readonly consecutiveFailures: number;
  };
  /**
   * `mfa.maxFailures` consecutive second-factor failures (across logins and instances): TOTP is
   * locked for the account until a backup code, a password reset or an administrator lifts it
   * (NIST SP 800-63B-4 §3.2.2; OWASP ASVS 5.0 V6.3). The owner is mailed a notice when a mailer is set.
   */
  'mfa.locked': { readonly userId: string; readonly failures: number };
  /** The second-factor lock was lifted: by a login with a backup code, a password reset, or an administrator. */
  'mfa.unlocked': { readonly userId: string; readonly reason: 'backup_code' | 'password_reset' | 'admin' };
  /**
   * A correct password followed by repeated failed second-factor attempts (OWASP ASVS 5.0 6.3.5): the password is
   * probably known to someone else. The owner is mailed a security notice when a mailer is set.
   */
  'mfa.suspicious': { readonly userId: string; readonly consecutiveFailures: number };
  /** A backup code was used to complete a login. */
  'mfa.backup_code_used': { readonly userId: string; readonly remaining: number };
  /**
   * An authorization decision (the policy evaluator's decision log, or a guard's decider that
   * failed). Off by default: fail-closed decisions are reported as soon as an evaluator or the
   * guards have an event bus, every deny or every decision on request. Entities are `type:id`.
   */
  'authz.decision': {
    readonly subject: string;
    readonly action: string;
    readonly resource: string;
    readonly allowed: boolean;
    /** The stable decision code: `granted`, `not_granted`, `deny_rule`, `store_error`, ... */
    readonly code: string;
    /** `true` when the deny comes from a failure (store, condition input, limit, timeout), not the data (OWASP ASVS 5.0 16.5.3). */
    readonly failClosed: boolean;
    readonly durationMs: number;
  };
  /**
   * An identity at a provider was linked to a user: at the first login through it (`login`, a new
   * account), by a verified email when `oauth.linkByEmail` allows it (`email`), or by the signed-in
   * user (`link`).
   */
  'identity.linked': {
    readonly userId: string;
    readonly provider: string;
    readonly via: 'login' | 'email' | 'link';
  };
  /** A linked identity was removed by its user or an administrator. */
  'identity.unlinked': { readonly userId: string; readonly provider: string };
  /** The kept provider tokens of a user were refreshed at the provider (never the tokens themselves). */
  'identity.tokens_refreshed': { readonly userId: string; readonly provider: string };
  /** A service client was registered (admin). Its secret is never part of an event. */
  'client.registered': { readonly clientId: string };
  /**
   * A client got a new secret; `revokedTokens` tokens issued to it (its own and users' device-grant
   * sessions) were revoked with the old one (0 with `keepTokens`).
   */
  'client.secret_rotated': { readonly clientId: string; readonly revokedTokens: number };
  /**
   * A client was disabled, enabled again, or deleted. `revokedTokens` counts every token issued to
   * it that was revoked: its own and users' sessions obtained through it (device grant).
   */
  'client.disabled': { readonly clientId: string; readonly revokedTokens: number };
  'client.enabled': { readonly clientId: string };
  'client.deleted': { readonly clientId: string; readonly revokedTokens: number };
  /** A client authenticated at the token or device-authorization endpoint. */
  'client.authenticated': { readonly clientId: string; readonly grantType: string };
  /**
   * Client authentication failed (`invalid_client`). Counts toward the per-IP failed-login throttle
   * like a failed password (OWASP ASVS 5.0 6.3.4, 6.1.3). `clientId` is set when the id matched a registered client.
   */
  'client.authentication_failed': {
    readonly clientId: string | null;
    readonly reason:
      | 'unknown_client'
      | 'wrong_secret'
      | 'missing_secret'
      | 'unexpected_secret'
      | 'client_disabled';
  };
  /** A device authorization request (RFC 8628) was started by a client. */
  'device.authorization_requested': { readonly clientId: string };
  /** A signed-in user approved or denied a device's user code. */
  'device.approved': { readonly userId: string; readonly clientId: string };
  'device.denied': { readonly userId: string; readonly clientId: string };
  /** An API key was created (its public id; the secret is never part of an event). */
  'api_key.created': { readonly userId: string; readonly keyId: string; readonly scopes: readonly string[] };
  /** An API key was revoked by its owner. */
  'api_key.revoked': { readonly userId: string; readonly keyId: string };
  /**
   * A presented API key was refused. `keyId`/`userId` are set when the public part matched a key.
   * Counts toward the per-IP failed-login throttle like a failed password (OWASP ASVS 5.0 6.3.4, 6.1.3).
   */
  'api_key.rejected': {
    readonly keyId: string | null;
    readonly userId: string | null;
    readonly reason:
      | 'malformed'
      | 'unknown_key'
      | 'wrong_secret'
      | 'revoked'
      | 'expired'
      | 'account_disabled'
      | 'unknown_user';
  };
}

/** Every event type name. */
export type SecurityEventType = keyof SecurityEventMap;

/** One event: its `type`, the common fields, and the fields of that type. */
export type SecurityEvent<T extends SecurityEventType = SecurityEventType> = T extends SecurityEventType
  ? { readonly type: T } & BaseEvent & SecurityEventMap[T]
  : never;

/** A listener for one event type, or for all (`'*'`). */
export type SecurityEventListener<T extends SecurityEventType = SecurityEventType> = (
  event: SecurityEvent<T>,
) => void;

/**
 * A tiny synchronous event bus. A listener that throws never breaks the flow that emitted the
 * event: the error is passed to `onListenerError` (by default it is swallowed after being
 * reported to `console.error` without the event payload).
 */
export class SecurityEvents {
  readonly #listeners = new Map<SecurityEventType | '*', Set<SecurityEventListener<never>>>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError?: (error: unknown) => void) {
    this.#onListenerError =
      onListenerError ??
      ((error) => {
        console.error('gatehouse: a security event listener threw', error);
      });
  }

  /** Subscribes to one event type, or to every event with `'*'`. Returns an unsubscribe function. */
  on<T extends SecurityEventType>(type: T, listener: SecurityEventListener<T>): () => void;
  on(type: '*', listener: SecurityEventListener): () => void;
  on(type: SecurityEventType | '*', listener: SecurityEventListener<never>): () => void {
    let set = this.#listeners.get(type);
    if (!set) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Emits an event to the listeners of its type and to `'*'` listeners. */
  emit<T extends SecurityEventType>(
    type: T,
    context: RequestContext | undefined,
    at: Date,
    fields: SecurityEventMap[T],
  ): void {
    const specific = this.#listeners.get(type);
    const wildcard = this.#listeners.get('*');
    if (!specific?.size && !wildcard?.size) return;
    const event = Object.freeze({
      type,
      at,
      ip: context?.ip ?? null,
      userAgent: context?.userAgent ?? null,
      ...fields,
    }) as unknown as never;
    for (const set of [specific, wildcard]) {
      if (!set) continue;
      for (const listener of set) {
        try {
          listener(event);
        } catch (error) {
          this.#onListenerError(error);
        }
      }
    }
  }
}
