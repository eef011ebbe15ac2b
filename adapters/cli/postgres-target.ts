/**
 * The PostgreSQL target of a command: `--database-url` (or `$DATABASE_URL`) checked to be a
 * postgres URL, the secrets in it (to redact), the URL as it may be shown, `--schema` checked, and
 * a one-connection pool. `pg` is an optional peer: it is loaded only when a command connects.
 *
 * @module
 */
import type { Pool } from 'pg';
import { DEFAULT_POSTGRES_SCHEMA, quoteSchema } from '../postgres/sql.js';
import { isMissingPackage, UsageError } from './io.js';

/** What `--database-url` (or `DATABASE_URL`) names, checked: a postgres URL, and its secrets. */
export interface PostgresTarget {
  readonly connectionString: string;
  /** The URL without password or query, to tell the operator which database is used. */
  readonly shown: string;
  readonly secrets: readonly string[];
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Checks `raw` (named `source` in messages); a bad one is a {@link UsageError}. */
export function parsePostgresTarget(raw: string, source: string): PostgresTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${source} is not a URL (expected postgres://user:password@host:5432/database)`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new UsageError(`${source} must be a postgres:// or postgresql:// URL, not ${url.protocol}//`);
  }
  const secrets = [url.password, url.searchParams.get('password') ?? ''].filter((s) => s !== '');
  for (const secret of [...secrets]) {
    const decoded = safeDecode(secret);
    // constant-time-exempt: which spellings of the password to redact from output, not a check of it.
    if (decoded !== secret) secrets.push(decoded);
  }
  const user = url.username === '' ? '' : `${url.username}@`;
  return { connectionString: raw, shown: `${url.protocol}//${user}${url.host}${url.pathname}`, secrets };
}

/**
 * The target of `--database-url`, or of `$DATABASE_URL` when the flag is absent; `undefined` when
 * neither is given.
 */
export function postgresTargetOf(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): PostgresTarget | undefined {
  const raw = flag ?? env.DATABASE_URL;
  if (raw === undefined || raw === '') return undefined;
  return parsePostgresTarget(raw, flag === undefined ? 'DATABASE_URL' : '--database-url');
}

/** `--schema` checked (default `gatehouse`); a name that would need quoting is a {@link UsageError}. */
export function schemaOf(value: string | undefined): string {
  const schema = value ?? DEFAULT_POSTGRES_SCHEMA;
  try {
    quoteSchema(schema);
  } catch {
    throw new UsageError(
      `--schema must be lower-case letters, digits and _ (starting with a letter or _, at most 63 characters), got ${JSON.stringify(schema)}`,
    );
  }
  return schema;
}

/** A pool of one connection to `target`, named `applicationName` in `pg_stat_activity`. */
export async function connectPostgres(target: PostgresTarget, applicationName: string): Promise<Pool> {
  let pg: typeof import('pg').default;
  try {
    // Loaded here, not at the top: pg is an optional peer; without it the command says so.
    ({ default: pg } = await import('pg'));
  } catch (error) {
    if (isMissingPackage(error, 'pg')) throw new Error('the pg package is not installed: npm install pg@8');
    throw error;
  }
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max: 1,
    connectionTimeoutMillis: 10_000,
    application_name: applicationName,
  });
  // A connection that fails while idle is discarded; without a listener it would end the process.
  pool.on('error', () => undefined);
  return pool;
}
