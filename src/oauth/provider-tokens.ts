/**
 * Provider tokens kept for calling a provider's API on the user's behalf (only for providers with
 * `storeTokens`). They are sealed with AES-256-GCM under `oauth.tokenKeys` (the MFA secret box,
 * with the identity id as associated data, so a sealed value copied to another row does not
 * open), never sent to the browser, and refreshed with the provider's refresh token shortly
 * before they expire (`oauth.refreshSkew`). A refresh the provider refuses forgets the tokens.
 *
 * @module
 */
import * as oauth from 'oauth4webapi';
import type { SecurityEvents } from '../events.js';
import { openSecret, type SecretBoxKeys, sealSecret } from '../mfa/secret-box.js';
import { storeCall } from '../storage/store-call.js';
import type { LinkedIdentity, Store } from '../storage/types.js';
import { ProviderTokensUnavailableError, ProviderUnavailableError } from './errors.js';
import type { Provider } from './providers.js';

/** The provider tokens of one identity, as kept (sealed) in `LinkedIdentity.tokens`. */
interface KeptTokens {
  readonly accessToken: string;
  readonly refreshToken: string | null;
  /** Epoch milliseconds, or `null` when the provider gave no `expires_in`. */
  readonly expiresAt: number | null;
  readonly scope: string | null;
}

/** A usable provider access token. */
export interface ProviderAccessToken {
  readonly accessToken: string;
  /** When it expires, or `null` when the provider did not say. */
  readonly expiresAt: Date | null;
  /** The scopes the provider granted, when it said. */
  readonly scope: string | null;
}

const aad = (identityId: string): string => `gatehouse-oauth-tokens:${identityId}`;

/** What the vault needs. */
export interface ProviderTokenVaultOptions {
  readonly store: Store;
  readonly keys: SecretBoxKeys | undefined;
  readonly clock: () => Date;
  readonly events: SecurityEvents;
  /** Seconds before expiry at which a token is refreshed. */
  readonly refreshSkew: number;
}

/** Seals, opens and refreshes kept provider tokens. */
export class ProviderTokenVault {
  readonly #o: ProviderTokenVaultOptions;
  /** One refresh at a time per identity in this process (a refresh token is often single use). */
  readonly #inFlight = new Map<string, Promise<ProviderAccessToken>>();

  constructor(options: ProviderTokenVaultOptions) {
    this.#o = options;
  }

  /** The sealed form of a token response for the identity `identityId`. */
  seal(identityId: string, response: oauth.TokenEndpointResponse, previous?: KeptTokens): string {
    if (this.#o.keys === undefined) throw new ProviderTokensUnavailableError();
    const kept: KeptTokens = {
      accessToken: response.access_token,
      // RFC 6749 §6: without a new refresh token the old one stays valid.
      refreshToken: response.refresh_token ?? previous?.refreshToken ?? null,
      expiresAt:
        typeof response.expires_in === 'number'
          ? this.#o.clock().getTime() + response.expires_in * 1000
          : null,
      scope: response.scope ?? previous?.scope ?? null,
    };
    return sealSecret(this.#o.keys, JSON.stringify(kept), aad(identityId));
  }

  #open(identity: LinkedIdentity): KeptTokens {
    if (identity.tokens === null || this.#o.keys === undefined) throw new ProviderTokensUnavailableError();
    try {
      return JSON.parse(openSecret(this.#o.keys, identity.tokens, aad(identity.id))) as KeptTokens;
    } catch (error) {
      throw new ProviderTokensUnavailableError({ cause: error });
    }
  }

  /**
   * A usable access token of `identity`: the kept one while it is valid for more than
   * `refreshSkew` seconds, else a refreshed one (stored again, sealed). Throws
   * {@link ProviderTokensUnavailableError} when nothing is kept or the provider refused the
   * refresh (the kept tokens are then deleted), {@link ProviderUnavailableError} when the provider
   * could not be reached (the kept tokens stay).
   */
  async accessToken(identity: LinkedIdentity, provider: Provider): Promise<ProviderAccessToken> {
    const kept = this.#open(identity);
    const now = this.#o.clock().getTime();
    if (kept.expiresAt === null || kept.expiresAt - this.#o.refreshSkew * 1000 > now) {
      return {
        accessToken: kept.accessToken,
        expiresAt: kept.expiresAt === null ? null : new Date(kept.expiresAt),
        scope: kept.scope,
      };
    }
    let pending = this.#inFlight.get(identity.id);
    if (!pending) {
      pending = this.#refresh(identity, provider, kept).finally(() => this.#inFlight.delete(identity.id));
      this.#inFlight.set(identity.id, pending);
    }
    return pending;
  }

  async #refresh(
    identity: LinkedIdentity,
    provider: Provider,
    kept: KeptTokens,
  ): Promise<ProviderAccessToken> {
    const forget = async (cause?: unknown): Promise<never> => {
      await storeCall(() => this.#o.store.identities.update(identity.id, { tokens: null }, this.#o.clock()));
      throw new ProviderTokensUnavailableError({ cause });
    };
    if (kept.refreshToken === null) return forget();
    const as = await provider.metadata();
    const client = provider.client();
    let response: oauth.TokenEndpointResponse;
    try {
      const raw = await oauth.refreshTokenGrantRequest(
        as,
        client,
        provider.clientAuth,
        kept.refreshToken,
        provider.requestOptions(),
      );
      response = await oauth.processRefreshTokenResponse(as, client, raw);
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError || error instanceof oauth.WWWAuthenticateChallengeError) {
        return forget(error);
      }
      throw new ProviderUnavailableError({ cause: error });
    }
    const sealed = this.seal(identity.id, response, kept);
    await storeCall(() => this.#o.store.identities.update(identity.id, { tokens: sealed }, this.#o.clock()));
    this.#o.events.emit('identity.tokens_refreshed', undefined, this.#o.clock(), {
      userId: identity.userId,
      provider: provider.name,
    });
    const fresh = this.#open({ ...identity, tokens: sealed });
    return {
      accessToken: fresh.accessToken,
      expiresAt: fresh.expiresAt === null ? null : new Date(fresh.expiresAt),
      scope: fresh.scope,
    };
  }
}
