/**
 * How access tokens issued to registered clients (the client-credentials grant) are told apart
 * from users' tokens: by their record in the token table, which the server writes and which
 * every verification reads (looked up by the signed `jti`), never by anything the token says.
 *
 * A client's token records have `userId` = `familyId` = `client:<client id>`: one family per
 * client, in a namespace of its own. A user's records have the user's id (a UUID chosen by the
 * server, never starting with `client:`) and a family that is a 128-bit random base64url id
 * (never containing `:`), so no user token can pass for a client's nor a client's for a user's,
 * whatever the ids are: a client id equal to a user id changes nothing, and the per-user
 * operations of the token table (`revokeAllForUser`, `deleteAllForUser`, listings) never reach a
 * client's tokens. Revoking the family revokes every token of the client at once.
 *
 * @module
 */
import type { TokenRecord } from '../storage/types.js';

/** Prefix of the token family of a client's tokens. */
export const CLIENT_FAMILY_PREFIX = 'client:';

/** The token family (and record `userId`) of every access token issued to `clientId`. */
export function clientFamilyId(clientId: string): string {
  return CLIENT_FAMILY_PREFIX + clientId;
}

/**
 * True when `record` is an access token issued to a client: `userId` and `familyId` are both
 * `client:<client id>`. Both must agree, so a record whose family merely starts with the prefix
 * is not one.
 */
export function isClientTokenRecord(record: Pick<TokenRecord, 'familyId' | 'userId'>): boolean {
  return record.familyId === record.userId && record.userId.startsWith(CLIENT_FAMILY_PREFIX);
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
