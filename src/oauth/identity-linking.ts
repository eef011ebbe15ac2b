/**
 * Which local user a provider login becomes (OWASP ASVS 5.0 6.8.1, 10.5.2, 10.3.3). The identity is `(issuer, subject)`; email
 * never identifies anyone on its own:
 *
 * - A known identity logs in its user (whatever email the provider reports now).
 * - A signed-in user linking a provider gets the identity, unless it belongs to someone else.
 * - A new identity whose verified email matches a local account is linked to it only when
 *   `oauth.linkByEmail` is on **and** the local address is verified too (so an account squatted
 *   with someone else's unverified address is never joined); otherwise the login is refused with
 *   {@link AccountExistsError} and the owner links the provider after signing in.
 * - Otherwise a new user is created, only from an email the provider verified (an unverified one
 *   would let anyone pre-claim the address's future account).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { canonicalEmail, emailIssues } from '../auth/identity.js';
import { isAuthError } from '../errors.js';
import type { RequestContext, SecurityEvents } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import { DEFAULT_ROLE, type LinkedIdentity, type Store, type UserRecord } from '../storage/types.js';
import {
  AccountExistsError,
  IdentityAlreadyLinkedError,
  OAuthFailedError,
  ProviderEmailNotVerifiedError,
} from './errors.js';
import type { ProviderLogin } from './login-flow.js';

/** What linking needs. */
export interface LinkingOptions {
  readonly store: Store;
  readonly events: SecurityEvents;
  readonly clock: () => Date;
  readonly linkByEmail: boolean;
  readonly createUsers: boolean;
}

/** The local user of a provider login and the identity that led to it. */
export interface ResolvedLogin {
  readonly user: UserRecord;
  readonly identity: LinkedIdentity;
}

function verifiedEmail(login: ProviderLogin): string | null {
  const { email, emailVerified } = login.profile;
  if (!emailVerified || email === null || emailIssues(email).length > 0) return null;
  return canonicalEmail(email);
}

/** Finds, links or creates the local user of `login` (see the module documentation). */
export async function resolveLogin(
  o: LinkingOptions,
  provider: string,
  login: ProviderLogin,
  linkUserId: string | null,
  context?: RequestContext,
): Promise<ResolvedLogin> {
  const { identities, users } = o.store;
  const now = o.clock();
  const { subject, email, emailVerified } = login.profile;
  const seen = { email: email ?? null, emailVerified, lastLoginAt: now };
  const existing = await storeCall(() => identities.findBySubject(login.issuer, subject));

  if (existing) {
    if (linkUserId !== null && existing.userId !== linkUserId) throw new IdentityAlreadyLinkedError();
    const user = await storeCall(() => users.findById(existing.userId));
    if (!user) throw new OAuthFailedError();
    const identity = (await storeCall(() => identities.update(existing.id, seen, now))) ?? existing;
    return { user, identity };
  }

  const link = async (user: UserRecord, via: 'login' | 'email' | 'link'): Promise<ResolvedLogin> => {
    const identity = await storeCall(() =>
      identities.create({
        id: randomUUID(),
        userId: user.id,
        provider,
        issuer: login.issuer,
        subject,
        tokens: null,
        createdAt: now,
        updatedAt: now,
        ...seen,
      }),
    ).catch((error: unknown) => {
      if (isAuthError(error, 'ERR_ALREADY_REGISTERED')) throw new IdentityAlreadyLinkedError();
      throw error;
    });
    o.events.emit('identity.linked', context, now, { userId: user.id, provider, via });
    return { user, identity };
  };

  if (linkUserId !== null) {
    const user = await storeCall(() => users.findById(linkUserId));
    if (!user?.isActive) throw new OAuthFailedError();
    return link(user, 'link');
  }

  const address = verifiedEmail(login);
  if (address === null) throw new ProviderEmailNotVerifiedError();
  const owner = await storeCall(() => users.findByEmail(address));
  if (owner) {
    if (!o.linkByEmail || owner.emailVerifiedAt === null) throw new AccountExistsError();
    return link(owner, 'email').catch((error: unknown) => {
      // The owner already has another account at this provider: do not guess, refuse.
      if (isAuthError(error, 'ERR_OAUTH_IDENTITY_LINKED')) throw new AccountExistsError();
      throw error;
    });
  }
  if (!o.createUsers) throw new AccountExistsError();

  const user = await storeCall(() =>
    users.create({
      id: randomUUID(),
      email: address,
      username: null,
      passwordHash: null,
      role: DEFAULT_ROLE,
      isActive: true,
      emailVerifiedAt: now,
      passwordChangeRequired: false,
      createdAt: now,
      updatedAt: now,
    }),
  ).catch((error: unknown) => {
    if (isAuthError(error, 'ERR_ALREADY_REGISTERED')) throw new AccountExistsError();
    throw error;
  });
  let resolved: ResolvedLogin;
  try {
    resolved = await link(user, 'login');
  } catch (error) {
    // A concurrent first login with the same identity won: undo this user, nothing half-written.
    await storeCall(() => users.delete(user.id));
    throw error;
  }
  o.events.emit('user.registered', context, now, { userId: user.id });
  return resolved;
}
