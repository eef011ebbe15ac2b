/**
 * gatehouse: authentication and authorization for Node services.
 *
 * The root entry is what a service needs: `createGatehouse` and a store, the error base class and
 * its guard, the policy evaluator and its builders, the mailers, the audit sink, and the types of
 * the configuration, the services and the store interfaces. Everything is listed here by name.
 * Elsewhere:
 *
 * - `gatehouse/errors`: every error class (`TokenExpiredError`, `RateLimitedError`, ...) and the list
 *   of codes, for `instanceof` checks; `isAuthError(e, code)` from here narrows just as well.
 * - `gatehouse/http`: the framework-agnostic HTTP layer (`AuthRoutes`, `HttpGuards`, Node request and
 *   response helpers), for writing an adapter for a framework gatehouse does not ship one for.
 * - `gatehouse/express`, `gatehouse/fastify`, `gatehouse/hono`: the adapters.
 * - `gatehouse/sqlite`, `gatehouse/postgres`, `gatehouse/redis`: the stores.
 * - `gatehouse/openfga`: OpenFGA models; `gatehouse/testing`: the store contract suites.
 *
 * @module gatehouse
 */

// --- The services, as createGatehouse wires them (types: reach them through the Gatehouse) ----
export type { AccountService } from './account/account-service.js';
export type { ListUsersOptions, UserPage } from './account/user-listing.js';
export type {
  ApiKeyInfo,
  ApiKeyService,
  CreateApiKeyInput,
  CreatedApiKey,
} from './apikey/api-key-service.js';
export { type PinoLikeLogger, subscribeJsonLines } from './audit/json-lines.js';
export type {
  AuthenticatedSubject,
  AuthenticatedUser,
  AuthService,
  LoginInput,
  RegisterInput,
} from './auth/auth-service.js';
export type { AuthenticatedLogin, LoginResult, MfaRequiredLogin } from './auth/login-result.js';
export type { PublicUser } from './auth/public-user.js';
export type { RoleChange, SetRoleOptions } from './auth/role-change.js';
export type { ClientService, RegisteredClient } from './clients/client-service.js';
export type { PublicClient } from './clients/public-client.js';
export type { GatehouseConfig, PolicyDecider, ResolvedConfig } from './config.js';
export type { LockoutService, LockState } from './defense/lockout.js';
export type { RateLimit, RateLimiter } from './defense/rate-limiter.js';
export type { DeviceService } from './device/device-service.js';
// --- Errors (every class: gatehouse/errors) --------------------------------------------------
export {
  AuthError,
  type AuthErrorByCode,
  type AuthErrorCode,
  type AuthErrorOf,
  ConfigError,
  type FieldIssue,
  isAuthError,
} from './errors.js';
// --- Security events and the audit sink ------------------------------------------------------
export {
  type AuthenticationFactor,
  type RequestContext,
  type SecurityEvent,
  type SecurityEventListener,
  type SecurityEventMap,
  SecurityEvents,
  type SecurityEventType,
} from './events.js';
// --- Composition ----------------------------------------------------------------------------
export { createGatehouse, type Gatehouse } from './gatehouse.js';
export type { Principal } from './http/guards.js';
// --- Mail ------------------------------------------------------------------------------------
export { createConsoleMailer } from './mail/console.js';
export { createMemoryMailer, type MemoryMailer } from './mail/memory.js';
export { createSmtpMailer, type SmtpMailer, type SmtpMailerOptions } from './mail/smtp.js';
export { defaultMailTemplates, type MailTemplates } from './mail/templates.js';
export type { MailContent, Mailer, MailMessage } from './mail/types.js';
export type { MfaService, MfaStatus, TotpEnrolment } from './mfa/mfa-service.js';
// --- Calling other services (client credentials, RFC 6749 §4.4) -------------------------------
export {
  type ClientCredentials,
  type ClientCredentialsOptions,
  createClientCredentials,
} from './oauth/client-credentials.js';
export type { OAuthConfig, ProviderConfig, ProviderProfile } from './oauth/config.js';
export type { OAuthService } from './oauth/oauth-service.js';
// --- Configuration parts and defaults --------------------------------------------------------
export { type Argon2Parameters, OWASP_ARGON2_PARAMETERS } from './password/argon2.js';
export type { PasswordService, VerifyResult } from './password/password-service.js';
export { DEFAULT_PASSWORD_POLICY, type PasswordPolicy } from './password/policy.js';
// --- Authorization: the policy evaluator ------------------------------------------------------
export { defineModel } from './policy/builder.js';
export type { DecisionCacheOptions } from './policy/decision-cache.js';
export {
  createDecisionClient,
  type DecisionClient,
  type DecisionClientOptions,
} from './policy/decision-client.js';
export type { AttributeLookup, PolicyInformationPoint } from './policy/decision-pip.js';
export {
  bearerAuthenticator,
  createDecisionService,
  type DecisionService,
  type DecisionServiceOptions,
} from './policy/decision-service.js';
export {
  type CheckOptions,
  type CheckRequest,
  type CheckResult,
  type Entity,
  PolicyEvaluator,
  type PolicyEvaluatorOptions,
} from './policy/evaluator.js';
export type { DecisionCode, Explanation } from './policy/explanation.js';
export {
  assertWritable,
  defineFieldPolicy,
  type FieldPolicy,
  filterReadable,
  readableFields,
} from './policy/fields.js';
export {
  type AuthorizationModel,
  type CompiledModel,
  defineCondition,
  validateModel,
} from './policy/model.js';
export {
  MemoryRelationshipStore,
  type ObjectRef,
  type RelationshipStore,
  type RelationshipTuple,
  type SubjectRef,
  type SyncTupleReader,
  type TupleFilter,
  type TupleRead,
} from './policy/relationship-store.js';
export type {
  ListResourcesRequest,
  ListResourcesResult,
  ListSubjectsRequest,
  ListSubjectsResult,
} from './policy/reverse-types.js';
export { defineRoles, type RoleDefinition, type Roles, rolesTypeDefinition } from './policy/roles.js';
export { issuerCondition, scopeCondition } from './policy/scopes.js';
export type { ExternalIssuerConfig, ResourceServerConfig } from './resource-server/config.js';
export type { ExternalTokenVerifier } from './resource-server/external-token.js';
// --- Storage: the interfaces a store implements (contract suites: gatehouse/testing) ----------
export type { Invalidation, InvalidationChannel, InvalidationKind } from './storage/invalidation.js';
export { createMemoryStore, type MemoryStoreOptions } from './storage/memory.js';
export type {
  NewTokenRecord,
  RotateResult,
  SyncTokenReads,
  TokenKind,
  TokenRecord,
  TokenRepository,
  TokenWithUser,
} from './storage/token-types.js';
export {
  type AccountRepository,
  type ApiKeyRecord,
  type ApiKeyRepository,
  type ClientGrantType,
  type ClientPatch,
  type ClientRecord,
  type ClientRepository,
  type CounterStore,
  type CounterValue,
  DEFAULT_ROLE,
  type LinkedIdentity,
  type LinkedIdentityPatch,
  type MfaRepository,
  type NewUser,
  type SlidingHit,
  type StateStore,
  type Store,
  type TotpRecord,
  type UserListPosition,
  type UserListQuery,
  type UserPatch,
  type UserRecord,
  type UserRepository,
} from './storage/types.js';
export type { AccessTokenClaims } from './token/access-token.js';
export type { IssuedClientToken } from './token/client-token.js';
export type { JwsAlgorithm, KeyConfig } from './token/keys.js';
export type { IssuedTokens, TokenService, VerifiedAccessToken } from './token/token-service.js';
