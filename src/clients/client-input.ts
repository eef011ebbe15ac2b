/**
 * Validation of what an administrator passes when registering or changing a client: every
 * problem is reported at once as a `ValidationError` naming the field.
 *
 * @module
 */
import { type FieldIssue, ValidationError } from '../errors.js';
import type { ClientGrantType } from '../storage/types.js';
import { isValidClientId } from './client-secret.js';

/** The device authorization grant type (RFC 8628 §3.4). */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Every grant a registered client can be allowed. */
export const CLIENT_GRANT_TYPES: readonly ClientGrantType[] = ['client_credentials', DEVICE_CODE_GRANT];

/** RFC 6749 §3.3 `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Longest client name. */
const MAX_NAME_LENGTH = 100;

/** Input of `ClientService.register`. */
export interface RegisterClientInput {
  /** A label for listings (1–100 characters). */
  readonly name: string;
  /** Scopes the client may be granted. Default none. */
  readonly scopes?: readonly string[];
  /**
   * Grants the client may use. Default `['client_credentials']`, or the device grant for a public
   * client. A public client may not use `client_credentials` (RFC 6749 §4.4: confidential only).
   */
  readonly grantTypes?: readonly ClientGrantType[];
  /** A public client has no secret: a CLI or device that cannot keep one (device grant). Default false. */
  readonly public?: boolean;
  /** A chosen client id (1–128 printable ASCII characters). Default: `ghc_` + 128 random bits. */
  readonly id?: string;
}

/** Input of `ClientService.update`: the fields to change. */
export interface UpdateClientInput {
  readonly name?: string;
  readonly scopes?: readonly string[];
  readonly grantTypes?: readonly ClientGrantType[];
}

function nameIssues(name: unknown): FieldIssue[] {
  return typeof name === 'string' && name.trim().length > 0 && name.length <= MAX_NAME_LENGTH
    ? []
    : [{ field: 'name', rule: 'invalid', message: `Name must be 1–${MAX_NAME_LENGTH} characters` }];
}

function scopeIssues(scopes: unknown): FieldIssue[] {
  return Array.isArray(scopes) && scopes.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))
    ? []
    : [{ field: 'scopes', rule: 'invalid', message: 'Scopes must be RFC 6749 scope tokens' }];
}

function grantIssues(grantTypes: unknown, isPublic: boolean): FieldIssue[] {
  if (
    !Array.isArray(grantTypes) ||
    grantTypes.length === 0 ||
    !grantTypes.every((g) => CLIENT_GRANT_TYPES.includes(g as ClientGrantType))
  ) {
    return [{ field: 'grantTypes', rule: 'invalid', message: 'Unknown or missing grant type' }];
  }
  if (isPublic && grantTypes.includes('client_credentials')) {
    return [
      {
        field: 'grantTypes',
        rule: 'confidential_only',
        message: 'A public client cannot use client_credentials',
      },
    ];
  }
  return [];
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

/** Validates a registration; returns the normalized fields or throws `ValidationError`. */
export function checkRegistration(input: RegisterClientInput): {
  name: string;
  scopes: string[];
  grantTypes: ClientGrantType[];
  isPublic: boolean;
  id: string | undefined;
} {
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const isPublic = raw.public === true;
  const scopes = raw.scopes ?? [];
  const grantTypes = raw.grantTypes ?? (isPublic ? [DEVICE_CODE_GRANT] : ['client_credentials']);
  const issues = [...nameIssues(raw.name), ...scopeIssues(scopes), ...grantIssues(grantTypes, isPublic)];
  if (raw.id !== undefined && !isValidClientId(raw.id)) {
    issues.push({
      field: 'id',
      rule: 'invalid',
      message: 'Client id must be 1–128 printable ASCII characters',
    });
  }
  if (raw.public !== undefined && typeof raw.public !== 'boolean') {
    issues.push({ field: 'public', rule: 'invalid_type', message: 'public must be a boolean' });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    name: raw.name as string,
    scopes: unique(scopes as string[]),
    grantTypes: unique(grantTypes as ClientGrantType[]),
    isPublic,
    id: raw.id as string | undefined,
  };
}

/** Validates a change of an existing client (public or not); throws `ValidationError`. */
export function checkUpdate(input: UpdateClientInput, isPublic: boolean): UpdateClientInput {
  const issues = [
    ...(input.name === undefined ? [] : nameIssues(input.name)),
    ...(input.scopes === undefined ? [] : scopeIssues(input.scopes)),
    ...(input.grantTypes === undefined ? [] : grantIssues(input.grantTypes, isPublic)),
  ];
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.scopes === undefined ? {} : { scopes: unique(input.scopes) }),
    ...(input.grantTypes === undefined ? {} : { grantTypes: unique(input.grantTypes) }),
  };
}
