/**
 * Repository interfaces. gatehouse's services talk to storage only through these, so a user can
 * plug in their own database by implementing them; `gatehouse/testing` exports contract suites
 * that any implementation must pass.
 *
 * Conventions every implementation follows:
 * - Dates are `Date` objects; ids are opaque strings chosen by the caller (the services).
 * - Lookups that find nothing return `null`, never throw.
 * - Writes that break a uniqueness rule throw `AlreadyRegisteredError`; everything else
 *   that goes wrong is thrown as is (the services turn it into a fail-closed error).
 * - Queries are parameterized: SQL or NoSQL metacharacters in any value are stored verbatim.
 *
 * @module
 */

import type { RelationshipStore } from '../policy/relationship-store.js';
import type { TokenRepository } from './token-types.js';

export type {
  NewTokenRecord,
  RotateResult,
  SyncTokenReads,
  TokenKind,
  TokenRecord,
  TokenRepository,
  TokenWithUser,
} from './token-types.js';

/** The role every newly registered user gets. */
export const DEFAULT_ROLE = 'USER';

/** A stored user. Mirrors the source chapter's `users` table plus account-state columns. */
export interface UserRecord {
  /** UUID. */
  readonly id: string;
  /** Canonical email: trimmed, NFC-normalized, lower-cased. Unique. */
  readonly email: string;
  /** Canonical username (lower-cased) or `null` when usernames are not used. Unique when set. */
  readonly username: string | null;
  /** PHC string (argon2id) or a legacy hash (bcrypt, scrypt) awaiting rehash; `null` for password-less accounts. */
  readonly passwordHash: string | null;
  /** Role name, `USER` by default. */
  readonly role: string;
  /** `false` when the account is disabled: no login, no refresh, no token use. */
  readonly isActive: boolean;
  /** When the email was verified, or `null`. */
  readonly emailVerifiedAt: Date | null;
  /** Set when the password is known to be compromised: the next login must change it. */
  readonly passwordChangeRequired: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What {@link UserRepository.create} receives: a full record chosen by the service. */
export type NewUser = UserRecord;

/** Fields {@link UserRepository.update} may change. */
export type UserPatch = Partial<
  Pick<
    UserRecord,
    'email' | 'username' | 'passwordHash' | 'role' | 'isActive' | 'emailVerifiedAt' | 'passwordChangeRequired'
  >
>;

/** Storage of user accounts. */
export interface UserRepository {
  /**
   * Inserts a user. Must be atomic with respect to the uniqueness of `email` and `username`:
   * of two concurrent creates with the same email exactly one succeeds, the other throws
   * `AlreadyRegisteredError`.
   */
  create(user: NewUser): Promise<UserRecord>;
  /** The user with this id, or `null`. */
  findById(id: string): Promise<UserRecord | null>;
  /** The user with this canonical email (exact match on the canonical form), or `null`. */
  findByEmail(email: string): Promise<UserRecord | null>;
  /** The user with this canonical username, or `null`. */
  findByUsername(username: string): Promise<UserRecord | null>;
  /**
   * Applies `patch` and sets `updatedAt`. Returns the updated record, or `null` when there is no
   * such user. A patch that breaks uniqueness throws `AlreadyRegisteredError` and changes nothing.
   */
  update(id: string, patch: UserPatch, updatedAt: Date): Promise<UserRecord | null>;
  /** Deletes the user; `true` when a user was deleted. */
  delete(id: string): Promise<boolean>;
  /** Number of users (used to prove there are no seeded accounts). */
  count(): Promise<number>;
  /**
   * One page of users in creation order: ascending `createdAt`, then ascending `id` among users
   * created at the same instant, strictly after `query.after` when given, at most `query.limit`
   * of them. A keyset query: implementations answer it from an index on `(createdAt, id)`, never
   * by reading every user. Optional, so that an existing repository keeps compiling; without it
   * `AccountService.listUsers` throws `UnsupportedByStoreError`.
   */
  list?(query: UserListQuery): Promise<UserRecord[]>;
}

/** The position of a user in creation order (what {@link UserRepository.list} continues after). */
export interface UserListPosition {
  readonly createdAt: Date;
  readonly id: string;
}

/** What {@link UserRepository.list} receives. */
export interface UserListQuery {
  /** The most users to return: a whole number of at least 1. */
  readonly limit: number;
  /** Return only users after this position; `null` or absent: from the first user. */
  readonly after?: UserListPosition | null;
}

/** The bundle of repositories that `createGatehouse` takes as `store`. */
export interface Store {
  readonly users: UserRepository;
  readonly tokens: TokenRepository;
  /** One-time tokens, OAuth state, pending changes. */
  readonly state: StateStore;
  /** Failed-login counters, lockouts, rate limits. */
  readonly counters: CounterStore;
  /** TOTP factors and backup codes. */
  readonly mfa: MfaRepository;
  /** Relationship tuples of the policy evaluator (ReBAC); a deleted user's tuples go with them. */
  readonly relationships: RelationshipStore;
  /** API keys of users (hashed secrets only). */
  readonly apiKeys: ApiKeyRepository;
  /** Identities at external providers (GitHub, OIDC) linked to local users. */
  readonly identities: AccountRepository;
  /** Registered service clients (client credentials and device grants; hashed secrets only). */
  readonly clients: ClientRepository;
  /** Releases connections or file handles. Optional. */
  close?(): Promise<void> | void;
}

/**
 * Short-lived keyed values: one-time tokens (email verification, password reset, MFA challenges),
 * OAuth state, pending changes. Values are opaque strings (JSON chosen by the caller); keys are
 * built by the services (e.g. `reset:<hash>`), never from raw secrets.
 */
export interface StateStore {
  /** Stores `value` under `key` until `expiresAt` (`null`: no expiry), replacing any previous value. */
  set(key: string, value: string, expiresAt: Date | null): Promise<void>;
  /** The value, or `null` when missing or expired at `now`. */
  get(key: string, now: Date): Promise<string | null>;
  /**
   * Atomically reads and deletes. Of N concurrent takes of one key exactly one gets the value;
   * an expired value is deleted and `null` returned.
   */
  take(key: string, now: Date): Promise<string | null>;
  /** Deletes one key; `true` when it existed (expired or not). */
  delete(key: string): Promise<boolean>;
  /** Deletes every key that starts with `prefix` (literally: no wildcards). Returns how many. */
  deleteByPrefix(prefix: string): Promise<number>;
  /** Deletes values that expired at or before `now`. Returns how many. */
  deleteExpired(now: Date): Promise<number>;
}

/** A counter's value in its current window. */
export interface CounterValue {
  readonly count: number;
  /** When the window ends and the count starts again from zero. */
  readonly resetAt: Date;
}

/**
 * Counters over fixed windows, for failed-login counting, lockouts and rate limits. A window
 * starts with the first increment of a key (or the first after the previous window ended) and
 * lasts `windowSeconds`.
 */
export interface CounterStore {
  /**
   * Atomically adds `by` (default 1) to `key` and returns the value after adding. Of N concurrent
   * increments none is lost.
   */
  increment(key: string, windowSeconds: number, now: Date, by?: number): Promise<CounterValue>;
  /** The current value, or `null` when the key has no live window at `now`. */
  get(key: string, now: Date): Promise<CounterValue | null>;
  /** Forgets the key. */
  reset(key: string): Promise<void>;
  /**
   * One hit of a sliding window, in one atomic step (one round trip on a networked store): the
   * rate limits and the lockout's failure count are built on it.
   *
   * Time is cut into windows of `windowMs` aligned to the epoch; the window of `now` has index
   * `i = floor(now / windowMs)` and `elapsed = now − i × windowMs`. Its counter is the key
   * `` `${key}@${i}` `` and the previous window's is `` `${key}@${i − 1}` `` (the keys `get` and
   * `reset` see), each kept for two windows (`2 × windowMs`, as `increment` would keep it).
   *
   * Without `limit` the hit is always counted: `current` grows by 1. With `limit` it is counted
   * only when the sliding estimate after it stays within the limit, in integers:
   *
   *     previous × (windowMs − elapsed) + (current + 1) × windowMs ≤ limit × windowMs
   *
   * decided atomically with the increment, so of any number of concurrent hits no more are
   * counted than the limit allows. A refused hit changes nothing. See `slidingHitFits`.
   */
  hitSliding(key: string, windowMs: number, now: Date, limit?: number): Promise<SlidingHit>;
}

/** Outcome of {@link CounterStore.hitSliding}. */
export interface SlidingHit {
  /** The previous window's count. */
  readonly previous: number;
  /** The current window's count after the call (this hit included when it was counted). */
  readonly current: number;
  /** Whether this hit was counted (always, without a limit). */
  readonly counted: boolean;
}

/** A user's TOTP factor. */
export interface TotpRecord {
  readonly userId: string;
  /** The secret, encrypted by the MFA service; opaque to the store. */
  readonly secret: string;
  /** `false` until enrolment was confirmed with a first valid code. */
  readonly enabled: boolean;
  /** The last accepted time step (RFC 6238 replay protection), or `null`. */
  readonly lastUsedStep: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Storage of second factors: TOTP secrets and hashed backup codes. */
export interface MfaRepository {
  /** The user's TOTP factor, or `null`. */
  getTotp(userId: string): Promise<TotpRecord | null>;
  /** Creates or replaces the user's TOTP factor. */
  saveTotp(record: TotpRecord): Promise<void>;
  /** Deletes the user's TOTP factor; `true` when there was one. */
  deleteTotp(userId: string): Promise<boolean>;
  /**
   * Compare-and-swap replay protection: sets `lastUsedStep = step` only when it is `null` or
   * smaller than `step`. `true` when it advanced; of N concurrent calls with one step exactly one
   * returns `true`.
   */
  useTotpStep(userId: string, step: number, now: Date): Promise<boolean>;
  /** Replaces the user's backup codes (hashes only) with a new set. */
  replaceBackupCodes(userId: string, codeHashes: readonly string[], now: Date): Promise<void>;
  /** Atomically deletes the backup code with this hash; `true` when it existed (single use). */
  consumeBackupCode(userId: string, codeHash: string): Promise<boolean>;
  /** How many unused backup codes the user has. */
  countBackupCodes(userId: string): Promise<number>;
  /** Deletes every factor and backup code of the user (account deletion). */
  deleteAllForUser(userId: string): Promise<void>;
}

/**
 * A stored API key. The secret part of the key is never stored: only its SHA-256 (`secretHash`).
 * The public `id` is the part of the key shown in listings and logs (`ghk_<id>_...`).
 */
export interface ApiKeyRecord {
  /** Public key id (random, base64url), unique; the lookup key when a key is presented. */
  readonly id: string;
  /** The owning user. */
  readonly userId: string;
  /** A label chosen by the user. */
  readonly name: string;
  /** SHA-256 (base64url) of the secret part of the key. */
  readonly secretHash: string;
  /** Scopes the key grants (RFC 6749 scope tokens), in the order given at creation. */
  readonly scopes: readonly string[];
  readonly createdAt: Date;
  /** When the key stops working. Every key expires. */
  readonly expiresAt: Date;
  /** When the key was last used (updated at most about once a minute), or `null`. */
  readonly lastUsedAt: Date | null;
  /** When the key was revoked, or `null` while it is not. */
  readonly revokedAt: Date | null;
}

/** Storage of API keys. */
export interface ApiKeyRepository {
  /**
   * Inserts `record` unless its user already has `maxActive` keys that are neither revoked nor
   * expired at `record.createdAt`. Atomic: of N concurrent creates for one user at most
   * `maxActive` keys end up active. `true` when inserted, `false` when the cap was reached.
   */
  create(record: ApiKeyRecord, maxActive: number): Promise<boolean>;
  /** The key with this public id, or `null` (revoked and expired keys included). */
  findById(id: string): Promise<ApiKeyRecord | null>;
  /** Every key of the user (revoked and expired included), newest first. */
  listForUser(userId: string): Promise<ApiKeyRecord[]>;
  /**
   * Marks the key revoked at `now` when it belongs to `userId` and is not revoked yet. `true` when
   * this call revoked it; `false` for an unknown key, another user's key, or one already revoked.
   */
  revoke(id: string, userId: string, now: Date): Promise<boolean>;
  /** Sets `lastUsedAt` (only forward: an earlier time than the stored one changes nothing). */
  touch(id: string, usedAt: Date): Promise<void>;
  /** Deletes every key of the user (account deletion). Returns how many. */
  deleteAllForUser(userId: string): Promise<number>;
}

/**
 * An account at an external identity provider linked to a local user (OWASP ASVS 5.0 6.8.1, 10.5.2, 10.3.3). The identity is
 * `(issuer, subject)`: the OIDC `iss` and `sub`, or for GitHub `https://github.com` and the
 * numeric user id — never an email or a login name, which can change hands.
 */
export interface LinkedIdentity {
  /** UUID. */
  readonly id: string;
  /** The local user. */
  readonly userId: string;
  /** The configured provider name (e.g. `github`), for listings and provider API calls. */
  readonly provider: string;
  /** The provider's issuer identifier. Unique together with `subject`. */
  readonly issuer: string;
  /** The user's stable id at the provider (`sub`, GitHub's numeric `id`). */
  readonly subject: string;
  /** The email the provider reported at the last login, or `null`. */
  readonly email: string | null;
  /** Whether the provider said that email is verified. */
  readonly emailVerified: boolean;
  /**
   * The provider's tokens, sealed (AES-256-GCM) by the OAuth service; `null` unless keeping them
   * is configured. Opaque to the store.
   */
  readonly tokens: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** The last login through this identity, or `null`. */
  readonly lastLoginAt: Date | null;
}

/** Fields {@link AccountRepository.update} may change. */
export type LinkedIdentityPatch = Partial<
  Pick<LinkedIdentity, 'email' | 'emailVerified' | 'tokens' | 'lastLoginAt'>
>;

/** Storage of linked identities (the DESIGN's `AccountRepository`; `store.identities`). */
export interface AccountRepository {
  /**
   * Inserts a linked identity. Atomic with respect to two uniqueness rules: one row per
   * `(issuer, subject)` and one per `(userId, provider)`; a violation throws
   * `AlreadyRegisteredError` and writes nothing.
   */
  create(identity: LinkedIdentity): Promise<LinkedIdentity>;
  /** The identity with this exact issuer and subject, or `null`. */
  findBySubject(issuer: string, subject: string): Promise<LinkedIdentity | null>;
  /** The user's identity at this provider, or `null`. */
  findByUserAndProvider(userId: string, provider: string): Promise<LinkedIdentity | null>;
  /** Every identity of the user, oldest first. */
  listForUser(userId: string): Promise<LinkedIdentity[]>;
  /** Applies `patch` and sets `updatedAt`; the updated identity, or `null` when there is none. */
  update(id: string, patch: LinkedIdentityPatch, updatedAt: Date): Promise<LinkedIdentity | null>;
  /** Deletes one identity; `true` when it existed. */
  delete(id: string): Promise<boolean>;
  /** Deletes every identity of the user (account deletion). Returns how many. */
  deleteAllForUser(userId: string): Promise<number>;
}

/** Grants a registered client may use at the token endpoint. */
export type ClientGrantType = 'client_credentials' | 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * A registered OAuth client of our server: a service using the client-credentials grant, or a
 * device/CLI using the device authorization grant. Only the SHA-256 of the secret is stored.
 */
export interface ClientRecord {
  /** The `client_id` (RFC 6749 §2.2): unique, printable ASCII. */
  readonly id: string;
  /** A label for listings. */
  readonly name: string;
  /** SHA-256 (base64url) of the client secret; `null` for a public client (no secret). */
  readonly secretHash: string | null;
  /** Scopes the client may be granted (RFC 6749 scope tokens), in the order given. */
  readonly scopes: readonly string[];
  /** Grants the client may use, in the order given. */
  readonly grantTypes: readonly ClientGrantType[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** When the client was disabled, or `null` while it is enabled. */
  readonly disabledAt: Date | null;
}

/** Fields {@link ClientRepository.update} may change. */
export type ClientPatch = Partial<
  Pick<ClientRecord, 'name' | 'secretHash' | 'scopes' | 'grantTypes' | 'disabledAt'>
>;

/** Storage of registered clients (`store.clients`). */
export interface ClientRepository {
  /** Inserts a client. A taken `id` throws `AlreadyRegisteredError` and writes nothing (atomic). */
  create(client: ClientRecord): Promise<ClientRecord>;
  /** The client with exactly this id, or `null`. On the hot path of every client-token request. */
  findById(id: string): Promise<ClientRecord | null>;
  /** Every client, oldest first (ties by id). */
  list(): Promise<ClientRecord[]>;
  /** Applies `patch` and sets `updatedAt`; the updated client, or `null` when there is none. */
  update(id: string, patch: ClientPatch, updatedAt: Date): Promise<ClientRecord | null>;
  /** Deletes the client; `true` when it existed. */
  delete(id: string): Promise<boolean>;
}
