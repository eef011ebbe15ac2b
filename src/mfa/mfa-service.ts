/**
 * MfaService: TOTP enrolment, backup codes and the second step of a login (MF-02 to MF-08,
 * RL-06, RL-07, RV-04, EV-06), built on the primitives of this folder and the stores.
 *
 * - Secrets are generated here (160 bits), sealed with AES-256-GCM under `mfa.secretKeys` with
 *   the user id as associated data, and shown only in the answer to
 *   {@link MfaService.beginTotpEnrolment}.
 * - A factor is active only after a valid first code ({@link MfaService.confirmTotpEnrolment}).
 *   Enrolling, disabling and replacing backup codes need the current password (MF-06), and each
 *   change revokes the user's other sessions (RV-04).
 * - For an account with an active factor, `AuthService.login` issues no tokens but a challenge
 *   ({@link MfaService.challengeLogin}): a one-time token bound to the user and the login attempt,
 *   at most 5 minutes, single use (MF-07). {@link MfaService.completeLogin} checks it, a TOTP code
 *   (server time, window ≤ ±1, replay refused by a compare-and-swap on the last step, MF-03/MF-04)
 *   or a backup code (single use, MF-08), and only then issues tokens.
 * - Wrong codes count toward the account lockout and a per-user rate limit (MF-05, RL-06), emit
 *   `mfa.failed`, and after {@link MFA_SUSPICIOUS_AFTER} in a row `mfa.suspicious` plus a security
 *   notice mail (RL-07).
 *
 * @module
 */

import type { OneTimeTokens } from '../account/one-time-tokens.js';
import type { AuthenticatedLogin, MfaRequiredLogin } from '../auth/login-result.js';
import { toPublicUser } from '../auth/public-user.js';
import { checkPasswordSize, storeCall } from '../auth/session-flows.js';
import type { ResolvedConfig } from '../config.js';
import type { LockoutService } from '../defense/lockout.js';
import type { RateLimiter } from '../defense/rate-limiter.js';
import {
  NotFoundError,
  OneTimeTokenError,
  PasswordChangeRequiredError,
  ReauthenticationRequiredError,
  ValidationError,
} from '../errors.js';
import type { MfaMethod, RequestContext, SecurityEvents } from '../events.js';
import { defaultMailTemplates, type MailTemplates, mergeMailTemplates } from '../mail/index.js';
import type { PasswordService } from '../password/index.js';
import type { Store, UserRecord } from '../storage/types.js';
import type { TokenService } from '../token/token-service.js';
import { generateBackupCodes, hashBackupCode, normalizeBackupCode } from './backup-codes.js';
import { InvalidMfaCodeError, MfaAlreadyEnabledError, MfaNotConfiguredError } from './errors.js';
import { importSecretBoxKeys, openSecret, type SecretBoxKeys, sealSecret } from './secret-box.js';
import { generateTotpSecret, totpQrSvg, totpUri, verifyTotp } from './totp.js';

/** Consecutive failed second-factor attempts after which `mfa.suspicious` is emitted (RL-07). */
export const MFA_SUSPICIOUS_AFTER = 3;

/** Options of {@link MfaService}, built by `createGatehouse`. */
export interface MfaServiceOptions {
  readonly store: Store;
  readonly passwords: PasswordService;
  readonly tokens: TokenService;
  readonly lockout: LockoutService;
  readonly limiter: RateLimiter;
  readonly events: SecurityEvents;
  readonly clock: () => Date;
  /** Where login challenges are kept (purpose `mfa_challenge`). */
  readonly oneTimeTokens: OneTimeTokens;
  readonly config: Pick<ResolvedConfig, 'mfa' | 'account' | 'mail' | 'rateLimits' | 'lockout'>;
  /** Called with errors of security-notice mails sent in the background. */
  readonly onMailError?: (error: unknown) => void;
}

