/**
 * Token scopes inside policy decisions (OWASP ASVS 5.0 10.3.2, 10.3.3): the `authorize` guard passes the principal's
 * scopes (and, for a token of another issuer, its `iss`) as subject attributes, so a model can
 * require a scope next to its relations — e.g. `edit: editor and condition(scope_docs_write)`:
 * a token limited to `docs:read` is then refused an edit even by a document's editor.
 *
 * @module
 */

import { z } from 'zod';
import { type ConditionDefinition, defineCondition } from './model.js';

const scopesInput = z.object({ subject: z.object({ scopes: z.array(z.string()) }) });

/**
 * A condition that holds when the subject's `scopes` attribute contains every one of `scopes`.
 * A subject without a `scopes` array (e.g. a caller that did not pass the token's scopes) is
 * denied with `condition_input_invalid` (fail closed), never waved through.
 */
export function scopeCondition(...scopes: readonly string[]): ConditionDefinition {
  if (scopes.length === 0 || scopes.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new TypeError('scopeCondition needs at least one non-empty scope');
  }
  return defineCondition({
    params: scopesInput,
    evaluate: ({ subject }) => scopes.every((s) => subject.scopes.includes(s)),
  });
}

/**
 * A condition that holds when the subject's `issuer` attribute is one of `issuers`: for rules that
 * admit only tokens of given issuers (identity is `iss` + `sub`). A missing issuer denies.
 */
export function issuerCondition(...issuers: readonly string[]): ConditionDefinition {
  if (issuers.length === 0) throw new TypeError('issuerCondition needs at least one issuer');
  return defineCondition({
    params: z.object({ subject: z.object({ issuer: z.string() }) }),
    evaluate: ({ subject }) => issuers.includes(subject.issuer),
  });
}
