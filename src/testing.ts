/**
 * `gatehouse/testing`: the storage contract suites and record builders. Requires `vitest` (an
 * optional peer dependency of this subpath); import it only from test files.
 *
 * @example
 * import { describeStoreContract } from 'gatehouse/testing';
 * import { createMyStore } from '../src/my-store.js';
 *
 * describeStoreContract('my store', () => createMyStore());
 *
 * @module
 */
export {
  addMs,
  buildApiKeyRecord,
  buildClientRecord,
  buildLinkedIdentity,
  buildSuccessor,
  buildTokenRecord,
  buildTotpRecord,
  buildUserRecord,
  CONTRACT_EPOCH,
  type ContractFactory,
  describeAccountRepositoryContract,
  describeApiKeyRepositoryContract,
  describeClientRepositoryContract,
  describeCounterStoreContract,
  describeMfaRepositoryContract,
  describeRelationshipStoreContract,
  describeStateStoreContract,
  describeStoreContract,
  describeTokenRepositoryContract,
  describeUserRepositoryContract,
  RELATIONSHIP_CONTRACT_MODEL,
  type RelationshipStoreContractOptions,
  type RelationshipStoreFactory,
  randomTokenHash,
  randomTokenId,
  type StoreContractOptions,
  type TokenContractOptions,
  type TokenPeerFactory,
} from './storage/contract/index.js';
