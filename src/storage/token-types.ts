/**
 * The token table's records and repository (`Store.tokens`): one row per issued access and refresh
 * token, with its family and revocation state. Re-exported by `types.ts` with the other repository
 * interfaces.
 *
 * @module
 */
import type { UserRecord, UserRepository } from './types.js';

/** What a token record stands for. */
export type TokenKind = 'access' | 'refresh';

/**
 * A row of the token table (the source chapter's `tokens` table: id, user id, expiry, active
 * flag, IP address, timestamps) plus kind, family, user agent, and for opaque tokens the hash.
 */
export interface TokenRecord {
  /** Record id; for access tokens it is the JWT's `jti`. At least 128 random bits. */
  readonly id: string;
  readonly userId: string;
  readonly kind: TokenKind;
  /** Every token of one login (its access tokens and its chain of refresh tokens) shares a family. */
  readonly familyId: string;
  /** SHA-256 (base64url) of an opaque token; `null` for JWTs. The raw value is never stored. */
  readonly tokenHash: string | null;
  /** When this token stops being valid. */
  readonly expiresAt: Date;
  /** Absolute end of the family (session), whatever the sliding expiry says. */
  readonly familyExpiresAt: Date;
  /** `false` once revoked. */
  readonly active: boolean;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  /** Space-separated scopes granted to this token (RFC 6749 §3.3), or `null`. */
  readonly scope: string | null;
  /** The OAuth client the token was issued to. */
  readonly clientId: string | null;
  /** For a rotated refresh token: the id of its successor; `null` while unused. */
  readonly replacedBy: string | null;
  /** When a refresh token was rotated; `null` while unused. */
  readonly usedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A token record and its user, as {@link TokenRepository.findByIdWithUser} reads them. */
export interface TokenWithUser {
  readonly record: TokenRecord;
  readonly user: UserRecord | null;
}

/**
 * The guard's reads of {@link TokenRepository}, answered without a promise, for a store that reads
 * in-process without I/O (the memory store; SQLite through its synchronous driver). Each answers
 * exactly as its asynchronous twin does; gatehouse then checks a token without waiting for a
 * promise per request. A store that throws here fails closed, as when its promise rejects.
 */
export interface SyncTokenReads {
  /**
   * Whether these reads answer for `repository` (the object gatehouse was given): true only when
   * its `findById` and `findByIdWithUser` are still the ones these mirror. A wrapper, proxy or
   * subclass that replaces either (to count, log or fail reads) makes it false, and gatehouse then
   * calls the replaced methods, never around them.
   */
  mirrors(repository: TokenRepository): boolean;
  /** As {@link TokenRepository.findById}. */
  findById(id: string): TokenRecord | null;
  /** As {@link TokenRepository.findByIdWithUser}: `undefined` declines (gatehouse reads twice). */
  findByIdWithUser(id: string, users: UserRepository): TokenWithUser | null | undefined;
}

/** What {@link TokenRepository.create} receives. */
export type NewTokenRecord = TokenRecord;

/** Outcome of {@link TokenRepository.rotate}. */
export type RotateResult =
  /** The current token was unused and active: it is now marked used and `next` is stored. */
  | { readonly status: 'rotated' }
  /** The current token had already been rotated (possible reuse); nothing was written. */
  | { readonly status: 'already_rotated'; readonly current: TokenRecord }
  /** The current token is unknown or revoked; nothing was written. */
  | { readonly status: 'inactive' };

/**
 * The token table.
 *
 * **Revocation is recorded where no concurrent write can miss it.** Issuing a login writes a
 * refresh row and then an access row; a rotation writes the successor and then an access row. A
 * revocation that commits between two such writes must still end the tokens written after it, so
 * revoking is not only marking existing rows:
 *
 * - `revokeFamily` marks the family itself revoked. A family is created with its first record; once
 *   revoked it stays revoked, and every record of it, written before, during or after the
 *   revocation, reads as inactive.
 * - `revokeAllForUser` raises the user's generation. A family records the user's generation when it
 *   starts; a family started under an older generation is ended, whatever is written to it later.
 *   The family named by `exceptFamilyId` moves to the new generation (only if it was live).
 * - `revokeAllForClient` marks every family of the client revoked.
 *
 * Every read (`findById`, `findByHash`, `rotate`'s compare, `listActiveForUser`) reports a record's
 * **effective** state: `active` is `false` when the record was revoked itself or its family is no
 * longer live. A SQL store answers this with one query (the token row joined with its family and
 * the user's generation), so the guard still costs one store read per request.
 */
export interface TokenRepository {
  /**
   * Inserts a token record. The first record of a `familyId` starts the family, recording the
   * user's current generation; later records join it (and are inactive if it has been revoked).
   */
  create(record: NewTokenRecord): Promise<TokenRecord>;
  /** The record with this id, or `null`. This is on the hot path of every authenticated request. */
  findById(id: string): Promise<TokenRecord | null>;
  /**
   * Optional: {@link TokenRepository.findById} and the record's user (`users.findById(record.userId)`)
   * in one read, for a store that holds both tables in one database: the guard then costs one
   * round trip instead of two. gatehouse calls it with its configured user repository; return
   * `undefined` when `users` is not one this repository can read with (another store's), and the
   * two reads are made instead. `user` is `null` when there is no such user (a client's token).
   */
  findByIdWithUser?(id: string, users: UserRepository): Promise<TokenWithUser | null | undefined>;
  /** Optional: the two reads above without a promise (see {@link SyncTokenReads}). */
  readonly sync?: SyncTokenReads;
  /** The record whose `tokenHash` equals `hash`, or `null`. */
  findByHash(hash: string): Promise<TokenRecord | null>;
  /**
   * Compare-and-swap rotation of a refresh token. Atomically: if the record `currentId` is active
   * and `replacedBy` is still `null`, set `replacedBy = next.id`, `usedAt = now`, and insert `next`.
   * Of N concurrent calls with the same `currentId` exactly one returns `rotated`.
   */
  rotate(currentId: string, next: NewTokenRecord, now: Date): Promise<RotateResult>;
  /** Marks one record inactive. Returns `true` when it was active before. */
  revoke(id: string, now: Date): Promise<boolean>;
  /**
   * Revokes the family for good (records written to it later are inactive too) and marks its
   * records inactive. Returns how many records changed.
   */
  revokeFamily(familyId: string, now: Date): Promise<number>;
  /**
   * Ends every family the user has started so far (raises the user's generation), except
   * `exceptFamilyId` when given and live, and marks their records inactive. Families started after
   * this call are unaffected. Returns how many records changed.
   */
  revokeAllForUser(userId: string, now: Date, exceptFamilyId?: string): Promise<number>;
  /**
   * Revokes every family whose first record had `clientId` and marks every record whose `clientId`
   * equals `clientId` inactive, whoever it was issued to: users' sessions obtained through the
   * client (device grant) and the client's own tokens. Exact match only. Returns how many records
   * changed.
   */
  revokeAllForClient(clientId: string, now: Date): Promise<number>;
  /** Active, unexpired records of a user (for "where am I logged in" listings). */
  listActiveForUser(userId: string, now: Date): Promise<TokenRecord[]>;
  /** Deletes every record, family and generation of the user (account deletion). Returns how many records. */
  deleteAllForUser(userId: string): Promise<number>;
  /** Deletes records that expired before `before`, and families that ended before it. Returns how many records. */
  deleteExpired(before: Date): Promise<number>;
}
