/**
 * Refresh token rotation with reuse detection (RFC 9700 §4.14.2): a compare-and-swap marks the
 * presented token used and stores its successor; a token presented again revokes its whole family,
 * unless it is the immediately previous token, presented again within the reuse interval
 * (`tokens.refreshReuseInterval`, 10 s by default): then the same successor comes back.
 *
 * Why a grace interval by default: two tabs (or a retry after a lost response) refreshing with one
 * token at once are not an attack, and revoking the login for it logs legitimate users out. RFC
 * 9700 §4.14.2 leaves the detection strategy to the server; what the interval gives up is small and
 * bounded. Within it, whoever presents the previous token gets the *same* successor (never a second
 * family, never a second live refresh token), and the token after that is reuse as before: if a
 * thief and the client both hold the successor, the next rotation by one makes the other's next
 * use a reuse, which revokes the family. A token two rotations back, or one presented after the
 * interval, revokes the family at once. The successor is derived with HMAC (see
 * `successor-keys.ts`), so it is never stored in the clear and cannot be computed from a stolen
 * token.
 *
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { InvalidGrantError, InvalidScopeError, RefreshTokenReusedError } from '../errors.js';
import type { RequestContext } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import type { TokenRecord } from '../storage/types.js';
import {
  deriveSuccessorRefreshToken,
  hashOpaqueToken,
  looksLikeRefreshToken,
  newRefreshToken,
} from './opaque.js';
import { addSeconds, earlier, newTokenRecord, withAccessToken } from './token-issuing.js';
import type { IssuedTokens, RefreshOptions, TokenServiceOptions } from './token-service.js';

/** See `TokenService.refresh`. */
export async function rotateRefreshToken(
  o: TokenServiceOptions,
  refreshToken: unknown,
  context: RequestContext | undefined,
  options: RefreshOptions,
): Promise<IssuedTokens> {
  // A verify-only key set cannot sign the successor's access token: refuse before the refresh token
  // is used up (using it here would make the client's next refresh, at the issuer, look like reuse).
  o.keys.assertCanSign();
  if (!looksLikeRefreshToken(refreshToken)) throw new InvalidGrantError();
  const now = o.clock();
  const record = await storeCall(() => o.repository.findByHash(hashOpaqueToken(refreshToken)));
  if (
    !record?.active ||
    record.kind !== 'refresh' ||
    record.expiresAt.getTime() <= now.getTime() ||
    record.familyExpiresAt.getTime() <= now.getTime() ||
    (options.clientId !== undefined && record.clientId !== options.clientId)
  ) {
    throw new InvalidGrantError();
  }
  const granted = record.scope ? record.scope.split(' ') : [];
  const scope = options.scope ?? granted;
  if (scope.some((s) => !granted.includes(s))) throw new InvalidScopeError();
  if (record.replacedBy !== null)
    return presentedAgain(o, record, refreshToken, scope, now, context, options);

  const subject = await options.authorize(record);
  const deriving = o.refreshReuseInterval > 0 ? o.successorKeys[0] : undefined;
  const nextToken = deriving ? deriveSuccessorRefreshToken(deriving, refreshToken) : newRefreshToken();
  const next = newTokenRecord(
    record.userId,
    'refresh',
    record.familyId,
    record.familyExpiresAt,
    now,
    context,
    {
      tokenHash: hashOpaqueToken(nextToken),
      expiresAt: earlier(addSeconds(now, o.refreshTokenTtl), record.familyExpiresAt),
      scope: record.scope,
      clientId: record.clientId,
    },
  );
  const result = await storeCall(() => o.repository.rotate(record.id, next, now));
  if (result.status === 'already_rotated') {
    return presentedAgain(o, result.current, refreshToken, scope, now, context, options);
  }
  if (result.status === 'inactive') throw new InvalidGrantError();
  o.events.emit('token.refreshed', context, now, {
    userId: record.userId,
    familyId: record.familyId,
  });
  return withAccessToken(o, subject, next, nextToken, scope, now, context);
}

/**
 * A refresh token that was already rotated: within the reuse interval the immediately previous
 * token gets the same successor again (with a new access token, `token.refreshed` with
 * `withinReuseInterval: true`); otherwise its family is revoked, `refresh.reused` is emitted and
 * `RefreshTokenReusedError` thrown. A successor that no successor key reproduces (it was
 * random, or its key is no longer configured) is treated as reuse: the check fails closed.
 */
async function presentedAgain(
  o: TokenServiceOptions,
  record: TokenRecord,
  refreshToken: string,
  scope: readonly string[],
  now: Date,
  context: RequestContext | undefined,
  options: RefreshOptions,
): Promise<IssuedTokens> {
  const { refreshReuseInterval, successorKeys } = o;
  if (
    refreshReuseInterval > 0 &&
    successorKeys.length > 0 &&
    record.replacedBy !== null &&
    record.usedAt !== null &&
    now.getTime() - record.usedAt.getTime() <= refreshReuseInterval * 1000
  ) {
    const successorId = record.replacedBy;
    const successor = await storeCall(() => o.repository.findById(successorId));
    const successorToken =
      successor?.active && successor.replacedBy === null && successor.tokenHash !== null
        ? derivedSuccessor(successorKeys, refreshToken, successor.tokenHash)
        : undefined;
    if (successor && successorToken !== undefined) {
      const subject = await options.authorize(record);
      o.events.emit('token.refreshed', context, now, {
        userId: record.userId,
        familyId: record.familyId,
        withinReuseInterval: true,
      });
      return withAccessToken(o, subject, successor, successorToken, scope, now, context);
    }
  }
  const count = await storeCall(() => o.repository.revokeFamily(record.familyId, now));
  o.events.emit('refresh.reused', context, now, { userId: record.userId, familyId: record.familyId });
  o.events.emit('token.revoked', context, now, {
    userId: record.userId,
    scope: 'family',
    reason: 'reuse',
    count,
  });
  throw new RefreshTokenReusedError();
}

/**
 * The successor of `refreshToken` whose hash is `storedHash`, derived under one of the successor
 * keys (every key is tried, so the comparison count does not depend on which one matches), or
 * `undefined` when none reproduces it.
 */
function derivedSuccessor(
  keys: readonly Uint8Array[],
  refreshToken: string,
  storedHash: string,
): string | undefined {
  const expected = Buffer.from(storedHash);
  let match: string | undefined;
  for (const key of keys) {
    const candidate = deriveSuccessorRefreshToken(key, refreshToken);
    const actual = Buffer.from(hashOpaqueToken(candidate));
    // Lengths are public (every hash is 43 characters); the contents are compared in constant time.
    const same = actual.length === expected.length && timingSafeEqual(actual, expected);
    if (same && match === undefined) match = candidate;
  }
  return match;
}
