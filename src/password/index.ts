/**
 * Passwords: policy, argon2id hashing, legacy verification with rehash, dummy verification.
 *
 * @module
 */

export { type Argon2Parameters, OWASP_ARGON2_PARAMETERS } from './argon2.js';
export { PasswordService, type PasswordServiceOptions, type VerifyResult } from './password-service.js';
export {
  DEFAULT_PASSWORD_POLICY,
  type PasswordContext,
  type PasswordPolicy,
  type PasswordRule,
} from './policy.js';
