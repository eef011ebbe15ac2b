/**
 * ApiKeyService: API keys for machine clients of a user's account — create (the key is shown
 * once), list, revoke, and authenticate a presented key.
 *
 * Decisions, documented once:
 * - A key belongs to a user and acts as that user, with the user's **current** role (read on every
 *   request) and only the key's scopes: effective rights are the owner's rights ∩ the key's scopes.
 * - Scopes come only from `apiKeys.scopes` (an allow-list); anything else is `ERR_INVALID_SCOPE`.
 * - Every key expires: `expiresIn` seconds (at most `apiKeys.maxLifetime`, default 1 year), or
 *   `apiKeys.defaultLifetime` (90 days).
 * - A user has at most `apiKeys.maxKeysPerUser` active keys (default 10), enforced atomically by
 *   the store.
 * - Creating, listing and revoking keys needs a signed-in user: the HTTP routes refuse a request
 *   authenticated with an API key (`ERR_SESSION_REQUIRED`), so a leaked key cannot mint more.
 * - A presented key is looked up by its public id on every request: there is no cache, so a
 *   revoked or expired key, or one whose owner was disabled or deleted, is refused at once.
 * - Failures count toward the per-IP failed-login throttle (`rateLimits.loginFailuresPerIp`,
 *   shared with password logins and Basic) and emit `api_key.rejected` (OWASP ASVS 5.0 6.3.4, 6.1.3). They do not lock
 *   the owner's account: the public id is not secret, so that would let anyone lock anyone out.
 * - `lastUsedAt` is written at most once a minute per key, not on every request.
 *
 * @module
 */

import { type PublicUser, toPublicUser } from '../auth/public-user.js';
import type { RateLimit, RateLimiter } from '../defense/rate-limiter.js';
import {
  ApiKeyLimitReachedError,
  InvalidScopeError,
  NotFoundError,
  TokenInvalidError,
  ValidationError,
} from '../errors.js';
import type { RequestContext, SecurityEventMap, SecurityEvents } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import type { ApiKeyRecord, Store } from '../storage/types.js';
import { type ApiKeysConfig, defaultApiKeyLifetime } from './config.js';
import { API_KEY_PREFIX, apiKeySecretMatches, generateApiKey, parseApiKey } from './key-format.js';

/** `lastUsedAt` is written when the stored value is older than this. */
const TOUCH_INTERVAL_MS = 60_000;
const MAX_NAME_LENGTH = 64;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Options of {@link ApiKeyService}, normally built by `createGatehouse`. */
export interface ApiKeyServiceOptions {
  readonly store: Pick<Store, 'apiKeys' | 'users'>;
  readonly limiter: RateLimiter;
  /** The per-IP failed-login limit shared with password logins. */
  readonly loginFailuresPerIp: RateLimit;
  readonly events: SecurityEvents;
  readonly clock: () => Date;
  readonly config: ApiKeysConfig;
}

/** What a listing shows of a key: never the secret or its hash. */
export interface ApiKeyInfo {
  /** The public id (the key's `ghk_<id>_` part). */
  readonly id: string;
  /** The first characters of the key, to recognise it: `ghk_<id>`. */
  readonly prefix: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
  /** `active`, `revoked` or `expired`, at the time of the listing. */
  readonly status: 'active' | 'revoked' | 'expired';
}

/** Input of {@link ApiKeyService.create}; unvalidated, as it comes from a request body. */
export interface CreateApiKeyInput {
  /** A label, 1–64 characters. */
  readonly name: unknown;
  /** Scopes from `apiKeys.scopes`. Default none. */
  readonly scopes?: unknown;
  /** Lifetime in seconds (60..`maxLifetime`). Default `defaultLifetime`. */
  readonly expiresIn?: unknown;
}

/** The result of {@link ApiKeyService.create}: the key (shown this once) and its listing. */
export interface CreatedApiKey {
  readonly key: string;
  readonly info: ApiKeyInfo;
}

/** A key that authenticated, and its owner as stored now. */
export interface AuthenticatedApiKey {
  readonly key: ApiKeyInfo;
  readonly user: PublicUser;
}

type RejectReason = SecurityEventMap['api_key.rejected']['reason'];

function toInfo(record: ApiKeyRecord, now: Date): ApiKeyInfo {
  return {
    id: record.id,
    prefix: `${API_KEY_PREFIX}${record.id}`,
    name: record.name,
    scopes: [...record.scopes],
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    lastUsedAt: record.lastUsedAt,
    revokedAt: record.revokedAt,
    status:
      record.revokedAt !== null
        ? 'revoked'
        : record.expiresAt.getTime() <= now.getTime()
          ? 'expired'
          : 'active',
  };
}

/** API keys of users. See the module documentation for the rules. */
export class ApiKeyService {
  readonly #o: ApiKeyServiceOptions;

  constructor(options: ApiKeyServiceOptions) {
    this.#o = options;
  }

  /** Whether API keys are accepted (`apiKeys.enabled`). */
  get enabled(): boolean {
    return this.#o.config.enabled;
  }

