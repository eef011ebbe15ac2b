/**
 * The query plans of `PostgresRelationshipStore.readBatch` on a seeded (50k tuples), analyzed
 * table: every read that checks, `batchCheck`, `listResources` and `listSubjects` make is planned
 * on an index that matches all of its columns, never a sequential scan, with the statement's
 * custom plans and with the generic plan PostgreSQL settles on.
 */
import { afterAll, expect, it } from 'vitest';
import { PostgresRelationshipStore } from '../../adapters/postgres/relationships.js';
import type { Queryable } from '../../adapters/postgres/sql.js';
import { defineModel, PolicyEvaluator, validateModel } from '../../src/policy/index.js';
import { postgresSchemas, testPool } from '../support/postgres-schemas.js';
import { defineRebacModel, graphTuples, rebacRequests, shape, tupleCount } from '../support/rebac-graph.js';

const rebacModel = validateModel(defineRebacModel(defineModel));

import { describeWithPostgres } from '../support/services/index.js';

interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Relation Name'?: string;
  readonly 'Index Name'?: string;
  readonly Plans?: readonly PlanNode[];
}

/** The scans of the `relationships` table in a plan, as `Seq Scan` or `Index Scan using <index>`. */
function relationshipScans(node: PlanNode, out: string[] = []): string[] {
  if (node['Relation Name'] === 'relationships') {
    out.push(node['Index Name'] ? `${node['Node Type']} using ${node['Index Name']}` : node['Node Type']);
  }
  for (const child of node.Plans ?? []) relationshipScans(child, out);
  return out;
}

/** A PostgreSQL array literal (`{"a","b\\"c"}`, `{1,2}`) of strings, numbers or booleans. */
const arrayLiteral = (items: readonly unknown[]) =>
  `{${items.map((x) => (typeof x === 'string' ? `"${x.replace(/["\\]/g, '\\$&')}"` : String(x))).join(',')}}`;

/**
 * The index each branch of the query (tuple, usersets, relation, subject reads) may scan: the
 * primary key or the subject index for one tuple (both hold the whole key), the partial index of
 * userset tuples (or the primary key) for usersets, the primary key for every tuple of an
 * object#relation, the subject index for the tuples naming a subject.
 */
const BRANCH_INDEXES = [
  /^Index Scan using relationships_(pkey|subject_idx)$/,
  /^Index Scan using relationships_(usersets_idx|pkey)$/,
  /^Index Scan using relationships_pkey$/,
  /^Index Scan using relationships_subject_idx$/,
];

describeWithPostgres('readBatch query plans on PostgreSQL', (url) => {
  const schemas = postgresSchemas(url);
  const pool = testPool(url);
  const created: string[] = [];
  afterAll(async () => {
    for (const schema of created) await schemas.drop(schema);
    await pool.end();
  });
  const sent: { text: string; values: unknown[] }[] = [];
  const counting: Queryable = {
    query: (config) => {
      sent.push({ text: config.text, values: config.values ?? [] });
      return pool.query(config);
    },
  };
  const reset = () => {
    sent.length = 0;
  };

  it('on a seeded, analyzed table, every read of checks and list queries is planned on an index', async () => {
    const schema = await schemas.create();
    created.push(schema);
    const store = new PostgresRelationshipStore(counting, { schema, model: rebacModel });
    const s = shape(0.05);
    await store.write([...graphTuples(s)]);
    await pool.query(`ANALYZE "${schema}".relationships`);
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".relationships`,
    );
    expect(rows[0]!.n).toBe(tupleCount(s));
    expect(rows[0]!.n).toBeGreaterThanOrEqual(50_000);

    const evaluator = new PolicyEvaluator({ model: rebacModel, store, explain: false });
    reset();
    const allowed = rebacRequests(s, true, 1).slice(0, 8);
    const denied = rebacRequests(s, false, 2).slice(0, 8);
    expect((await evaluator.batchCheck(allowed)).every((r) => r.allowed)).toBe(true);
    for (const request of denied) expect((await evaluator.check(request)).allowed).toBe(false);
    const user = allowed[0]!.subject;
    const page = await evaluator.listResources({ subject: user, action: 'viewer', type: 'document' });
    expect(page.resources).toHaveLength(100);
    const members = await evaluator.listSubjects({
      resource: allowed[0]!.resource,
      action: 'viewer',
      subjectType: 'user',
    });
    expect(members.subjects.map((m) => m.id)).toContain(user.id);

    const reads = sent.filter((q) => /\bJOIN\b/.test(q.text));
    expect(reads.length).toBeGreaterThan(10);
    const client = await pool.connect();
    try {
      await client.query(`PREPARE gatehouse_plan AS ${reads[0]!.text}`);
      for (const mode of ['force_custom_plan', 'force_generic_plan']) {
        await client.query(`SET plan_cache_mode = ${mode}`);
        for (const { text, values } of reads) {
          expect(text).toBe(reads[0]!.text);
          // EXECUTE takes no protocol parameters: the arrays go in as (escaped) literals.
          const args = values.map((v) => client.escapeLiteral(arrayLiteral(v as unknown[]))).join(', ');
          const plan = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
            `EXPLAIN (FORMAT JSON) EXECUTE gatehouse_plan(${args})`,
          );
          const scans = relationshipScans(plan.rows[0]!['QUERY PLAN'][0].Plan);
          // One scan per kind of read (a branch of the query, in order), each on an index that
          // matches all of the read's columns.
          const where = `${mode}: ${JSON.stringify(values)}`;
          expect(scans, where).toHaveLength(BRANCH_INDEXES.length);
          for (const [i, scan] of scans.entries()) expect(scan, where).toMatch(BRANCH_INDEXES[i]!);
        }
      }
    } finally {
      await client.query('DEALLOCATE gatehouse_plan');
      await client.query('RESET plan_cache_mode');
      client.release();
    }
  });
});
