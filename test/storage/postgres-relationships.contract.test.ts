/**
 * `PostgresRelationshipStore` against a real PostgreSQL server, one schema per test: the
 * relationship-store contract (with and without a model), then what is PostgreSQL's own: ids and
 * contexts `text`/`jsonb` cannot hold verbatim (NUL, unpaired surrogates) are refused on write and
 * find nothing on read, `readBatch` answers like the individual reads and merges the calls of one
 * turn into one query, batches are all-or-nothing for another connection, and the table's types,
 * collation and indexes.
 */
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresRelationshipStore } from '../../adapters/postgres/relationships.js';
import type { Queryable } from '../../adapters/postgres/sql.js';
import { MemoryRelationshipStore, type RelationshipTuple } from '../../src/policy/index.js';
import { readEach, type TupleRead } from '../../src/policy/relationship-store.js';
import { describeRelationshipStoreContract, RELATIONSHIP_CONTRACT_MODEL } from '../../src/testing.js';
import { postgresSchemas, testPool } from '../support/postgres-schemas.js';
import { describeWithPostgres } from '../support/services/index.js';

const tuple = (o: [string, string], relation: string, s: [string, string, string?]): RelationshipTuple => ({
  object: { type: o[0], id: o[1] },
  relation,
  subject: s[2] ? { type: s[0], id: s[1], relation: s[2] } : { type: s[0], id: s[1] },
});

/** Orders tuples for comparison with the memory store, which keeps insertion order. */
const key = (t: RelationshipTuple) => JSON.stringify([t.object, t.relation, t.subject, t.condition ?? null]);
const sorted = (tuples: readonly RelationshipTuple[]) =>
  [...tuples].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

