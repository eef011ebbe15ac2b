/**
 * The document's machine routes: the device authorization grant (RFC 8628) and API keys (only
 * when `apiKeys.enabled`; otherwise the router answers 404 and the document leaves them out).
 *
 * @module
 */
import {
  apiKeyCreateBody,
  apiKeyRevokeBody,
  deviceApprovalBody,
  deviceAuthorizationBody,
  userCodeBody,
} from '../request-bodies.js';
import { errorResponse, json, NO_CONTENT, oauthErrorResponse, RATE_LIMITED, ref } from './components.js';
import type { DocumentContext, OperationSpec } from './operation.js';

const DEVICE_OFF = errorResponse('The device flow is not configured (`not_implemented`).');

/** The device-grant routes of the documented gatehouse. */
export function deviceSpecs(): OperationSpec[] {
  const tag = 'machines';
  const userCodeRefused = errorResponse('An invalid, used or expired user code (`invalid_user_code`).');
  return [
    {
      path: '/device/authorize',
      method: 'post',
      id: 'deviceAuthorization',
      tag,
      summary: 'Start a device login (RFC 8628 §3.1)',
      caller: 'client',
      body: deviceAuthorizationBody,
      formFirst: true,
      responses: {
        '200': json('The codes and where the user enters them (RFC 8628 §3.2).', {
          type: 'object',
          properties: {
            device_code: { type: 'string' },
            user_code: { type: 'string' },
            verification_uri: { type: 'string' },
            verification_uri_complete: { type: 'string' },
            expires_in: { type: 'integer' },
            interval: { type: 'integer' },
          },
          required: ['device_code', 'user_code', 'verification_uri', 'expires_in', 'interval'],
        }),
        '400': oauthErrorResponse('RFC 6749 §5.2 error.'),
        '401': oauthErrorResponse('Client authentication failed (`invalid_client`).'),
        '429': RATE_LIMITED,
        '501': DEVICE_OFF,
      },
    },
    {
      path: '/device/verify',
      method: 'post',
      id: 'deviceVerify',
      tag,
      summary: 'What a device asks for, by its user code',
      caller: 'user',
      body: userCodeBody,
      responses: {
        '200': json('The client and the scopes it asks for.', {
          type: 'object',
          properties: {
            client_id: { type: 'string' },
            client_name: { type: ['string', 'null'] },
            scope: { type: 'string' },
            expires_in: { type: 'integer' },
          },
        }),
        '400': userCodeRefused,
        '429': RATE_LIMITED,
        '501': DEVICE_OFF,
      },
    },
    {
      path: '/device/approve',
      method: 'post',
      id: 'deviceApprove',
      tag,
      summary: 'Approve or deny a device',
      caller: 'user',
      body: deviceApprovalBody,
      responses: {
        '200': json('The decision.', {
          type: 'object',
          properties: {
            status: { enum: ['approved', 'denied'] },
            client_id: { type: 'string' },
            scope: { type: 'string' },
          },
        }),
        '400': userCodeRefused,
        '429': RATE_LIMITED,
        '501': DEVICE_OFF,
      },
    },
  ];
}

/** The API-key routes, when `apiKeys.enabled`. */
export function apiKeySpecs(context: DocumentContext): OperationSpec[] {
  const config = context.gatehouse.config.apiKeys;
  if (!config.enabled) return [];
  const tag = 'api-keys';
  return [
    {
      path: '/api-keys',
      method: 'post',
      id: 'createApiKey',
      tag,
      summary: 'Create an API key',
      description: 'A user session only: an API key cannot create keys.',
      caller: 'user',
      body: apiKeyCreateBody({ scopes: config.scopes, maxLifetime: config.maxLifetime }),
      responses: {
        '201': json('The key, shown this once, and its details.', ref('CreatedApiKey')),
        '409': errorResponse('Too many active keys (`api_key_limit_reached`).'),
      },
    },
    {
      path: '/api-keys',
      method: 'get',
      id: 'listApiKeys',
      tag,
      summary: 'The user’s API keys (never a secret)',
      caller: 'user',
      responses: {
        '200': json('The keys.', {
          type: 'object',
          properties: { keys: { type: 'array', items: ref('ApiKeyInfo') } },
          required: ['keys'],
        }),
      },
    },
    {
      path: '/api-keys/revoke',
      method: 'post',
      id: 'revokeApiKey',
      tag,
      summary: 'Revoke an API key',
      caller: 'user',
      body: apiKeyRevokeBody,
      responses: {
        '204': NO_CONTENT,
        '404': errorResponse('Unknown, foreign or revoked key (`not_found`).'),
      },
    },
  ];
}
