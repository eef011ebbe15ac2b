import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createSqliteStore,
  migrateSqliteDatabase,
  SqliteRelationshipStore,
  type SqliteStore,
} from '../../adapters/sqlite/index.js';
import {
  defineModel,
  MemoryRelationshipStore,
  PolicyEvaluator,
  type RelationshipStore,
  type RelationshipTuple,
  validateModel,
} from '../../src/policy/index.js';
import { describeRelationshipStoreContract, RELATIONSHIP_CONTRACT_MODEL } from '../../src/testing.js';

const tempRoot = mkdtempSync(join(tmpdir(), 'gatehouse-relationships-'));
let fileCounter = 0;
function tempFile(): string {
  fileCounter += 1;
  return join(tempRoot, `relationships-${process.pid}-${fileCounter}.db`);
}

// Databases opened by a factory; closed after each test (the stores do not own them).
const open: Database.Database[] = [];
function migrated(filename: string): Database.Database {
  const db = new Database(filename);
  open.push(db);
  migrateSqliteDatabase(db);
  return db;
}
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});
afterAll(() => {
  rmSync(tempRoot, { recursive: true, force: true });
});

describeRelationshipStoreContract(
  'MemoryRelationshipStore',
  (options) => new MemoryRelationshipStore(options),
);
describeRelationshipStoreContract(
  'SqliteRelationshipStore (:memory:)',
  (options) => new SqliteRelationshipStore(migrated(':memory:'), options),
);
describeRelationshipStoreContract(
  'SqliteRelationshipStore (temp file)',
  (options) => new SqliteRelationshipStore(migrated(tempFile()), options),
);
describeRelationshipStoreContract('createSqliteStore().relationships', (options) => {
  const store = createSqliteStore({ relationships: options });
  open.push(store.db);
  return store.relationships;
});

const tuple = (o: [string, string], relation: string, s: [string, string, string?]): RelationshipTuple => ({
  object: { type: o[0], id: o[1] },
  relation,
  subject: s[2] ? { type: s[0], id: s[1], relation: s[2] } : { type: s[0], id: s[1] },
});

describe('PolicyEvaluator gives the same answers on the memory and SQLite stores', () => {
  // The chapter's folder sharing: owners, direct viewers, teams (nested) and parent folders.
  const model = validateModel(
    defineModel((m) => ({
      user: m.type(),
      team: m.type({ member: m.relation(['user', 'team#member']) }),
      folder: m.type({
        owner: m.relation(['user']),
        parent: m.relation(['folder']),
        viewer: m
          .relation(['user', 'user:*', 'team#member'])
          .or(m.computed('owner'))
          .or(m.from('parent', 'viewer')),
      }),
    })),
  );
  const initial = [
    tuple(['team', 'research'], 'member', ['user', 'alice']),
    tuple(['team', 'research'], 'member', ['team', 'interns', 'member']),
    tuple(['team', 'interns'], 'member', ['user', 'ivan']),
    tuple(['folder', 'f1'], 'owner', ['user', 'olivia']),
    tuple(['folder', 'f2'], 'parent', ['folder', 'f1']),
    tuple(['folder', 'public'], 'viewer', ['user', '*']),
  ];
  const shares = [
    tuple(['folder', 'f1'], 'viewer', ['user', 'bob']),
    tuple(['folder', 'f1'], 'viewer', ['team', 'research', 'member']),
  ];
  const users = ['olivia', 'bob', 'alice', 'ivan', 'mallory', 'x:y#z', '*'];
  const folders = ['f1', 'f2', 'public', 'missing'];

  async function answers(evaluator: PolicyEvaluator): Promise<string[]> {
    const out: string[] = [];
    for (const user of users) {
      for (const folder of folders) {
        for (const action of ['viewer', 'owner']) {
          const result = await evaluator.check({
            subject: { type: 'user', id: user },
            action,
            resource: { type: 'folder', id: folder },
          });
          out.push(`${user} ${action} ${folder}: ${result.allowed} ${result.code}`);
        }
      }
    }
    return out;
  }

  let sqlite: SqliteStore | undefined;
  afterEach(() => {
    sqlite?.close();
    sqlite = undefined;
  });

  it('folder sharing with a user and with (nested) teams, before and after sharing and unsharing', async () => {
    const memory = new MemoryRelationshipStore({ model });
    sqlite = createSqliteStore({ filename: tempFile(), relationships: { model } });
    const stores: RelationshipStore[] = [memory, sqlite.relationships];
    const evaluators = stores.map((store) => new PolicyEvaluator({ model, store }));
    const [onMemory, onSqlite] = evaluators as [PolicyEvaluator, PolicyEvaluator];
    const compare = async () => {
      const expected = await answers(onMemory);
      expect(await answers(onSqlite)).toEqual(expected);
      return expected;
    };

    for (const store of stores) await store.write(initial);
    const before = await compare();
    expect(before).toContain('olivia viewer f1: true granted');
    expect(before).toContain('olivia viewer f2: true granted');
    expect(before).toContain('alice viewer f1: false not_granted');
    expect(before).toContain('mallory viewer public: true granted');

    for (const store of stores) await store.write(shares);
    const shared = await compare();
    for (const who of ['bob', 'alice', 'ivan']) {
      expect(shared).toContain(`${who} viewer f1: true granted`);
      expect(shared).toContain(`${who} viewer f2: true granted`);
      expect(shared).toContain(`${who} owner f1: false not_granted`);
    }
    expect(shared).toContain('mallory viewer f1: false not_granted');
    // `user:*` asks about public access (OpenFGA): granted only through a `user:*` tuple.
    expect(shared).toContain('* viewer f1: false not_granted');
    expect(shared).toContain('* viewer public: true granted');

    for (const store of stores)
      await store.delete([tuple(['team', 'research'], 'member', ['team', 'interns', 'member'])]);
    const unshared = await compare();
    expect(unshared).toContain('alice viewer f2: true granted');
    expect(unshared).toContain('ivan viewer f2: false not_granted');
  });
});

