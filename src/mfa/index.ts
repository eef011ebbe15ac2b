/**
 * MFA: the primitives — TOTP (RFC 6238), encryption of TOTP secrets at rest, backup codes, pure
 * functions with no storage — and {@link MfaService}, the enrolment and login flows that store
 * steps, sealed secrets and hashes (`gatehouse.mfa`).
 *
 * @module
 */

export type { MfaMethod } from '../events.js';
export {
  BACKUP_CODE_BYTES,
  BACKUP_CODE_LENGTH,
  type BackupCodeKey,
  CROCKFORD_ALPHABET,
  formatBackupCode,
  generateBackupCodes,
  hashBackupCode,
  MAX_BACKUP_CODES,
  MIN_BACKUP_CODE_KEY_BYTES,
  MIN_BACKUP_CODES,
  matchBackupCode,
  normalizeBackupCode,
} from './backup-codes.js';
export { InvalidMfaCodeError, MfaAlreadyEnabledError, MfaNotConfiguredError } from './errors.js';
export type { MfaUnlockReason, SecondFactorLockState } from './factor-lock.js';
export {
  type BackupCodeSet,
  MFA_SUSPICIOUS_AFTER,
  type MfaProof,
  MfaService,
  type MfaServiceOptions,
  type MfaStatus,
  type ReauthenticationInput,
  type TotpEnrolment,
} from './mfa-service.js';
export {
  importSecretBoxKey,
  importSecretBoxKeys,
  type OpenedSecret,
  openSecret,
  openSecretDetailed,
  SECRET_BOX_KEY_BYTES,
  SECRET_BOX_VERSION,
  SecretBoxError,
  type SecretBoxFailure,
  type SecretBoxKey,
  type SecretBoxKeys,
  sealSecret,
} from './secret-box.js';
export {
  DEFAULT_TOTP_SECRET_BYTES,
  generateTotpSecret,
  MAX_TOTP_SECRET_BYTES,
  MAX_TOTP_WINDOW,
  MIN_TOTP_SECRET_BYTES,
  TOTP_ALGORITHMS,
  type TotpAlgorithm,
  type TotpOptions,
  type TotpSecret,
  type TotpUriInput,
  totpCode,
  totpQrDataUrl,
  totpQrSvg,
  totpStep,
  totpUri,
  type VerifyTotpInput,
  verifyTotp,
} from './totp.js';
