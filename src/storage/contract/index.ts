/**
 * Contract suites for storage implementations, published as `gatehouse/testing`. A user who
 * writes their own repository runs the same tests that the memory and SQLite stores pass.
 *
 * @module
 */
import { describe } from 'vitest';
import type { Store, TokenRepository } from '../types.js';
import { defineApiKeyRepositoryTests } from './api-keys.js';
import { defineClientRepositoryTests } from './clients.js';
import { defineCounterStoreTests } from './counters.js';
import { defineAccountRepositoryTests } from './identities.js';
import { type ContractFactory, useFreshSubject } from './lifecycle.js';
import { defineMfaRepositoryTests } from './mfa.js';
import { defineStateStoreTests } from './state.js';
import { defineTokenUserReadTests } from './token-user-read.js';
import { defineTokenRepositoryTests } from './tokens.js';
import { defineUserRepositoryTests } from './users.js';

export { buildApiKeyRecord, describeApiKeyRepositoryContract } from './api-keys.js';
export { buildClientRecord, describeClientRepositoryContract } from './clients.js';
export { describeCounterStoreContract } from './counters.js';
export {
  addMs,
  buildSuccessor,
  buildTokenRecord,
  buildUserRecord,
  CONTRACT_EPOCH,
  randomTokenHash,
  randomTokenId,
} from './fixtures.js';
export { buildLinkedIdentity, describeAccountRepositoryContract } from './identities.js';
export type { ContractFactory } from './lifecycle.js';
export { buildTotpRecord, describeMfaRepositoryContract } from './mfa.js';
export {
  defineModelRestrictedRelationshipStoreTests,
  defineRelationshipStoreTests,
  describeRelationshipStoreContract,
  RELATIONSHIP_CONTRACT_MODEL,
  type RelationshipStoreContractOptions,
  type RelationshipStoreFactory,
} from './relationships.js';
export { describeStateStoreContract } from './state.js';
export type { TokenContractOptions, TokenPeerFactory } from './token-revocation.js';

export { describeTokenRepositoryContract } from './tokens.js';
export { describeUserRepositoryContract, type UserContractOptions } from './users.js';

/** Options of {@link describeStoreContract}. */
export interface StoreContractOptions {
  /**
   * Opens a second store over the same database as `store` (another connection or pool), for the
   * races between two instances; its `close()` is called after the test. See `TokenContractOptions`.
   */
  readonly peer?: (store: Store) => Store | Promise<Store>;
  /** `false` when `store.users` leaves out the optional `list` (see `UserContractOptions`). Default `true`. */
  readonly userListing?: boolean;
}

/** The peer store's token repository, closing the whole peer store when the suite closes it. */
function peerTokens(peer: Store): TokenRepository {
  const tokens = peer.tokens;
  return new Proxy(tokens, {
    get(target, property) {
      if (property === 'close') return () => peer.close?.();
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Declares a vitest `describe(name)` block that runs the contract of every repository of a
 * {@link Store} against it: users, tokens, state, counters, MFA and API keys. `createStore` is called before
 * every test and must return an empty store (a fresh database, schema, or key prefix); its
 * `close()`, when present, is called after the test.
 *
 * @example
 * import { describeStoreContract } from 'gatehouse/testing';
 * describeStoreContract('my store', () => createMyStore({ url: process.env.TEST_DB }));
 */
export function describeStoreContract(
  name: string,
  createStore: ContractFactory<Store>,
  options: StoreContractOptions = {},
): void {
  describe(name, () => {
    const store = useFreshSubject(createStore);
    const { peer } = options;
    const listing = options.userListing ?? true;
    describe('UserRepository', () => defineUserRepositoryTests(() => store().users, { listing }));
    describe('TokenRepository', () =>
      defineTokenRepositoryTests(() => store().tokens, {
        ...(peer ? { peer: async () => peerTokens(await peer(store())) } : {}),
      }));
    describe("TokenRepository with the store's users", () => defineTokenUserReadTests(store));
    describe('StateStore', () => defineStateStoreTests(() => store().state));
    describe('CounterStore', () => defineCounterStoreTests(() => store().counters));
    describe('MfaRepository', () => defineMfaRepositoryTests(() => store().mfa));
    describe('AccountRepository (identities)', () => defineAccountRepositoryTests(() => store().identities));
    describe('ApiKeyRepository', () => defineApiKeyRepositoryTests(() => store().apiKeys));
    describe('ClientRepository', () => defineClientRepositoryTests(() => store().clients));
  });
}
