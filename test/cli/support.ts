/**
 * Runs the `gatehouse` command as a real process (`node --import tsx adapters/cli/main.ts`), the
 * way the bin runs it, and collects its exit status and output.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The bin's source. */
export const CLI = fileURLToPath(new URL('../../adapters/cli/main.ts', import.meta.url));
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link cli}. */
export interface CliOptions {
  /** Replaces DATABASE_URL (absent unless given). */
  readonly DATABASE_URL?: string;
  /** Modules node preloads after tsx (`--import`), e.g. a resolve hook. */
  readonly preload?: readonly string[];
}

/** Runs the CLI with `args`. */
export function cli(args: readonly string[], options: CliOptions = {}): Promise<Run> {
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = { ...inherited, NO_COLOR: '1' };
  if (options.DATABASE_URL !== undefined) env.DATABASE_URL = options.DATABASE_URL;
  const preload = (options.preload ?? []).flatMap((module) => ['--import', module]);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...preload, CLI, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
