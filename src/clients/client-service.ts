/**
 * ClientService: registered OAuth clients of our server — registration (the secret is shown
 * once), secret rotation, disabling, deletion — plus client authentication at the token and
 * device-authorization endpoints, the client-credentials grant (RFC 6749 §4.4), and the check of
 * a client's access token on every request.
 *
 * Disabling, deleting, rotating the secret of (unless `keepTokens`) and `revokeTokens` on a client
 * revoke every token issued to it: its own client-credentials tokens and every user's session
 * (refresh and access tokens) obtained through it with the device grant, found by the records'
 * `client_id`. A refresh token is also refused (`invalid_grant`) while its client is disabled
 * ({@link ClientService.assertMayRefresh}), which closes the window of a device poll or a refresh
 * racing the revocation. The first-party client id (`config.clientId`) cannot be
 * registered, so no registered client's revocation can reach first-party sessions.
 *
 * @module
 */
import type { RateLimit, RateLimiter } from '../defense/rate-limiter.js';
import {
  InvalidGrantError,
  InvalidScopeError,
  NotFoundError,
  TokenRevokedError,
  ValidationError,
} from '../errors.js';
import type { RequestContext, SecurityEvents } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import type { ClientGrantType, ClientRecord, ClientRepository } from '../storage/types.js';
import type { AccessTokenClaims } from '../token/access-token.js';
import { clientSubjectId, type IssuedClientToken, isClientTokenRecord } from '../token/client-token.js';
import type { TokenService, VerifiedAccessToken } from '../token/token-service.js';
import {
  checkRegistration,
  checkUpdate,
  type RegisterClientInput,
  type UpdateClientInput,
} from './client-input.js';
import {
  clientSecretMatches,
  hashClientSecret,
  isValidClientId,
  newClientId,
  newClientSecret,
} from './client-secret.js';
import { InvalidClientError, UnauthorizedClientError } from './errors.js';
import { type PublicClient, toPublicClient } from './public-client.js';

/** Options of {@link ClientService}, normally built by `createGatehouse`. */
export interface ClientServiceOptions {
  readonly clients: ClientRepository;
  readonly tokens: TokenService;
  readonly events: SecurityEvents;
  readonly clock: () => Date;
  readonly limiter: RateLimiter;
  /** The per-IP failed-login limit; failed client authentications count toward it (OWASP ASVS 5.0 6.3.4, 6.1.3). */
  readonly failuresPerIp: RateLimit;
  /** The `role` of a client's principal (`clients.role`; default `''`, which no `requireRole` admits). */
  readonly role: string;
}

/** What a client presented to authenticate (RFC 6749 §2.3.1): its id, and its secret unless public. */
export interface PresentedClientCredentials {
  readonly clientId: string;
  /** The secret, or `undefined` when none was sent (public clients). */
  readonly clientSecret?: string | undefined;
}

/** A newly registered client and its secret, shown this once (`null` for a public client). */
export interface RegisteredClient {
  readonly client: PublicClient;
  readonly clientSecret: string | null;
}

/** A request authenticated with a client's access token. */
export interface AuthenticatedClient {
  readonly client: PublicClient;
  readonly claims: AccessTokenClaims;
  /** The configured client role (`clients.role`). */
  readonly role: string;
  /** The token's scopes that the client is still allowed now (a narrowed client loses the rest at once). */
  readonly scopes: readonly string[];
}

type FailureReason =
  | 'unknown_client'
  | 'wrong_secret'
  | 'missing_secret'
  | 'unexpected_secret'
  | 'client_disabled';

/** Registered clients. See the module documentation. */
export class ClientService {
  readonly #o: ClientServiceOptions;

  constructor(options: ClientServiceOptions) {
    this.#o = options;
  }

