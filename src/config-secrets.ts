/**
 * Start-up checks of the keys in the configuration other than the token signing keys (which
 * `loadKeySet` checks): `tokens.refreshSuccessorSecret`, `oauth.flowSecret`, `mfa.secretKeys` and
 * `oauth.tokenKeys`. Each is a key gatehouse signs or encrypts with, so each follows the rule of
 * `tokens.secret` (see `token/secret-strength.ts`): long enough, random by estimate, and an error
 * that says how to generate a good one.
 *
 * @module
 */
import type { z } from 'zod';
import { ConfigError } from './errors.js';
import { importSecretBoxKey, type SecretBoxKey } from './mfa/secret-box.js';
import { secretAdvice, weakSecretReason } from './token/secret-strength.js';

/**
 * Adds an issue at `name` when `value` is a key too short or not random enough to sign or encrypt
 * with (RFC 7518 §3.2, RFC 8725 §3.5): the rule of `tokens.secret`, with its advice.
 */
export function checkKey(value: unknown, ctx: z.RefinementCtx, name: string): void {
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) return;
  const reason = weakSecretReason(value);
  if (reason) ctx.addIssue({ code: 'custom', path: [name], message: reason });
}

/**
 * AES-256 keys at `name` (one, or a rotation list): each must be 32 bytes, raw or base64/base64url,
 * as the secret box reads them, and random ({@link checkKey}). List entries are named `name[i]`.
 */
export function checkAesKeys(value: unknown, ctx: z.RefinementCtx, name: string): void {
  if (value === undefined) return;
  const keys: unknown[] = Array.isArray(value) ? value : [value];
  for (const [index, key] of keys.entries()) {
    const path = Array.isArray(value) ? `${name}[${index}]` : name;
    try {
      importSecretBoxKey(key as SecretBoxKey, path);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const issue of error.issues) {
        ctx.addIssue({ code: 'custom', path: [path], message: `${issue.message}: ${secretAdvice()}` });
      }
      continue;
    }
    checkKey(key, ctx, path);
  }
}
