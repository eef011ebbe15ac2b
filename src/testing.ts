/**
 * `gatehouse/testing`: the storage contract suites and record builders. Requires `vitest` (an
 * optional peer dependency of this subpath); import it only from test files.
 *
 * **ESM only.** The suites call vitest's `describe`, `it` and `expect`, and vitest can only be
 * loaded with `import`: it ships no CommonJS build (its `require` entry throws), and the suites
 * must register with the very vitest instance that runs your test file, so gatehouse cannot bundle
 * a copy either. So this subpath has no `require` entry: `require('gatehouse/testing')` fails (in
 * Node, with `ERR_PACKAGE_PATH_NOT_EXPORTED`) while the rest of gatehouse works from CommonJS.
 * This rarely matters in practice: vitest runs every test file as ESM, so an `import` statement in a
 * test file works even in a CommonJS project (`.ts`, `.mts`, or `.js` with `"type": "module"`); from
 * a CommonJS module outside vitest, use `await import('gatehouse/testing')`.
 *
 * @example
 * import { describeStoreContract } from 'gatehouse/testing';
 * import { createMyStore } from '../src/my-store.js';
 *
 * describeStoreContract('my store', () => createMyStore());
 *
 * @module gatehouse/testing
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
  type UserContractOptions,
} from './storage/contract/index.js';
