/**
 * How access tokens issued to registered clients (the client-credentials grant) are told apart
 * from users' tokens: by their record in the token table, which the server writes and which
 * every verification reads (looked up by the signed `jti`), never by anything the token says.
 *
 * A client's token records have `userId` = `client:<client id>` (the client's subject in the token
 * table) and a family of their own, `client:<client id>:<random>`: one family per token, so that
 * revoking a family never outlives the token (families are revoked for good, see
 * `TokenRepository`), while `revokeAllForUser('client:<id>')` ends all of the client's tokens at once
 * and tokens issued after it are unaffected. A user's records have the user's id (a UUID chosen by
 * the server, never starting with `client:`) and a family that is a random base64url id (never
 * containing `:`), so no user token can pass for a client's nor a client's for a user's, whatever
 * the ids are: a client id equal to a user id changes nothing, and the per-user operations of the
 * token table (`revokeAllForUser`, `deleteAllForUser`, listings) never reach a client's tokens.
 *
 * @module
 */
import type { TokenRecord } from '../storage/types.js';

/** Prefix of the token-table subject (record `userId`) and families of a client's tokens. */
export const CLIENT_FAMILY_PREFIX = 'client:';

/** The token-table subject (record `userId`) of every access token issued to `clientId`. */
export function clientSubjectId(clientId: string): string {
  return CLIENT_FAMILY_PREFIX + clientId;
}

/** A new family for one access token issued to `clientId`: `client:<client id>:<random>`. */
export function clientTokenFamilyId(clientId: string, random: string): string {
  return `${clientSubjectId(clientId)}:${random}`;
}

/**
 * True when `record` is an access token issued to a client: `userId` is `client:<client id>` and
 * the family is that subject followed by `:` (or, for records written before per-token families,
 * the subject itself). Both must agree, so a record whose family merely starts with the prefix is
 * not one.
 */
export function isClientTokenRecord(record: Pick<TokenRecord, 'familyId' | 'userId'>): boolean {
  const { userId, familyId } = record;
  return (
    userId.startsWith(CLIENT_FAMILY_PREFIX) &&
    (familyId === userId || (familyId.length > userId.length + 1 && familyId.startsWith(`${userId}:`)))
  );
}

/**
 * The subject (`sub`) a token record belongs to: the client id for a client's token, else the
 * user id. Verification requires the token's `sub` to equal it.
 */
export function tokenRecordSubject(record: Pick<TokenRecord, 'familyId' | 'userId'>): string {
  return isClientTokenRecord(record) ? record.userId.slice(CLIENT_FAMILY_PREFIX.length) : record.userId;
}

/** An access token issued to a client: no refresh token (RFC 6749 §4.4.3). */
export interface IssuedClientToken {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  readonly expiresIn: number;
  readonly accessTokenExpiresAt: Date;
  /** The granted scopes. */
  readonly scope: readonly string[];
}
