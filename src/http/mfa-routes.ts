/**
 * The MFA routes: completing a login with a second factor, and TOTP enrolment, disabling and
 * backup codes for the signed-in user. Every answer carries `Cache-Control: no-store`; secrets and
 * backup codes appear only in the one response that creates them.
 *
 * @module
 */
import type { MfaProof } from '../mfa/mfa-service.js';
import { MFA_VERIFY_MESSAGES, mfaVerifyBody } from './request-bodies.js';
import { clientError, type HttpResult, jsonResult } from './responses.js';
import type { RouteInput, RouteKit, RouteTable } from './route-kit.js';

/** The MFA routes of {@link RouteKit}'s gatehouse. */
export function mfaRoutes(kit: RouteKit): RouteTable {
  const { gatehouse } = kit;

  /**
   * POST /mfa/verify `{ challenge, code }` or `{ challenge, backup_code }`: the second step of a
   * login that answered `mfa_required` (or of a password grant that answered `mfa_token`). Answers
   * like /login: tokens, or cookies in cookie mode (origin-checked there, like /login).
   */
  const verify = async (input: RouteInput): Promise<HttpResult> => {
    const refused = kit.crossSite(input);
    if (refused) return refused;
    const parsed = mfaVerifyBody.safeParse(await kit.body(input));
    if (!parsed.success) {
      return clientError(
        400,
        'invalid_request',
        parsed.error.issues[0]?.message ?? MFA_VERIFY_MESSAGES.proof,
      );
    }
    const { code, backup_code: backupCode } = parsed.data;
    const challenge = (parsed.data.challenge ?? parsed.data.mfa_token) as string;
    const proof: MfaProof = code !== undefined ? { code } : { backupCode: backupCode as string };
    try {
      const result = await gatehouse.mfa.completeLogin(challenge, proof, input.context);
      return kit.sessionResult(result, input, result.user);
    } catch (error) {
      return kit.flowError(error);
    }
  };

  const signedIn = kit.signedIn.bind(kit);

  const keep = (familyId: string | null): { keepFamilyId?: string } =>
    familyId ? { keepFamilyId: familyId } : {};

  return [
    ['/mfa/verify', 'POST', verify],
    [
      '/mfa/totp/enroll',
      'POST',
      signedIn(async (userId, body, input) => {
        const enrolment = await gatehouse.mfa.beginTotpEnrolment(
          userId,
          { currentPassword: body.current_password },
          input.context,
        );
        return jsonResult(200, {
          secret: enrolment.secret,
          otpauth_uri: enrolment.uri,
          qr_svg: enrolment.qrSvg,
        });
      }),
    ],
    [
      '/mfa/totp/confirm',
      'POST',
      signedIn(async (userId, body, input, familyId) => {
        const { backupCodes } = await gatehouse.mfa.confirmTotpEnrolment(
          userId,
          body.code,
          input.context,
          keep(familyId),
        );
        return jsonResult(200, { backup_codes: backupCodes });
      }),
    ],
    [
      '/mfa/totp/disable',
      'POST',
      signedIn(async (userId, body, input, familyId) => {
        await gatehouse.mfa.disableTotp(
          userId,
          { currentPassword: body.current_password },
          input.context,
          keep(familyId),
        );
        return kit.noContent(input);
      }),
    ],
    [
      '/mfa/backup-codes',
      'POST',
      signedIn(async (userId, body, input, familyId) => {
        const { backupCodes } = await gatehouse.mfa.regenerateBackupCodes(
          userId,
          { currentPassword: body.current_password },
          input.context,
          keep(familyId),
        );
        return jsonResult(200, { backup_codes: backupCodes });
      }),
    ],
  ];
}
