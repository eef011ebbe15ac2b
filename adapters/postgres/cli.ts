#!/usr/bin/env node
/**
 * The `gatehouse` command (`npx gatehouse migrate`): applies the PostgreSQL store's migrations from
 * a deploy step, so the application itself can run with `migrate: false` under a role that may not
 * change the schema. The work is {@link migratePostgres}'s (one transaction under an advisory lock:
 * any number of concurrent runs apply each migration once); this module parses the command line,
 * connects, and reports.
 *
 * Exit status: 0 done (or nothing to do), 1 the connection or a migration failed, 2 usage error.
 * The password of the connection string is never printed: the target is shown without it, and
 * everything written goes through {@link redactCredentials} (an error message may quote a URL).
 *
 * @module
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Pool } from 'pg';
import { migratePostgres, pendingPostgresMigrations } from './migrations.js';
import { DEFAULT_POSTGRES_SCHEMA, quoteSchema } from './sql.js';

/** Where {@link main} writes and what environment it reads: `process`'s, or a test's. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Exit status: the command did what it was asked (including "nothing to apply"). */
export const EXIT_OK = 0;
/** Exit status: the database could not be reached, or a migration failed (nothing was applied). */
export const EXIT_FAILURE = 1;
/** Exit status: the command line was wrong; nothing was attempted. */
export const EXIT_USAGE = 2;

const HELP = `Usage: gatehouse <command> [options]

Commands:
  migrate     Bring gatehouse's PostgreSQL schema up to this release's version

Options:
  -h, --help  Show this help

Run "gatehouse migrate --help" for the options of migrate.
`;

const MIGRATE_HELP = `Usage: gatehouse migrate [--database-url <url>] [--schema <name>] [--dry-run]

Applies the migrations this release of gatehouse needs to a PostgreSQL schema (created when
missing). They run in one transaction under an advisory lock: several deploy jobs or instances
may run it at once (each migration is applied once), and a failure leaves the schema as it was.

Options:
  --database-url <url>  postgres:// or postgresql:// connection string; default: $DATABASE_URL.
                        Prefer the variable: command-line arguments are visible to other users.
  --schema <name>       Schema of gatehouse's tables (lower-case letters, digits, _);
                        default: ${DEFAULT_POSTGRES_SCHEMA}
  --dry-run             Print the SQL that would run, and change nothing
  -h, --help            Show this help

Exit status: 0 done or nothing to do, 1 connection or migration failed, 2 usage error.
`;

/** A mistake on the command line: reported with exit status {@link EXIT_USAGE}. */
class UsageError extends Error {}

/**
 * `text` with the credentials of any URL in it replaced by `***` (the password of
 * `scheme://user:password@host`, and `password=` query parameters), and every literal `secret`
 * too. Passwords must never reach a terminal or a CI log (OWASP ASVS v4 7.1.1: no credentials in
 * logs).
 */
export function redactCredentials(text: string, secrets: readonly string[] = []): string {
  let out = text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):\S*@/gi, '$1:***@')
    .replace(/([?&]password=)[^&\s]*/gi, '$1***');
  for (const secret of secrets) {
    // Very short values would blank out ordinary words; the URL patterns above still apply.
    if (secret.length >= 4) out = out.replaceAll(secret, '***');
  }
  return out;
}

/** What `--database-url` (or `DATABASE_URL`) names, checked: a postgres URL, and its secrets. */
interface Target {
  readonly connectionString: string;
  /** The URL without password or query, to tell the operator which database is migrated. */
  readonly shown: string;
  readonly secrets: readonly string[];
}

function parseTarget(raw: string, source: string): Target {
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

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A one-line description of a failure, without stack; pg's SQLSTATE when there is one. */
function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    // Connecting to a name with several addresses (localhost: ::1 and 127.0.0.1) fails with each.
    return [...new Set(error.errors.map(describeError))].join('; ');
  }
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message === '' ? error.name : error.message;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

async function connect(target: Target): Promise<Pool> {
  let pg: typeof import('pg').default;
  try {
    // Loaded here, not at the top: pg is an optional peer; without it the command says so.
    ({ default: pg } = await import('pg'));
  } catch {
    throw new Error('the pg package is not installed: npm install pg@8');
  }
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max: 1,
    connectionTimeoutMillis: 10_000,
    application_name: 'gatehouse migrate',
  });
  // A connection that fails while idle is discarded; without a listener it would end the process.
  pool.on('error', () => undefined);
  return pool;
}

