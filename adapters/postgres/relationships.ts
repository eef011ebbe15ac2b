/**
 * {@link RelationshipStore} on PostgreSQL: the `relationships` table (migration 1). Every
 * operation is one statement, so each is atomic on its own:
 *
 * - `write` is one `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE` of the whole batch
 *   (a rewrite that changes nothing leaves the row alone), `delete` one `DELETE ... USING
 *   unnest(...)`: another connection sees none or all of a batch.
 * - `readBatch` answers any number of check reads (one tuple; the tuples or userset tuples of an
 *   `object#relation`) and reverse reads (the tuples naming one subject) with one query: the reads
 *   arrive as arrays, are joined to the table through the index that answers them (primary key,
 *   partial index of userset tuples, subject index), and come back tagged with their position.
 *   Calls made before the pending promise callbacks have run (the rounds of the checks of a
 *   `batchCheck`, or of the candidates a list query confirms, which advance together) are merged
 *   into that one query, and a read asked twice is sent once. `readTuple`, `readUsersets` and
 *   `readRelation` go through it too, so they answer alike by construction.
 *
 * PostgreSQL `text` cannot hold NUL (U+0000), and node-postgres sends an unpaired UTF-16
 * surrogate as U+FFFD, which would make two different ids one. Such an id (or condition context
 * string) is refused on `write` with `TupleValidationError`; a read naming one finds nothing, as no
 * stored tuple can hold it; `delete` skips it (deleting a missing tuple is a no-op).
 *
 * @module
 */
import type { CompiledModel } from '../../src/policy/model.js';
import {
  type ObjectRef,
  type RelationshipStore,
  type RelationshipTuple,
  type SubjectRef,
  type TupleFilter,
  type TupleRead,
  TupleValidationError,
  tupleModelError,
  tupleShapeError,
} from '../../src/policy/relationship-store.js';
import {
  TUPLE_KEY_COLUMNS,
  type TupleKeyColumn,
  tupleFilterColumns,
} from '../../src/storage/tuple-columns.js';
import { DEFAULT_POSTGRES_SCHEMA, hasNul, named, type Queryable, quoteSchema, run } from './sql.js';

/** Options of {@link PostgresRelationshipStore}. */
export interface PostgresRelationshipStoreOptions {
  /** The schema holding the `relationships` table; default `gatehouse`. */
  readonly schema?: string;
  /** When given, every written tuple must satisfy this model's type restrictions. */
  readonly model?: CompiledModel;
}

/** A row as the reads return it; `slot` only from `readBatch`. */
interface TupleRow {
  slot?: number;
  object_type: string;
  object_id: string;
  relation: string;
  subject_type: string;
  subject_id: string;
  subject_relation: string;
  condition_name: string | null;
  condition_context: string | null;
}

const KEY = TUPLE_KEY_COLUMNS;
type KeyColumn = TupleKeyColumn;
const PK = KEY.join(', ');
// The context as text: parsed here, whatever type parsers the application set on pg.
const COLUMNS = `${PK}, condition_name, condition_context::text AS condition_context`;
const rColumns = `${KEY.map((c) => `r.${c}`).join(', ')}, r.condition_name, r.condition_context::text AS condition_context`;

const UNPAIRED_SURROGATE = /\p{Cs}/u;

/** `true` for a string PostgreSQL stores verbatim: no NUL, no unpaired surrogate. */
function storable(value: unknown): value is string {
  return typeof value === 'string' && !hasNul(value) && !UNPAIRED_SURROGATE.test(value);
}

const NOT_STORABLE = 'ids cannot hold NUL (\\u0000) or unpaired UTF-16 surrogates in PostgreSQL';

/**
 * The condition context as JSON text, as the memory store copies it (its own enumerable
 * properties, as a plain object), or the reason it cannot be stored: not JSON-serializable (a
 * BigInt, a cycle, a throwing `toJSON`), or a key or string `jsonb` cannot hold verbatim.
 */
function serializeContext(context: Readonly<Record<string, unknown>>): { json: string } | { error: string } {
  let verbatim = true;
  let json: unknown;
  try {
    json = JSON.stringify({ ...context }, (key, value: unknown) => {
      if (!storable(key) || (typeof value === 'string' && !storable(value))) verbatim = false;
      return value;
    });
  } catch {
    return { error: 'condition context is not JSON-serializable' };
  }
  if (typeof json !== 'string') return { error: 'condition context is not JSON-serializable' };
  if (!verbatim) {
    return { error: 'condition context cannot hold NUL (\\u0000) or unpaired surrogates in PostgreSQL' };
  }
  return { json };
}

