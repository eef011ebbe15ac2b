/**
 * The shared parts of the OpenAPI document: response bodies (as zod schemas, converted like the
 * request bodies), the error shapes of `responses.ts`, and the response objects the operations
 * reuse.
 *
 * @module
 */
import { z } from 'zod';
import type { JsonSchema, OpenApiResponse } from './types.js';

/**
 * A zod schema as a JSON Schema for the document: `io: 'input'` for request bodies (what a client
 * may send), `'output'` for responses. The `$schema` keyword is dropped: OpenAPI 3.1's default
 * dialect is already draft 2020-12.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

const publicUser = z.object({
  id: z.string(),
  email: z.string(),
  username: z.string().nullable(),
  role: z.string(),
  isActive: z.boolean(),
  emailVerified: z.boolean(),
  createdAt: z.iso.datetime(),
});

const apiKeyInfo = z.object({
  id: z.string(),
  prefix: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
  status: z.enum(['active', 'revoked', 'expired']),
});

/** Response bodies, published under `components.schemas` and referenced by name. */
const COMPONENT_SCHEMAS = {
  Error: z
    .object({
      error: z.string().meta({ description: 'A stable snake_case code, e.g. `validation`.' }),
      message: z.string().meta({ description: 'A message safe to show; never a stack trace.' }),
      issues: z
        .array(z.object({ field: z.string(), rule: z.string(), message: z.string() }))
        .optional()
        .meta({ description: 'Every invalid field, for `validation` and `weak_password`.' }),
    })
    .meta({ description: 'The error body of the auth routes.' }),
  OAuthError: z
    .object({
      error: z.string().meta({
        description:
          'RFC 6749 §5.2 (`invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`) or RFC 8628 §3.5 (`authorization_pending`, `slow_down`, `access_denied`, `expired_token`).',
      }),
      error_description: z.string().optional(),
    })
    .meta({ description: 'The error body of the token and device-authorization endpoints (RFC 6749 §5.2).' }),
  PublicUser: publicUser.meta({ description: 'A user as clients see it; never a password hash.' }),
  TokenResponse: z
    .object({
      access_token: z.string(),
      token_type: z.literal('Bearer'),
      expires_in: z.int().meta({ description: 'Seconds until the access token expires.' }),
      refresh_token: z.string(),
      scope: z.string().optional(),
      user: publicUser.optional(),
    })
    .meta({ description: 'Bearer mode: RFC 6749 §5.1 tokens (and the user, after a login).' }),
  CookieSession: z
    .object({
      token_type: z.literal('cookie'),
      expires_in: z.int(),
      user: publicUser.optional(),
    })
    .meta({ description: 'Cookie mode: the tokens are in `HttpOnly` cookies, never in the body.' }),
  MfaRequired: z
    .object({
      mfa_required: z.literal(true),
      challenge: z.string().meta({ description: 'Send it to `POST /mfa/verify` with a code.' }),
      expires_in: z.int(),
      methods: z.array(z.string()),
    })
    .meta({ description: 'The password was right; a second factor is needed. No session yet.' }),
  Accepted: z.object({ message: z.string() }).meta({
    description: 'The fixed answer of flows that must not reveal whether an account exists.',
  }),
  ApiKeyInfo: apiKeyInfo.meta({ description: 'An API key as listed: never its secret.' }),
  CreatedApiKey: apiKeyInfo
    .extend({ key: z.string().meta({ description: 'The key itself, shown only in this answer.' }) })
    .meta({ description: 'A new API key.' }),
} as const satisfies Record<string, z.ZodType>;

/** The names of {@link componentSchemas}. */
export type ComponentName = keyof typeof COMPONENT_SCHEMAS;

/** `components.schemas` of the document. */
export function componentSchemas(): Record<ComponentName, JsonSchema> {
  return Object.fromEntries(
    Object.entries(COMPONENT_SCHEMAS).map(([name, schema]) => [name, jsonSchemaOf(schema, 'output')]),
  ) as Record<ComponentName, JsonSchema>;
}

/** A reference to a component schema. */
export const ref = (name: ComponentName): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** A JSON response with the given schema. */
export function json(description: string, schema: JsonSchema): OpenApiResponse {
  return { description, content: { 'application/json': { schema } } };
}

/** A response with the `{ error, message }` body of `responses.ts`. */
export function errorResponse(description: string): OpenApiResponse {
  return json(description, ref('Error'));
}

/** A token-endpoint error (RFC 6749 §5.2). */
export function oauthErrorResponse(description: string): OpenApiResponse {
  return json(description, ref('OAuthError'));
}

/** 204 with no body. */
export const NO_CONTENT: OpenApiResponse = { description: 'Done; no body.' };

/** The responses every route with a body may give: the body reader's and the generic ones. */
export const BODY_ERRORS: Readonly<Record<string, OpenApiResponse>> = {
  '400': errorResponse('Invalid body (`invalid_request`, `validation`).'),
  '413': errorResponse('Body larger than `http.maxBodyBytes` (`payload_too_large`).'),
  '415': errorResponse('Not JSON or form-encoded (`unsupported_media_type`).'),
};

/** 429 with `Retry-After` (RFC 6585 §4). */
export const RATE_LIMITED: OpenApiResponse = {
  ...errorResponse('Too many attempts (`rate_limited`).'),
  headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } },
};

/** 401 (no or invalid token, RFC 6750 §3) and 403 (not a user session, or a failed CSRF check). */
export const SESSION_ERRORS: Readonly<Record<string, OpenApiResponse>> = {
  '401': {
    ...errorResponse('No valid access token (`unauthorized`, `invalid_token`).'),
    headers: { 'WWW-Authenticate': { description: 'RFC 6750 §3 challenge.', schema: { type: 'string' } } },
  },
  '403': errorResponse(
    'Not a user session of this gatehouse (`session_required`), re-authentication failed (`reauthentication_required`), or the CSRF check failed (`csrf_failed`).',
  ),
};
