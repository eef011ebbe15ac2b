/**
 * The `apiKeys` section of the configuration (part of the one schema in `src/config.ts`).
 *
 * @module
 */
import { z } from 'zod';

const DAY = 24 * 60 * 60;

/** An RFC 6749 §3.3 scope token. */
const scopeToken = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be an RFC 6749 scope token');

/**
 * API keys: off unless `enabled`. Defaults: keys live 90 days unless the user asks for less (at
 * most `maxLifetime`, 1 year), at most 10 active keys per user, scopes only from `scopes`.
 */
export const apiKeysConfigSchema = z
  .object({
    /** Accept API keys in `authenticate` and serve the `/api-keys` routes. Default false. */
    enabled: z.boolean().default(false),
    /** Scopes a key may be given. Default none: keys then carry no scopes. */
    scopes: z.array(scopeToken).default([]),
    /**
     * Lifetime of a key created without `expiresIn`, seconds. Default 90 days, or `maxLifetime`
     * when that is shorter.
     */
    defaultLifetime: z.number().int().min(60).optional(),
    /** Longest lifetime a key may be given, seconds. Default 365 days. Every key expires. */
    maxLifetime: z
      .number()
      .int()
      .min(60)
      .max(5 * 365 * DAY)
      .default(365 * DAY),
    /** Active (unrevoked, unexpired) keys per user. Default 10. */
    maxKeysPerUser: z.number().int().min(1).max(1000).default(10),
    /**
     * Request header the key is read from (besides `Authorization: Bearer ghk_...`). Default
     * `x-api-key`. Never the query string.
     */
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'must be a header name')
      .transform((name) => name.toLowerCase())
      .default('x-api-key'),
  })
  .strict()
  .refine((value) => value.defaultLifetime === undefined || value.defaultLifetime <= value.maxLifetime, {
    message: 'defaultLifetime must not exceed maxLifetime',
    path: ['defaultLifetime'],
  });

/** The resolved `apiKeys` configuration. */
export type ApiKeysConfig = z.output<typeof apiKeysConfigSchema>;

/** The lifetime of a key created without `expiresIn`, seconds. */
export function defaultApiKeyLifetime(config: ApiKeysConfig): number {
  return config.defaultLifetime ?? Math.min(90 * DAY, config.maxLifetime);
}
