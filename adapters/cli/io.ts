/**
 * What every subcommand of the `gatehouse` command shares: where it writes, its exit statuses,
 * usage errors, one-line error descriptions, and the redaction of credentials from everything it
 * prints.
 *
 * @module
 */

/** Where a command writes and what environment it reads: `process`'s, or a test's. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Exit status: the command did what it was asked (including "nothing to do"). */
export const EXIT_OK = 0;
/** Exit status: the command line was fine but the work failed (database unreachable, no such user, ...). */
export const EXIT_FAILURE = 1;
/** Exit status: the command line was wrong; nothing was attempted. */
export const EXIT_USAGE = 2;

/** A mistake on the command line: reported with exit status {@link EXIT_USAGE}. */
export class UsageError extends Error {}

/** A {@link UsageError}, or one of `parseArgs`' (unknown option, missing value, stray argument). */
export function isUsageError(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

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

/** A one-line description of a failure, without stack; pg's SQLSTATE when there is one. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    // Connecting to a name with several addresses (localhost: ::1 and 127.0.0.1) fails with each.
    return [...new Set(error.errors.map(describeError))].join('; ');
  }
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message === '' ? error.name : error.message;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Whether `error` says that the optional peer `name` is not installed (an `import()` of it, or of a
 * module importing it, found no such package), so a command can say which package to install.
 */
export function isMissingPackage(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    (message.includes(`'${name}'`) || message.includes(`"${name}"`))
  );
}

/** What a command prints with, bound to the secrets of its target (see {@link redactCredentials}). */
export interface Printer {
  /** Writes `text` to stdout, redacted. */
  out(text: string): void;
  /** Writes `<command>: failed: <reason>` to stderr, redacted; returns {@link EXIT_FAILURE}. */
  failed(reason: string): number;
}

/** A {@link Printer} for `command` (e.g. `gatehouse migrate`) that redacts `secrets`. */
export function printer(io: CliIo, command: string, secrets: readonly string[]): Printer {
  return {
    out: (text) => {
      io.stdout.write(redactCredentials(text, secrets));
    },
    failed: (reason) => {
      io.stderr.write(redactCredentials(`${command}: failed: ${reason}\n`, secrets));
      return EXIT_FAILURE;
    },
  };
}
