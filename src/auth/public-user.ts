/**
 * The view of a user that may leave the server: never the password hash.
 *
 * @module
 */
import type { UserRecord } from '../storage/types.js';

/** A user as shown to clients and application code. */
export interface PublicUser {
  readonly id: string;
  readonly email: string;
  readonly username: string | null;
  readonly role: string;
  readonly isActive: boolean;
  readonly emailVerified: boolean;
  readonly createdAt: Date;
}

/** Projects a stored user onto {@link PublicUser}: an allowlist of fields, so new columns never leak. */
export function toPublicUser(user: UserRecord): PublicUser {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    role: user.role,
    isActive: user.isActive,
    emailVerified: user.emailVerifiedAt !== null,
    createdAt: user.createdAt,
  };
}
