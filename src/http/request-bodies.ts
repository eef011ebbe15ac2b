/**
 * The request bodies of the auth routes, as zod schemas. A route that checks its fields itself
 * (the token endpoint's grants, `/refresh`, `/mfa/verify`) parses its body with the schema here;
 * a route that hands its fields to a service (which validates them and names each bad field)
 * is described by the schema here. The OpenAPI document (`openapi/`) is generated from these same
 * objects with `z.toJSONSchema`, so what the routes check and what the document says come from one
 * place; `test/http/openapi.test.ts` sends representative bodies to both.
 *
 * A field that a route ignores when it has the wrong type (a JSON `scope: 5` at the token
 * endpoint reads as "no scope") is `.catch(undefined)`: the document asks for a string, the route
 * keeps its lenient reading.
 *
 * @module
 */
import { z } from 'zod';
import { DEVICE_CODE_GRANT } from '../clients/client-input.js';

const described = (description: string) => z.string().meta({ description });

/** A string field the route reads as absent when it is not a string. */
const lenient = (description: string) => z.string().optional().catch(undefined).meta({ description });

const scope = lenient('Space-separated scopes (RFC 6749 §3.3); only configured scopes may be requested.');

const clientId = z.string().optional().meta({
  description: 'The client id (RFC 6749 §2.3.1), when the client does not use HTTP Basic.',
});
const clientSecret = z.string().optional().meta({
  description: 'The client secret in the body (`client_secret_post`); prefer HTTP Basic.',
});
const clientScope = z
  .string()
  .optional()
  .meta({ description: 'Space-separated scopes within the client’s own.' });

/** `POST /token` with `grant_type=password` (RFC 6749 §4.3): a first-party login. */
export const passwordGrantBody = z.object({
  grant_type: z.literal('password'),
  username: described('The email address or username.'),
  password: described('The password.'),
  scope,
});

/** `POST /token` with `grant_type=refresh_token` (RFC 6749 §6): rotates the refresh token. */
export const refreshTokenGrantBody = z.object({
  grant_type: z.literal('refresh_token'),
  refresh_token: described('The refresh token of the last answer.'),
  scope,
  client_id: lenient('When given, must be the client the refresh token was issued to (RFC 9700 §4.14.2).'),
});

/** `POST /token` with `grant_type=client_credentials` (RFC 6749 §4.4): a registered client's token. */
export const clientCredentialsGrantBody = z.object({
  grant_type: z.literal('client_credentials'),
  scope: clientScope,
  client_id: clientId,
  client_secret: clientSecret,
});

/** `POST /token` with the device-code grant type (RFC 8628 §3.4): one poll. */
export const deviceCodeGrantBody = z.object({
  grant_type: z.literal(DEVICE_CODE_GRANT),
  device_code: described('The `device_code` of `POST /device/authorize`.'),
  client_id: clientId,
  client_secret: clientSecret,
});

/** Every body of the token endpoint, by `grant_type`. */
export const tokenRequestBody = z.discriminatedUnion('grant_type', [
  passwordGrantBody,
  refreshTokenGrantBody,
  clientCredentialsGrantBody,
  deviceCodeGrantBody,
]);

/** `POST /device/authorize` (RFC 8628 §3.1). */
export const deviceAuthorizationBody = z.object({
  client_id: clientId,
  client_secret: clientSecret,
  scope: clientScope,
});

/**
 * `POST /refresh`: the refresh token in the body; in cookie mode it may come in the refresh cookie
 * instead (a body value that is not a string then reads as absent).
 */
export function refreshBody(cookieMode: boolean) {
  return z.object({
    refresh_token: cookieMode
      ? lenient('The refresh token; without it, the refresh cookie is used.')
      : described('The refresh token of the last answer.'),
  });
}

/** Why `POST /mfa/verify` refuses a body: the messages of its 400 `invalid_request`. */
export const MFA_VERIFY_MESSAGES = {
  challenge: 'challenge is required',
  proof: 'Give either code or backup_code',
} as const;

/**
 * `POST /mfa/verify`: the challenge (or the password grant's `mfa_token`) and exactly one of
 * `code` or `backup_code`. The JSON Schema keywords in `meta` say what the refinement checks.
 */
export const mfaVerifyBody = z
  .object({
    challenge: lenient('The `challenge` of a login that answered `mfa_required`.'),
    mfa_token: lenient('The `mfa_token` of a password grant; another name for `challenge`.'),
    code: lenient('The current TOTP code.'),
    backup_code: lenient('An unused backup code.'),
  })
  .superRefine((body, ctx) => {
    if (body.challenge === undefined && body.mfa_token === undefined) {
      ctx.addIssue({ code: 'custom', path: ['challenge'], message: MFA_VERIFY_MESSAGES.challenge });
    } else if ((body.code === undefined) === (body.backup_code === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['code'], message: MFA_VERIFY_MESSAGES.proof });
    }
  })
  .meta({
    anyOf: [{ required: ['challenge'] }, { required: ['mfa_token'] }],
    oneOf: [{ required: ['code'] }, { required: ['backup_code'] }],
  });