  /**
   * Creates a key for `userId` (an existing, active user). Checks the name (1–64 characters, no
   * control characters), the scopes against `apiKeys.scopes` ({@link InvalidScopeError}), the
   * lifetime against `apiKeys.maxLifetime`, and the per-user cap
   * ({@link ApiKeyLimitReachedError}). The returned `key` is the only time the secret exists
   * outside the caller's hands: only its SHA-256 is stored. Emits `api_key.created`.
   *
   * The caller must have authenticated the user with a session (not an API key).
   */
  async create(userId: string, input: CreateApiKeyInput, context?: RequestContext): Promise<CreatedApiKey> {
    const { config } = this.#o;
    const raw = (typeof input === 'object' && input !== null ? input : {}) as CreateApiKeyInput;
    const name = typeof raw.name === 'string' ? raw.name.trim().normalize('NFC') : undefined;
    const issues = [];
    if (!name || [...name].length > MAX_NAME_LENGTH || CONTROL_CHARACTERS.test(name)) {
      issues.push({
        field: 'name',
        rule: 'invalid_name',
        message: `Name must be 1-${MAX_NAME_LENGTH} characters without control characters`,
      });
    }
    const lifetime = raw.expiresIn ?? defaultApiKeyLifetime(config);
    if (
      !Number.isInteger(lifetime) ||
      (lifetime as number) < 60 ||
      (lifetime as number) > config.maxLifetime
    ) {
      issues.push({
        field: 'expires_in',
        rule: 'invalid_lifetime',
        message: `expires_in must be a whole number of seconds from 60 to ${config.maxLifetime}`,
      });
    }
    const scopes = raw.scopes ?? [];
    if (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string')) {
      issues.push({ field: 'scopes', rule: 'invalid_type', message: 'Scopes must be a list of strings' });
    }
    if (issues.length > 0) throw new ValidationError(issues);
    const granted = [...new Set(scopes as string[])];
    if (granted.some((scope) => !config.scopes.includes(scope))) throw new InvalidScopeError();

    const user = await storeCall(() => this.#o.store.users.findById(userId));
    if (!user?.isActive) throw new NotFoundError('User');
    const now = this.#o.clock();
    const generated = generateApiKey();
    const record: ApiKeyRecord = {
      id: generated.id,
      userId,
      name: name as string,
      secretHash: generated.secretHash,
      scopes: granted,
      createdAt: now,
      expiresAt: new Date(now.getTime() + (lifetime as number) * 1000),
      lastUsedAt: null,
      revokedAt: null,
    };
    const created = await storeCall(() => this.#o.store.apiKeys.create(record, config.maxKeysPerUser));
    if (!created) throw new ApiKeyLimitReachedError();
    this.#o.events.emit('api_key.created', context, now, { userId, keyId: record.id, scopes: granted });
    return { key: generated.key, info: toInfo(record, now) };
  }

  /** Every key of the user, newest first: public id, name, scopes, dates, status — never a secret or hash. */
  async list(userId: string): Promise<ApiKeyInfo[]> {
    const now = this.#o.clock();
    const records = await storeCall(() => this.#o.store.apiKeys.listForUser(userId));
    return records.map((record) => toInfo(record, now));
  }

  /**
   * Revokes one of the user's keys; effective on the key's next request. An unknown id, another
   * user's key, or an already revoked one -> `NotFoundError` (the same answer for all, so
   * ids of other users' keys cannot be probed). Emits `api_key.revoked`.
   */
  async revoke(userId: string, keyId: unknown, context?: RequestContext): Promise<void> {
    if (typeof keyId !== 'string' || keyId.length === 0 || keyId.length > 64)
      throw new NotFoundError('API key');
    const id = keyId.startsWith(API_KEY_PREFIX) ? keyId.slice(API_KEY_PREFIX.length) : keyId;
    const now = this.#o.clock();
    const revoked = await storeCall(() => this.#o.store.apiKeys.revoke(id, userId, now));
    if (!revoked) throw new NotFoundError('API key');
    this.#o.events.emit('api_key.revoked', context, now, { userId, keyId: id });
  }

  /**
   * Authenticates a presented key. Checks, in order: the per-IP failed-login throttle
   * (`RateLimitedError`, 429), the form `ghk_<id>_<secret>`, the stored key by public id, the
   * secret's hash in constant time, not revoked, not expired, and an existing, active owner.
   * Every failure throws the same {@link TokenInvalidError} (401), counts one failed login for the
   * client IP and emits `api_key.rejected`; a store error fails closed (`ERR_STORE_UNAVAILABLE`).
   */
  async authenticate(presented: string, context?: RequestContext): Promise<AuthenticatedApiKey> {
    const ip = context?.ip;
    await this.#o.limiter.check('login-failures-ip', ip, this.#o.loginFailuresPerIp);
    const now = this.#o.clock();
    const fail = async (reason: RejectReason, record?: ApiKeyRecord): Promise<never> => {
      await this.#o.limiter.record('login-failures-ip', ip, this.#o.loginFailuresPerIp);
      this.#o.events.emit('api_key.rejected', context, now, {
        keyId: record?.id ?? null,
        userId: record?.userId ?? null,
        reason,
      });
      throw new TokenInvalidError();
    };
    const parsed = parseApiKey(presented);
    if (!parsed) return fail('malformed');
    const record = await storeCall(() => this.#o.store.apiKeys.findById(parsed.id));
    if (!record) return fail('unknown_key');
    if (!apiKeySecretMatches(parsed.secret, record.secretHash)) return fail('wrong_secret', record);
    if (record.revokedAt !== null) return fail('revoked', record);
    if (record.expiresAt.getTime() <= now.getTime()) return fail('expired', record);
    const user = await storeCall(() => this.#o.store.users.findById(record.userId));
    if (!user) return fail('unknown_user', record);
    if (!user.isActive) return fail('account_disabled', record);
    if (record.lastUsedAt === null || now.getTime() - record.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) {
      await storeCall(() => this.#o.store.apiKeys.touch(record.id, now));
    }
    return { key: toInfo({ ...record, lastUsedAt: now }, now), user: toPublicUser(user) };
  }

  /** Deletes every key of the user (account deletion). Returns how many. */
  deleteAllForUser(userId: string): Promise<number> {
    return storeCall(() => this.#o.store.apiKeys.deleteAllForUser(userId));
  }
}
