/**
 * A throw-away PostgreSQL server for tests: `initdb` into a temporary folder and `pg_ctl start` on
 * a loopback port of its own, trust authentication, no fsync. The server binaries refuse to run as
 * root, so as root they run as the `postgres` user (`runuser -u postgres --`) on a folder it owns.
 * The fault tests restart and stop it; everything else shares one server per test run.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const exec = promisify(execFile);

export interface PostgresServer {
  readonly url: string;
  readonly port: number;
  /** Stops the server (fast shutdown: open connections are terminated). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data folder. */
  start(): Promise<void>;
  /** Stops it and deletes its data folder. */
  destroy(): Promise<void>;
}

interface PostgresUser {
  readonly uid: number;
  readonly gid: number;
}

async function postgresUser(): Promise<PostgresUser | null> {
  if (process.getuid?.() !== 0) return null;
  const { stdout: uid } = await exec('id', ['-u', 'postgres']);
  const { stdout: gid } = await exec('id', ['-g', 'postgres']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** Runs a PostgreSQL binary, as the `postgres` user when we are root. */
function runAs(user: PostgresUser | null, command: string, args: string[]) {
  return user === null ? exec(command, args) : exec('runuser', ['-u', 'postgres', '--', command, ...args]);
}

/** True when `initdb` and `pg_ctl` can be run here. */
export async function postgresBinariesAvailable(): Promise<boolean> {
  try {
    await exec('initdb', ['--version']);
    await exec('pg_ctl', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** Creates, starts and returns a new server. */
export async function startPostgresServer(): Promise<PostgresServer> {
  const user = await postgresUser();
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  const data = join(root, 'data');
  if (user !== null) {
    chmodSync(root, 0o755);
    chownSync(root, user.uid, user.gid);
  }
  const port = await freePort();
  await runAs(user, 'initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const options = [
    `-p ${port}`,
    "-c listen_addresses='127.0.0.1'",
    `-c unix_socket_directories='${root}'`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=300',
  ].join(' ');
  const start = async () => {
    await runAs(user, 'pg_ctl', [
      '-D',
      data,
      '-l',
      join(root, 'log'),
      '-w',
      '-t',
      '60',
      '-o',
      options,
      'start',
    ]);
  };
  const stop = async () => {
    if (existsSync(join(data, 'postmaster.pid'))) {
      await runAs(user, 'pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop']);
    }
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    async destroy() {
      await stop().catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
