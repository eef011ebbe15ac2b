/**
 * {@link StateStore} on Redis: one string per value, `<expiresAt ms or nothing>:<value>`, so that
 * each operation is one native command (`SET`, `GET`, `GETDEL`, `DEL`). `take` is a `GETDEL`:
 * of any number of concurrent takes of one key, from any instance, exactly one gets the value.
 *
 * @module
 */
import type { StateStore } from '../../src/storage/types.js';
import type { RedisClient } from './client.js';
import { expiryTtlMs } from './expiry.js';
import { checkPrefix, DEFAULT_REDIS_PREFIX, escapeGlob, stateKey } from './keys.js';
import { replyInteger, replyText } from './reply.js';
import { scanKeys } from './scan.js';
import { LuaScript } from './script.js';

/**
 * KEYS[1] a state key; ARGV[1] now (ms). Deletes the value when its expiry is at or before now;
 * reads only the head of the string (an expiry is at most 17 characters before the `:`).
 */
const DELETE_IF_EXPIRED = new LuaScript(`
local head = redis.call('GETRANGE', KEYS[1], 0, 24)
local colon = string.find(head, ':', 1, true)
if not colon or colon == 1 then return 0 end
local e = tonumber(string.sub(head, 1, colon - 1))
if e and e <= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`);

interface StoredState {
  readonly value: string;
  /** Epoch ms, or `null`: never expires. */
  readonly expiresAt: number | null;
}

/** Parses a stored string; anything not written by this store is an error (fail closed). */
function parse(stored: string): StoredState {
  const colon = stored.indexOf(':');
  const head = stored.slice(0, Math.max(colon, 0));
  if (colon < 0 || !/^(-?\d+)?$/.test(head)) throw new TypeError('gatehouse redis: malformed state value');
  return { value: stored.slice(colon + 1), expiresAt: head === '' ? null : Number(head) };
}

/** The value of `stored` (a reply), or `null` when there is none or it has expired at `now`. */
function liveValue(stored: unknown, now: Date): string | null {
  const text = replyText(stored);
  if (text === null) return null;
  const { value, expiresAt } = parse(text);
  return expiresAt === null || expiresAt > now.getTime() ? value : null;
}

/**
 * {@link StateStore} on Redis (node-redis v5). Expiry is decided from the `now` callers pass and
 * the `expiresAt` stored with the value; Redis drops a key {@link expiryTtlMs | a grace period}
 * after its `expiresAt` (garbage collection only: an expired value is never returned), so
 * {@link RedisStateStore.deleteExpired} need not be scheduled. Values without an expiry stay
 * until deleted. Keys are `<prefix>s:<key>`; needs Redis 6.2 or later (`GETDEL`).
 */
export class RedisStateStore implements StateStore {
  readonly #client: RedisClient;
  readonly #prefix: string;

  /**
   * `client` is a connected node-redis v5 client; `prefix` starts every key (default
   * `gatehouse:`; no `{` or `}`).
   *
   * @throws ConfigError for a prefix with a brace.
   */
  constructor(client: RedisClient, prefix: string = DEFAULT_REDIS_PREFIX) {
    this.#client = client;
    this.#prefix = checkPrefix(prefix);
  }

  async set(key: string, value: string, expiresAt: Date | null): Promise<void> {
    const end = expiresAt === null ? null : expiresAt.getTime();
    const args = ['SET', stateKey(this.#prefix, key), `${end ?? ''}:${value}`];
    // Without PX, SET also removes a TTL the previous value had.
    if (end !== null) args.push('PX', String(expiryTtlMs(end)));
    await this.#client.sendCommand(args);
  }

  async get(key: string, now: Date): Promise<string | null> {
    return liveValue(await this.#client.sendCommand(['GET', stateKey(this.#prefix, key)]), now);
  }

  async take(key: string, now: Date): Promise<string | null> {
    return liveValue(await this.#client.sendCommand(['GETDEL', stateKey(this.#prefix, key)]), now);
  }

  async delete(key: string): Promise<boolean> {
    return replyInteger(await this.#client.sendCommand(['DEL', stateKey(this.#prefix, key)])) > 0;
  }

  /**
   * Walks the keys under `<prefix>s:<prefix argument>` with `SCAN` (the argument's glob characters
   * escaped: it matches literally) and deletes them. Not atomic: a key written under the prefix
   * during the walk may survive. Costs a walk of the whole database (`SCAN` filters after reading).
   */
  async deleteByPrefix(prefix: string): Promise<number> {
    let deleted = 0;
    for await (const keys of scanKeys(this.#client, `${escapeGlob(stateKey(this.#prefix, prefix))}*`)) {
      const replies = await Promise.all(keys.map((key) => this.#client.sendCommand(['DEL', key])));
      for (const reply of replies) deleted += replyInteger(reply);
    }
    return deleted;
  }

  /**
   * Walks this store's keys with `SCAN` and deletes, each atomically with its check, the values
   * expired at or before `now`. Redis drops expired keys by itself, so there is no need to run
   * this periodically; it costs a walk of the whole database.
   */
  async deleteExpired(now: Date): Promise<number> {
    let deleted = 0;
    const at = String(now.getTime());
    for await (const keys of scanKeys(this.#client, `${escapeGlob(stateKey(this.#prefix, ''))}*`)) {
      const replies = await Promise.all(keys.map((key) => DELETE_IF_EXPIRED.run(this.#client, [key], [at])));
      for (const reply of replies) deleted += replyInteger(reply);
    }
    return deleted;
  }
}
