/**
 * The account routes: email verification, password reset and change, email change, deletion.
 * Routes that could reveal whether an account exists answer 202 with a fixed message.
 *
 * @module
 */
import type { HttpResult } from './responses.js';
import type { RouteInput, RouteKit, RouteTable } from './route-kit.js';

/** Headers of responses to emailed links (FPCS §URL tokens; ASVS 14.3.2). */
const LINK_PAGE_HEADERS = { 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' };

/** The account routes of {@link RouteKit}'s gatehouse. */
export function accountRoutes(kit: RouteKit): RouteTable {
  const { gatehouse } = kit;

  /** A route without a session: origin-checked in cookie mode, body read, errors mapped. */
  const open =
    (run: (body: Record<string, unknown>, input: RouteInput) => Promise<HttpResult>) =>
    async (input: RouteInput): Promise<HttpResult> => {
      const refused = kit.crossSite(input);
      if (refused) return refused;
      const body = await kit.body(input);
      try {
        const result = await run(body, input);
        return { ...result, headers: { ...result.headers, ...LINK_PAGE_HEADERS } };
      } catch (error) {
        const result = kit.flowError(error);
        return { ...result, headers: { ...result.headers, ...LINK_PAGE_HEADERS } };
      }
    };

  const signedIn = kit.signedIn.bind(kit);

  return [
    [
      '/verify-email',
      'POST',
      open(async (body, input) => {
        await gatehouse.account.verifyEmail(body.token, input.context);
        return kit.noContent(input);
      }),
    ],
    [
      '/verify-email/resend',
      'POST',
      open(async (body, input) => {
        await gatehouse.account.resendEmailVerification(body.email, input.context);
        return kit.accepted('If the address belongs to an unverified account, a new link is on its way.');
      }),
    ],
    [
      '/password-reset/request',
      'POST',
      open(async (body, input) => {
        await gatehouse.account.requestPasswordReset(body.email, input.context);
        return kit.accepted('If the address belongs to an account, a reset link is on its way.');
      }),
    ],
    [
      '/password-reset/confirm',
      'POST',
      open(async (body, input) => {
        await gatehouse.account.confirmPasswordReset(body.token, body.password, input.context);
        return kit.noContent(input);
      }),
    ],
    [
      '/email/confirm',
      'POST',
      open(async (body, input) => {
        await gatehouse.account.confirmEmailChange(body.token, input.context);
        return kit.noContent(input);
      }),
    ],
    [
      '/password/change',
      'POST',
      signedIn(async (userId, body, input, familyId) => {
        await gatehouse.auth.changePassword(
          userId,
          { currentPassword: body.current_password as string, newPassword: body.new_password as string },
          familyId ? { keepFamilyId: familyId } : {},
          input.context,
        );
        return kit.noContent(input);
      }),
    ],
    [
      '/email/change',
      'POST',
      signedIn(async (userId, body, input) => {
        await gatehouse.account.requestEmailChange(
          userId,
          { currentPassword: body.current_password, newEmail: body.new_email },
          input.context,
        );
        return kit.accepted('A confirmation link was sent to the new address.');
      }),
    ],
    [
      '/account/delete',
      'POST',
      signedIn(async (userId, body, input) => {
        await gatehouse.account.deleteAccount(
          userId,
          { currentPassword: body.current_password, requirePassword: true },
          input.context,
        );
        return kit.noContent(input, true);
      }),
    ],
  ];
}
