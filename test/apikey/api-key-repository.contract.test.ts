import { createSqliteStore } from '../../adapters/sqlite/index.js';
import { MemoryApiKeyRepository } from '../../src/storage/memory.js';
import { describeApiKeyRepositoryContract } from '../../src/testing.js';

// The full-store suites (test/storage/*.contract.test.ts) run it too; these are the standalone entry points.
describeApiKeyRepositoryContract('memory API keys (standalone)', () => new MemoryApiKeyRepository());
describeApiKeyRepositoryContract('SQLite API keys (standalone)', () => createSqliteStore().apiKeys);
