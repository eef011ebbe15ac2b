/**
 * Issuing tokens: a new family (one login) with its refresh token and first access token, the
 * access token that accompanies every rotation, and a registered client's access token. Every
 * token gets a record in the token table first; an access token's `jti` is its record id.
 *
 * @module
 */
import type { RequestContext } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import type { TokenRecord } from '../storage/types.js';
import { signAccessToken } from './access-token.js';
import { clientSubjectId, clientTokenFamilyId, type IssuedClientToken } from './client-token.js';
import { hashOpaqueToken, newRefreshToken, randomId } from './opaque.js';
import type { IssuedTokens, TokenServiceOptions, TokenSubject } from './token-service.js';

/** `date` plus `seconds`. */
export const addSeconds = (date: Date, seconds: number): Date => new Date(date.getTime() + seconds * 1000);
/** The earlier of two dates. */
export const earlier = (a: Date, b: Date): Date => (a.getTime() <= b.getTime() ? a : b);

/** A new, active token record with the request's IP and user agent. */
export function newTokenRecord(
  userId: string,
  kind: TokenRecord['kind'],
  familyId: string,
  familyExpiresAt: Date,
  now: Date,
  context: RequestContext | undefined,
  fields: Pick<TokenRecord, 'tokenHash' | 'expiresAt' | 'scope' | 'clientId'>,
): TokenRecord {
  return {
    id: randomId(),
    userId,
    kind,
    familyId,
    familyExpiresAt,
    active: true,
    ipAddress: context?.ip ?? null,
    userAgent: context?.userAgent ?? null,
    replacedBy: null,
    usedAt: null,
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
}

/** See `TokenService.issue`. */
export async function issueTokens(
  o: TokenServiceOptions,
  subject: TokenSubject,
  context: RequestContext | undefined,
  options: { scope?: readonly string[]; clientId?: string },
): Promise<IssuedTokens> {
  // A verify-only key set cannot sign: refuse before anything is written.
  o.keys.assertCanSign();
  const now = o.clock();
  const familyId = randomId();
  const familyExpiresAt = addSeconds(now, o.sessionMaxAge);
  const refreshToken = newRefreshToken();
  const scope = options.scope ?? [];
  const clientId = options.clientId ?? o.clientId;
  const refreshRecord = newTokenRecord(subject.id, 'refresh', familyId, familyExpiresAt, now, context, {
    tokenHash: hashOpaqueToken(refreshToken),
    expiresAt: earlier(addSeconds(now, o.refreshTokenTtl), familyExpiresAt),
    scope: scope.length > 0 ? scope.join(' ') : null,
    clientId,
  });
  await storeCall(() => o.repository.create(refreshRecord));
  return withAccessToken(o, subject, refreshRecord, refreshToken, scope, now, context);
}

/** See `TokenService.issueClientToken`. */
export async function issueClientToken(
  o: TokenServiceOptions,
  clientId: string,
  scope: readonly string[],
  context?: RequestContext,
): Promise<IssuedClientToken> {
  o.keys.assertCanSign();
  const now = o.clock();
  const expiresAt = addSeconds(now, o.accessTokenTtl);
  const family = clientTokenFamilyId(clientId, randomId());
  const record = newTokenRecord(clientSubjectId(clientId), 'access', family, expiresAt, now, context, {
    tokenHash: null,
    expiresAt,
    scope: scope.length > 0 ? scope.join(' ') : null,
    clientId,
  });
  await storeCall(() => o.repository.create(record));
  const accessToken = await signAccessToken(o, {
    sub: clientId,
    jti: record.id,
    scope,
    clientId,
    issuedAt: now,
    expiresAt,
  });
  return {
    accessToken,
    tokenType: 'Bearer',
    expiresIn: o.accessTokenTtl,
    accessTokenExpiresAt: expiresAt,
    scope,
  };
}

/**
 * Records and signs an access token of the refresh token's family (never outliving the family)
 * and returns it with the refresh token.
 */
export async function withAccessToken(
  o: TokenServiceOptions,
  subject: TokenSubject,
  refreshRecord: TokenRecord,
  refreshToken: string,
  scope: readonly string[],
  now: Date,
  context: RequestContext | undefined,
): Promise<IssuedTokens> {
  const expiresAt = earlier(addSeconds(now, o.accessTokenTtl), refreshRecord.familyExpiresAt);
  const clientId = refreshRecord.clientId ?? o.clientId;
  const record = newTokenRecord(
    subject.id,
    'access',
    refreshRecord.familyId,
    refreshRecord.familyExpiresAt,
    now,
    context,
    {
      tokenHash: null,
      expiresAt,
      scope: scope.length > 0 ? scope.join(' ') : null,
      clientId,
    },
  );
  await storeCall(() => o.repository.create(record));
  const accessToken = await signAccessToken(o, {
    sub: subject.id,
    jti: record.id,
    role: subject.role,
    scope,
    clientId,
    issuedAt: now,
    expiresAt,
  });
  return {
    accessToken,
    tokenType: 'Bearer',
    expiresIn: Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000)),
    accessTokenExpiresAt: expiresAt,
    refreshToken,
    refreshTokenExpiresAt: refreshRecord.expiresAt,
    familyId: refreshRecord.familyId,
    scope,
  };
}
