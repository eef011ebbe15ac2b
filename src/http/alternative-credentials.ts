/**
 * The credentials `authenticate` accepts besides this gatehouse's own access tokens: API keys
 * (from the configured header, or `Authorization: Bearer ghk_...`) and access tokens of trusted
 * external issuers. Each becomes a {@link Principal}; the guard core maps failures to responses.
 *
 * @module
 */
import { looksLikeApiKey } from '../apikey/key-format.js';
import type { RequestContext } from '../events.js';
import type { Gatehouse } from '../gatehouse.js';
import type { AuthorizationHeader, RequestCredentials } from './credentials.js';
import type { Principal } from './guards.js';

/** What a request says about an API key. */
export type ApiKeyCredential =
  | { readonly kind: 'none' }
  | { readonly kind: 'key'; readonly key: string }
  /** Two API-key headers, a joined list, or an API key next to an `Authorization` header. */
  | { readonly kind: 'malformed' };

/**
 * Finds an API key in a request when `apiKeys.enabled`: the configured header (default
 * `x-api-key`) — exactly one value, and no `Authorization` header besides it (one method per
 * request, RFC 6750 §2, §2.3; RFC 9700 §4.3.2) — or a Bearer token with the `ghk_` prefix. Never the query string.
 */
export function readApiKey(
  gatehouse: Gatehouse,
  credentials: RequestCredentials,
  authorization: AuthorizationHeader,
): ApiKeyCredential {
  const { enabled, header } = gatehouse.config.apiKeys;
  if (!enabled) return { kind: 'none' };
  const raw = credentials.header?.(header);
  if (raw === undefined || (typeof raw !== 'string' && raw.length === 0)) {
    return authorization.kind === 'bearer' && looksLikeApiKey(authorization.token)
      ? { kind: 'key', key: authorization.token }
      : { kind: 'none' };
  }
  if (authorization.kind !== 'none') return { kind: 'malformed' };
  if (typeof raw !== 'string' && raw.length > 1) return { kind: 'malformed' };
  const value = (typeof raw === 'string' ? raw : (raw[0] as string)).trim();
  // Fetch runtimes join duplicate headers with ", ": a key never contains a comma or a space.
  if (value === '' || /[\s,]/.test(value)) return { kind: 'malformed' };
  return { kind: 'key', key: value };
}

/**
 * The principal of an API key: `kind: 'user'`, the owner as stored now (so the owner's current
 * role, and a disabled or deleted owner refused), the key's scopes, `tokenId` = the key's public
 * id, `method: 'api_key'`.
 */
export async function apiKeyPrincipal(
  gatehouse: Gatehouse,
  key: string,
  context: RequestContext,
): Promise<Principal> {
  const { key: info, user } = await gatehouse.apiKeys.authenticate(key, context);
  return {
    kind: 'user',
    userId: user.id,
    user,
    role: user.role,
    scopes: info.scopes,
    tokenId: info.id,
    familyId: null,
    method: 'api_key',
  };
}

/**
 * The principal of an external issuer's access token: `kind: 'user'` (a subject of that issuer),
 * `userId` = its `sub`, `issuer` = its `iss` — identity is the pair, never `sub` alone (OWASP ASVS 5.0 10.3.2, 10.3.3) —
 * `user: null` (no local account), `role: ''` (no role of ours: `requireRole` and
 * `requirePermission` refuse it), the token's scopes, `tokenId` = its `jti` or `null`.
 */
export async function externalPrincipal(gatehouse: Gatehouse, token: string): Promise<Principal> {
  const claims = await gatehouse.externalTokens.verify(token);
  return {
    kind: 'user',
    userId: claims.subject,
    user: null,
    role: '',
    scopes: claims.scopes,
    tokenId: claims.tokenId,
    familyId: null,
    method: 'bearer',
    issuer: claims.issuer,
  };
}
