/**
 * The document's routes of login with an identity provider: one set per configured provider,
 * none when no provider is configured (the router then has none either).
 *
 * @module
 */
import { currentPasswordBody, linkBody, loginCodeBody } from '../request-bodies.js';
import { errorResponse, json, NO_CONTENT, RATE_LIMITED, ref } from './components.js';
import type { DocumentContext, OperationSpec } from './operation.js';
import type { OpenApiResponse } from './types.js';

const TAG = 'oauth';

const REDIRECT: OpenApiResponse = {
  description: 'A redirect (`no-store`, `Referrer-Policy: no-referrer`).',
  headers: { Location: { description: 'Where the browser goes next.', schema: { type: 'string' } } },
};

/** The identity-provider routes of the documented gatehouse. */
export function providerSpecs(context: DocumentContext): OperationSpec[] {
  const names = context.gatehouse.oauth.providers.names;
  if (names.length === 0) return [];
  const callbackEnd = context.cookieMode
    ? 'sets the session cookies and redirects to `return_to`'
    : 'redirects to `return_to` with a one-time `login_code` in the fragment, for `POST /oauth/exchange`';
  const perProvider = names.flatMap((name): OperationSpec[] => [
    {
      path: `/oauth/${name}/login`,
      method: 'get',
      id: `oauthLogin_${name}`,
      tag: TAG,
      summary: `Sign in with ${name}`,
      description: 'Redirects to the provider with state, PKCE (S256) and a nonce, and sets the flow cookie.',
      caller: 'anyone',
      parameters: [
        {
          name: 'return_to',
          in: 'query',
          description: 'A local path to return to afterwards.',
          schema: { type: 'string' },
        },
      ],
      responses: { '302': REDIRECT, '429': RATE_LIMITED },
    },
    {
      path: `/oauth/${name}/callback`,
      method: 'get',
      id: `oauthCallback_${name}`,
      tag: TAG,
      summary: `The ${name} redirect back`,
      description: `Checks state and the flow cookie, then ${callbackEnd}. A failed login after a valid state redirects with \`?error=<code>\`.`,
      caller: 'anyone',
      parameters: ['code', 'state', 'iss', 'error'].map((param) => ({
        name: param,
        in: 'query' as const,
        schema: { type: 'string' },
      })),
      responses: {
        '302': REDIRECT,
        '400': errorResponse('Invalid or expired login attempt (`oauth_invalid_state`).'),
      },
    },
    {
      path: `/oauth/${name}/link`,
      method: 'post',
      id: `oauthLink_${name}`,
      tag: TAG,
      summary: `Link a ${name} identity to the account`,
      caller: 'user',
      body: linkBody,
      responses: {
        '200': json('Where to send the browser; the flow cookie is set.', {
          type: 'object',
          properties: { authorization_url: { type: 'string' } },
          required: ['authorization_url'],
        }),
      },
    },
    {
      path: `/oauth/${name}/unlink`,
      method: 'post',
      id: `oauthUnlink_${name}`,
      tag: TAG,
      summary: `Remove the linked ${name} identity`,
      caller: 'user',
      body: currentPasswordBody,
      responses: {
        '204': NO_CONTENT,
        '404': errorResponse('No such identity (`not_found`).'),
        '409': errorResponse('It is the account’s only way to sign in (`oauth_last_sign_in_method`).'),
      },
    },
  ]);
  return [
    ...perProvider,
    {
      path: '/oauth/exchange',
      method: 'post',
      id: 'oauthExchange',
      tag: TAG,
      summary: 'Trade the one-time login code for a session',
      caller: 'anyone',
      body: loginCodeBody,
      responses: {
        '200': json('Signed in, or a second factor is needed.', {
          oneOf: [context.session, ref('MfaRequired')],
        }),
        '400': errorResponse('An unknown, used or expired code.'),
      },
    },
    {
      path: '/oauth/identities',
      method: 'get',
      id: 'oauthIdentities',
      tag: TAG,
      summary: 'The identities linked to the account',
      caller: 'user',
      responses: {
        '200': json('The linked identities.', {
          type: 'object',
          properties: {
            identities: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  provider: { type: 'string' },
                  subject: { type: 'string' },
                  email: { type: ['string', 'null'] },
                  email_verified: { type: 'boolean' },
                  created_at: { type: 'string', format: 'date-time' },
                  last_login_at: { type: ['string', 'null'], format: 'date-time' },
                },
              },
            },
          },
          required: ['identities'],
        }),
      },
    },
  ];
}
