/**
 * How services call a repository: any failure that is not already an {@link AuthError} (such as
 * `AlreadyRegisteredError` from a unique index) becomes {@link StoreUnavailableError}, so every
 * flow fails closed with a 503 and never shows a store message to a client.
 *
 * @module
 */
import { isAuthError, StoreUnavailableError } from '../errors.js';

/** Runs a store operation; anything but an `AuthError` becomes {@link StoreUnavailableError}. */
export async function storeCall<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (isAuthError(error)) throw error;
    throw new StoreUnavailableError({ cause: error });
  }
}
