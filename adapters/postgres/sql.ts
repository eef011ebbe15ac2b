/**
 * What every PostgreSQL repository of gatehouse shares: the connection it queries through, table
 * names qualified by the configured schema, named (prepared) statements, and the mapping of
 * PostgreSQL errors that the repository contract gives a meaning to.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { Pool, QueryConfig, QueryResult, QueryResultRow } from 'pg';

/**
 * Anything that runs a query: a `pg.Pool` (the usual case: each query borrows a connection), a
 * `pg.PoolClient` or a `pg.Client` (for instance one inside a transaction of your own).
 */
export interface Queryable {
  /** Runs one parameterized statement (`pg`'s `Pool#query` and `Client#query` have this shape). */
  query<R extends QueryResultRow = QueryResultRow>(config: QueryConfig<unknown[]>): Promise<QueryResult<R>>;
}

/** The schema gatehouse's tables live in unless another is named. */
export const DEFAULT_POSTGRES_SCHEMA = 'gatehouse';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Checks a schema name and returns it quoted for SQL. Only lower-case letters, digits and `_`
 * (starting with a letter or `_`, at most 63 characters): names that need no quoting rules to be
 * read the same by every tool, and can never carry SQL.
 *
 * @throws TypeError for any other name.
 */
export function quoteSchema(schema: string): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new TypeError(
      `gatehouse postgres: schema must match ${SCHEMA_NAME} (lower-case letters, digits, _), got ${JSON.stringify(schema)}`,
    );
  }
  return `"${schema}"`;
}

/**
 * A named statement: PostgreSQL parses and plans it once per connection and reuses the plan. The
 * name is derived from the text, so two texts never share a name (a schema is part of the text).
 */
export function named(text: string): { readonly name: string; readonly text: string } {
  return { name: `gatehouse_${createHash('sha256').update(text).digest('base64url').slice(0, 20)}`, text };
}

/** Runs a named statement with `values`. */
export function run<R extends QueryResultRow>(
  db: Queryable,
  statement: { readonly name: string; readonly text: string },
  values: readonly unknown[],
): Promise<QueryResult<R>> {
  return db.query<R>({ name: statement.name, text: statement.text, values: values as unknown[] });
}

/** True for a unique-constraint violation (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}

/**
 * True when `value` holds a NUL character, which no PostgreSQL `text` value can. A lookup of such a
 * string can match nothing, so the repositories answer "not found" instead of sending it.
 */
export function hasNul(value: string): boolean {
  return value.includes('\u0000');
}

/** A `timestamptz` column as a `Date` (pg already returns `Date` for it), or `null`. */
export function dateOrNull(value: Date | null): Date | null {
  return value === null ? null : new Date(value.getTime());
}

/** The canonical form of a UUID (lower-case, hyphenated), as `users.id` and `linked_identities.id` hold them. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True when `id` is a canonical UUID; any other string can match no `uuid` column. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/**
 * A `pg.Pool`, or anything with its `query()` and `connect()`. The repositories whose operations
 * take several statements ({@link PostgresApiKeyRepository}, `PostgresMfaRepository`) need one:
 * they run those statements in a transaction on one connection borrowed from the pool. A single
 * `pg.Client` will not do, since its `BEGIN`/`COMMIT` would interleave with other calls.
 */
export type PostgresPool = Queryable & Pick<Pool, 'connect'>;

const ADVISORY_LOCK = named('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))');

/**
 * Runs `work` in a transaction on one connection of `pool`, holding a transaction-level advisory
 * lock on `key` (any text; it is hashed to PostgreSQL's 64-bit lock space) from before the first
 * statement of `work` until the commit. Callers with the same key run one after the other, and
 * each statement of `work` sees everything the previous holders committed. Any error rolls back
 * and is rethrown; a connection whose rollback fails is discarded rather than returned to the pool.
 */
export async function withAdvisoryLock<T>(
  pool: PostgresPool,
  key: string,
  work: (client: Queryable) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await run(client, ADVISORY_LOCK, [key]);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
