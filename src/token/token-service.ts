/**
 * TokenService: access tokens recorded in the token table, opaque rotating refresh tokens with
 * reuse detection, and revocation of one token, a family or all of a user's tokens.
 *
 * Signatures and claims of a token string are checked once and remembered (a bounded map that
 * drops its oldest entry first, in constant time, keyed by the signature segment and confirmed by
 * the whole string: `verified-cache.ts`); each later presentation of the same string re-checks the
 * time claims and reads the token's record again.
 *
 * How revocation stays cheap: every verified access token costs one read of its `jti` in the
 * {@link TokenRepository}: with `users` configured, the record and its user together
 * (`findByIdWithUser`, one query on PostgreSQL and SQLite). The memory and SQLite stores answer in
 * microseconds in-process, PostgreSQL in one round trip; a revocation is seen by the very next
 * request, in this process and in every other process sharing the store. The opt-in
 * {@link TokenRecordCache} trades that for a stated bound (see `record-cache.ts`). Revocation is
 * keyed by the record id (`jti`, verified together with `iss`), never by the token string or its
 * hash, which are malleable.
 *
 * `TokenService` is the facade: issuing lives in `token-issuing.ts` and refresh rotation in
 * `refresh-rotation.ts`; verification and revocation stay here.
 *
 * @module
 */
import { StoreUnavailableError, TokenRevokedError, ValidationError } from '../errors.js';
import type { RequestContext, SecurityEvents } from '../events.js';
import { storeCall, storeFailure } from '../storage/store-call.js';
import type { SyncTokenReads } from '../storage/token-types.js';
import type {
  TokenRecord,
  TokenRepository,
  TokenWithUser,
  UserRecord,
  UserRepository,
} from '../storage/types.js';
import {
  type AccessTokenClaims,
  type AccessTokenSettings,
  checkTimes,
  verifyAccessTokenSync,
} from './access-token.js';
import { type IssuedClientToken, isClientTokenRecord, tokenRecordSubject } from './client-token.js';
import { hashOpaqueToken, looksLikeRefreshToken } from './opaque.js';
import type { TokenRecordCache } from './record-cache.js';
import { rotateRefreshToken } from './refresh-rotation.js';
import { issueClientToken, issueTokens } from './token-issuing.js';
import { VerifiedTokenCache } from './verified-cache.js';

/** Options of {@link TokenService}, normally built by `createGatehouse` from the configuration. */
export interface TokenServiceOptions extends AccessTokenSettings {
  readonly repository: TokenRepository;
  /** `client_id` of first-party tokens. */
  readonly clientId: string;
  /** Access token lifetime, seconds. */
  readonly accessTokenTtl: number;
  /** Refresh token inactivity lifetime, seconds: each rotation extends it, up to `sessionMaxAge`. */
  readonly refreshTokenTtl: number;
  /** Absolute lifetime of a login (token family), seconds, whatever the activity. */
  readonly sessionMaxAge: number;
  /** Seconds during which the immediately previous refresh token still yields the same successor; 0 = off. */
  readonly refreshReuseInterval: number;
  /**
   * HMAC keys of successors when `refreshReuseInterval > 0` (see `successor-keys.ts`): the first
   * derives, every one is accepted. Empty: successors are random and any reuse revokes the family.
   */
  readonly successorKeys: readonly Uint8Array[];
  readonly clock: () => Date;
  readonly events: SecurityEvents;
  /** Verified token strings remembered (see the class documentation); 0 turns the cache off. */
  readonly verifiedCacheSize?: number;
  /**
   * The user repository: `verify` then returns each token's user too, read with the record in one
   * query when the token repository can (`findByIdWithUser`).
   */
  readonly users?: UserRepository;
  /** The opt-in cache of token records (`tokens.recordCache`), or none: every verify reads the store. */
  readonly recordCache?: TokenRecordCache;
}

