#!/usr/bin/env node
/**
 * The `gatehouse` command (the package's bin): `gatehouse <command> [options]`. This module only
 * dispatches; each subcommand lives in a module of its own (`migrate.ts`, `set-role.ts`) and the
 * shared plumbing in `io.ts`. Drivers are optional peers, loaded by the subcommand that needs them.
 *
 * Exit status, for every command: 0 done (or nothing to do), 1 the work failed, 2 usage error
 * (nothing attempted). Passwords in connection strings are never printed: everything written
 * goes through `redactCredentials` (an error message may quote a URL).
 *
 * @module
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type CliIo,
  describeError,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  isUsageError,
  redactCredentials,
  UsageError,
} from './io.js';
import { MIGRATE_SUMMARY, migrateCommand } from './migrate.js';
import { SET_ROLE_SUMMARY, setRoleCommand } from './set-role.js';

export { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, redactCredentials } from './io.js';

/** A subcommand: its line in `gatehouse --help`, and how to run it (usage errors are thrown). */
interface Command {
  readonly summary: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  migrate: { summary: MIGRATE_SUMMARY, run: migrateCommand },
  'set-role': { summary: SET_ROLE_SUMMARY, run: setRoleCommand },
};

const HELP = `Usage: gatehouse <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(10)}  ${command.summary}`)
  .join('\n')}

Options:
  -h, --help  Show this help

Run "gatehouse <command> --help" for the options of a command.
`;

/**
 * Runs the command line `argv` (without `node` and the script) and returns the exit status:
 * {@link EXIT_OK}, {@link EXIT_FAILURE} or {@link EXIT_USAGE}. Never throws; writes results to
 * `io.stdout` and problems to `io.stderr`, with credentials redacted.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  const command = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  try {
    if (name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    if (name === undefined) throw new UsageError('no command given');
    if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
    return await command.run(rest, io);
  } catch (error) {
    if (!isUsageError(error)) {
      io.stderr.write(redactCredentials(`gatehouse: failed: ${describeError(error)}\n`));
      return EXIT_FAILURE;
    }
    const help = command === undefined ? 'gatehouse --help' : `gatehouse ${name} --help`;
    const reason = error instanceof Error ? error.message : String(error);
    io.stderr.write(redactCredentials(`gatehouse: ${reason}\nRun "${help}" for usage.\n`));
    return EXIT_USAGE;
  }
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
