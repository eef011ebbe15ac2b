/**
 * `gatehouse set-role`: sets the role of an existing user, found by email, in a PostgreSQL or
 * SQLite store. This is how the first administrator is made: register the account as usual, then
 * run `gatehouse set-role --email <email> --role ADMIN` from a shell that can reach the database.
 * Every later role change can go through `gatehouse.account.setRole` behind an administrator check.
 *
 * The change is the same flow as `setRole` (`src/auth/role-change.ts`): the role's form is checked
 * (the command cannot see the application's `authorization.roles`), the `user.role_changed` event
 * is printed as one JSON line, the record `subscribeJsonLines` writes (what changed, for whom,
 * when: OWASP ASVS v5 16.2.1 and 16.3.3; the Logging Vocabulary's `authz_change`), for the deploy
 * log to keep, and `--revoke-sessions` ends every session of the user.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { subscribeJsonLines } from '../../src/audit/json-lines.js';
import { canonicalEmail, emailIssues } from '../../src/auth/identity.js';
import { changeRole, checkRole } from '../../src/auth/role-change.js';
import { SecurityEvents } from '../../src/events.js';
import { storeCall } from '../../src/storage/store-call.js';
import { DEFAULT_POSTGRES_SCHEMA } from '../postgres/sql.js';
import { type CliIo, describeError, EXIT_OK, printer, UsageError } from './io.js';
import { postgresTargetOf, schemaOf } from './postgres-target.js';
import {
  DEFAULT_NOTIFY_CHANNEL,
  NOTIFY_CHANNEL,
  type OpenedStore,
  openPostgres,
  openSqlite,
} from './stores.js';

/** One line for `gatehouse --help`. */
export const SET_ROLE_SUMMARY = 'Set the role of an existing user (e.g. make the first ADMIN)';

const SET_ROLE_HELP = `Usage: gatehouse set-role --email <email> --role <ROLE>
         (--database-url <url> [--schema <name>] | --sqlite <file>) [--revoke-sessions]

Sets the role of the user with this email and prints what it did, with the user.role_changed
audit record as one JSON line. The account must exist: register it first. This is how the first
administrator is made; later changes can use gatehouse.account.setRole in the application.

Options:
  --email <email>         The user's email (matched case-insensitively, as at login)
  --role <ROLE>           The new role: a letter or _, then letters, digits, _ or -, at most 64.
                          This command does not read the application's configuration, so it cannot
                          check the role against authorization.roles: spell it as defined there.
  --database-url <url>    PostgreSQL store: postgres:// or postgresql:// connection string;
                          default: $DATABASE_URL. Prefer the variable: command-line arguments are
                          visible to other users. The schema must be migrated (gatehouse migrate).
  --schema <name>         Schema of gatehouse's tables; default: ${DEFAULT_POSTGRES_SCHEMA}
  --notify-channel <name> Where running instances listen for cache invalidations
                          (tokens.recordCache on PostgreSQL); default: ${DEFAULT_NOTIFY_CHANNEL}
  --sqlite <file>         SQLite store: the application's existing database file
  --revoke-sessions       Also end every session of the user (e.g. a demotion after a compromise)
  -h, --help              Show this help

The new role applies from the user's next request, on every session; with --revoke-sessions the
user must sign in again.

Exit status: 0 done (or the user already had the role), 1 failed (no such user, database
unreachable or not migrated; nothing changed), 2 usage error.
`;

/** Runs `gatehouse set-role <args>`; throws a usage error for a wrong command line. */
export async function setRoleCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      email: { type: 'string' },
      role: { type: 'string' },
      'database-url': { type: 'string' },
      schema: { type: 'string' },
      'notify-channel': { type: 'string' },
      sqlite: { type: 'string' },
      'revoke-sessions': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.stdout.write(SET_ROLE_HELP);
    return EXIT_OK;
  }
  if (values.email === undefined) throw new UsageError('--email <email> is required');
  if (emailIssues(values.email).length > 0) {
    throw new UsageError(`--email is not a valid address: ${JSON.stringify(values.email)}`);
  }
  const email = canonicalEmail(values.email);
  if (values.role === undefined) throw new UsageError('--role <ROLE> is required');
  try {
    checkRole(values.role, undefined);
  } catch {
    throw new UsageError(
      `--role must be a letter or _, then letters, digits, _ or - (at most 64 characters), got ${JSON.stringify(values.role)}`,
    );
  }
  const role = values.role;
  const open = storeOpener(values, io);

  const { out: print, failed } = printer(io, 'gatehouse set-role', open.secrets);
  let opened: OpenedStore;
  try {
    opened = await open.run();
  } catch (error) {
    return failed(describeError(error));
  }
  try {
    print(`gatehouse set-role: ${opened.shown}\n`);
    const { store } = opened;
    const user = await storeCall(() => store.users.findByEmail(email));
    if (!user) return failed(`no user with email ${email}; nothing changed (register the account first)`);
    const events = new SecurityEvents();
    const records: string[] = [];
    subscribeJsonLines(events, (line) => records.push(line));
    const clock = () => new Date();
    const revokeSessions = values['revoke-sessions'] === true;
    const deps = {
      users: store.users,
      revokeAllForUser: (id: string) => storeCall(() => store.tokens.revokeAllForUser(id, clock())),
      events,
      clock,
      via: 'cli' as const,
    };
    const who = `${email} (user ${user.id})`;
    const change = await changeRole(deps, user.id, role, { revokeSessions });
    if (change.changed) print(`${who}: role ${change.from} -> ${change.to}\n`);
    else print(`${who} already has role ${change.to}: role not changed\n`);
    if (revokeSessions)
      print(`revoked ${change.revokedTokens} tokens: every session of the user has ended\n`);
    // Then the audit records, one JSON object per line, for the deploy log to keep.
    for (const record of records) print(record);
    return EXIT_OK;
  } catch (error) {
    return failed(describeError(error));
  } finally {
    await opened.close().catch(() => undefined);
  }
}

/** Which store the options name (a usage error unless exactly one), and the secrets to redact. */
function storeOpener(
  values: { 'database-url'?: string; schema?: string; 'notify-channel'?: string; sqlite?: string },
  io: CliIo,
): { readonly secrets: readonly string[]; run(): Promise<OpenedStore> } {
  const file = values.sqlite;
  if (file !== undefined) {
    if (values['database-url'] !== undefined) {
      throw new UsageError('give either --database-url or --sqlite, not both');
    }
    if (values.schema !== undefined || values['notify-channel'] !== undefined) {
      throw new UsageError(
        '--schema and --notify-channel are options of a PostgreSQL store, not of --sqlite',
      );
    }
    if (file === '') throw new UsageError('--sqlite needs a file name');
    return { secrets: [], run: () => openSqlite(file) };
  }
  const target = postgresTargetOf(values['database-url'], io.env);
  if (target === undefined) {
    throw new UsageError(
      'no store given: pass --database-url <url> (or set DATABASE_URL) or --sqlite <file>',
    );
  }
  const schema = schemaOf(values.schema);
  const channel = values['notify-channel'] ?? DEFAULT_NOTIFY_CHANNEL;
  if (!NOTIFY_CHANNEL.test(channel)) {
    throw new UsageError(
      `--notify-channel must be lower-case letters, digits and _ (at most 63), got ${JSON.stringify(channel)}`,
    );
  }
  return {
    secrets: target.secrets,
    run: () => openPostgres(target, schema, channel, 'gatehouse set-role'),
  };
}
