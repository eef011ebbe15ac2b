/**
 * `gatehouse migrate`: applies the PostgreSQL store's migrations from a deploy step, so the
 * application itself can run with `migrate: false` under a role that may not change the schema.
 * The work is {@link migratePostgres}'s (one transaction under an advisory lock: any number of
 * concurrent runs apply each migration once); this module parses the options, connects, and
 * reports.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import type { Pool } from 'pg';
import { migratePostgres, pendingPostgresMigrations } from '../postgres/migrations.js';
import { DEFAULT_POSTGRES_SCHEMA } from '../postgres/sql.js';
import { type CliIo, describeError, EXIT_OK, printer, UsageError } from './io.js';
import { connectPostgres, postgresTargetOf, schemaOf } from './postgres-target.js';

/** One line for `gatehouse --help`. */
export const MIGRATE_SUMMARY = "Bring gatehouse's PostgreSQL schema up to this release's version";

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

/** Runs `gatehouse migrate <args>`; throws a usage error for a wrong command line. */
export async function migrateCommand(args: readonly string[], io: CliIo): Promise<number> {
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
  const target = postgresTargetOf(values['database-url'], io.env);
  if (target === undefined) {
    throw new UsageError('no database given: pass --database-url <url> or set DATABASE_URL');
  }
  const schema = schemaOf(values.schema);

  const { out: print, failed } = printer(io, 'gatehouse migrate', target.secrets);
  let pool: Pool;
  try {
    pool = await connectPostgres(target, 'gatehouse migrate');
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
