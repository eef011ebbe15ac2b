/**
 * The names of the policy model — types, relations, permissions, conditions, fields — and why
 * they are restricted: they never contain `:`, `#` or `@` (tuple keys stay unambiguous) and never
 * name an `Object.prototype` member (a lookup can never reach the prototype chain, OWASP ASVS 5.0 8.2.1, 15.3.6).
 *
 * @module
 */

/**
 * Safe names for types, relations and conditions: a letter or `_` first, then letters, digits,
 * `_` or `-`, at most 64 characters. They never contain `:`, `#` or `@`, which keeps tuple keys
 * unambiguous.
 */
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

const RESERVED_NAMES: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/** `true` when `name` matches {@link NAME_PATTERN} and is not an `Object.prototype` member name. */
export function isSafeName(name: unknown): name is string {
  return typeof name === 'string' && NAME_PATTERN.test(name) && !RESERVED_NAMES.has(name);
}
