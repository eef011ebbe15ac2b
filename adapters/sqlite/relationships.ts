/**
 * {@link RelationshipStore} on SQLite (better-sqlite3): the `relationships` table (migration 3).
 * The statements of checks (`readTuple`, `readUsersets`, `readRelation`, and `readTuples` for role
 * unions), `write` and `delete` are prepared once; `read` prepares one statement per filter shape
 * (which fields are present, at most a few dozen) on first use and reuses it. Values are always
 * bound parameters, so ids holding `:`, `#`, `%`, `_`, quotes or SQL are stored and matched verbatim.
 *
 * better-sqlite3 is synchronous, so the check reads are also offered without a promise, as
 * {@link SqliteRelationshipStore.sync}: the evaluator then walks the relation graph in one go
 * (`checkSync` works too) instead of fetching reads in rounds. The async reads are the sync ones
 * wrapped in a promise, so both answer alike by construction; `readBatch` answers many reads
 * (a breadth-first level of a list query) in one call with the same statements. Rows come back as
 * arrays (`raw` statements), which costs less than an object per row.
 *
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledModel } from '../../src/policy/model.js';
import {
  answerBatch,
  type ObjectRef,
  type RelationshipStore,
  type RelationshipTuple,
  type SubjectRef,
  type SyncTupleReader,
  type TupleFilter,
  type TupleRead,
  TupleValidationError,
  tupleModelError,
  tupleShapeError,
} from '../../src/policy/relationship-store.js';
import { tupleFilterColumns } from '../../src/storage/tuple-columns.js';

/** The primary key of a tuple; `subject_relation` is `''` for a plain subject. */
interface KeyParams {
  object_type: string;
  object_id: string;
  relation: string;
  subject_type: string;
  subject_id: string;
  subject_relation: string;
}

interface WriteParams extends KeyParams {
  condition_name: string | null;
  condition_context: string | null;
  created_at: number;
}

/** Positional parameters of the check reads: object type, object id, relation. */
type ObjectRelationArgs = [objectType: string, objectId: string, relation: string];
/** ... then subject type, subject id, subject relation (`''` for a plain subject). */
type TupleArgs = [...ObjectRelationArgs, subjectType: string, subjectId: string, subjectRelation: string];
/** Object, a JSON array of relation names, then the subject as in {@link TupleArgs}. */
type TuplesArgs = [
  objectType: string,
  objectId: string,
  relations: string,
  subjectType: string,
  subjectId: string,
  subjectRelation: string,
];

type FilterParams = Partial<Record<keyof KeyParams, string>>;

const COLUMNS =
  'object_type, object_id, relation, subject_type, subject_id, subject_relation, condition_name, condition_context';

const OBJECT_RELATION = 'object_type = @object_type AND object_id = @object_id AND relation = @relation';
// The check reads bind positionally (cheaper than an object per call).
const OBJECT_RELATION_ARGS = 'object_type = ? AND object_id = ? AND relation = ?';
const SUBJECT_ARGS = 'subject_type = ? AND subject_id = ? AND subject_relation = ?';
/** The primary key's order within one object (the index the check reads use, so no sort step). */
const KEY_ORDER = 'relation, subject_type, subject_id, subject_relation';

/** Options of {@link SqliteRelationshipStore}. */
export interface SqliteRelationshipStoreOptions {
  /** When given, every written tuple must satisfy this model's type restrictions. */
  readonly model?: CompiledModel;
}

function keyParams(tuple: RelationshipTuple): KeyParams {
  return {
    object_type: tuple.object.type,
    object_id: tuple.object.id,
    relation: tuple.relation,
    subject_type: tuple.subject.type,
    subject_id: tuple.subject.id,
    subject_relation: tuple.subject.relation ?? '',
  };
}

/** A row of the read statements, as an array (`raw` statements: no object per row). */
type RawRow = [
  objectType: string,
  objectId: string,
  relation: string,
  subjectType: string,
  subjectId: string,
  subjectRelation: string,
  conditionName: string | null,
  conditionContext: string | null,
];