function fromRow(row: TupleRow): RelationshipTuple {
  return {
    object: { type: row.object_type, id: row.object_id },
    relation: row.relation,
    subject:
      row.subject_relation === ''
        ? { type: row.subject_type, id: row.subject_id }
        : { type: row.subject_type, id: row.subject_id, relation: row.subject_relation },
    ...(row.condition_name !== null
      ? {
          condition: {
            name: row.condition_name,
            ...(row.condition_context !== null
              ? { context: JSON.parse(row.condition_context) as Record<string, unknown> }
              : {}),
          },
        }
      : {}),
  };
}

/** The key of a tuple as column values; `subject_relation` is `''` for a plain subject. */
function keyOf(tuple: RelationshipTuple): string[] {
  const { object, relation, subject } = tuple;
  return [object.type, object.id, relation, subject.type, subject.id, subject.relation ?? ''];
}

/** Columns of a batch, one array per column, as `unnest` takes them. */
function columns<T>(rows: readonly (readonly T[])[], width: number): T[][] {
  const out = Array.from({ length: width }, (): T[] => []);
  for (const row of rows) for (let c = 0; c < width; c++) out[c]!.push(row[c]!);
  return out;
}

/**
 * The reads `readBatch` answers, by kind: the key columns a read of the kind gives, and what else
 * a tuple must satisfy. Each kind is one branch of the query, joined to the table through the
 * index that answers it: the primary key (`tuple`, `relation`), the partial index of userset
 * tuples (`usersets`), the subject index (`subject`).
 */
const KINDS = {
  tuple: { columns: KEY, also: '' },
  usersets: { columns: KEY.slice(0, 3), also: " AND r.subject_relation <> ''" },
  relation: { columns: KEY.slice(0, 3), also: '' },
  subject: { columns: KEY.slice(3), also: '' },
} as const;
type Kind = keyof typeof KINDS;
const KIND_NAMES = Object.keys(KINDS) as Kind[];

/**
 * The `readBatch` query. Each kind's reads arrive as arrays (slots, then one array per column),
 * unnested and joined to the table. An array is passed through a one-row sub-select, which hides
 * its length from the planner: every plan of the statement then assumes the same few reads, so
 * PostgreSQL settles on one generic plan (index nested loops) after its first executions instead of
 * planning every round anew, which would cost more than running the query.
 */
function readBatchSql(table: string): string {
  let n = 0;
  const param = (type: string) => `(SELECT $${++n}::${type})`;
  const branches = KIND_NAMES.map((kind) => {
    const { columns, also } = KINDS[kind];
    const arrays = [param('int4[]'), ...columns.map(() => param('text[]'))].join(', ');
    const on = columns.map((c) => `r.${c} = q.${c}`).join(' AND ');
    return `SELECT q.slot, ${rColumns} FROM unnest(${arrays}) AS q(slot, ${columns.join(', ')})
       JOIN ${table} AS r ON ${on}${also}`;
  });
  return `${branches.join('\n       UNION ALL\n       ')}\n       ORDER BY 1, 2, 3, 4, 5, 6, 7`;
}

/** The distinct reads of one `readBatch` query, by kind, each with its slot (position in the query). */
class ReadPlan {
  private readonly arrays = new Map<Kind, unknown[][]>(
    KIND_NAMES.map((kind) => [kind, Array.from({ length: KINDS[kind].columns.length + 1 }, () => [])]),
  );
  private readonly slots = new Map<string, number>();

  get size(): number {
    return this.slots.size;
  }

  /** The slot answering `read`, or `-1` when no stored tuple can match it (a field PostgreSQL cannot hold). */
  add(read: TupleRead): number {
    const object = read.kind === 'subject' ? [] : [read.object?.type, read.object?.id, read.relation];
    const subject =
      read.kind === 'tuple' || read.kind === 'subject'
        ? [read.subject?.type, read.subject?.id, read.subject?.relation ?? '']
        : [];
    const fields = [...object, ...subject];
    if (!fields.every(storable)) return -1;
    // No field holds a NUL (just checked), so NUL-separated fields name one read.
    const key = `${read.kind}\u0000${fields.join('\u0000')}`;
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.slots.size;
      this.slots.set(key, slot);
      const arrays = this.arrays.get(read.kind)!;
      arrays[0]!.push(slot);
      for (const [i, f] of fields.entries()) arrays[i + 1]!.push(f);
    }
    return slot;
  }

  /** The query's parameters, in the order of {@link readBatchSql}. */
  values(): unknown[] {
    return KIND_NAMES.flatMap((kind) => this.arrays.get(kind)!);
  }
}

