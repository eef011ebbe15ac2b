/**
 * Invalidation messages between instances: how the opt-in per-process cache of token records (see
 * `tokens.recordCache` in the configuration) learns that another instance revoked a token, ended a
 * family or changed a user. `gatehouse/postgres` carries them over `LISTEN/NOTIFY`,
 * `gatehouse/redis` over pub/sub.
 *
 * @module
 */

/** What became stale: one token record, a token family, everything of a user, or a client's sessions. */
export type InvalidationKind = 'token' | 'family' | 'user' | 'client';

/** One invalidation message. */
export interface Invalidation {
  readonly kind: InvalidationKind;
  /** The token id (`jti`), family id, user id or client id. */
  readonly id: string;
}

/**
 * A channel that delivers {@link Invalidation}s to every instance subscribed to it, this one
 * included. Delivery is best effort: a subscriber that may have missed messages (its connection
 * dropped) must say so through `onStatus(false)`, and the cache then stops serving anything until
 * `onStatus(true)`. A message lost without the subscriber noticing is bounded by the cache's
 * `maxAge`.
 */
export interface InvalidationChannel {
  /** Sends `message` to every subscriber. Rejects when it could not be sent. */
  publish(message: Invalidation): Promise<void>;
  /**
   * Starts delivering messages to `listener`. `onStatus(true)` is called once messages are being
   * received (again), `onStatus(false)` as soon as some may be missed (a lost connection, before
   * reconnecting). Resolves once the subscription is set up, with a function that ends it.
   */
  subscribe(
    listener: (message: Invalidation) => void,
    onStatus: (listening: boolean) => void,
  ): Promise<() => Promise<void>>;
}

const KINDS: ReadonlySet<string> = new Set<InvalidationKind>(['token', 'family', 'user', 'client']);

/** The wire form of a message: `<kind>:<id>` (ids may contain `:`). */
export function encodeInvalidation(message: Invalidation): string {
  return `${message.kind}:${message.id}`;
}

/** Parses the wire form; `null` for anything that is not a message (ignored by subscribers). */
export function decodeInvalidation(payload: string): Invalidation | null {
  const colon = payload.indexOf(':');
  if (colon < 0) return null;
  const kind = payload.slice(0, colon);
  const id = payload.slice(colon + 1);
  return KINDS.has(kind) && id.length > 0 ? { kind: kind as InvalidationKind, id } : null;
}