describeWithPostgres('PostgresRelationshipStore', (url) => {
  const schemas = postgresSchemas(url);

  describeRelationshipStoreContract('contract', async (options) => {
    const schema = await schemas.create();
    const pool = testPool(url);
    return Object.assign(new PostgresRelationshipStore(pool, { ...options, schema }), {
      close: async () => {
        await pool.end();
        await schemas.drop(schema);
      },
    });
  });

  // Per test: a schema, a pool counting its queries, and the store on it.
  let opened: { schema: string; pool: pg.Pool } | undefined;
  let queries = 0;
  async function open(options: { model?: typeof RELATIONSHIP_CONTRACT_MODEL } = {}) {
    const schema = await schemas.create();
    const pool = testPool(url);
    opened = { schema, pool };
    queries = 0;
    const counting: Queryable = {
      query: (config) => {
        queries++;
        return pool.query(config);
      },
    };
    return { store: new PostgresRelationshipStore(counting, { ...options, schema }), schema, pool };
  }
  afterEach(async () => {
    if (!opened) return;
    await opened.pool.end();
    await schemas.drop(opened.schema);
    opened = undefined;
  });

  describe('what PostgreSQL cannot hold verbatim', () => {
    const bad = [
      tuple(['folder', 'a\u0000b'], 'viewer', ['user', 'anne']),
      tuple(['folder', '1'], 'viewer', ['user', '\u0000']),
      tuple(['folder', '1'], 'viewer', ['team', 'eng\u0000', 'member']),
      // node-postgres would send an unpaired surrogate as U+FFFD: two ids would become one.
      tuple(['folder', '\uD800'], 'viewer', ['user', 'anne']),
      tuple(['folder', '1'], 'viewer', ['user', 'x\uDC00']),
      {
        ...tuple(['folder', '1'], 'viewer', ['user', 'anne']),
        condition: { name: 'c', context: { ip: 'a\u0000' } },
      },
      {
        ...tuple(['folder', '1'], 'viewer', ['user', 'anne']),
        condition: { name: 'c', context: { 'k\u0000': 1 } },
      },
      {
        ...tuple(['folder', '1'], 'viewer', ['user', 'anne']),
        condition: { name: 'c', context: { nested: [{ s: '\uDFFF' }] } },
      },
    ];

    it('a NUL or an unpaired surrogate in an id or a context refuses the batch (TupleValidationError)', async () => {
      const { store } = await open();
      for (const t of bad) {
        await expect(
          store.write([tuple(['folder', 'ok'], 'viewer', ['user', 'anne']), t]),
        ).rejects.toMatchObject({
          name: 'TupleValidationError',
          index: 1,
        });
      }
      expect(await store.read({})).toEqual([]);
      // A paired surrogate (an emoji) and U+FFFD itself are ordinary characters.
      const fine = [
        tuple(['folder', '🔐'], 'viewer', ['user', '\uFFFD']),
        {
          ...tuple(['folder', '1'], 'viewer', ['user', 'anne']),
          condition: { name: 'c', context: { s: '🔐\uFFFD' } },
        },
      ];
      await store.write(fine);
      expect(sorted(await store.read({}))).toEqual(sorted(fine));
    });

    it('a read naming such an id finds nothing (no driver error); deleting one is a no-op', async () => {
      const { store } = await open();
      const anne = tuple(['folder', '1'], 'viewer', ['user', 'anne']);
      const team = tuple(['folder', '1'], 'viewer', ['team', 'eng', 'member']);
      await store.write([anne, team, tuple(['folder', '\uFFFD'], 'viewer', ['user', '\uFFFD'])]);
      for (const id of ['a\u0000', '\u0000', '\uD800', '\uDFFF']) {
        const object = { type: 'folder', id };
        expect(await store.readTuple(object, 'viewer', { type: 'user', id })).toBeUndefined();
        expect(
          await store.readTuple({ type: 'folder', id: '1' }, 'viewer', { type: 'user', id }),
        ).toBeUndefined();
        expect(await store.readRelation(object, 'viewer')).toEqual([]);
        expect(await store.readUsersets(object, 'viewer')).toEqual([]);
        expect(await store.read({ object })).toEqual([]);
        expect(await store.read({ subject: { type: 'user', id } })).toEqual([]);
        expect(
          await store.readBatch([
            { kind: 'subject', subject: { type: 'team', id, relation: 'member' } },
            { kind: 'relation', object: { type: 'folder', id: '1' }, relation: 'viewer' },
          ]),
        ).toEqual([[], sorted([anne, team])]);
        await store.delete([
          tuple(['folder', id], 'viewer', ['user', id]),
          tuple(['folder', '1'], 'viewer', ['user', id]),
        ]);
      }
      expect(await store.read({ relation: 'view\u0000er' })).toEqual([]);
      expect(await store.read({})).toHaveLength(3);
    });
  });

  describe('readBatch', () => {
    const stored = [
      tuple(['folder', '1'], 'viewer', ['user', 'anne']),
      tuple(['folder', '1'], 'viewer', ['user', '*']),
      tuple(['folder', '1'], 'viewer', ['team', 'eng', 'member']),
      tuple(['folder', '1'], 'viewer', ['team', 'eng']),
      tuple(['folder', '1'], 'owner', ['user', 'anne']),
      tuple(['folder', '2'], 'parent', ['folder', '1']),
      tuple(['team', 'eng'], 'member', ['user', 'anne']),
      tuple(['team', 'eng'], 'member', ['team', 'ops', 'member']),
      {
        ...tuple(['folder', '3'], 'viewer', ['user', 'bob']),
        condition: { name: 'in_office', context: { n: [1] } },
      },
      tuple(['folder', "o'; DROP TABLE relationships; --"], 'viewer', ['user', 'a:b#c']),
    ];
    const objects = ['1', '2', '3', 'missing', "o'; DROP TABLE relationships; --"].map((id) => ({
      type: 'folder',
      id,
    }));
    const subjects = [
      ...stored.map((t) => t.subject),
      { type: 'folder', id: '1' },
      { type: 'user', id: 'nobody' },
      { type: 'team', id: 'eng', relation: 'admin' },
    ];
    const reads: TupleRead[] = [
      ...objects.flatMap((object) =>
        ['viewer', 'owner', 'parent'].flatMap((relation): TupleRead[] => [
          { kind: 'relation', object, relation },
          { kind: 'usersets', object, relation },
          ...subjects.map((subject): TupleRead => ({ kind: 'tuple', object, relation, subject })),
        ]),
      ),
      ...subjects.map((subject): TupleRead => ({ kind: 'subject', subject })),
      { kind: 'usersets', object: { type: 'team', id: 'eng' }, relation: 'member' },
    ];

    it('answers every kind of read exactly like the individual reads (and the memory store), in one query', async () => {
      const { store } = await open();
      const memory = new MemoryRelationshipStore();
      await store.write(stored);
      await memory.write(stored);
      queries = 0;
      const answers = await store.readBatch([...reads, ...reads]);
      expect(queries).toBe(1);
      expect(answers).toHaveLength(reads.length * 2);
      const each = await readEach(store, reads);
      const onMemory = await readEach(memory, reads);
      for (const [i, read] of reads.entries()) {
        const where = JSON.stringify(read);
        expect(sorted(answers[i]!), where).toEqual(sorted(onMemory[i]!));
        expect(answers[i + reads.length], where).toEqual(answers[i]);
        expect(each[i], where).toEqual(answers[i]);
      }
      expect(answers.filter((a) => a.length > 0).length).toBeGreaterThan(20);
      // Answers are fresh arrays: one caller changing its answer changes nobody else's.
      answers[0]!.length = 0;
      expect(answers[reads.length]!.length).toBeGreaterThan(0);
      expect(await store.readBatch([])).toEqual([]);
      await expect(store.readBatch([{ kind: 'everything' } as unknown as TupleRead])).rejects.toThrow(
        TypeError,
      );
    });

    it('merges the calls made in one turn into one query, and fails them together', async () => {
      const { store, schema } = await open();
      await store.write(stored);
      queries = 0;
      const folder1 = { type: 'folder', id: '1' };
      const [a, b, c, d] = await Promise.all([
        store.readTuple(folder1, 'viewer', { type: 'user', id: 'anne' }),
        store.readUsersets(folder1, 'viewer'),
        store.readBatch([{ kind: 'subject', subject: { type: 'user', id: 'anne' } }]),
        store.readRelation({ type: 'folder', id: '2' }, 'parent'),
      ]);
      expect(queries).toBe(1);
      expect(a).toEqual(stored[0]);
      expect(b).toEqual([stored[2]]);
      expect(sorted(c[0]!)).toEqual(sorted([stored[0]!, stored[4]!, stored[6]!]));
      expect(d).toEqual([stored[5]]);
      const ended = testPool(url);
      await ended.end();
      const broken = new PostgresRelationshipStore(ended, { schema });
      const failed = await Promise.allSettled([
        broken.readTuple(folder1, 'viewer', { type: 'user', id: 'anne' }),
        broken.readRelation(folder1, 'viewer'),
      ]);
      expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    });
  });

  describe('the relationships table', () => {
    it('a batch is all-or-nothing for another connection; a rewrite that changes nothing leaves the row alone', async () => {
      const { store, schema, pool } = await open({ model: RELATIONSHIP_CONTRACT_MODEL });
      const other = new PostgresRelationshipStore(pool, { schema });
      const batch = Array.from({ length: 300 }, (_, i) =>
        tuple(['folder', '1'], 'viewer', ['user', `u${i}`]),
      );
      queries = 0;
      await store.write(batch);
      expect(queries).toBe(1);
      expect(await other.readRelation({ type: 'folder', id: '1' }, 'viewer')).toHaveLength(300);
      const version = () =>
        pool.query<{ xmin: string }>(
          `SELECT xmin::text FROM "${schema}".relationships WHERE object_id = '1' AND subject_id = 'u0'`,
        );
      const before = (await version()).rows[0]!.xmin;
      await store.write([batch[0]!]);
      expect((await version()).rows[0]!.xmin).toBe(before);
      await store.write([{ ...batch[0]!, condition: { name: 'in_office', context: { allowed: ['x'] } } }]);
      expect((await version()).rows[0]!.xmin).not.toBe(before);
      await expect(
        store.delete([...batch.slice(0, 100), tuple(['folder', '*'], 'viewer', ['user', 'u0'])]),
      ).rejects.toMatchObject({ name: 'TupleValidationError', index: 100 });
      expect(await other.readRelation({ type: 'folder', id: '1' }, 'viewer')).toHaveLength(300);
      queries = 0;
      await store.delete(batch);
      expect(queries).toBe(1);
      expect(await other.read({})).toEqual([]);
    });

    it('keys in C collation, the context as a jsonb object, and the indexes the reads use', async () => {
      const { store, schema, pool } = await open();
      await store.write([
        {
          ...tuple(['folder', '1'], 'viewer', ['user', 'anne']),
          condition: { name: 'c', context: { ip: 'a' } },
        },
        tuple(['folder', '1'], 'viewer', ['team', 'eng', 'member']),
      ]);
      const columns = await pool.query<{
        column_name: string;
        data_type: string;
        collation_name: string | null;
      }>(
        `SELECT column_name, data_type, collation_name FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = 'relationships' ORDER BY ordinal_position`,
        [schema],
      );
      expect(columns.rows.slice(0, 7).every((c) => c.data_type === 'text' && c.collation_name === 'C')).toBe(
        true,
      );
      expect(columns.rows.find((c) => c.column_name === 'condition_context')?.data_type).toBe('jsonb');
      const rows = await pool.query(
        `SELECT subject_relation, jsonb_typeof(condition_context) AS context FROM "${schema}".relationships
         ORDER BY subject_id`,
      );
      expect(rows.rows).toEqual([
        { subject_relation: '', context: 'object' },
        { subject_relation: 'member', context: null },
      ]);
      const indexes = await pool.query<{ indexdef: string }>(
        `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'relationships' ORDER BY indexname`,
        [schema],
      );
      expect(indexes.rows.map((r) => r.indexdef.replace(/^.* USING btree /, ''))).toEqual([
        '(object_type, relation)',
        '(object_type, object_id, relation, subject_type, subject_id, subject_relation)',
        '(subject_type, subject_id, subject_relation, relation, object_type, object_id)',
        "(object_type, object_id, relation) WHERE (subject_relation <> ''::text)",
      ]);
    });
  });
});
