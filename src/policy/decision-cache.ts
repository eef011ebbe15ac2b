/**
 * The decision client's optional decision cache: a short-lived, bounded memory of definite remote
 * decisions, keyed on the whole request as it is sent. See {@link DecisionCacheOptions}.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { isFailClosed } from './decision-log.js';

/**
 * The `cache` option of the decision client. Off unless given; both bounds are required.
 *
 * - Keyed on the full request as sent (subject, action, resource, their properties and the
 *   context, in canonical JSON, hashed): a request that differs in any attribute is a new question.
 * - Only definite decisions are kept (`granted`, `not_granted`, `no_matching_rule`, `deny_rule`);
 *   never a fail-closed one (`pdp_unavailable`, a timeout, `invalid_request`, a store or PIP error).
 * - **It delays revocation by up to `ttlMs`**: a grant removed at the PDP is still honoured from
 *   the cache until its entry expires (and a new grant is seen as late). Keep `ttlMs` short, and
 *   leave the cache off where a revocation must take effect at once (OWASP ASVS 5.0 8.3.2).
 */
export interface DecisionCacheOptions {
  /** Most decisions kept (1 to 1 000 000); the least recently used is evicted first. */
  readonly maxEntries: number;
  /** How long a decision is reused, in ms (1 to 300 000). */
  readonly ttlMs: number;
}

const cacheSchema = z.strictObject({
  maxEntries: z.number().int().min(1).max(1_000_000),
  ttlMs: z.number().int().min(1).max(300_000),
});

/** Validates the `cache` option; throws {@link ConfigError} naming the field (`cache.ttlMs`, ...). */
export function parseCacheOptions(value: unknown): DecisionCacheOptions {
  const r = cacheSchema.safeParse(value);
  if (!r.success) {
    throw new ConfigError(
      r.error.issues.map((i) => ({ path: ['cache', ...i.path.map(String)].join('.'), message: i.message })),
    );
  }
  return r.data;
}

/** Sorts object keys so that two requests equal as JSON get one key. */
function sortKeys(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const sorted: Record<string, unknown> = Object.create(null);
  for (const k of Object.keys(value).sort()) sorted[k] = (value as Record<string, unknown>)[k];
  return sorted;
}

/** The cache key of a request body as sent, or `undefined` when it cannot be serialized. */
export function cacheKey(body: unknown): string | undefined {
  try {
    const text = JSON.stringify(body, sortKeys);
    return typeof text === 'string' ? createHash('sha256').update(text, 'utf8').digest('base64') : undefined;
  } catch {
    return undefined;
  }
}

interface Entry<T> {
  readonly value: T;
  readonly expires: number;
}

/** A bounded LRU with a time to live. Holds only results whose code is a definite decision. */
export class DecisionCache<T extends { readonly code: string }> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly options: DecisionCacheOptions) {}

  /** The live decision for `key`, if any. */
  get(key: string | undefined): T | undefined {
    if (key === undefined) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expires <= Date.now()) return undefined;
    this.entries.set(key, entry); // most recently used last
    return entry.value;
  }

  /** Keeps `value` for `key` if it is a definite decision. */
  set(key: string | undefined, value: T): void {
    if (key === undefined || isFailClosed(value.code)) return;
    this.entries.delete(key);
    while (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expires: Date.now() + this.options.ttlMs });
  }
}
