/**
 * The policy engine's public surface: model, builder, relationship store, evaluator, roles.
 * The evaluator's internals (the relation walk and its compiled program, the tuple indexes and
 * reads, the reverse queries, condition evaluation) live in `engine/`; the list queries' public
 * types and errors (`reverse-types.ts`, `cursor.ts`) stay here.
 *
 * @module
 */

export {
  type DefineModelOptions,
  defineModel,
  type ModelBuilder,
  parseRestriction,
  type RelationExpr,
  type TypeBuilder,
  type ValidModel,
} from './builder.js';
export { InvalidCursorError } from './cursor.js';
export type { DecisionCacheOptions } from './decision-cache.js';
export {
  createDecisionClient,
  type DecisionClient,
  type DecisionClientOptions,
  type RemoteCheckResult,
} from './decision-client.js';
export {
  type DecisionEventOptions,
  type DecisionLogLevel,
  type DecisionLogOptions,
  isFailClosed,
} from './decision-log.js';
export type { AttributeLookup, Attributes, PolicyInformationPoint } from './decision-pip.js';
export {
  AUTHZEN_PATHS,
  bearerAuthenticator,
  createDecisionService,
  type DecisionService,
  type DecisionServiceOptions,
  type EvaluationsSemantic,
} from './decision-service.js';
export { listResources, listSubjects } from './engine/reverse.js';
export {
  type CheckOptions,
  type CheckRequest,
  type CheckResult,
  type DecisionEvent,
  type Entity,
  PolicyEvaluator,
  type PolicyEvaluatorOptions,
} from './evaluator.js';
export {
  type DecisionCode,
  type ErrorRule,
  type Explanation,
  type ExplanationRule,
  findExplanation,
  grantPath,
  type Outcome,
} from './explanation.js';
export {
  assertWritable,
  defineFieldPolicy,
  FieldAccessError,
  type FieldDecider,
  type FieldPolicy,
  FieldPolicyError,
  type FieldRequest,
  type FieldRule,
  filterReadable,
  readableFields,
} from './fields.js';
export {
  type AuthorizationModel,
  type CompiledModel,
  type CompiledRelation,
  type ConditionDefinition,
  type ConditionInput,
  compileModel,
  type DirectSubjectType,
  defineCondition,
  isSafeName,
  NAME_PATTERN,
  PolicyModelError,
  type RelationDefinition,
  type Rewrite,
  type TypeDefinition,
  validateModel,
} from './model.js';
export {
  admittingRestriction,
  formatSubject,
  formatTuple,
  MemoryRelationshipStore,
  type MemoryRelationshipStoreOptions,
  type ObjectRef,
  type RelationshipStore,
  type RelationshipTuple,
  readEach,
  type SubjectRef,
  type SyncTupleReader,
  type TupleFilter,
  TupleIndex,
  type TupleRead,
  TupleValidationError,
  tupleModelError,
  tupleShapeError,
} from './relationship-store.js';
export {
  DEFAULT_LIST_BUDGET,
  DEFAULT_PAGE_SIZE,
  type IncompleteReason,
  type ListOptions,
  ListQueryError,
  type ListQueryErrorCode,
  type ListQueryErrorDetails,
  type ListResourcesRequest,
  type ListResourcesResult,
  type ListSubjectsRequest,
  type ListSubjectsResult,
  MAX_PAGE_SIZE,
  type ReverseHost,
  type SubjectTypeFilter,
  WILDCARD_PROBE_ID,
} from './reverse-types.js';
export {
  defineRoles,
  type RoleDecision,
  type RoleDefinition,
  RoleDefinitionError,
  type RoleInheritance,
  type Roles,
  type RolesTypeOptions,
  rolesTypeDefinition,
} from './roles.js';
export { issuerCondition, scopeCondition } from './scopes.js';
