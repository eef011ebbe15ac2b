/**
 * {@link CounterStore} on Redis. Each window is a hash `{ n: count, e: end (epoch ms) }` under the
 * key of `keys.ts`; each operation is one round trip: `get` one `HMGET`, `reset` one `DEL`,
 * `increment` and `hitSliding` one Lua script each, which reads and writes atomically on the
 * server, so that no concurrent hit is lost and no limit is overrun, whichever instance the hits
 * come from.
 *
 * @module
 */
import { counterWindowMs, slidingFrame } from '../../src/storage/counter-window.js';
import type { CounterStore, CounterValue, SlidingHit } from '../../src/storage/types.js';
import type { RedisClient } from './client.js';
import { expiryTtlMs } from './expiry.js';
import { checkPrefix, counterKey, DEFAULT_REDIS_PREFIX } from './keys.js';
import { replyArray, replyInteger, replyText } from './reply.js';
import { LuaScript } from './script.js';

// Numbers cross into Lua as decimal strings and are compared with tonumber (a double: exact for
// integers below 2^53, which counts and epoch milliseconds are). A window's end is stored as the
// string it was given, never printed by Lua (which would round it to 14 digits).

/** KEYS[1] the window; ARGV: by, now, a new window's end, a new window's Redis TTL (ms). */
const INCREMENT = new LuaScript(`
local e = redis.call('HGET', KEYS[1], 'e')
if e and tonumber(e) > tonumber(ARGV[2]) then
  return {redis.call('HINCRBY', KEYS[1], 'n', ARGV[1]), e}
end
redis.call('HSET', KEYS[1], 'n', ARGV[1], 'e', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {ARGV[1], ARGV[3]}
`);

/**
 * KEYS[1] the current window, KEYS[2] the previous one; ARGV: now, a new window's end, its Redis
 * TTL (ms), the limit ('' for none), windowMs − elapsed, windowMs. Counts the hit when
 * previous × (W − elapsed) + (current + 1) × W ≤ limit × W (see slidingHitFits).
 */
const HIT = new LuaScript(`
local now = tonumber(ARGV[1])
local function live(key)
  local v = redis.call('HMGET', key, 'n', 'e')
  if v[1] and v[2] and tonumber(v[2]) > now then return tonumber(v[1]), true end
  return 0, false
end
local previous = live(KEYS[2])
local current, running = live(KEYS[1])
if ARGV[4] ~= '' then
  local w = tonumber(ARGV[6])
  if previous * tonumber(ARGV[5]) + (current + 1) * w > tonumber(ARGV[4]) * w then
    return {previous, current, 0}
  end
end
if running then
  current = redis.call('HINCRBY', KEYS[1], 'n', 1)
else
  redis.call('HSET', KEYS[1], 'n', 1, 'e', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  current = 1
end
return {previous, current, 1}
`);

/**
 * {@link CounterStore} on Redis (node-redis v5). A window's end is decided from the `now` callers
 * pass and stored with the count; Redis drops the key {@link expiryTtlMs | a grace period} after
 * that end (garbage collection only: an ended window is never returned, whether Redis still holds
 * it or not), so keys of callers who never come back do not accumulate and no sweep is needed.
 *
 * Keys are `<prefix>{c:<base>}<suffix>` (see `keys.ts`): a sliding hit's two windows share a hash
 * tag, so the store works on Redis Cluster slots as on a single server.
 */
export class RedisCounterStore implements CounterStore {
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

  async increment(key: string, windowSeconds: number, now: Date, by = 1): Promise<CounterValue> {
    const windowMs = counterWindowMs(windowSeconds, by);
    const end = now.getTime() + windowMs;
    const reply = await INCREMENT.run(
      this.#client,
      [counterKey(this.#prefix, key)],
      [String(by), String(now.getTime()), String(end), String(expiryTtlMs(end))],
    );
    const [count, resetAt] = replyArray(reply, 2);
    return { count: replyInteger(count), resetAt: new Date(replyInteger(resetAt)) };
  }

  async get(key: string, now: Date): Promise<CounterValue | null> {
    const reply = await this.#client.sendCommand(['HMGET', counterKey(this.#prefix, key), 'n', 'e']);
    const [count, end] = replyArray(reply, 2).map(replyText);
    if (count == null || end == null) return null;
    const resetAt = replyInteger(end);
    return resetAt > now.getTime() ? { count: replyInteger(count), resetAt: new Date(resetAt) } : null;
  }

  async reset(key: string): Promise<void> {
    await this.#client.sendCommand(['DEL', counterKey(this.#prefix, key)]);
  }

  async hitSliding(key: string, windowMs: number, now: Date, limit?: number): Promise<SlidingHit> {
    const { index, elapsedMs } = slidingFrame(windowMs, now, limit);
    const end = now.getTime() + 2 * windowMs;
    const reply = await HIT.run(
      this.#client,
      [counterKey(this.#prefix, `${key}@${index}`), counterKey(this.#prefix, `${key}@${index - 1}`)],
      [
        String(now.getTime()),
        String(end),
        String(expiryTtlMs(end)),
        limit === undefined ? '' : String(limit),
        String(windowMs - elapsedMs),
        String(windowMs),
      ],
    );
    const [previous = 0, current = 0, counted = 0] = replyArray(reply, 3).map(replyInteger);
    return { previous, current, counted: counted === 1 };
  }
}
