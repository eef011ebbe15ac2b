/**
 * API keys for machine clients: `ghk_` keys owned by users, scoped, expiring, stored hashed.
 *
 * @module
 */

export {
  type ApiKeyInfo,
  ApiKeyService,
  type ApiKeyServiceOptions,
  type AuthenticatedApiKey,
  type CreateApiKeyInput,
  type CreatedApiKey,
} from './api-key-service.js';
export { type ApiKeysConfig, apiKeysConfigSchema } from './config.js';
export {
  API_KEY_PREFIX,
  apiKeySecretMatches,
  type GeneratedApiKey,
  generateApiKey,
  hashApiKeySecret,
  looksLikeApiKey,
  parseApiKey,
} from './key-format.js';
