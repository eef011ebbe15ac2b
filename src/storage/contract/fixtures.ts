/**
 * Builders of realistic records for the contract suites: a user with a random UUID and a unique
 * email, a token with a 256-bit base64url id and, for refresh tokens, a SHA-256 hash of a random
 * secret. Exported through `gatehouse/testing` so that extra tests can build the same records.
 *
 * @module
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DEFAULT_ROLE, type TokenRecord, type UserRecord } from '../types.js';

/** A fixed instant with a non-zero millisecond part, so that lost precision shows up. */
export const CONTRACT_EPOCH: Date = new Date(Date.UTC(2025, 2, 14, 9, 26, 53, 589));

/** `base` shifted by `ms` milliseconds (a new `Date`). */
export function addMs(base: Date, ms: number): Date {
  return new Date(base.getTime() + ms);
}

/** A random id of 256 bits, base64url-encoded, like the ids the token service issues. */
export function randomTokenId(): string {
  return randomBytes(32).toString('base64url');
}

/** The SHA-256 (base64url) of a fresh random secret, shaped like a stored opaque-token hash. */
export function randomTokenHash(): string {
  return createHash('sha256').update(randomBytes(32)).digest('base64url');
}

/**
 * A complete {@link UserRecord} with a fresh UUID, a unique canonical email and an argon2id-shaped
 * password hash; `overrides` replace any field.
 */
export function buildUserRecord(overrides: Partial<UserRecord> = {}): UserRecord {
  const id = overrides.id ?? randomUUID();
  const suffix = id.slice(0, 8);
  return {
    id,
    email: `user-${id}@example.com`,
    username: `user_${suffix}`,
    passwordHash:
      '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZHVtbXloYXNoZHVtbXloYXNoZHVtbXloYXNoZHVtbXk',
    role: DEFAULT_ROLE,
    isActive: true,
    emailVerifiedAt: null,
    passwordChangeRequired: false,
    createdAt: CONTRACT_EPOCH,
    updatedAt: CONTRACT_EPOCH,
    ...overrides,
  };
}

/**
 * A complete {@link TokenRecord}: by default an active, unused refresh token of a new family that
 * expires 15 minutes after {@link CONTRACT_EPOCH} (family: 30 days). Access tokens
 * (`kind: 'access'`) get `tokenHash: null` unless overridden; `overrides` replace any field.
 */
export function buildTokenRecord(overrides: Partial<TokenRecord> = {}): TokenRecord {
  const kind = overrides.kind ?? 'refresh';
  return {
    id: randomTokenId(),
    userId: randomUUID(),
    kind,
    familyId: randomTokenId(),
    tokenHash: kind === 'refresh' ? randomTokenHash() : null,
    expiresAt: addMs(CONTRACT_EPOCH, 15 * 60_000),
    familyExpiresAt: addMs(CONTRACT_EPOCH, 30 * 86_400_000),
    active: true,
    ipAddress: '203.0.113.7',
    userAgent:
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
    scope: 'openid profile',
    clientId: 'web-app',
    replacedBy: null,
    usedAt: null,
    createdAt: CONTRACT_EPOCH,
    updatedAt: CONTRACT_EPOCH,
    ...overrides,
  };
}

/**
 * The successor of `current` in a refresh rotation: same user, family, family expiry and client,
 * a new id and hash, created at `now`.
 */
export function buildSuccessor(
  current: TokenRecord,
  now: Date,
  overrides: Partial<TokenRecord> = {},
): TokenRecord {
  return buildTokenRecord({
    userId: current.userId,
    kind: current.kind,
    familyId: current.familyId,
    familyExpiresAt: current.familyExpiresAt,
    ipAddress: current.ipAddress,
    userAgent: current.userAgent,
    scope: current.scope,
    clientId: current.clientId,
    expiresAt: addMs(now, 15 * 60_000),
    createdAt: now,
    updatedAt: now,
    ...overrides,
  });
}