/** What {@link MfaService.beginTotpEnrolment} shows the user, once. Never log it. */
export interface TotpEnrolment {
  /** The secret, RFC 4648 base32 (for manual entry). */
  readonly secret: string;
  /** The `otpauth://totp/...` URI, holding the secret. */
  readonly uri: string;
  /** The URI as a QR code, an SVG document. */
  readonly qrSvg: string;
}

/** A new set of backup codes, shown once. Only their hashes are stored. */
export interface BackupCodeSet {
  /** `XXXX-XXXX-XXXX-XXXX` codes; case, dashes and spaces do not matter when typed. */
  readonly backupCodes: readonly string[];
}

/** The second factors of a user, for settings pages. */
export interface MfaStatus {
  /** TOTP is confirmed and logins need a second factor. */
  readonly enabled: boolean;
  /** An enrolment was started and awaits its first code. */
  readonly pending: boolean;
  /** Unused backup codes. */
  readonly backupCodesRemaining: number;
}

/** The proof that answers a login challenge: a TOTP code or a backup code. */
export type MfaProof = { readonly code: string } | { readonly backupCode: string };

/** Re-authentication input of the factor-changing flows. */
export interface ReauthenticationInput {
  readonly currentPassword: unknown;
}

/** What a challenge remembers of its login attempt. */
interface ChallengeData {
  readonly scope: readonly string[];
  readonly ip: string | null;
  readonly userAgent: string | null;
}

type FailureReason = 'wrong_code' | 'replayed' | 'not_enrolled' | 'account_locked';

const failureKey = (userId: string): string => `mfa:fail:${userId}`;

/** Label parts of the otpauth URI must not contain `:` or control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const LABEL_UNSAFE = /[:\u0000-\u001f\u007f]/g;

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

/** The MFA flows. See the module documentation. */
export class MfaService {
  readonly #o: MfaServiceOptions;
  readonly #keys: SecretBoxKeys | undefined;
  readonly #issuer: string;
  readonly #templates: MailTemplates;

  /**
   * Checks `mfa.secretKeys` when given: a key that is not exactly 32 bytes throws
   * {@link ConfigError} naming `mfa.secretKeys`, so `createGatehouse` fails at start-up.
   */
  constructor(options: MfaServiceOptions) {
    this.#o = options;
    const { secretKeys, issuer } = options.config.mfa;
    if (secretKeys !== undefined) importSecretBoxKeys(secretKeys as SecretBoxKeys, 'mfa.secretKeys');
    this.#keys = secretKeys as SecretBoxKeys | undefined;
    this.#issuer =
      issuer ?? (options.config.account.appName.replace(LABEL_UNSAFE, ' ').trim() || 'gatehouse');
    this.#templates = mergeMailTemplates(options.config.mail.templates ?? {}, defaultMailTemplates);
  }

  /** Whether TOTP is available (`mfa.secretKeys` is configured). */
  get configured(): boolean {
    return this.#keys !== undefined;
  }

  #secretKeys(): SecretBoxKeys {
    if (this.#keys === undefined) throw new MfaNotConfiguredError();
    return this.#keys;
  }

  async #activeUser(userId: string): Promise<UserRecord> {
    const user = await storeCall(() => this.#o.store.users.findById(userId));
    if (!user?.isActive) throw new NotFoundError('User');
    return user;
  }

  /**
   * The current password, checked like a login (MF-06): a wrong one counts toward the lockout, and
   * a locked account or an account without a password cannot re-authenticate.
   */
  async #reauthenticate(user: UserRecord, password: unknown, context?: RequestContext): Promise<void> {
    if (password === undefined || password === null || password === '') {
      throw new ReauthenticationRequiredError();
    }
    try {
      checkPasswordSize(this.#o.passwords, password, 'currentPassword');
    } catch {
      throw new ReauthenticationRequiredError();
    }
    if (!user.passwordHash) {
      await this.#o.passwords.dummyVerify(password);
      throw new ReauthenticationRequiredError();
    }
    const lock = await this.#o.lockout.state(user.id);
    const { ok } = await this.#o.passwords.verify(password, user.passwordHash);
    if (!ok && !lock.locked) await this.#o.lockout.recordFailure(user.id, context);
    if (!ok || lock.locked) throw new ReauthenticationRequiredError();
  }

