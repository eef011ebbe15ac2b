/**
 * Walking the keys that match a pattern with `SCAN` (never `KEYS`, which blocks the server for
 * the whole keyspace at once).
 *
 * @module
 */
import type { RedisClient } from './client.js';
import { replyArray, replyText } from './reply.js';

/** How many keys one `SCAN` step examines (a hint to the server, not a limit on what it returns). */
export const SCAN_COUNT = 1000;

/**
 * Yields the keys of `client`'s server that match `pattern` (a `SCAN ... MATCH` glob), one batch
 * per step. `SCAN` returns every key present for the whole walk; a key may come twice, and a key
 * written or deleted during the walk may or may not come. On Redis Cluster this walks one node.
 */
export async function* scanKeys(client: RedisClient, pattern: string): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const reply = await client.sendCommand(['SCAN', cursor, 'MATCH', pattern, 'COUNT', String(SCAN_COUNT)]);
    const [next, keys] = replyArray(reply, 2);
    cursor = replyText(next) ?? '0';
    const batch = replyArray(keys).flatMap((key) => replyText(key) ?? []);
    if (batch.length > 0) yield batch;
  } while (cursor !== '0');
}
