/**
 * Contract suites for storage implementations, published as `gatehouse/testing`. A user who
 * writes their own repository runs the same tests that the memory and SQLite stores pass.
 *
 * @module
 */
import { describe } from 'vitest';
import type { Store } from '../types.js';
import { type ContractFactory, useFreshSubject } from './lifecycle.js';
import { defineTokenRepositoryTests } from './tokens.js';
import { defineUserRepositoryTests } from './users.js';

export {
  addMs,
  buildSuccessor,
  buildTokenRecord,
  buildUserRecord,
  CONTRACT_EPOCH,
  randomTokenHash,
  randomTokenId,
} from './fixtures.js';
export type { ContractFactory } from './lifecycle.js';
export { describeTokenRepositoryContract } from './tokens.js';
export { describeUserRepositoryContract } from './users.js';

/**
 * Declares a vitest `describe(name)` block that runs both the user- and the token-repository
 * contract against a {@link Store}. `createStore` is called before every test and must return an
 * empty store (a fresh database, schema, or key prefix); its `close()`, when present, is called
 * after the test.
 *
 * @example
 * import { describeStoreContract } from 'gatehouse/testing';
 * describeStoreContract('my store', () => createMyStore({ url: process.env.TEST_DB }));
 */
export function describeStoreContract(name: string, createStore: ContractFactory<Store>): void {
  describe(name, () => {
    const store = useFreshSubject(createStore);
    describe('UserRepository', () => defineUserRepositoryTests(() => store().users));
    describe('TokenRepository', () => defineTokenRepositoryTests(() => store().tokens));
  });
}
