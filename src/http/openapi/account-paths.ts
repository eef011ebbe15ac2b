/**
 * The document's account and second-factor routes: email verification, password reset and
 * change, email change, deletion, and MFA.
 *
 * @module
 */
import {
  currentPasswordBody,
  emailChangeBody,
  emailedTokenBody,
  emailOnlyBody,
  mfaVerifyBody,
  passwordChangeBody,
  passwordResetConfirmBody,
  totpConfirmBody,
} from '../request-bodies.js';
import { errorResponse, json, NO_CONTENT, RATE_LIMITED, ref } from './components.js';
import type { DocumentContext, OperationSpec } from './operation.js';

const NOT_CONFIGURED = errorResponse('Mail is not configured (`mail_not_configured`).');
const BAD_LINK = errorResponse(
  'Invalid fields, or an invalid, used or expired link token (`invalid_token`).',
);

/** The account routes of the documented gatehouse. */
export function accountSpecs(context: DocumentContext): OperationSpec[] {
  const policy = context.gatehouse.passwords.policy;
  const rules = { minLength: policy.minLength, maxLength: policy.maxLength };
  const tag = 'account';
  const accepted = (description: string) => json(description, ref('Accepted'));
  return [
    {
      path: '/verify-email',
      method: 'post',
      id: 'verifyEmail',
      tag,
      summary: 'Confirm an email address with the emailed token',
      caller: 'anyone',
      body: emailedTokenBody,
      responses: { '204': NO_CONTENT, '400': BAD_LINK, '501': NOT_CONFIGURED },
    },
    {
      path: '/verify-email/resend',
      method: 'post',
      id: 'resendEmailVerification',
      tag,
      summary: 'Send a new verification link',
      caller: 'anyone',
      body: emailOnlyBody,
      responses: { '202': accepted('Always the same answer.'), '429': RATE_LIMITED, '501': NOT_CONFIGURED },
    },
    {
      path: '/password-reset/request',
      method: 'post',
      id: 'requestPasswordReset',
      tag,
      summary: 'Email a password-reset link',
      caller: 'anyone',
      body: emailOnlyBody,
      responses: {
        '202': accepted('Always the same answer, for known and unknown addresses.'),
        '429': RATE_LIMITED,
        '501': NOT_CONFIGURED,
      },
    },
    {
      path: '/password-reset/confirm',
      method: 'post',
      id: 'confirmPasswordReset',
      tag,
      summary: 'Set a new password with the emailed token',
      description: 'Ends every session of the account.',
      caller: 'anyone',
      body: passwordResetConfirmBody(rules),
      responses: { '204': NO_CONTENT, '400': BAD_LINK, '501': NOT_CONFIGURED },
    },
    {
      path: '/email/confirm',
      method: 'post',
      id: 'confirmEmailChange',
      tag,
      summary: 'Confirm a new email address with the emailed token',
      caller: 'anyone',
      body: emailedTokenBody,
      responses: { '204': NO_CONTENT, '400': BAD_LINK, '501': NOT_CONFIGURED },
    },
    {
      path: '/password/change',
      method: 'post',
      id: 'changePassword',
      tag,
      summary: 'Change the password',
      description: 'Ends every other session of the account.',
      caller: 'user',
      body: passwordChangeBody(rules),
      responses: { '204': NO_CONTENT, '429': RATE_LIMITED },
    },
    {
      path: '/email/change',
      method: 'post',
      id: 'requestEmailChange',
      tag,
      summary: 'Change the email address (confirmed by a link sent to it)',
      caller: 'user',
      body: emailChangeBody,
      responses: { '202': accepted('The link was sent.'), '429': RATE_LIMITED, '501': NOT_CONFIGURED },
    },
    {
      path: '/account/delete',
      method: 'post',
      id: 'deleteAccount',
      tag,
      summary: 'Delete the account',
      caller: 'user',
      body: currentPasswordBody,
      responses: { '204': NO_CONTENT, '429': RATE_LIMITED },
    },
  ];
}

/** The second-factor routes of the documented gatehouse. */
export function mfaSpecs(context: DocumentContext): OperationSpec[] {
  const tag = 'mfa';
  const backupCodes = json('The backup codes, shown this once.', {
    type: 'object',
    properties: { backup_codes: { type: 'array', items: { type: 'string' } } },
    required: ['backup_codes'],
  });
  const notConfigured = errorResponse('TOTP is not configured (`mfa_not_configured`).');
  return [
    {
      path: '/mfa/verify',
      method: 'post',
      id: 'verifyMfa',
      tag,
      summary: 'Complete a login with a second factor',
      description:
        'The `challenge` of `mfa_required` (or the password grant’s `mfa_token`) and exactly one of `code` or `backup_code`. Answers like `/login`.',
      caller: 'anyone',
      body: mfaVerifyBody,
      responses: {
        '200': json('Signed in.', context.session),
        '401': errorResponse('Wrong code, or an unknown or expired challenge (`invalid_credentials`).'),
        '429': RATE_LIMITED,
      },
    },
    {
      path: '/mfa/totp/enroll',
      method: 'post',
      id: 'beginTotpEnrolment',
      tag,
      summary: 'Start TOTP enrolment (RFC 6238)',
      caller: 'user',
      body: currentPasswordBody,
      responses: {
        '200': json('The secret, as text, an `otpauth://` URI and a QR code.', {
          type: 'object',
          properties: {
            secret: { type: 'string' },
            otpauth_uri: { type: 'string' },
            qr_svg: { type: 'string' },
          },
          required: ['secret', 'otpauth_uri', 'qr_svg'],
        }),
        '409': errorResponse('TOTP is already enabled (`mfa_already_enabled`).'),
        '501': notConfigured,
      },
    },
    {
      path: '/mfa/totp/confirm',
      method: 'post',
      id: 'confirmTotpEnrolment',
      tag,
      summary: 'Finish TOTP enrolment with a first code',
      caller: 'user',
      body: totpConfirmBody,
      responses: { '200': backupCodes, '401': errorResponse('Wrong code.'), '501': notConfigured },
    },
    {
      path: '/mfa/totp/disable',
      method: 'post',
      id: 'disableTotp',
      tag,
      summary: 'Turn TOTP off',
      caller: 'user',
      body: currentPasswordBody,
      responses: { '204': NO_CONTENT, '501': notConfigured },
    },
    {
      path: '/mfa/backup-codes',
      method: 'post',
      id: 'regenerateBackupCodes',
      tag,
      summary: 'Replace the backup codes',
      caller: 'user',
      body: currentPasswordBody,
      responses: { '200': backupCodes, '501': notConfigured },
    },
  ];
}
