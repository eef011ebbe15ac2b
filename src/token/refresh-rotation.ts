/**
 * Refresh token rotation with reuse detection: a compare-and-swap marks the presented token used
 * and stores its successor; a token presented again revokes its whole family, unless a reuse
 * interval is configured and it is the immediately previous token, presented within the interval.
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
  const nextToken =
    o.refreshReuseInterval > 0 && o.successorKey
      ? deriveSuccessorRefreshToken(o.successorKey, refreshToken)
      : newRefreshToken();
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
 * token gets the same successor again; otherwise its family is revoked, `refresh.reused` is
 * emitted and {@link RefreshTokenReusedError} thrown.
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
  const { refreshReuseInterval, successorKey } = o;
  if (
    refreshReuseInterval > 0 &&
    successorKey &&
    record.replacedBy !== null &&
    record.usedAt !== null &&
    now.getTime() - record.usedAt.getTime() <= refreshReuseInterval * 1000
  ) {
    const successorId = record.replacedBy;
    const successor = await storeCall(() => o.repository.findById(successorId));
    const successorToken = deriveSuccessorRefreshToken(successorKey, refreshToken);
    if (
      successor?.active &&
      successor.replacedBy === null &&
      successor.tokenHash !== null &&
      timingSafeEqual(Buffer.from(successor.tokenHash), Buffer.from(hashOpaqueToken(successorToken)))
    ) {
      const subject = await options.authorize(record);
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