  /** Whether the user has an active (confirmed) TOTP factor. */
  async isEnabled(userId: string): Promise<boolean> {
    const record = await storeCall(() => this.#o.store.mfa.getTotp(userId));
    return record?.enabled === true;
  }

  /** The user's second factors, for a settings page. */
  async status(userId: string): Promise<MfaStatus> {
    const record = await storeCall(() => this.#o.store.mfa.getTotp(userId));
    const backupCodesRemaining = await storeCall(() => this.#o.store.mfa.countBackupCodes(userId));
    return {
      enabled: record?.enabled === true,
      pending: record !== null && !record.enabled,
      backupCodesRemaining,
    };
  }

  /**
   * Starts TOTP enrolment: checks the current password ({@link ReauthenticationRequiredError},
   * 403, when wrong or missing), refuses when TOTP is already enabled
   * ({@link MfaAlreadyEnabledError}, 409: disable it first), generates a 160-bit secret and stores
   * it sealed and inactive, replacing an unconfirmed earlier one. Returns the secret, its otpauth
   * URI and a QR code: the only time they are shown.
   *
   * Needs `mfa.secretKeys` ({@link MfaNotConfiguredError}, 501, otherwise).
   */
  async beginTotpEnrolment(
    userId: string,
    input: ReauthenticationInput,
    context?: RequestContext,
  ): Promise<TotpEnrolment> {
    const keys = this.#secretKeys();
    const user = await this.#activeUser(userId);
    await this.#reauthenticate(user, input?.currentPassword, context);
    const existing = await storeCall(() => this.#o.store.mfa.getTotp(userId));
    if (existing?.enabled) throw new MfaAlreadyEnabledError();
    const secret = generateTotpSecret();
    const now = this.#o.clock();
    await storeCall(() =>
      this.#o.store.mfa.saveTotp({
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
      issuer: this.#issuer,
      accountName: user.email.replace(LABEL_UNSAFE, ''),
    });
    const qrSvg = await totpQrSvg(uri);
    this.#o.events.emit('mfa.enrolment_started', context, now, { userId });
    return { secret, uri, qrSvg };
  }

  /**
   * Confirms TOTP enrolment with a first code from the app (MF-06): checked against the pending
   * secret with server time and the configured window, its step recorded (so the same code cannot
   * be used again to log in). Then TOTP is enabled, a new set of `mfa.backupCodeCount` backup
   * codes replaces any old one (only hashes are stored; the codes are returned once), every other
   * session of the user is revoked (RV-04; `keepFamilyId`, the caller's session, survives), and
   * `mfa.enabled` is emitted.
   *
   * Throws {@link NotFoundError} without a pending enrolment, {@link MfaAlreadyEnabledError} when
   * already enabled, {@link InvalidMfaCodeError} (401) for a wrong code, and
   * {@link RateLimitedError} past `rateLimits.mfaPerUser`.
   */
  async confirmTotpEnrolment(
    userId: string,
    code: unknown,
    context?: RequestContext,
    options: { keepFamilyId?: string } = {},
  ): Promise<BackupCodeSet> {
    const keys = this.#secretKeys();
    const user = await this.#activeUser(userId);
    // Its own bucket: fumbling the first code must not block the user's logins.
    await this.#o.limiter.hit('mfa-enrol-user', userId, this.#o.config.rateLimits.mfaPerUser);
    const { mfa } = this.#o.store;
    const record = await storeCall(() => mfa.getTotp(userId));
    if (!record) throw new NotFoundError('TOTP enrolment');
    if (record.enabled) throw new MfaAlreadyEnabledError();
    const now = this.#o.clock();
    const step =
      typeof code === 'string'
        ? verifyTotp({
            secret: openSecret(keys, record.secret, userId),
            code,
            now,
            window: this.#o.config.mfa.window,
          })
        : null;
    if (step === null || !(await storeCall(() => mfa.useTotpStep(userId, step, now)))) {
      throw new InvalidMfaCodeError();
    }
    await storeCall(() => mfa.saveTotp({ ...record, enabled: true, lastUsedStep: step, updatedAt: now }));
    const backupCodes = await this.#newBackupCodes(userId, now);
    const revokedTokens = await this.#revokeOtherSessions(userId, options.keepFamilyId, context);
    this.#o.events.emit('mfa.enabled', context, this.#o.clock(), { userId, method: 'totp', revokedTokens });
    this.#notify(user.email, 'Two-factor authentication enabled', context);
    return { backupCodes };
  }

  /**
   * Turns TOTP off (MF-06: the current password is required, {@link ReauthenticationRequiredError}
   * otherwise): deletes the factor and every backup code, voids a pending login challenge, revokes
   * every other session of the user (RV-04) and emits `mfa.disabled`. Works without
   * `mfa.secretKeys`. {@link NotFoundError} when the user has no factor.
   */
  async disableTotp(
    userId: string,
    input: ReauthenticationInput,
    context?: RequestContext,
    options: { keepFamilyId?: string } = {},
  ): Promise<void> {
    const user = await this.#activeUser(userId);
    await this.#reauthenticate(user, input?.currentPassword, context);
    const record = await storeCall(() => this.#o.store.mfa.getTotp(userId));
    if (!record) throw new NotFoundError('Second factor');
    await this.#removeFactors(user, 'user', options.keepFamilyId, context);
  }

  /**
   * Administrator action for a user who lost both the device and the backup codes: removes every
   * second factor without a password and revokes all of the user's sessions. `true` when there was
   * a factor. Check the user's identity by other means first.
   */
  async resetForUser(userId: string, context?: RequestContext): Promise<boolean> {
    const user = await storeCall(() => this.#o.store.users.findById(userId));
    if (!user) throw new NotFoundError('User');
    const record = await storeCall(() => this.#o.store.mfa.getTotp(userId));
    const codes = await storeCall(() => this.#o.store.mfa.countBackupCodes(userId));
    if (!record && codes === 0) return false;
    await this.#removeFactors(user, 'admin', undefined, context);
    return true;
  }

  async #removeFactors(
    user: UserRecord,
    by: 'user' | 'admin',
    keepFamilyId: string | undefined,
    context?: RequestContext,
  ): Promise<void> {
    await storeCall(async () => {
      await this.#o.store.mfa.deleteAllForUser(user.id);
      await this.#o.store.counters.reset(failureKey(user.id));
    });
    await this.#o.oneTimeTokens.revoke('mfa_challenge', user.id);
    const revokedTokens = await this.#revokeOtherSessions(user.id, keepFamilyId, context);
    this.#o.events.emit('mfa.disabled', context, this.#o.clock(), { userId: user.id, by, revokedTokens });
    this.#notify(user.email, 'Two-factor authentication disabled', context);
  }

  /**
   * Replaces the user's backup codes with a new set (the old set stops working at once, MF-08).
   * Needs the current password and an enabled factor ({@link NotFoundError} otherwise); revokes
   * the user's other sessions (RV-04).
   */
  async regenerateBackupCodes(
    userId: string,
    input: ReauthenticationInput,
    context?: RequestContext,
    options: { keepFamilyId?: string } = {},
  ): Promise<BackupCodeSet> {
    const user = await this.#activeUser(userId);
    await this.#reauthenticate(user, input?.currentPassword, context);
    if (!(await this.isEnabled(userId))) throw new NotFoundError('Second factor');
    const backupCodes = await this.#newBackupCodes(userId, this.#o.clock());
    const revokedTokens = await this.#revokeOtherSessions(userId, options.keepFamilyId, context);
    this.#o.events.emit('mfa.backup_codes_regenerated', context, this.#o.clock(), { userId, revokedTokens });
    this.#notify(user.email, 'New backup codes created', context);
    return { backupCodes };
  }

  async #newBackupCodes(userId: string, now: Date): Promise<string[]> {
    const codes = generateBackupCodes(this.#o.config.mfa.backupCodeCount);
    const hashes = codes.map((code) => hashBackupCode(code));
    await storeCall(() => this.#o.store.mfa.replaceBackupCodes(userId, hashes, now));
    return codes;
  }

  async #revokeOtherSessions(
    userId: string,
    keepFamilyId: string | undefined,
    context?: RequestContext,
  ): Promise<number> {
    const count = await this.#o.tokens.revokeAllForUser(userId, { exceptFamilyId: keepFamilyId });
    this.#o.events.emit('token.revoked', context, this.#o.clock(), {
      userId,
      scope: 'user',
      reason: 'mfa_changed',
      count,
    });
    return count;
  }

  /**
   * Issues the challenge of a login whose password was right for an account with an active
   * factor (called by `AuthService.login`; MF-07). The challenge is a one-time token of purpose
   * `mfa_challenge`, valid `mfa.challengeTtl` seconds, that remembers the requested scope and the
   * request's IP and user agent. A newer login replaces it. Emits `mfa.challenged`.
   */
  async challengeLogin(
    userId: string,
    context: RequestContext | undefined,
    scope: readonly string[],
  ): Promise<MfaRequiredLogin> {
    const ttl = this.#o.config.mfa.challengeTtl;
    const data: ChallengeData = {
      scope: [...scope],
      ip: context?.ip ?? null,
      userAgent: context?.userAgent ?? null,
    };
    const challenge = await this.#o.oneTimeTokens.issue('mfa_challenge', userId, ttl, data);
    const remaining = await storeCall(() => this.#o.store.mfa.countBackupCodes(userId));
    this.#o.events.emit('mfa.challenged', context, this.#o.clock(), { userId });
    return {
      status: 'mfa_required',
      challenge,
      expiresIn: ttl,
      methods: remaining > 0 ? ['totp', 'backup_code'] : ['totp'],
    };
  }

  /**
   * Completes a login with the second factor and issues tokens as a login does, with the scope
   * requested at login.
   *
   * In order: the proof must be exactly one of `{ code }` and `{ backupCode }`
   * ({@link ValidationError}); the challenge must be valid ({@link OneTimeTokenError}, 400, when
   * unknown, expired, used, replaced by a newer login, or of another kind, e.g. an access token);
   * the user's attempts are rate limited (`rateLimits.mfaPerUser`, {@link RateLimitedError} 429).
   * Then a TOTP code is checked against server time (window `mfa.window`) and its step recorded
   * with a compare-and-swap, so a code whose step is not after the last accepted one is refused,
   * also under concurrency (MF-04); or a backup code is consumed (single use). Only then is the
   * challenge redeemed, atomically: of concurrent completions exactly one gets tokens.
   *
   * A wrong, replayed or unusable code throws {@link InvalidMfaCodeError} (401), counts toward the
   * account lockout, and emits `mfa.failed`; the challenge stays usable until it expires. A locked
   * account is refused the same way without counting.
   */
  async completeLogin(
    challenge: unknown,
    proof: MfaProof,
    context?: RequestContext,
  ): Promise<AuthenticatedLogin> {
    const { method, value } = parseProof(proof);
    const { userId } = await this.#o.oneTimeTokens.peek<ChallengeData>('mfa_challenge', challenge);
    await this.#o.limiter.hit('mfa-user', userId, this.#o.config.rateLimits.mfaPerUser);
    const user = await storeCall(() => this.#o.store.users.findById(userId));
    if (!user?.isActive) throw new OneTimeTokenError();
    const fail = (reason: FailureReason): Promise<never> => this.#failed(user, method, reason, context);
    if ((await this.#o.lockout.state(userId)).locked) return fail('account_locked');

    const { mfa } = this.#o.store;
    const now = this.#o.clock();
    if (method === 'totp') {
      const keys = this.#secretKeys();
      const record = await storeCall(() => mfa.getTotp(userId));
      if (!record?.enabled) return fail('not_enrolled');
      const step = verifyTotp({
        secret: openSecret(keys, record.secret, userId),
        code: value,
        now,
        window: this.#o.config.mfa.window,
      });
      if (step === null) return fail('wrong_code');
      if (!(await storeCall(() => mfa.useTotpStep(userId, step, now)))) return fail('replayed');
    } else {
      const normalized = normalizeBackupCode(value);
      if (normalized === null) return fail('wrong_code');
      const hash = hashBackupCode(normalized);
      if (!(await storeCall(() => mfa.consumeBackupCode(userId, hash)))) return fail('wrong_code');
    }

    const { data } = await this.#o.oneTimeTokens.redeem<ChallengeData>('mfa_challenge', challenge);
    await this.#o.lockout.recordSuccess(userId);
    await storeCall(() => this.#o.store.counters.reset(failureKey(userId)));
    if (user.passwordChangeRequired) throw new PasswordChangeRequiredError();
    const tokens = await this.#o.tokens.issue({ id: user.id, role: user.role }, context, {
      scope: Array.isArray(data.scope) ? data.scope : [],
    });
    this.#o.events.emit('login.succeeded', context, this.#o.clock(), {
      userId,
      factor: method,
      familyId: tokens.familyId,
    });
    if (method === 'backup_code') {
      const remaining = await storeCall(() => mfa.countBackupCodes(userId));
      this.#o.events.emit('mfa.backup_code_used', context, this.#o.clock(), { userId, remaining });
    }
    return { status: 'authenticated', ...tokens, user: toPublicUser(user) };
  }

  async #failed(
    user: UserRecord,
    method: MfaMethod,
    reason: FailureReason,
    context?: RequestContext,
  ): Promise<never> {
    const now = this.#o.clock();
    const key = failureKey(user.id);
    let consecutiveFailures: number;
    if (reason === 'account_locked') {
      consecutiveFailures = (await storeCall(() => this.#o.store.counters.get(key, now)))?.count ?? 0;
    } else {
      await this.#o.lockout.recordFailure(user.id, context);
      const window = this.#o.config.lockout.failureWindow;
      consecutiveFailures = (await storeCall(() => this.#o.store.counters.increment(key, window, now))).count;
    }
    this.#o.events.emit('mfa.failed', context, now, { userId: user.id, method, reason, consecutiveFailures });
    if (reason !== 'account_locked' && consecutiveFailures === MFA_SUSPICIOUS_AFTER) {
      this.#o.events.emit('mfa.suspicious', context, now, { userId: user.id, consecutiveFailures });
      this.#notify(user.email, 'Failed two-factor sign-in attempts after a correct password', context);
    }
    throw new InvalidMfaCodeError();
  }

  /** Mails a security notice to the stored address in the background, when a mailer is configured. */
  #notify(to: string, event: string, context?: RequestContext): void {
    const { mailer } = this.#o.config.mail;
    if (!mailer) return;
    const at = this.#o.clock();
    void Promise.resolve()
      .then(() =>
        mailer.send({
          to,
          ...this.#templates.securityNotice({
            appName: this.#o.config.account.appName,
            event,
            at,
            ...(context?.ip ? { ipAddress: context.ip } : {}),
            ...(context?.userAgent ? { userAgent: context.userAgent } : {}),
          }),
        }),
      )
      .catch((error) => (this.#o.onMailError ?? ((e) => console.error('gatehouse: mail failed', e)))(error));
  }
}