async function migrate(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      'database-url': { type: 'string' },
      schema: { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.stdout.write(MIGRATE_HELP);
    return EXIT_OK;
  }
  const flag = values['database-url'];
  const raw = flag ?? io.env.DATABASE_URL;
  if (raw === undefined || raw === '') {
    throw new UsageError('no database given: pass --database-url <url> or set DATABASE_URL');
  }
  const target = parseTarget(raw, flag === undefined ? 'DATABASE_URL' : '--database-url');
  const schema = values.schema ?? DEFAULT_POSTGRES_SCHEMA;
  try {
    quoteSchema(schema);
  } catch {
    throw new UsageError(
      `--schema must be lower-case letters, digits and _ (starting with a letter or _, at most 63 characters), got ${JSON.stringify(schema)}`,
    );
  }

  const print = (text: string) => io.stdout.write(redactCredentials(text, target.secrets));
  const failed = (reason: string) => {
    io.stderr.write(redactCredentials(`gatehouse migrate: failed: ${reason}\n`, target.secrets));
    return EXIT_FAILURE;
  };
  let pool: Pool;
  try {
    pool = await connect(target);
  } catch (error) {
    return failed(describeError(error));
  }
  try {
    if (values['dry-run']) {
      const plan = await pendingPostgresMigrations(pool, { schema });
      if (plan.from > plan.to) {
        return failed(
          `schema "${schema}" is at version ${plan.from}, newer than this release supports (${plan.to}); upgrade gatehouse`,
        );
      }
      if (plan.from === plan.to) {
        print(
          `-- gatehouse migrate --dry-run: schema "${schema}" on ${target.shown} is at version ${plan.to}\n`,
        );
        print('-- nothing to apply\n');
        return EXIT_OK;
      }
      print(
        `-- gatehouse migrate --dry-run: schema "${schema}" on ${target.shown}, version ${plan.from} -> ${plan.to}\n`,
      );
      print('-- nothing was run; this is the SQL that gatehouse migrate would run\n');
      print(plan.sql);
      return EXIT_OK;
    }
    print(`gatehouse migrate: schema "${schema}" on ${target.shown}\n`);
    const result = await migratePostgres(pool, { schema });
    if (result.applied.length === 0) {
      print(`already at version ${result.to}: nothing to apply\n`);
    } else {
      for (const step of result.applied) print(`applied migration ${step.version}: ${step.name}\n`);
      print(`now at version ${result.to} (was ${result.from})\n`);
    }
    return EXIT_OK;
  } catch (error) {
    return failed(describeError(error));
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/**
 * Runs the command line `argv` (without `node` and the script) and returns the exit status:
 * {@link EXIT_OK}, {@link EXIT_FAILURE} or {@link EXIT_USAGE}. Never throws; writes results to
 * `io.stdout` and problems to `io.stderr`, with credentials redacted.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === '--help' || command === '-h' || command === 'help') {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    if (command === undefined) throw new UsageError('no command given');
    if (command !== 'migrate') throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    return await migrate(rest, io);
  } catch (error) {
    if (!isUsageError(error)) {
      io.stderr.write(redactCredentials(`gatehouse: failed: ${describeError(error)}\n`));
      return EXIT_FAILURE;
    }
    const help = command === 'migrate' ? 'gatehouse migrate --help' : 'gatehouse --help';
    const reason = error instanceof Error ? error.message : String(error);
    io.stderr.write(redactCredentials(`gatehouse: ${reason}\nRun "${help}" for usage.\n`));
    return EXIT_USAGE;
  }
}

/** A {@link UsageError}, or one of `parseArgs`' (unknown option, missing value, stray argument). */
function isUsageError(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** True when this module is the script node was started with (the bin), not an import. */
function invokedAsScript(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (invokedAsScript()) {
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };
  main(process.argv.slice(2), io).then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      process.stderr.write(redactCredentials(`gatehouse: ${describeError(error)}\n`));
      process.exitCode = EXIT_FAILURE;
    },
  );
}