/** Who a token is issued to. */
export interface TokenSubject {
  readonly id: string;
  readonly role: string;
}

/** The result of a login or refresh. */
export interface IssuedTokens {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  readonly expiresIn: number;
  readonly accessTokenExpiresAt: Date;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: Date;
  /** The family (login session) these tokens belong to. */
  readonly familyId: string;
  readonly scope: readonly string[];
}

/** A verified, unrevoked access token: its claims and its token-table record. */
export interface VerifiedAccessToken {
  readonly claims: AccessTokenClaims;
  readonly record: TokenRecord;
  /**
   * The record's user, read with it when the service has `users` (`null`: no such user, or a
   * client's token); `undefined` when it was not read.
   */
  readonly user?: UserRecord | null;
}

/** Options of {@link TokenService.refresh}. */
export interface RefreshOptions {
  /** When given, the refresh token must have been issued to this client. */
  readonly clientId?: string;
  /** Requested scopes; must be a subset of the originally granted ones (RFC 6749 §6). */
  readonly scope?: readonly string[];
  /**
   * Called with the refresh token's record before anything is written; returns the subject to
   * issue to (with its current role) or throws (e.g. {@link InvalidGrantError} for a disabled user).
   */
  readonly authorize: (record: TokenRecord) => Promise<TokenSubject>;
}

/**
 * Default entries of the verified-token cache (about 0.7 KiB each): room for every token of 65,536
 * sessions active within one access-token lifetime. The oldest entry is dropped first, and expired
 * entries are dropped as new ones arrive, so memory follows the tokens in use, up to this bound.
 */
const DEFAULT_VERIFIED_CACHE_SIZE = 65_536;

/** A token record as read for verification, with its user when the users were read too. */
type Found = { readonly record: TokenRecord; readonly user?: UserRecord | null };

/**
 * The verified token of `claims` and its `found` record: refused unless the record exists, is an
 * access token of the same subject (`unknown`), and is active (`revoked`).
 */
function accepted(claims: AccessTokenClaims, found: Found | null): VerifiedAccessToken {
  if (found === null || found.record.kind !== 'access' || tokenRecordSubject(found.record) !== claims.sub) {
    throw new TokenRevokedError({ detail: { check: 'jti', reason: 'unknown' } });
  }
  if (!found.record.active) throw new TokenRevokedError({ detail: { check: 'jti', reason: 'revoked' } });
  const { record, user } = found;
  return user === undefined ? { claims, record } : { claims, record, user };
}

/** Issues, verifies, rotates and revokes tokens. See the module documentation for the revocation design. */
export class TokenService {
  readonly #o: TokenServiceOptions;
  /**
   * Signature and claim checks already passed, by exact token string: the same bytes under the
   * same keys verify the same way, so only the time checks and the revocation lookup run again.
   * Any other string, a different spelling of a token included, goes through full verification
   * (see `verified-cache.ts`).
   */
  readonly #verified: VerifiedTokenCache;
  /** The repository's reads without a promise, when it has them and nothing replaced its own. */
  readonly #sync: SyncTokenReads | undefined;

  constructor(options: TokenServiceOptions) {
    this.#o = options;
    this.#verified = new VerifiedTokenCache(options.verifiedCacheSize ?? DEFAULT_VERIFIED_CACHE_SIZE);
    const sync = options.repository.sync;
    this.#sync = sync?.mirrors(options.repository) ? sync : undefined;
  }

  /** The JWKS document of the public verification keys (empty for HMAC configurations). */
  jwks(): { keys: Record<string, string>[] } {
    return this.#o.keys.jwks();
  }