function fromRaw(row: RawRow): RelationshipTuple {
  const [objectType, objectId, relation, subjectType, subjectId, subjectRelation, name, context] = row;
  const object = { type: objectType, id: objectId };
  const subject =
    subjectRelation === ''
      ? { type: subjectType, id: subjectId }
      : { type: subjectType, id: subjectId, relation: subjectRelation };
  if (name === null) return { object, relation, subject };
  const condition =
    context === null ? { name } : { name, context: JSON.parse(context) as Record<string, unknown> };
  return { object, relation, subject, condition };
}

/**
 * Serializes a condition context (already checked to be a non-null object) as the memory store
 * copies it: its own enumerable properties, as a plain object. Returns `undefined` when it cannot
 * be stored as JSON (a BigInt, a cycle, a throwing `toJSON`).
 */
function serializeContext(context: Readonly<Record<string, unknown>>): string | undefined {
  try {
    const json: unknown = JSON.stringify({ ...context });
    return typeof json === 'string' ? json : undefined;
  } catch {
    return undefined;
  }
}

const isString = (value: unknown): value is string => typeof value === 'string';

/**
 * {@link RelationshipStore} backed by the `relationships` table of a migrated database (see
 * `migrateSqliteDatabase`). Usually obtained as `relationships` of `createSqliteStore`.
 *
 * Same semantics as `MemoryRelationshipStore`: a batch is validated in full (shape, and the
 * model's type restrictions when constructed with `{ model }`) before anything is written, then
 * applied in one `BEGIN IMMEDIATE` transaction, so a bad tuple (or a failure half-way) leaves the
 * table unchanged and other connections see either none or all of a batch. Writing an existing
 * tuple replaces its condition; deleting ignores conditions and a missing tuple is a no-op. In
 * `read`, a filter `subject` with an id is one exact subject (no relation: the plain subject).
 * Condition contexts are stored as JSON, so they must be JSON-serializable (a context that is not
 * fails validation) and come back as JSON values (a `Date` becomes its ISO string).
 */
export class SqliteRelationshipStore implements RelationshipStore {
  readonly #db: BetterSqlite3.Database;
  readonly #model: CompiledModel | undefined;
  /**
   * The check reads without a promise (better-sqlite3 is synchronous): the evaluator's fast path,
   * so `check` runs without an `await` per step and `checkSync` is available. Same answers as
   * `readTuple`, `readUsersets` and `readRelation` (tuples as stored, conditions included; the
   * evaluator applies the model's type restrictions), plus `readTuples` for role unions. A read
   * on a closed database throws, which the evaluator turns into a `store_error` deny.
   */
  readonly sync: SyncTupleReader;
  /** The same reads, typed as what they are: fresh arrays, which the async reads hand out. */
  readonly #reads: CheckReads;
  readonly #readByShape = new Map<string, BetterSqlite3.Statement<[FilterParams], RawRow>>();
  readonly #writeBatch: (rows: readonly WriteParams[]) => void;
  readonly #deleteBatch: (keys: readonly KeyParams[]) => void;

  /** Prepares the statements against `db`, which must already hold the gatehouse schema (version 3+). */
  constructor(db: BetterSqlite3.Database, options: SqliteRelationshipStoreOptions = {}) {
    this.#db = db;
    this.#model = options.model;
    this.#reads = checkReads(db);
    this.sync = this.#reads;
    // Rewriting an existing tuple replaces its condition and keeps its created_at.
    const upsert = db.prepare<[WriteParams]>(
      `INSERT INTO relationships (${COLUMNS}, created_at)
       VALUES (@object_type, @object_id, @relation, @subject_type, @subject_id, @subject_relation,
               @condition_name, @condition_context, @created_at)
       ON CONFLICT (object_type, object_id, relation, subject_type, subject_id, subject_relation)
       DO UPDATE SET condition_name = excluded.condition_name, condition_context = excluded.condition_context`,
    );
    const remove = db.prepare<[KeyParams]>(
      `DELETE FROM relationships WHERE ${OBJECT_RELATION}
       AND subject_type = @subject_type AND subject_id = @subject_id AND subject_relation = @subject_relation`,
    );
    const writeBatch = db.transaction((rows: readonly WriteParams[]) => {
      for (const row of rows) upsert.run(row);
    });
    this.#writeBatch = (rows) => writeBatch.immediate(rows);
    const deleteBatch = db.transaction((keys: readonly KeyParams[]) => {
      for (const key of keys) remove.run(key);
    });
    this.#deleteBatch = (keys) => deleteBatch.immediate(keys);
  }

