/**
 * What the MFA flow modules share, built once by `MfaService`: its options, the keys that
 * seal TOTP secrets, the issuer shown in authenticator apps, and the security-notice mail.
 *
 * @module
 */
import type { RequestContext } from '../events.js';
import { defaultMailTemplates, mergeMailTemplates } from '../mail/index.js';
import { MfaNotConfiguredError } from './errors.js';
import type { MfaServiceOptions } from './mfa-service.js';
import { importSecretBoxKeys, type SecretBoxKeys } from './secret-box.js';
import { totpIssuer } from './totp-enrolment.js';

/** The shared state of the MFA flows. */
export interface MfaFlowContext {
  readonly options: MfaServiceOptions;
  /** The keys of `mfa.secretKeys`; `undefined` when TOTP is not configured. */
  readonly keys: SecretBoxKeys | undefined;
  /** The issuer of the otpauth URI: `mfa.issuer`, else the app name. */
  readonly issuer: string;
  /** The keys of `mfa.secretKeys`; throws `MfaNotConfiguredError` (501) without them. */
  secretKeys(): SecretBoxKeys;
  /**
   * Mails a security notice to the stored address in the background, when a mailer is configured;
   * `advice` replaces the notice's default closing lines.
   */
  notify(to: string, event: string, context?: RequestContext, advice?: string): void;
}

/**
 * Builds the context. Checks `mfa.secretKeys` when given: a key that is not exactly 32 bytes throws
 * `ConfigError` naming `mfa.secretKeys`.
 */
export function createMfaFlowContext(options: MfaServiceOptions): MfaFlowContext {
  const { secretKeys } = options.config.mfa;
  if (secretKeys !== undefined) importSecretBoxKeys(secretKeys as SecretBoxKeys, 'mfa.secretKeys');
  const keys = secretKeys as SecretBoxKeys | undefined;
  const issuer = totpIssuer(options.config);
  const templates = mergeMailTemplates(options.config.mail.templates ?? {}, defaultMailTemplates);
  return {
    options,
    keys,
    issuer,
    secretKeys(): SecretBoxKeys {
      if (keys === undefined) throw new MfaNotConfiguredError();
      return keys;
    },
    notify(to: string, event: string, context?: RequestContext, advice?: string): void {
      const { mailer } = options.config.mail;
      if (!mailer) return;
      const at = options.clock();
      void Promise.resolve()
        .then(() =>
          mailer.send({
            to,
            ...templates.securityNotice({
              appName: options.config.account.appName,
              event,
              at,
              ...(context?.ip ? { ipAddress: context.ip } : {}),
              ...(context?.userAgent ? { userAgent: context.userAgent } : {}),
              ...(advice === undefined ? {} : { advice }),
            }),
          }),
        )
        .catch((error) =>
          (options.onMailError ?? ((e) => console.error('gatehouse: mail failed', e)))(error),
        );
    },
  };
}