/** The password-policy and username settings that shape the registration body. */
export interface RegistrationRules {
  readonly minLength: number;
  readonly maxLength: number;
  readonly usernames: 'off' | 'optional' | 'required';
}

const newPassword = (rules: Pick<RegistrationRules, 'minLength' | 'maxLength'>, description: string) =>
  z
    .string()
    .min(rules.minLength)
    .max(rules.maxLength)
    .meta({
      description: `${description} Checked against the password policy (NIST SP 800-63B-4 §3.1.1.2).`,
    });

/** `POST /register`, described by the service's rules (the service validates and names each bad field). */
export function registerBody(rules: RegistrationRules) {
  const username = z.string().meta({ description: '3–20 ASCII letters and digits.' });
  return z.object({
    email: z.string().meta({ format: 'email', description: 'The email address.' }),
    password: newPassword(rules, 'The new password.'),
    ...(rules.usernames === 'required' ? { username } : {}),
    ...(rules.usernames === 'optional' ? { username: username.optional() } : {}),
  });
}

/** `POST /login`: one of `identifier`, `email` or `username`, and the password. */
export const loginBody = z
  .object({
    identifier: z.string().optional().meta({ description: 'The email address or username.' }),
    email: z.string().optional().meta({ description: 'Another name for `identifier`.' }),
    username: z.string().optional().meta({ description: 'Another name for `identifier`.' }),
    password: described('The password.'),
  })
  .meta({ anyOf: [{ required: ['identifier'] }, { required: ['email'] }, { required: ['username'] }] });

const currentPassword = described(
  'The current password: sensitive changes re-authenticate (OWASP ASVS 5.0 6.3.4). Missing or wrong: 403 `reauthentication_required`.',
);

/** A body with only the emailed one-time `token` (`/verify-email`, `/email/confirm`). */
export const emailedTokenBody = z.object({ token: described('The token of the emailed link.') });

/** A body with only an `email` (`/verify-email/resend`, `/password-reset/request`): always 202. */
export const emailOnlyBody = z.object({ email: described('The account’s email address.') });

/** `POST /password-reset/confirm`. */
export function passwordResetConfirmBody(rules: Pick<RegistrationRules, 'minLength' | 'maxLength'>) {
  return z.object({
    token: described('The token of the emailed link.'),
    password: newPassword(rules, 'The new password.'),
  });
}

/** `POST /password/change`. */
export function passwordChangeBody(rules: Pick<RegistrationRules, 'minLength' | 'maxLength'>) {
  return z.object({
    current_password: currentPassword,
    new_password: newPassword(rules, 'The new password.'),
  });
}

/** `POST /email/change`. */
export const emailChangeBody = z.object({
  current_password: currentPassword,
  new_email: z.string().meta({ format: 'email', description: 'The new address; a link is sent there.' }),
});

/** Re-authentication alone: `/account/delete`, `/mfa/totp/enroll`, `/mfa/totp/disable`, `/mfa/backup-codes`, `/oauth/<p>/unlink`. */
export const currentPasswordBody = z.object({ current_password: currentPassword });

/** `POST /mfa/totp/confirm`. */
export const totpConfirmBody = z.object({
  code: described('A TOTP code from the authenticator app, proving the enrolment.'),
});

/** `POST /oauth/exchange`. */
export const loginCodeBody = z.object({
  login_code: described('The one-time `login_code` from the callback redirect’s fragment.'),
});

/** `POST /oauth/<provider>/link`. */
export const linkBody = z.object({
  return_to: z.string().optional().meta({ description: 'A local path to return to after linking.' }),
});

/** `POST /device/verify`. */
export const userCodeBody = z.object({ user_code: described('The code the device shows.') });

/** `POST /device/approve`: `approve` is a JSON boolean, or `"true"`/`"false"` in a form. */
export const deviceApprovalBody = z.object({
  user_code: described('The code the device shows.'),
  approve: z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .meta({ description: 'Whether the user approves the device.' }),
});

/** The API-key settings that shape `POST /api-keys`. */
export interface ApiKeyRules {
  readonly scopes: readonly string[];
  readonly maxLifetime: number;
}

/** `POST /api-keys`: scopes as a JSON list or a space-separated string; `expires_in` as a number or digits. */
export function apiKeyCreateBody(rules: ApiKeyRules) {
  const scopeName = rules.scopes.length > 0 ? z.enum(rules.scopes as [string, ...string[]]) : z.never();
  return z.object({
    name: z.string().min(1).max(64).meta({ description: '1–64 characters, no control characters.' }),
    scopes: z
      .union([z.array(scopeName), z.string()])
      .optional()
      .meta({ description: `Scopes of the key, from ${JSON.stringify(rules.scopes)}; none by default.` }),
    expires_in: z
      .union([z.int().min(60).max(rules.maxLifetime), z.string().regex(/^\d{1,12}$/)])
      .optional()
      .meta({ description: `Lifetime in seconds, 60 to ${rules.maxLifetime}.` }),
  });
}

/** `POST /api-keys/revoke`. */
export const apiKeyRevokeBody = z.object({ id: described('The key’s public id.') });