  /** Writes a batch atomically (all or none); an existing tuple gets the new condition. A tuple the model does not admit rejects the batch with `TupleValidationError`. */
  async write(tuples: readonly RelationshipTuple[]): Promise<void> {
    if (!Array.isArray(tuples)) throw new TupleValidationError(-1, 'tuples must be an array');
    const now = Date.now();
    const rows = tuples.map((tuple, i): WriteParams => {
      const error = this.#model ? tupleModelError(this.#model, tuple) : tupleShapeError(tuple);
      if (error) throw new TupleValidationError(i, error);
      let context: string | null = null;
      if (tuple.condition?.context !== undefined) {
        const json = serializeContext(tuple.condition.context);
        if (json === undefined)
          throw new TupleValidationError(i, 'condition context is not JSON-serializable');
        context = json;
      }
      return {
        ...keyParams(tuple),
        condition_name: tuple.condition?.name ?? null,
        condition_context: context,
        created_at: now,
      };
    });
    if (rows.length > 0) this.#writeBatch(rows);
  }

  /** Deletes a batch atomically; a tuple that is not stored is skipped. */
  async delete(tuples: readonly RelationshipTuple[]): Promise<void> {
    if (!Array.isArray(tuples)) throw new TupleValidationError(-1, 'tuples must be an array');
    const keys = tuples.map((tuple, i): KeyParams => {
      const error = tupleShapeError({ ...tuple, condition: undefined });
      if (error) throw new TupleValidationError(i, error);
      return keyParams(tuple);
    });
    if (keys.length > 0) this.#deleteBatch(keys);
  }

  async read(filter: TupleFilter): Promise<RelationshipTuple[]> {
    return this.#read(filter);
  }

  /**
   * Several reads at once, each answered as its individual read answers it (the same statements,
   * run one after the other without a promise each): the reverse queries read a whole
   * breadth-first level with one call.
   */
  async readBatch(reads: readonly TupleRead[]): Promise<RelationshipTuple[][]> {
    const r = this.#reads;
    return answerBatch(reads, {
      tuple: (object, relation, subject) => r.readTuple(object, relation, subject),
      usersets: (object, relation) => r.readUsersets(object, relation),
      relation: (object, relation) => r.readRelation(object, relation),
      subject: (subject) => this.#read({ subject }),
    });
  }

  #read(filter: TupleFilter): RelationshipTuple[] {
    const params = tupleFilterColumns(filter);
    // A field that is not a string matches no stored tuple (every column is TEXT).
    if (!Object.values(params).every(isString)) return [];
    return this.#statementFor(params as FilterParams)
      .all(params as FilterParams)
      .map(fromRaw);
  }

  async readTuple(
    object: ObjectRef,
    relation: string,
    subject: SubjectRef,
  ): Promise<RelationshipTuple | undefined> {
    return this.#reads.readTuple(object, relation, subject);
  }

  async readUsersets(object: ObjectRef, relation: string): Promise<RelationshipTuple[]> {
    return this.#reads.readUsersets(object, relation);
  }

  async readRelation(object: ObjectRef, relation: string): Promise<RelationshipTuple[]> {
    return this.#reads.readRelation(object, relation);
  }

  /** The statement for the set of fields present in `params`; the SQL holds column names only. */
  #statementFor(params: FilterParams): BetterSqlite3.Statement<[FilterParams], RawRow> {
    const columns = (Object.keys(params) as (keyof KeyParams)[]).sort();
    const shape = columns.join(',');
    let statement = this.#readByShape.get(shape);
    if (statement === undefined) {
      const where = columns.length === 0 ? '' : ` WHERE ${columns.map((c) => `${c} = @${c}`).join(' AND ')}`;
      statement = this.#db
        .prepare<[FilterParams], RawRow>(`SELECT ${COLUMNS} FROM relationships${where}`)
        .raw(true);
      this.#readByShape.set(shape, statement);
    }
    return statement;
  }
}

