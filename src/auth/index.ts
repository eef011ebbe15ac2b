export {
  type AuthenticatedLogin,
  type AuthenticatedSubject,
  type AuthenticatedUser,
  AuthService,
  type AuthServiceOptions,
  type ClientTokenCheck,
  type LoginInput,
  type LoginResult,
  type LoginSecondFactor,
  type MfaRequiredLogin,
  type RegisterInput,
} from './auth-service.js';
export {
  canonicalEmail,
  canonicalUsername,
  emailIssues,
  MAX_EMAIL_LENGTH,
  USERNAME_MAX_LENGTH,
  USERNAME_MIN_LENGTH,
  usernameIssues,
} from './identity.js';
export { type PublicUser, toPublicUser } from './public-user.js';
