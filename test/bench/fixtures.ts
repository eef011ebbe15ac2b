/**
 * Users and tokens for the token and HTTP benchmarks, made through the installed package's public
 * API: users written straight into the store (hashing 16,384 passwords would take minutes and is
 * not what is measured), access tokens issued by `gatehouse.tokens.issue` (so each has its record
 * in the token table, as after a login).
 */
import { randomUUID } from 'node:crypto';
import type { Gatehouse, Store } from '../../src/index.js';

/**
 * The pool of distinct tokens of the HTTP rows ("many users", as the issue's table defines them).
 * gatehouse's default verified-token cache (65,536 entries) holds it, so after the first pass those
 * requests are cache hits, as they would be with that many active users.
 */
export const POOL_SIZE = 16_384;

/**
 * The pool of the first-seen verify rows: twice gatehouse's default verified-token cache (65,536)
 * and far more than fast-jwt's (1,000), so no cache holds it and every call verifies a signature
 * and pays the cache's insertion, as with more active users than the cache holds.
 */
export const FIRST_SEEN_POOL_SIZE = 131_072;

/** Creates `count` users (`bench-<i>@example.com`, role USER) in `store`; returns their ids. */
export async function createUsers(store: Store, count: number, prefix = 'bench'): Promise<string[]> {
  const ids: string[] = [];
  const now = new Date();
  for (let i = 0; i < count; i++) {
    const id = randomUUID();
    await store.users.create({
      id,
      email: `${prefix}-${i}@example.com`,
      username: null,
      passwordHash: null,
      role: 'USER',
      isActive: true,
      emailVerifiedAt: now,
      passwordChangeRequired: false,
      createdAt: now,
      updatedAt: now,
    });
    ids.push(id);
  }
  return ids;
}

/** One access token per user id (each user one login), in the order given. */
export async function issueTokens(gatehouse: Gatehouse, userIds: readonly string[]): Promise<string[]> {
  const tokens: string[] = [];
  for (const id of userIds) tokens.push((await gatehouse.tokens.issue({ id, role: 'USER' })).accessToken);
  return tokens;
}

/** The claims of a JWT, decoded without verification (to configure peers with the same issuer and audience). */
export function claimsOf(token: string): { iss: string; aud: string; sub: string; typ?: string } {
  const [header, payload] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as {
    iss: string;
    aud: string | string[];
    sub: string;
  };
  const { typ } = JSON.parse(Buffer.from(header ?? '', 'base64url').toString()) as { typ?: string };
  return {
    ...claims,
    aud: Array.isArray(claims.aud) ? (claims.aud[0] as string) : claims.aud,
    ...(typ ? { typ } : {}),
  };
}

/** Cycles through `items` (any length). */
export function cycle<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => {
    const item = items[i] as T;
    i = i + 1 === items.length ? 0 : i + 1;
    return item;
  };
}
