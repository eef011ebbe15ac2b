import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../adapters/sqlite/index.js';
import { createMemoryStore } from '../../src/storage/memory.js';
import { buildLinkedIdentity, describeAccountRepositoryContract } from '../../src/testing.js';

describeAccountRepositoryContract('memory linked identities', () => createMemoryStore().identities);
describeAccountRepositoryContract('SQLite linked identities', () => {
  const store = createSqliteStore();
  return Object.assign(store.identities, { close: () => store.close() });
});

describe('SQLite linked identities: schema', () => {
  it('is a STRICT table with unique (issuer, subject) and (user_id, provider) indexes and no foreign key', async () => {
    const store = createSqliteStore();
    try {
      const tables = store.db.pragma('table_list') as { name: string; strict: number }[];
      expect(tables.find((t) => t.name === 'linked_identities')?.strict).toBe(1);
      const indexes = store.db.pragma('index_list(linked_identities)') as { name: string; unique: number }[];
      const unique = indexes.filter((i) => i.unique === 1).map((i) => i.name);
      expect(unique).toEqual(
        expect.arrayContaining(['linked_identities_subject_idx', 'linked_identities_user_provider_idx']),
      );
      expect(store.db.pragma('foreign_key_list(linked_identities)')).toEqual([]);
      const identity = buildLinkedIdentity({ tokens: 'v1.a.b.c' });
      await store.identities.create(identity);
      expect(
        store.db
          .prepare('SELECT email_verified, typeof(created_at) AS t, tokens FROM linked_identities')
          .get(),
      ).toEqual({
        email_verified: 1,
        t: 'integer',
        tokens: 'v1.a.b.c',
      });
    } finally {
      store.close();
    }
  });
});