interface Queued {
  readonly reads: readonly TupleRead[];
  resolve(answers: RelationshipTuple[][]): void;
  reject(error: unknown): void;
}

/**
 * {@link RelationshipStore} backed by `<schema>.relationships` of a migrated schema (see
 * `migratePostgres`). Usually obtained as `relationships` of `createPostgresStore`.
 *
 * Same semantics as `MemoryRelationshipStore`: a batch is validated in full (shape, the model's
 * type restrictions when constructed with `{ model }`, and ids PostgreSQL can store verbatim)
 * before anything is sent, then applied by one statement, so a bad tuple (or a failure half-way)
 * leaves the table unchanged. Writing an existing tuple replaces its condition; deleting ignores
 * conditions and a missing tuple is a no-op. Condition contexts are `jsonb`: they must be
 * JSON-serializable and come back as JSON values (a `Date` becomes its ISO string, key order is
 * PostgreSQL's). Reads return tuples in primary-key order (bytewise).
 */
export class PostgresRelationshipStore implements RelationshipStore {
  readonly #db: Queryable;
  readonly #model: CompiledModel | undefined;
  readonly #table: string;
  readonly #write;
  readonly #delete;
  readonly #readBatch;
  readonly #readByShape = new Map<string, { name: string; text: string }>();
  #queued: Queued[] = [];

