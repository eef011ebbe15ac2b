/**
 * Listing users for administrators: the flow behind `gatehouse.account.listUsers`.
 *
 * Pages are keyset pages in creation order (then id): each page is read from the store's
 * `(createdAt, id)` index after the last user of the previous page, so a page costs the same
 * whatever its depth, and users registered or deleted between two pages never make the listing
 * skip or repeat anyone else. The cursor is opaque to callers (base64url JSON holding a format
 * version and that position); it is a position, not a credential: listing checks nobody's
 * permission, so call it only behind your own administrator check.
 *
 * @module
 */
import { type PublicUser, toPublicUser } from '../auth/public-user.js';
import { ValidationError } from '../errors.js';
import { storeCall } from '../storage/store-call.js';
import { UnsupportedByStoreError } from '../storage/store-errors.js';
import type { UserListPosition, UserRepository } from '../storage/types.js';

/** Options of `AccountService.listUsers`. */
export interface ListUsersOptions {
  /** Users per page: a whole number from 1 to 100. Default 50. */
  readonly limit?: number;
  /** The `cursor` of the previous page; absent or `null` for the first page. */
  readonly cursor?: string | null;
}

/** One page of users. */
export interface UserPage {
  /** The users of this page, oldest first. */
  readonly users: PublicUser[];
  /** Pass it back as `cursor` for the next page; `null` on the last page. */
  readonly cursor: string | null;
}

/** The default page size of {@link listUsers}. */
export const DEFAULT_USER_PAGE = 50;
/** The largest page size of {@link listUsers}. */
export const MAX_USER_PAGE = 100;

const MAX_CURSOR_LENGTH = 512;
const MAX_ID_LENGTH = 256;
/** The largest time value a `Date` holds (ECMAScript: ±8.64e15 ms). */
const MAX_TIME = 8.64e15;

function invalidCursor(): ValidationError {
  return new ValidationError([
    { field: 'cursor', rule: 'invalid_cursor', message: 'The cursor is not one that listUsers returned' },
  ]);
}

function checkLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_USER_PAGE;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_USER_PAGE) {
    throw new ValidationError([
      {
        field: 'limit',
        rule: 'invalid_limit',
        message: `The limit is a whole number from 1 to ${MAX_USER_PAGE}`,
      },
    ]);
  }
  return limit;
}

/** The cursor that continues after `position`. */
export function encodeUserCursor(position: UserListPosition): string {
  const payload = { v: 1, t: position.createdAt.getTime(), i: position.id };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** The position a cursor holds; throws `ValidationError` (`invalid_cursor`) for anything else. */
export function decodeUserCursor(cursor: unknown): UserListPosition {
  if (typeof cursor !== 'string' || cursor === '' || cursor.length > MAX_CURSOR_LENGTH) throw invalidCursor();
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalidCursor();
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw invalidCursor();
  const { v, t, i } = payload as { v?: unknown; t?: unknown; i?: unknown };
  if (v !== 1 || typeof t !== 'number' || !Number.isSafeInteger(t) || Math.abs(t) > MAX_TIME) {
    throw invalidCursor();
  }
  if (typeof i !== 'string' || i === '' || i.length > MAX_ID_LENGTH) throw invalidCursor();
  return { createdAt: new Date(t), id: i };
}

/**
 * One page of users, oldest first (see the module documentation). Checks the options before
 * reading anything: a limit outside 1..100 or a cursor that `listUsers` did not return throws
 * `ValidationError` (`invalid_limit`, `invalid_cursor`). A repository without `list` throws
 * {@link UnsupportedByStoreError}; a store failure, `StoreUnavailableError`.
 */
export async function listUsers(users: UserRepository, options: ListUsersOptions = {}): Promise<UserPage> {
  const limit = checkLimit(options.limit);
  const after =
    options.cursor === undefined || options.cursor === null ? null : decodeUserCursor(options.cursor);
  if (typeof users.list !== 'function') throw new UnsupportedByStoreError('users.list');
  // One more than the page: whether it comes back tells whether there is a next page.
  const found = await storeCall(() =>
    (users.list as NonNullable<UserRepository['list']>).call(users, { limit: limit + 1, after }),
  );
  const page = found.slice(0, limit);
  const last = page[page.length - 1];
  return {
    users: page.map(toPublicUser),
    cursor: found.length > limit && last ? encodeUserCursor(last) : null,
  };
}
