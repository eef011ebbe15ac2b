/**
 * gatehouse: authentication and authorization for Node services.
 *
 * This module is the public surface; it only re-exports. Framework and storage adapters live in
 * their own subpaths (`gatehouse/sqlite`, ...), and the repository contract suites in
 * `gatehouse/testing`.
 *
 * @module
 */

export * from './account/index.js';
export * from './apikey/index.js';
export { eventRecord, type PinoLikeLogger, subscribeJsonLines } from './audit/json-lines.js';
export * from './auth/index.js';
export * from './clients/index.js';
export {
  configSchema,
  type GatehouseConfig,
  type PolicyDecider,
  parseConfig,
  type ResolvedConfig,
} from './config.js';
export * from './defense/index.js';
export * from './device/index.js';
export * from './errors.js';
export {
  type AuthenticationFactor,
  type RequestContext,
  type SecurityEvent,
  type SecurityEventListener,
  type SecurityEventMap,
  SecurityEvents,
  type SecurityEventType,
} from './events.js';
export { createGatehouse, type Gatehouse } from './gatehouse.js';
export * from './http/index.js';
export * from './mail/index.js';
export * from './mfa/index.js';
export * from './oauth/index.js';
export * from './password/index.js';
export * from './policy/index.js';
export * from './resource-server/index.js';
export type { Invalidation, InvalidationChannel, InvalidationKind } from './storage/invalidation.js';
export {
  createMemoryStore,
  MemoryAccountRepository,
  MemoryApiKeyRepository,
  MemoryClientRepository,
  MemoryCounterStore,
  MemoryMfaRepository,
  MemoryStateStore,
  type MemoryStoreOptions,
  MemoryTokenRepository,
  MemoryUserRepository,
} from './storage/memory.js';
export * from './storage/types.js';
export * from './token/index.js';