  /** `db` is a `pg.Pool` (or a client) on a database holding the migrated schema. */
  constructor(db: Queryable, options: PostgresRelationshipStoreOptions = {}) {
    this.#db = db;
    this.#model = options.model;
    const table = `${quoteSchema(options.schema ?? DEFAULT_POSTGRES_SCHEMA)}.relationships`;
    this.#table = table;
    const unnestKey = KEY.map((_, i) => `$${i + 1}::text[]`).join(', ');
    this.#write = named(
      `INSERT INTO ${table} AS r (${PK}, condition_name, condition_context, created_at)
       SELECT ${PK}, condition_name, condition_context::jsonb, now()
       FROM unnest(${unnestKey}, $7::text[], $8::text[]) AS w(${PK}, condition_name, condition_context)
       ON CONFLICT (${PK}) DO UPDATE
         SET condition_name = excluded.condition_name, condition_context = excluded.condition_context
         WHERE r.condition_name IS DISTINCT FROM excluded.condition_name
            OR r.condition_context IS DISTINCT FROM excluded.condition_context`,
    );
    this.#delete = named(
      `DELETE FROM ${table} AS r USING unnest(${unnestKey}) AS d(${PK})
       WHERE ${KEY.map((c) => `r.${c} = d.${c}`).join(' AND ')}`,
    );
    this.#readBatch = named(readBatchSql(table));
  }

  /** Writes a batch atomically (all or none); an existing tuple gets the new condition. A tuple the model does not admit rejects the batch with `TupleValidationError`. */
  async write(tuples: readonly RelationshipTuple[]): Promise<void> {
    if (!Array.isArray(tuples)) throw new TupleValidationError(-1, 'tuples must be an array');
    // One row per key, the last of the batch winning (a statement may not update a row twice).
    const rows = new Map<string, (string | null)[]>();
    tuples.forEach((tuple: RelationshipTuple, i) => {
      const error = this.#model ? tupleModelError(this.#model, tuple) : tupleShapeError(tuple);
      if (error) throw new TupleValidationError(i, error);
      if (!storable(tuple.object.id) || !storable(tuple.subject.id)) {
        throw new TupleValidationError(i, NOT_STORABLE);
      }
      let context: string | null = null;
      if (tuple.condition?.context !== undefined) {
        const serialized = serializeContext(tuple.condition.context);
        if ('error' in serialized) throw new TupleValidationError(i, serialized.error);
        context = serialized.json;
      }
      const key = keyOf(tuple);
      rows.set(JSON.stringify(key), [...key, tuple.condition?.name ?? null, context]);
    });
    if (rows.size > 0) await run(this.#db, this.#write, columns([...rows.values()], 8));
  }

  /** Deletes a batch atomically; a tuple that is not stored is skipped. */
  async delete(tuples: readonly RelationshipTuple[]): Promise<void> {
    if (!Array.isArray(tuples)) throw new TupleValidationError(-1, 'tuples must be an array');
    const keys = new Map<string, string[]>();
    tuples.forEach((tuple: RelationshipTuple, i) => {
      const error = tupleShapeError({ ...tuple, condition: undefined });
      if (error) throw new TupleValidationError(i, error);
      // An id PostgreSQL cannot hold names no stored tuple: nothing to delete.
      if (storable(tuple.object.id) && storable(tuple.subject.id)) {
        const key = keyOf(tuple);
        keys.set(JSON.stringify(key), key);
      }
    });
    if (keys.size > 0) await run(this.#db, this.#delete, columns([...keys.values()], 6));
  }

  async read(filter: TupleFilter): Promise<RelationshipTuple[]> {
    const params = tupleFilterColumns(filter);
    // A field that is not a string, or one PostgreSQL cannot hold, matches no stored tuple.
    if (!Object.values(params).every(storable)) return [];
    const present = KEY.filter((c) => c in params);
    const { rows } = await run<TupleRow>(
      this.#db,
      this.#statementFor(present),
      present.map((c) => params[c]),
    );
    return rows.map(fromRow);
  }

  async readTuple(
    object: ObjectRef,
    relation: string,
    subject: SubjectRef,
  ): Promise<RelationshipTuple | undefined> {
    const [answer] = await this.readBatch([{ kind: 'tuple', object, relation, subject }]);
    return answer?.[0];
  }

  async readUsersets(object: ObjectRef, relation: string): Promise<RelationshipTuple[]> {
    const [answer] = await this.readBatch([{ kind: 'usersets', object, relation }]);
    return answer ?? [];
  }

  async readRelation(object: ObjectRef, relation: string): Promise<RelationshipTuple[]> {
    const [answer] = await this.readBatch([{ kind: 'relation', object, relation }]);
    return answer ?? [];
  }

  /**
   * Answers every read with one query, merged with the other `readBatch` calls made before the
   * pending promise callbacks have run (see the module documentation). Each answer is a fresh
   * array; a failed query rejects every call merged into it.
   */
  readBatch(reads: readonly TupleRead[]): Promise<RelationshipTuple[][]> {
    if (!Array.isArray(reads) || !reads.every((r) => Object.hasOwn(KINDS, r?.kind))) {
      return Promise.reject(new TypeError('readBatch takes an array of reads'));
    }
    if (reads.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      if (this.#queued.length === 0) queueMicrotask(() => void this.#flush());
      this.#queued.push({ reads, resolve, reject });
    });
  }

  /** Sends the queued reads as one query and hands each caller its answers. */
  async #flush(): Promise<void> {
    const queued = this.#queued;
    this.#queued = [];
    try {
      const plan = new ReadPlan();
      const slots = queued.map(({ reads }) => reads.map((read) => plan.add(read)));
      const found = Array.from({ length: plan.size }, (): RelationshipTuple[] => []);
      if (plan.size > 0) {
        const { rows } = await run<TupleRow>(this.#db, this.#readBatch, plan.values());
        for (const row of rows) found[row.slot!]!.push(fromRow(row));
      }
      queued.forEach(({ resolve }, i) => {
        resolve(slots[i]!.map((slot) => (slot < 0 ? [] : [...found[slot]!])));
      });
    } catch (error) {
      for (const { reject } of queued) reject(error);
    }
  }

  /** The statement reading the tuples whose `present` columns equal `$1...`; SQL holds column names only. */
  #statementFor(present: readonly KeyColumn[]): { name: string; text: string } {
    const shape = present.join(',');
    let statement = this.#readByShape.get(shape);
    if (statement === undefined) {
      const where =
        present.length === 0 ? '' : ` WHERE ${present.map((c, i) => `${c} = $${i + 1}`).join(' AND ')}`;
      statement = named(`SELECT ${COLUMNS} FROM ${this.#table}${where} ORDER BY ${PK}`);
      this.#readByShape.set(shape, statement);
    }
    return statement;
  }
}