  /**
   * Registers a client. A confidential client gets a secret of 256 random bits, returned here
   * once and stored only as its SHA-256 (see `client-secret.ts` for why not argon2); a public
   * client (`public: true`) gets none and may use only the device grant. Invalid input throws
   * `ValidationError` naming every bad field; a taken `id` throws `AlreadyRegisteredError`.
   */
  async register(input: RegisterClientInput, context?: RequestContext): Promise<RegisteredClient> {
    const fields = checkRegistration(input);
    if (fields.id !== undefined && this.#o.tokens.isFirstPartyClient(fields.id)) {
      throw new ValidationError([
        {
          field: 'id',
          rule: 'reserved',
          message: 'This id is the first-party client id of this server',
        },
      ]);
    }
    const clientSecret = fields.isPublic ? null : newClientSecret();
    const now = this.#o.clock();
    const record: ClientRecord = {
      id: fields.id ?? newClientId(),
      name: fields.name,
      secretHash: clientSecret === null ? null : hashClientSecret(clientSecret),
      scopes: fields.scopes,
      grantTypes: fields.grantTypes,
      createdAt: now,
      updatedAt: now,
      disabledAt: null,
    };
    const stored = await storeCall(() => this.#o.clients.create(record));
    this.#o.events.emit('client.registered', context, now, { clientId: stored.id });
    return { client: toPublicClient(stored), clientSecret };
  }

  /**
   * Gives a confidential client a new secret (returned once); the old one stops working at once.
   * Every token issued to it is revoked too unless `keepTokens`: a leaked secret may have minted
   * some, its own access tokens and, for a confidential client with the device grant, users'
   * sessions (a device code started with the leaked secret and approved by a phished user). A
   * public client has no secret to rotate (`ValidationError`): use {@link ClientService.disable}
   * or {@link ClientService.revokeTokens} to end the sessions obtained through it.
   * Unknown client -> `NotFoundError`.
   */
  async rotateSecret(
    clientId: string,
    options: { keepTokens?: boolean } = {},
    context?: RequestContext,
  ): Promise<string> {
    const client = await this.#require(clientId);
    if (client.secretHash === null) {
      throw new ValidationError([
        { field: 'clientId', rule: 'public_client', message: 'A public client has no secret' },
      ]);
    }
    const clientSecret = newClientSecret();
    const now = this.#o.clock();
    await this.#update(clientId, { secretHash: hashClientSecret(clientSecret) }, now);
    const revokedTokens = options.keepTokens ? 0 : await this.#revokeAll(clientId);
    this.#o.events.emit('client.secret_rotated', context, now, { clientId, revokedTokens });
    return clientSecret;
  }

  /** Changes a client's name, allowed scopes or grants. Narrowed scopes apply to live tokens at once. */
  async update(clientId: string, input: UpdateClientInput): Promise<PublicClient> {
    const client = await this.#require(clientId);
    const patch = checkUpdate(input, client.secretHash === null);
    return toPublicClient(await this.#update(clientId, patch, this.#o.clock()));
  }

  /**
   * Disables a client: it can no longer authenticate, and every token issued to it is revoked now
   * (its own, and users' sessions obtained through it with the device grant).
   */
  async disable(clientId: string, context?: RequestContext): Promise<void> {
    await this.#require(clientId);
    const now = this.#o.clock();
    await this.#update(clientId, { disabledAt: now }, now);
    const revokedTokens = await this.#revokeAll(clientId);
    this.#o.events.emit('client.disabled', context, now, { clientId, revokedTokens });
  }

  /** Enables a disabled client. Tokens revoked when it was disabled stay revoked. */
  async enable(clientId: string, context?: RequestContext): Promise<void> {
    await this.#require(clientId);
    const now = this.#o.clock();
    await this.#update(clientId, { disabledAt: null }, now);
    this.#o.events.emit('client.enabled', context, now, { clientId });
  }

  /**
   * Deletes a client and revokes every token issued to it (its own, and users' device-grant
   * sessions). `false` when there was no such client.
   */
  async delete(clientId: string, context?: RequestContext): Promise<boolean> {
    const deleted = await storeCall(() => this.#o.clients.delete(clientId));
    const revokedTokens = await this.#revokeAll(clientId);
    if (deleted) this.#o.events.emit('client.deleted', context, this.#o.clock(), { clientId, revokedTokens });
    return deleted;
  }

  /**
   * Revokes every token issued to a client, users' device-grant sessions included (the client can
   * still obtain new ones; users sign in again). Returns how many.
   */
  revokeTokens(clientId: string): Promise<number> {
    return this.#revokeAll(clientId);
  }

  /**
   * Refuses (with {@link InvalidGrantError}) to refresh a token issued to a registered client
   * that is disabled. Tokens of the first-party client (and records without a client) pass without
   * a lookup; a client id that is not registered passes too (tokens an application issued itself
   * through `TokenService.issue` with its own `clientId`; a deleted client's tokens were revoked
   * by {@link ClientService.delete}).
   */
  async assertMayRefresh(clientId: string | null): Promise<void> {
    if (clientId === null || this.#o.tokens.isFirstPartyClient(clientId) || !isValidClientId(clientId))
      return;
    const client = await storeCall(() => this.#o.clients.findById(clientId));
    if (client && client.disabledAt !== null) throw new InvalidGrantError();
  }

  /**
   * Every token issued to the client: its own tokens (all of the `client:<id>` subject, written
   * before this call or concurrently with it) and, by `client_id`, users' sessions obtained through
   * it. A client id equal to the first-party one (only possible in data written before such ids
   * were refused) revokes the client's own tokens only, never first-party sessions.
   */
  async #revokeAll(clientId: string): Promise<number> {
    const family = await this.#o.tokens.revokeAllForUser(clientSubjectId(clientId));
    if (this.#o.tokens.isFirstPartyClient(clientId)) return family;
    return family + (await this.#o.tokens.revokeAllForClient(clientId));
  }

  /** The client with this id (without its secret hash), or `null`. */
  async get(clientId: string): Promise<PublicClient | null> {
    if (!isValidClientId(clientId)) return null;
    const client = await storeCall(() => this.#o.clients.findById(clientId));
    return client ? toPublicClient(client) : null;
  }

  /** Every registered client, oldest first (without secret hashes). */
  async list(): Promise<PublicClient[]> {
    return (await storeCall(() => this.#o.clients.list())).map(toPublicClient);
  }

  /**
   * Authenticates a client for `grantType` (RFC 6749 §2.3). A confidential client must present
   * its secret (checked in constant time against the SHA-256 hash, with the same work for an
   * unknown client); a public client must present none. Unknown, wrong, missing or unexpected
   * secrets and disabled clients all throw the same {@link InvalidClientError}; each failure
   * counts toward the per-IP failed-login limit shared with password logins (OWASP ASVS 5.0 6.3.4, 6.1.3) and emits
   * `client.authentication_failed`. An authenticated client not registered for `grantType` throws
   * {@link UnauthorizedClientError}.
   */
  async authenticate(
    credentials: PresentedClientCredentials,
    grantType: ClientGrantType,
    context?: RequestContext,
  ): Promise<ClientRecord> {
    const ip = context?.ip;
    await this.#o.limiter.check('login-failures-ip', ip, this.#o.failuresPerIp);
    const { clientId, clientSecret } = credentials;
    const client = isValidClientId(clientId)
      ? await storeCall(() => this.#o.clients.findById(clientId))
      : null;
    const secretOk =
      clientSecret !== undefined && clientSecretMatches(clientSecret, client?.secretHash ?? null);
    let reason: FailureReason | undefined;
    if (!client) reason = 'unknown_client';
    else if (clientSecret !== undefined && client.secretHash === null) reason = 'unexpected_secret';
    else if (clientSecret === undefined && client.secretHash !== null) reason = 'missing_secret';
    else if (clientSecret !== undefined && !secretOk) reason = 'wrong_secret';
    else if (client.disabledAt !== null) reason = 'client_disabled';
    if (reason !== undefined || !client) {
      await this.#o.limiter.record('login-failures-ip', ip, this.#o.failuresPerIp);
      this.#o.events.emit('client.authentication_failed', context, this.#o.clock(), {
        clientId: client?.id ?? null,
        reason: reason ?? 'unknown_client',
      });
      throw new InvalidClientError();
    }
    if (!client.grantTypes.includes(grantType)) throw new UnauthorizedClientError();
    this.#o.events.emit('client.authenticated', context, this.#o.clock(), { clientId: client.id, grantType });
    return client;
  }

  /**
   * The scopes to grant `client` for a request: the requested ones when each is among the
   * client's allowed scopes (else {@link InvalidScopeError}), or all allowed scopes when none were
   * requested (RFC 6749 §3.3 default).
   */
  grantedScopes(client: ClientRecord, requested: readonly string[] | undefined): string[] {
    if (requested === undefined || requested.length === 0) return [...client.scopes];
    if (requested.some((s) => !client.scopes.includes(s))) throw new InvalidScopeError();
    return [...new Set(requested)];
  }

  /**
   * The client-credentials grant (RFC 6749 §4.4): authenticates the client (see
   * {@link ClientService.authenticate}), checks the requested scope, and issues an access token
   * with `sub` = `client_id` = the client id and the granted scope. No refresh token (§4.4.3).
   */
  async clientCredentialsGrant(
    credentials: PresentedClientCredentials,
    requested: readonly string[] | undefined,
    context?: RequestContext,
  ): Promise<IssuedClientToken> {
    const client = await this.authenticate(credentials, 'client_credentials', context);
    const scope = this.grantedScopes(client, requested);
    return this.#o.tokens.issueClientToken(client.id, scope, context);
  }

  /**
   * Checks the client behind a verified client access token (see `client-token.ts` for how one is
   * recognised): the client must still exist and be enabled, else {@link TokenRevokedError} — so
   * disabling or deleting a client refuses its tokens on the very next request. The principal's
   * scopes are the token's scopes the client is still allowed.
   */
  async authenticateToken(verified: VerifiedAccessToken): Promise<AuthenticatedClient> {
    if (!isClientTokenRecord(verified.record)) throw new TokenRevokedError();
    const client = await storeCall(() => this.#o.clients.findById(verified.claims.sub));
    if (!client || client.disabledAt !== null) {
      throw new TokenRevokedError();
    }
    return {
      client: toPublicClient(client),
      claims: verified.claims,
      role: this.#o.role,
      scopes: verified.claims.scope.filter((s) => client.scopes.includes(s)),
    };
  }

  async #require(clientId: string): Promise<ClientRecord> {
    const client = isValidClientId(clientId)
      ? await storeCall(() => this.#o.clients.findById(clientId))
      : null;
    if (!client) throw new NotFoundError('Client');
    return client;
  }

  async #update(clientId: string, patch: Parameters<ClientRepository['update']>[1], now: Date) {
    const updated = await storeCall(() => this.#o.clients.update(clientId, patch, now));
    if (!updated) throw new NotFoundError('Client');
    return updated;
  }
}