describe('SQLite relationships table', () => {
  let store: SqliteStore;
  afterEach(() => store.close());

  it('is STRICT, keyed by the whole tuple, with the subject and object-type indexes', () => {
    store = createSqliteStore();
    const tables = store.db.pragma('table_list') as { schema: string; name: string; strict: number }[];
    expect(tables.find((t) => t.schema === 'main' && t.name === 'relationships')?.strict).toBe(1);
    const columns = store.db.pragma('table_info(relationships)') as { name: string; pk: number }[];
    expect(columns.filter((c) => c.pk > 0).map((c) => c.name)).toEqual([
      'object_type',
      'object_id',
      'relation',
      'subject_type',
      'subject_id',
      'subject_relation',
    ]);
    const indexColumns = (index: string) =>
      (store.db.pragma(`index_info(${index})`) as { name: string }[]).map((c) => c.name);
    expect(indexColumns('relationships_subject_idx')).toEqual([
      'subject_type',
      'subject_id',
      'subject_relation',
      'relation',
    ]);
    expect(indexColumns('relationships_object_type_relation_idx')).toEqual(['object_type', 'relation']);
  });

  it("stores a plain subject with subject_relation '', conditions as JSON, created_at as epoch ms", async () => {
    store = createSqliteStore();
    const before = Date.now();
    await store.relationships.write([
      tuple(['folder', '1'], 'viewer', ['user', 'anne']),
      {
        ...tuple(['folder', '1'], 'viewer', ['team', 'eng', 'member']),
        condition: { name: 'in_office', context: { ip: '10.0.0.1' } },
      },
    ]);
    const rows = store.db
      .prepare(
        `SELECT subject_id, subject_relation, condition_name, condition_context, typeof(created_at) AS t, created_at
         FROM relationships ORDER BY subject_id`,
      )
      .all() as { created_at: number }[];
    expect(rows).toEqual([
      {
        subject_id: 'anne',
        subject_relation: '',
        condition_name: null,
        condition_context: null,
        t: 'integer',
        created_at: expect.any(Number),
      },
      {
        subject_id: 'eng',
        subject_relation: 'member',
        condition_name: 'in_office',
        condition_context: '{"ip":"10.0.0.1"}',
        t: 'integer',
        created_at: expect.any(Number),
      },
    ]);
    for (const row of rows) expect(row.created_at).toBeGreaterThanOrEqual(before);
  });

  it('rejects a condition context that is not JSON-serializable, leaving the batch unapplied', async () => {
    store = createSqliteStore();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(
      store.relationships.write([
        tuple(['folder', '1'], 'viewer', ['user', 'anne']),
        {
          ...tuple(['folder', '1'], 'viewer', ['user', 'bob']),
          condition: { name: 'c', context: { n: 1n } },
        },
      ]),
    ).rejects.toMatchObject({ name: 'TupleValidationError', index: 1 });
    await expect(
      store.relationships.write([
        { ...tuple(['folder', '1'], 'viewer', ['user', 'bob']), condition: { name: 'c', context: cyclic } },
      ]),
    ).rejects.toMatchObject({ name: 'TupleValidationError', index: 0 });
    expect(await store.relationships.read({})).toEqual([]);
  });

  it('a batch from one connection is all-or-nothing for another connection to the same file', async () => {
    const filename = tempFile();
    store = createSqliteStore({ filename, relationships: { model: RELATIONSHIP_CONTRACT_MODEL } });
    const other = createSqliteStore({ filename });
    try {
      const batch = Array.from({ length: 200 }, (_, i) =>
        tuple(['folder', '1'], 'viewer', ['user', `u${i}`]),
      );
      await store.relationships.write(batch);
      expect(await other.relationships.readRelation({ type: 'folder', id: '1' }, 'viewer')).toHaveLength(200);
      await expect(
        store.relationships.delete([
          ...batch.slice(0, 100),
          tuple(['folder', '*'], 'viewer', ['user', 'u0']),
        ]),
      ).rejects.toMatchObject({ name: 'TupleValidationError', index: 100 });
      expect(await other.relationships.readRelation({ type: 'folder', id: '1' }, 'viewer')).toHaveLength(200);
      await other.relationships.delete(batch);
      expect(await store.relationships.read({})).toEqual([]);
    } finally {
      other.close();
    }
  });

  it('uses the primary key for checks and the subject index for reverse lookups', () => {
    store = createSqliteStore();
    const plan = (sql: string) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
        .map((r) => r.detail)
        .join('; ');
    expect(
      plan(
        `SELECT * FROM relationships WHERE object_type = 'f' AND object_id = '1' AND relation = 'v'
         AND subject_type = 'u' AND subject_id = 'a' AND subject_relation = ''`,
      ),
    ).toMatch(/sqlite_autoindex_relationships_1/);
    expect(plan(`SELECT * FROM relationships WHERE subject_type = 'u' AND subject_id = 'a'`)).toMatch(
      /relationships_subject_idx/,
    );
  });
});
