/**
 * Shared plumbing of the contract suites: a fresh subject per test, closed afterwards, and a
 * cross-bundle check for `AlreadyRegisteredError`.
 *
 * @module
 */
import { afterEach, beforeEach, expect } from 'vitest';

/** Creates the object under test; called once before every test. */
export type ContractFactory<T> = () => T | Promise<T>;

async function closeIfClosable(value: unknown): Promise<void> {
  if (typeof value !== 'object' || value === null) return;
  const close = (value as { close?: unknown }).close;
  if (typeof close === 'function') await close.call(value);
}

/**
 * Registers `beforeEach`/`afterEach` hooks in the current `describe` that create a fresh subject
 * with `create` before every test and call its `close()` (when it has one) after it. Returns a
 * getter for the current subject.
 */
export function useFreshSubject<T>(create: ContractFactory<T>): () => T {
  let current: { value: T } | undefined;
  beforeEach(async () => {
    current = { value: await create() };
  });
  afterEach(async () => {
    const subject = current;
    current = undefined;
    if (subject) await closeIfClosable(subject.value);
  });
  return () => {
    if (!current) throw new Error('contract subject used outside of a test');
    return current.value;
  };
}

/**
 * Asserts that `promise` rejects with gatehouse's `AlreadyRegisteredError`. Checks the stable
 * `code` (`ERR_ALREADY_REGISTERED`) rather than `instanceof`, so that an implementation importing
 * the error from `gatehouse` passes even when its class is a different copy from the one bundled
 * into `gatehouse/testing`, and minified class names do not matter.
 */
export async function expectAlreadyRegistered(promise: Promise<unknown>): Promise<void> {
  const outcome = await promise.then(
    (value) => ({ rejected: false as const, value }),
    (error: unknown) => ({ rejected: true as const, error }),
  );
  expect(outcome.rejected, 'expected the write to be rejected with AlreadyRegisteredError').toBe(true);
  if (outcome.rejected) {
    expect(outcome.error).toBeInstanceOf(Error);
    expect(outcome.error).toMatchObject({ code: 'ERR_ALREADY_REGISTERED' });
  }
}

/** Sorts records by id so that lists can be compared regardless of the order a store returns. */
export function byId<T extends { readonly id: string }>(records: readonly T[]): T[] {
  return [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
