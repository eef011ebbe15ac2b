/**
 * How the SQL relationship stores (SQLite, PostgreSQL) lay a tuple out: six key columns, with
 * `subject_relation` `''` for a plain subject (type and relation names are never empty), so that the
 * primary key covers every tuple.
 *
 * @module
 */
import type { TupleFilter } from '../policy/relationship-store.js';

/** The key columns of a relationship table, in primary-key order. */
export const TUPLE_KEY_COLUMNS = [
  'object_type',
  'object_id',
  'relation',
  'subject_type',
  'subject_id',
  'subject_relation',
] as const;

/** One key column. */
export type TupleKeyColumn = (typeof TUPLE_KEY_COLUMNS)[number];

/**
 * The column values a {@link TupleFilter} asks for. A subject with an id is one exact subject
 * (without a relation, the plain subject, never its usersets), as in the memory store and the
 * reverse lookups that rely on it; a subject with the type alone and no relation matches any.
 * Values are returned as given (possibly not strings): the store decides that a value it cannot
 * hold matches nothing.
 */
export function tupleFilterColumns(
  filter: TupleFilter | undefined,
): Partial<Record<TupleKeyColumn, unknown>> {
  const { object, relation, subject } = filter ?? {};
  const columns: Partial<Record<TupleKeyColumn, unknown>> = {};
  if (object !== undefined) {
    columns.object_type = object.type;
    if (object.id !== undefined) columns.object_id = object.id;
  }
  if (relation !== undefined) columns.relation = relation;
  if (subject !== undefined) {
    columns.subject_type = subject.type;
    if (subject.id !== undefined) {
      columns.subject_id = subject.id;
      columns.subject_relation = subject.relation ?? '';
    } else if (subject.relation !== undefined) {
      columns.subject_relation = subject.relation;
    }
  }
  return columns;
}
