/**
 * Verifying access tokens issued by other authorization servers (gatehouse as a resource server).
 *
 * A token goes to an external verifier only when its `iss` (read from the unverified payload, used
 * for nothing but routing) equals a configured issuer exactly; the issuer's own settings then
 * decide everything. Our own tokens never take this path. The checks, in order:
 * - size (`tokens.maxTokenBytes`) and compact-JWS form before any decoding (no JWE, no JSON
 *   serialization);
 * - the header: `alg` in that issuer's allow-list (asymmetric only, so never `none` and never an
 *   HMAC keyed with a public key), `typ` as configured (default `at+jwt`, RFC 9068), and none of
 *   `jku`, `x5u`, `jwk`, `x5c` (keys come only from the pinned JWKS, RFC 8725 §3.10), `crit`, `b64`;
 * - the signature with a key from the issuer's JWKS chosen by exact `kid` (see {@link IssuerKeys});
 * - the claims: `iss` exactly, `aud` containing the configured audience, `exp` required and
 *   `exp <= now - clockTolerance` expired, `nbf` and `iat` not in the future, `sub` required,
 *   `maxTokenAge` when set, and the issuer's `requiredScopes` (else `insufficient_scope`).
 *
 * @module
 */
import { errors, jwtVerify } from 'jose';
import {
  ConfigError,
  InsufficientScopeError,
  isAuthError,
  TokenExpiredError,
  TokenInvalidError,
} from '../errors.js';
import { decodeSegment } from '../token/access-token.js';
import type { ExternalIssuerConfig, ResourceServerConfig } from './config.js';
import { IssuerKeys } from './issuer-keys.js';

/** Header parameters refused outright, as for our own tokens. */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit', 'b64'];
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** What a verified external access token says. */
export interface ExternalTokenClaims {
  /** The issuer (exactly as configured). Identity is `issuer` + `subject` (OWASP ASVS 5.0 10.3.2, 10.3.3). */
  readonly issuer: string;
  /** `sub`: the user or client at that issuer. */
  readonly subject: string;
  /** Scopes from `scope` (space-separated) or `scp` (a list, as some issuers send). */
  readonly scopes: readonly string[];
  /** `client_id` (RFC 9068) or `azp`, or `null`. */
  readonly clientId: string | null;
  /** `jti`, or `null`. */
  readonly tokenId: string | null;
  /** Every claim of the payload, for the application's own checks. */
  readonly payload: Readonly<Record<string, unknown>>;
}

function scopesOf(payload: Record<string, unknown>): string[] {
  if (typeof payload.scope === 'string') return payload.scope.split(' ').filter(Boolean);
  if (Array.isArray(payload.scp) && payload.scp.every((s) => typeof s === 'string')) return [...payload.scp];
  return [];
}

interface Entry {
  readonly config: ExternalIssuerConfig;
  readonly keys: IssuerKeys;
}

/** The external issuers of one gatehouse, and the verification of their tokens. */
export class ExternalTokenVerifier {
  readonly #entries = new Map<string, Entry>();
  readonly #maxTokenBytes: number;
  readonly #clock: () => Date;

  /** @throws ConfigError when an external issuer is this gatehouse's own `issuer`. */
  constructor(
    config: ResourceServerConfig,
    options: { ownIssuer: string; maxTokenBytes: number; clock: () => Date },
  ) {
    config.issuers.forEach((issuer, index) => {
      if (issuer.issuer === options.ownIssuer) {
        throw new ConfigError([
          {
            path: `resourceServer.issuers.${index}.issuer`,
            message: 'must differ from this gatehouse’s own issuer',
          },
        ]);
      }
      this.#entries.set(issuer.issuer, { config: issuer, keys: new IssuerKeys(issuer, config) });
    });
    this.#maxTokenBytes = options.maxTokenBytes;
    this.#clock = options.clock;
  }

  /** Whether any external issuer is configured. */
  get enabled(): boolean {
    return this.#entries.size > 0;
  }

  /**
   * Whether `token` claims to come from a configured external issuer: its unverified `iss` is
   * read for routing only. `false` for anything malformed (our own verification then refuses it).
   */
  claimsExternalIssuer(token: string): boolean {
    if (this.#entries.size === 0 || token.length > this.#maxTokenBytes) return false;
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    if (first < 0 || second < 0) return false;
    const payload = decodeSegment(token.slice(first + 1, second));
    return typeof payload?.iss === 'string' && this.#entries.has(payload.iss);
  }

  /**
   * Verifies a token of a configured external issuer (see the module documentation). Throws
   * {@link TokenInvalidError} or {@link TokenExpiredError} (401), {@link InsufficientScopeError}
   * (403), or `IssuerUnavailableError` (503) when the issuer's keys cannot be fetched in time.
   */
  async verify(token: string): Promise<ExternalTokenClaims> {
    if (token.length > this.#maxTokenBytes || !COMPACT_JWS.test(token)) throw new TokenInvalidError();
    const first = token.indexOf('.');
    const header = decodeSegment(token.slice(0, first));
    const claimed = decodeSegment(token.slice(first + 1, token.indexOf('.', first + 1)));
    const entry = typeof claimed?.iss === 'string' ? this.#entries.get(claimed.iss) : undefined;
    if (!header || !entry) throw new TokenInvalidError();
    const { config } = entry;
    if (typeof header.alg !== 'string' || !(config.algorithms as readonly string[]).includes(header.alg)) {
      throw new TokenInvalidError();
    }
    for (const name of FORBIDDEN_HEADERS) if (name in header) throw new TokenInvalidError();
    const now = this.#clock();
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, entry.keys.getKey, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: [...config.algorithms],
        clockTolerance: config.clockTolerance,
        currentDate: now,
        requiredClaims: ['exp', 'sub'],
        ...(config.typ === null ? {} : { typ: config.typ }),
        ...(config.maxTokenAge === undefined ? {} : { maxTokenAge: config.maxTokenAge }),
      }));
    } catch (error) {
      if (isAuthError(error)) throw error;
      if (error instanceof errors.JWTExpired) throw new TokenExpiredError({ cause: error });
      throw new TokenInvalidError({ cause: error });
    }
    const nowSeconds = Math.floor(now.getTime() / 1000);
    if (
      typeof payload.sub !== 'string' ||
      payload.sub.length === 0 ||
      (payload.iat !== undefined && (payload.iat as number) > nowSeconds + config.clockTolerance)
    ) {
      throw new TokenInvalidError();
    }
    const scopes = scopesOf(payload);
    if (!config.requiredScopes.every((scope) => scopes.includes(scope))) {
      throw new InsufficientScopeError(config.requiredScopes);
    }
    const clientId = typeof payload.client_id === 'string' ? payload.client_id : payload.azp;
    return {
      issuer: config.issuer,
      subject: payload.sub,
      scopes,
      clientId: typeof clientId === 'string' ? clientId : null,
      tokenId: typeof payload.jti === 'string' ? payload.jti : null,
      payload,
    };
  }
}
