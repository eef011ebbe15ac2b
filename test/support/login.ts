/** Login helpers for tests that are not about MFA: `AuthService.login` answers a union. */
import type {
  AuthenticatedLogin,
  Gatehouse,
  LoginInput,
  LoginResult,
  RequestContext,
} from '../../src/index.js';

/** The tokens of a login result; throws (failing the test) when a second factor was asked for. */
export function authenticated(result: LoginResult): AuthenticatedLogin {
  if (result.status !== 'authenticated') throw new Error(`expected tokens, got "${result.status}"`);
  return result;
}

/** Logs in and returns the tokens and user (throws when the account needs a second factor). */
export async function loginTokens(
  gatehouse: Pick<Gatehouse, 'auth'>,
  input: LoginInput,
  context?: RequestContext,
  options?: { scope?: readonly string[] },
): Promise<AuthenticatedLogin> {
  return authenticated(await gatehouse.auth.login(input, context, options));
}
