/**
 * gatehouse as a resource server: access tokens of other authorization servers, verified with
 * their published keys.
 *
 * @module
 */
export {
  EXTERNAL_ALGORITHMS,
  type ExternalAlgorithm,
  type ExternalIssuerConfig,
  type ResourceServerConfig,
  resourceServerConfigSchema,
} from './config.js';
export { discoverJwksUri, metadataUrl } from './discovery.js';
export { type ExternalTokenClaims, ExternalTokenVerifier } from './external-token.js';
export { IssuerKeys } from './issuer-keys.js';
