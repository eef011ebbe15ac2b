/**
 * How services call a repository: any failure that is not already an {@link AuthError} (such as
 * `AlreadyRegisteredError` from a unique index) becomes {@link StoreUnavailableError}, so every
 * flow fails closed with a 503 and never shows a store message to a client.
 *
 * @module
 */
import { isAuthError, StoreUnavailableError } from '../errors.js';

/**
 * What a failed store operation throws: an {@link AuthError} as it is, anything else wrapped in
 * {@link StoreUnavailableError}. For synchronous store reads, which cannot go through {@link storeCall}.
 */
export function storeFailure(error: unknown): unknown {
  return isAuthError(error) ? error : new StoreUnavailableError({ cause: error });
}

/** Runs a store operation; anything but an `AuthError` becomes {@link StoreUnavailableError}. */
export async function storeCall<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw storeFailure(error);
  }
}