  /**
   * Starts a new token family (one login): stores a refresh token record (hash only) and an
   * access token record, then signs the access token with the record id as `jti`.
   */
  async issue(
    subject: TokenSubject,
    context?: RequestContext,
    options: { scope?: readonly string[]; clientId?: string } = {},
  ): Promise<IssuedTokens> {
    return issueTokens(this.#o, subject, context, options);
  }

  /**
   * Issues an access token to a registered client (client credentials, RFC 6749 §4.4): `sub` and
   * `client_id` are the client id, no `role` claim, and no refresh token (§4.4.3). Its record
   * belongs to the client's subject `client:<id>` in a family of its own (see `client-token.ts`),
   * which is what marks it as a client's token on every verification;
   * `revokeAllForUser('client:<id>')` revokes all of them at once.
   */
  async issueClientToken(
    clientId: string,
    scope: readonly string[],
    context?: RequestContext,
  ): Promise<IssuedClientToken> {
    return issueClientToken(this.#o, clientId, scope, context);
  }

  /**
   * Verifies an access token (see `verifyAccessTokenSync` for every check) and then that its record
   * in the token table exists, is an access token of the same subject, and is still active.
   * A store failure fails closed with {@link StoreUnavailableError}; a revoked token throws
   * {@link TokenRevokedError}.
   */
  verify(accessToken: unknown): Promise<VerifiedAccessToken> {
    try {
      const verified = this.verifyMaybeSync(accessToken);
      return verified instanceof Promise ? verified : Promise.resolve(verified);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * {@link TokenService.verify} without a promise when none is needed: the same checks in the same
   * order, answered at once when the record comes from the record cache or from a repository with
   * synchronous reads ({@link SyncTokenReads}: the memory and SQLite stores), else as a promise. A
   * refusal is thrown (or rejects the promise). The guards call this, once per request.
   */
  verifyMaybeSync(accessToken: unknown): VerifiedAccessToken | Promise<VerifiedAccessToken> {
    const now = this.#o.clock();
    const claims = this.#claims(accessToken, now);
    const found = this.#read(claims.jti, now);
    return found instanceof Promise ? found.then((f) => accepted(claims, f)) : accepted(claims, found);
  }

  /**
   * The claims of a token: for a string verified before (same bytes, same keys and settings, so
   * the same verdict on its form, header, signature and claims), the remembered claims after the
   * time checks, which depend on the clock; otherwise a full verification, remembered if it passes.
   */
  #claims(accessToken: unknown, now: Date): AccessTokenClaims {
    if (typeof accessToken === 'string') {
      const known = this.#verified.get(accessToken);
      if (known !== undefined) {
        checkTimes(known, this.#o, now);
        return known;
      }
    }
    const claims = verifyAccessTokenSync(this.#o, accessToken, now);
    // Entries the time checks would refuse from now on are of no use: the oldest such are dropped.
    const horizon = Math.floor(now.getTime() / 1000) - this.#o.clockTolerance;
    this.#verified.set(accessToken as string, claims, horizon);
    return claims;
  }

  /**
   * The record of `jti` (and its user, with `users`): from the record cache when it holds it,
   * else from the store, in one read when the repository joins users, and without a promise when
   * the repository reads synchronously.
   */
  #read(jti: string, now: Date): Found | null | Promise<Found | null> {
    const { users, recordCache } = this.#o;
    const cached = recordCache?.get(jti, now);
    if (cached !== undefined) return cached;
    const sync = this.#sync;
    if (sync === undefined) return this.#readAsync(jti, now);
    const epoch = recordCache?.beginRead() ?? 0;
    let found: Found | null | undefined;
    try {
      if (users === undefined) {
        const record = sync.findById(jti);
        return record && { record };
      }
      found = sync.findByIdWithUser(jti, users);
    } catch (error) {
      throw storeFailure(error);
    }
    if (found === undefined) return this.#readAsync(jti, now);
    if (found !== null) recordCache?.set(jti, found as TokenWithUser, now, epoch);
    return found;
  }

  /** {@link TokenService.#read} through the repository's promises. */
  async #readAsync(jti: string, now: Date): Promise<Found | null> {
    const { repository, users, recordCache } = this.#o;
    const epoch = recordCache?.beginRead() ?? 0;
    let found: TokenWithUser | { record: TokenRecord } | null | undefined;
    if (users !== undefined && repository.findByIdWithUser !== undefined) {
      found = await storeCall(async () => repository.findByIdWithUser?.(jti, users));
    }
    if (found === undefined) {
      const record = await storeCall(() => repository.findById(jti));
      if (record !== null && users !== undefined) {
        const user = isClientTokenRecord(record)
          ? null
          : await storeCall(() => users.findById(record.userId));
        found = { record, user };
      } else {
        found = record && { record };
      }
    }
    if (found !== null && 'user' in found) recordCache?.set(jti, found, now, epoch);
    return found;
  }

  /**
   * Rotates a refresh token: checks its shape, finds it by hash, checks it is an active, unexpired
   * refresh token (inactivity and absolute limits) of the right client and that the requested
   * scope is not wider, asks `authorize` for the subject, then atomically marks it used and stores
   * its successor (compare-and-swap). A token that was already rotated revokes its whole family,
   * emits `refresh.reused`, and throws `RefreshTokenReusedError` — unless it is the
   * immediately previous token, presented again within the reuse interval (default 10 s; parallel
   * tabs, a retry after a lost response): then the same successor is returned (derived with HMAC,
   * never stored in the clear) with a new access token. See `refresh-rotation.ts` for why.
   */
  async refresh(
    refreshToken: unknown,
    context: RequestContext | undefined,
    options: RefreshOptions,
  ): Promise<IssuedTokens> {
    return rotateRefreshToken(this.#o, refreshToken, context, options);
  }

  /** Revokes one token record by id (`jti` for access tokens). `true` when it was active. */
  async revoke(tokenId: string): Promise<boolean> {
    return storeCall(() => this.#o.repository.revoke(tokenId, this.#o.clock()));
  }

  /** Revokes every token of a family: the refresh chain of one login and its access tokens. */
  async revokeFamily(familyId: string): Promise<number> {
    return storeCall(() => this.#o.repository.revokeFamily(familyId, this.#o.clock()));
  }

  /** Revokes every token of a user, except those of `exceptFamilyId` when given. */
  async revokeAllForUser(userId: string, options: { exceptFamilyId?: string } = {}): Promise<number> {
    return storeCall(() =>
      this.#o.repository.revokeAllForUser(userId, this.#o.clock(), options.exceptFamilyId),
    );
  }

  /**
   * Revokes every token issued to the registered client `clientId`: its own access tokens (client
   * credentials) and every user's session obtained through it (device grant), by the records'
   * `client_id`. Returns how many. The first-party client id (`config.clientId`) is refused with
   * {@link ValidationError}: revoking by it would end every session of every user (use
   * `revokeAllForUser` per user for that).
   */
  async revokeAllForClient(clientId: string): Promise<number> {
    if (clientId === this.#o.clientId) {
      throw new ValidationError([
        {
          field: 'clientId',
          rule: 'first_party_client',
          message: 'The first-party client id names every session; revoke by user instead',
        },
      ]);
    }
    return storeCall(() => this.#o.repository.revokeAllForClient(clientId, this.#o.clock()));
  }

  /** True when `clientId` is the first-party client id (`config.clientId`) of this gatehouse. */
  isFirstPartyClient(clientId: string | null): boolean {
    return clientId === this.#o.clientId;
  }

  /**
   * Finds the refresh token's record without using it (e.g. to log out by refresh token).
   * Returns `null` for anything that is not a known refresh token.
   */
  async findRefreshToken(refreshToken: unknown): Promise<TokenRecord | null> {
    if (!looksLikeRefreshToken(refreshToken)) return null;
    const record = await storeCall(() => this.#o.repository.findByHash(hashOpaqueToken(refreshToken)));
    return record?.kind === 'refresh' ? record : null;
  }
}
