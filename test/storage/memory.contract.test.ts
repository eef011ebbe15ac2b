import { createMemoryStore } from '../../src/storage/memory.js';
import {
  describeStoreContract,
  describeTokenRepositoryContract,
  describeUserRepositoryContract,
} from '../../src/testing.js';

describeStoreContract('memory store', () => createMemoryStore());

// The per-repository entry points work on their own too (what a user with only a custom token table calls).
describeUserRepositoryContract('memory users (standalone)', () => createMemoryStore().users);
describeTokenRepositoryContract('memory tokens (standalone)', () => createMemoryStore().tokens);
