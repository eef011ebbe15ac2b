/**
 * Errors about what a configured store can do.
 *
 * @module
 */
import { AuthError } from '../errors.js';

/**
 * The configured store does not implement an optional repository method that the called operation
 * needs, e.g. `UserRepository.list` for `gatehouse.account.listUsers` with a custom user repository
 * written before listing existed. `ERR_UNSUPPORTED_BY_STORE`, 501 like the other features that are
 * not available; nothing was read or written. Implement the method (the contract suites of
 * `gatehouse/testing` check it) or use one of gatehouse's stores.
 */
export class UnsupportedByStoreError extends AuthError {
  /** The missing method, e.g. `users.list`. */
  readonly operation: string;

  constructor(operation: string) {
    super('ERR_UNSUPPORTED_BY_STORE', 501, 'This feature is not available with the configured store');
    this.operation = operation;
  }
}