/** {@link SyncTupleReader} whose arrays are created per call (the caller may keep or change them). */
interface CheckReads extends SyncTupleReader {
  readUsersets(object: ObjectRef, relation: string): RelationshipTuple[];
  readRelation(object: ObjectRef, relation: string): RelationshipTuple[];
  readTuples(object: ObjectRef, relations: ReadonlySet<string>, subject: SubjectRef): RelationshipTuple[];
}

/**
 * Prepares the check reads on `db` once and answers them synchronously. `readTuples` matches the
 * relation against a JSON array of the names (`json_each`), so one statement serves unions of
 * any size; the primary key answers it like `readTuple`, one probe per name.
 */
function checkReads(db: BetterSqlite3.Database): CheckReads {
  // Rows as arrays (`raw`): a check makes several reads, and an object per row costs.
  const one = db
    .prepare<TupleArgs, RawRow>(
      `SELECT ${COLUMNS} FROM relationships WHERE ${OBJECT_RELATION_ARGS} AND ${SUBJECT_ARGS}`,
    )
    .raw(true);
  const usersets = db
    .prepare<ObjectRelationArgs, RawRow>(
      `SELECT ${COLUMNS} FROM relationships WHERE ${OBJECT_RELATION_ARGS} AND subject_relation <> ''
       ORDER BY ${KEY_ORDER}`,
    )
    .raw(true);
  const relation = db
    .prepare<ObjectRelationArgs, RawRow>(
      `SELECT ${COLUMNS} FROM relationships WHERE ${OBJECT_RELATION_ARGS} ORDER BY ${KEY_ORDER}`,
    )
    .raw(true);
  // Every tuple of one object, in primary-key order (so each relation's tuples come in the order
  // of `relation` above, which reads the same index); one row past the limit tells "too many".
  // The limit is part of the SQL (a bound LIMIT plans worse); one statement per limit asked for.
  const objectByLimit = new Map<number, BetterSqlite3.Statement<[string, string], RawRow>>();
  const object = (limit: number) => {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError('limit must be an integer ≥ 0');
    let statement = objectByLimit.get(limit);
    if (!statement) {
      statement = db
        .prepare<[string, string], RawRow>(
          `SELECT ${COLUMNS} FROM relationships WHERE object_type = ? AND object_id = ?
           ORDER BY ${KEY_ORDER} LIMIT ${limit + 1}`,
        )
        .raw(true);
      objectByLimit.set(limit, statement);
    }
    return statement;
  };
  const many = db
    .prepare<TuplesArgs, RawRow>(
      `SELECT ${COLUMNS} FROM relationships WHERE object_type = ? AND object_id = ?
       AND relation IN (SELECT value FROM json_each(?)) AND ${SUBJECT_ARGS}`,
    )
    .raw(true);
  return {
    readTuple(object, rel, subject) {
      const row = one.get(object.type, object.id, rel, subject.type, subject.id, subject.relation ?? '');
      return row ? fromRaw(row) : undefined;
    },
    readUsersets: (object, rel) => usersets.all(object.type, object.id, rel).map(fromRaw),
    readRelation: (object, rel) => relation.all(object.type, object.id, rel).map(fromRaw),
    readObject(target, limit) {
      const rows = object(limit).all(target.type, target.id);
      return rows.length > limit ? undefined : rows.map(fromRaw);
    },
    readTuples(object, relations, subject) {
      if (relations.size === 0) return [];
      const names = JSON.stringify([...relations]);
      return many
        .all(object.type, object.id, names, subject.type, subject.id, subject.relation ?? '')
        .map(fromRaw);
    },
  };
}
