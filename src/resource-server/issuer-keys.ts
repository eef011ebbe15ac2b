/**
 * The public keys of one external issuer: jose's remote JWKS (cached for `jwksCacheMaxAge`,
 * refetched on an unknown `kid` at most once per `jwksCooldown`, each fetch bounded by
 * `fetchTimeout`), behind discovery when no `jwksUri` is configured. Fetch failures become
 * {@link IssuerUnavailableError} (503), an unknown `kid` stays a token error (401).
 *
 * @module
 */
import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import { IssuerUnavailableError, isAuthError } from '../errors.js';
import type { ExternalIssuerConfig, ResourceServerConfig } from './config.js';
import { discoverJwksUri } from './discovery.js';

type Settings = Pick<
  ResourceServerConfig,
  'fetchTimeout' | 'jwksCooldown' | 'jwksCacheMaxAge' | 'allowInsecureHttp'
>;

/** The key resolver of one issuer, for jose's `jwtVerify`. */
export class IssuerKeys {
  readonly #issuer: ExternalIssuerConfig;
  readonly #settings: Settings;
  #remote: JWTVerifyGetKey | undefined;
  #discovery: Promise<URL> | undefined;
  #discoveryFailedAt = Number.NEGATIVE_INFINITY;

  constructor(issuer: ExternalIssuerConfig, settings: Settings) {
    this.#issuer = issuer;
    this.#settings = settings;
    if (issuer.jwksUri !== undefined) this.#remote = this.#remoteSet(new URL(issuer.jwksUri));
  }

  #remoteSet(url: URL): JWTVerifyGetKey {
    return createRemoteJWKSet(url, {
      timeoutDuration: this.#settings.fetchTimeout,
      cooldownDuration: this.#settings.jwksCooldown,
      cacheMaxAge: this.#settings.jwksCacheMaxAge,
    });
  }

  async #resolver(): Promise<JWTVerifyGetKey> {
    if (this.#remote) return this.#remote;
    if (!this.#discovery) {
      // A failed discovery is not retried before the cooldown: a down issuer answers fast.
      if (Date.now() - this.#discoveryFailedAt < this.#settings.jwksCooldown) {
        throw new IssuerUnavailableError();
      }
      this.#discovery = discoverJwksUri(this.#issuer.issuer, this.#issuer.discovery, {
        timeoutMs: this.#settings.fetchTimeout,
        allowInsecureHttp: this.#settings.allowInsecureHttp,
      });
    }
    try {
      const url = await this.#discovery;
      this.#remote ??= this.#remoteSet(url);
      return this.#remote;
    } catch (error) {
      this.#discovery = undefined;
      this.#discoveryFailedAt = Date.now();
      throw error;
    }
  }

  /** The key for a token's protected header (jose's `JWTVerifyGetKey` contract). */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const remote = await this.#resolver();
    try {
      return await remote(header, token);
    } catch (error) {
      if (
        isAuthError(error) ||
        error instanceof errors.JWKSNoMatchingKey ||
        error instanceof errors.JWKSMultipleMatchingKeys
      ) {
        throw error;
      }
      throw new IssuerUnavailableError({ cause: error });
    }
  };
}
