/**
 * The document's session routes: register, login, the token endpoint, refresh, logout, me, JWKS.
 *
 * @module
 */
import { loginBody, refreshBody, registerBody, tokenRequestBody } from '../request-bodies.js';
import { errorResponse, json, NO_CONTENT, oauthErrorResponse, RATE_LIMITED, ref } from './components.js';
import type { DocumentContext, OperationSpec } from './operation.js';

const TAG = 'sessions';

/** The session routes of the documented gatehouse. */
export function sessionSpecs(context: DocumentContext): OperationSpec[] {
  const { gatehouse, cookieMode, session } = context;
  const policy = gatehouse.passwords.policy;
  const uniform = gatehouse.account.uniformRegistration;
  const loginAnswer = { oneOf: [session, ref('MfaRequired')] };
  const specs: OperationSpec[] = [
    {
      path: '/register',
      method: 'post',
      id: 'register',
      tag: TAG,
      summary: 'Create an account',
      caller: 'anyone',
      body: registerBody({
        minLength: policy.minLength,
        maxLength: policy.maxLength,
        usernames: gatehouse.config.users.usernames,
      }),
      responses: uniform
        ? {
            '202': json(
              'The same answer for a new and a taken address: the email tells which (OWASP ASVS 5.0 6.3.8).',
              ref('Accepted'),
            ),
            '429': RATE_LIMITED,
          }
        : {
            '201': json('The new user.', ref('PublicUser')),
            '400': errorResponse(
              'Invalid fields (`validation`) or a password that breaks the policy (`weak_password`), with `issues`.',
            ),
            '409': errorResponse('The email or username is taken (`already_registered`).'),
            '429': RATE_LIMITED,
          },
    },
    {
      path: '/login',
      method: 'post',
      id: 'login',
      tag: TAG,
      summary: 'Sign in with a password',
      description:
        'Answers the session, or `mfa_required` with a challenge for `POST /mfa/verify` when the account has a second factor.',
      caller: 'anyone',
      body: loginBody,
      responses: {
        '200': json(
          cookieMode
            ? 'Signed in (cookies set), or a second factor is needed.'
            : 'Signed in, or a second factor is needed.',
          loginAnswer,
        ),
        '401': errorResponse(
          'Unknown user, wrong password, locked or disabled account (`invalid_credentials`): all alike.',
        ),
        '403': errorResponse(
          'The password is known to be compromised and must be reset (`password_change_required`).',
        ),
        '429': RATE_LIMITED,
      },
    },
    {
      path: '/token',
      method: 'post',
      id: 'token',
      tag: TAG,
      summary: 'OAuth 2.0 token endpoint (RFC 6749 §3.2)',
      description:
        'Grants: `password` (first-party login), `refresh_token`, `client_credentials` (registered clients) and the device-code grant (RFC 8628). Answers `invalid_grant` with `error_description: "mfa_required"` and an `mfa_token` when the account has a second factor.',
      caller: 'client',
      body: tokenRequestBody,
      formFirst: true,
      responses: {
        '200': json(
          'Tokens (RFC 6749 §5.1). No refresh token for `client_credentials`.',
          ref('TokenResponse'),
        ),
        '400': oauthErrorResponse('RFC 6749 §5.2 / RFC 8628 §3.5 error.'),
        '401': oauthErrorResponse('Client authentication failed (`invalid_client`).'),
        '429': RATE_LIMITED,
        '501': errorResponse('The device flow is not configured (`not_implemented`).'),
      },
    },
    {
      path: '/refresh',
      method: 'post',
      id: 'refresh',
      tag: TAG,
      summary: 'Rotate the refresh token',
      description: cookieMode
        ? 'The refresh token comes in the body or in the refresh cookie (scoped to this path).'
        : 'A reused refresh token revokes its whole family (RFC 9700 §4.14.2).',
      caller: 'anyone',
      body: refreshBody(cookieMode),
      responses: {
        '200': json('New tokens.', session),
        '400': oauthErrorResponse('Missing or invalid refresh token (`invalid_request`, `invalid_grant`).'),
        '429': RATE_LIMITED,
      },
    },
    {
      path: '/logout',
      method: 'post',
      id: 'logout',
      tag: TAG,
      summary: 'Sign out this session',
      caller: 'user',
      responses: { '204': NO_CONTENT },
    },
    {
      path: '/logout-all',
      method: 'post',
      id: 'logoutAll',
      tag: TAG,
      summary: 'Sign out every session of the user',
      caller: 'user',
      responses: { '204': NO_CONTENT },
    },
    {
      path: '/me',
      method: 'get',
      id: 'me',
      tag: TAG,
      summary: 'The signed-in user',
      caller: 'user',
      responses: { '200': json('The user.', ref('PublicUser')) },
    },
    {
      path: '/me',
      method: 'head',
      id: 'meHead',
      tag: TAG,
      summary: 'Whether the session is valid (no body)',
      caller: 'user',
      responses: { '200': { description: 'The session is valid.' } },
    },
  ];
  if (gatehouse.tokens.jwks().keys.length > 0) {
    specs.push({
      path: '/.well-known/jwks.json',
      method: 'get',
      id: 'jwks',
      tag: TAG,
      summary: 'Public keys of the access tokens (RFC 7517)',
      caller: 'anyone',
      responses: {
        '200': json('The JWK Set; cacheable for 5 minutes.', {
          type: 'object',
          properties: { keys: { type: 'array', items: { type: 'object' } } },
          required: ['keys'],
        }),
      },
    });
  }
  return specs;
}
