/**
 * Shared by the fail-closed tests: a store whose `readTuple` fails as a lost database connection
 * does (`connection reset`); every other read answers nothing.
 */
import type { RelationshipStore } from '../../src/policy/index.js';

export function brokenStore(): RelationshipStore {
  return {
    write: async () => {},
    delete: async () => {},
    read: async () => [],
    readTuple: async () => {
      throw new Error('connection reset');
    },
    readUsersets: async () => [],
    readRelation: async () => [],
  };
}
