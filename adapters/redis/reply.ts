/**
 * Reading raw node-redis replies (`sendCommand`, `EVALSHA`) into the types gatehouse expects, and
 * refusing anything else: a reply of an unexpected shape (a key of another type, another program
 * writing under gatehouse's prefix) becomes an error, which fails closed, never a wrong answer.
 *
 * @module
 */

/** A bulk-string reply (`null` for a nil reply); a `Buffer` (a client mapping strings to buffers) is decoded as UTF-8. */
export function replyText(reply: unknown): string | null {
  if (reply === null || typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  throw new TypeError(`gatehouse redis: expected a string reply, got ${typeof reply}`);
}

/**
 * An integer reply, or a decimal string (how scripts return numbers kept as text), as an exact
 * JavaScript integer.
 *
 * @throws TypeError for anything else, or an integer beyond 2^53 − 1 (it would be rounded).
 */
export function replyInteger(reply: unknown): number {
  const value =
    typeof reply === 'number' || typeof reply === 'bigint'
      ? Number(reply)
      : /^-?\d+$/.test(replyText(reply) ?? '')
        ? Number(replyText(reply))
        : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new TypeError(`gatehouse redis: expected an integer reply, got ${String(reply)}`);
  }
  return value;
}

/** An array reply of exactly `length` elements (`length` omitted: any length). */
export function replyArray(reply: unknown, length?: number): unknown[] {
  if (!Array.isArray(reply) || (length !== undefined && reply.length !== length)) {
    throw new TypeError('gatehouse redis: unexpected reply shape');
  }
  return reply;
}
