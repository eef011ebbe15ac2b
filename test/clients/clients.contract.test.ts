/**
 * The ClientRepository contract (gatehouse/testing) against the memory store and SQLite
 * (in memory, and a WAL file shared by two connections).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore, SqliteClientRepository } from '../../adapters/sqlite/index.js';
import { createMemoryStore } from '../../src/index.js';
import { MemoryClientRepository } from '../../src/storage/memory/clients.js';
import { buildClientRecord, describeClientRepositoryContract } from '../../src/testing.js';

const tempRoot = mkdtempSync(join(tmpdir(), 'gatehouse-clients-'));
let fileCounter = 0;
afterAll(() => rmSync(tempRoot, { recursive: true, force: true }));

describeClientRepositoryContract('memory ClientRepository', () => new MemoryClientRepository());
describeClientRepositoryContract('memory store bundle', () => createMemoryStore().clients);
describeClientRepositoryContract('SQLite ClientRepository (:memory:)', () => {
  const store = createSqliteStore();
  return Object.assign(store.clients, { close: () => store.close() });
});
describeClientRepositoryContract('SQLite ClientRepository (WAL file)', () => {
  fileCounter += 1;
  const store = createSqliteStore({ filename: join(tempRoot, `clients-${fileCounter}.db`) });
  return Object.assign(store.clients, { close: () => store.close() });
});

describe('SQLite clients across connections', () => {
  it('a client written by one connection is seen, updated and deleted by another; ids stay unique', async () => {
    const filename = join(tempRoot, 'shared.db');
    const a = createSqliteStore({ filename });
    const b = createSqliteStore({ filename });
    try {
      const client = buildClientRecord();
      await a.clients.create(client);
      expect(await b.clients.findById(client.id)).toEqual(client);
      await expect(b.clients.create(client)).rejects.toMatchObject({ code: 'ERR_ALREADY_REGISTERED' });
      const later = new Date(client.createdAt.getTime() + 1000);
      await b.clients.update(client.id, { disabledAt: later }, later);
      expect((await a.clients.findById(client.id))?.disabledAt).toEqual(later);
      expect(await a.clients.delete(client.id)).toBe(true);
      expect(await b.clients.findById(client.id)).toBeNull();
    } finally {
      a.close();
      b.close();
    }
  });

  it('stores only the secret hash: no column holds anything but the record fields', async () => {
    const store = createSqliteStore();
    try {
      const repo = new SqliteClientRepository(store.db);
      const client = buildClientRecord({ scopes: ['a'] });
      await repo.create(client);
      const row = store.db.prepare('SELECT * FROM oauth_clients WHERE id = ?').get(client.id);
      expect(row).toEqual({
        id: client.id,
        name: client.name,
        secret_hash: client.secretHash,
        scopes: '["a"]',
        grant_types: '["client_credentials"]',
        created_at: client.createdAt.getTime(),
        updated_at: client.updatedAt.getTime(),
        disabled_at: null,
      });
    } finally {
      store.close();
    }
  });
});
