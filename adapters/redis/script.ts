/**
 * Lua scripts run by SHA-1, so that each call sends the script's digest rather than its source.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from './client.js';

/** Whether `error` is Redis' reply to an `EVALSHA` of a script it does not hold. */
function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * A Lua script (atomic on the server: no other command runs while it does). {@link LuaScript.run}
 * sends `EVALSHA` and falls back to `EVAL` (which also caches the script) when the server answers
 * `NOSCRIPT`: the first use on a server, after a restart or a failover, after `SCRIPT FLUSH`. So a
 * call is one round trip, two on those occasions.
 */
export class LuaScript {
  readonly #source: string;
  /** The script's SHA-1, hex, as `EVALSHA` wants it. */
  readonly sha: string;

  constructor(source: string) {
    this.#source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * Runs the script with `KEYS` = `keys` and `ARGV` = `args` and returns its raw reply. In Redis
   * Cluster all `keys` must share a hash slot (see `keys.ts`).
   */
  async run(client: RedisClient, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await client.sendCommand(['EVALSHA', this.sha, ...tail]);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return client.sendCommand(['EVAL', this.#source, ...tail]);
    }
  }
}
