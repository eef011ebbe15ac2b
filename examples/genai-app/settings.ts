/**
 * What the example reads from its environment, and what it makes up in development so that every
 * part of gatehouse works on a fresh clone. `NODE_ENV=production` turns the development helpers
 * off: secrets and keys must then come from the environment, and mail needs SMTP.
 *
 * | variable | meaning |
 * | --- | --- |
 * | `PORT`, `HOST` | where to listen (3000, 127.0.0.1) |
 * | `PUBLIC_URL` | the base of links in mails and of OAuth callbacks (default `http://HOST:PORT`) |
 * | `FRAMEWORK` | `hono` (default), `express` or `fastify` |
 * | `GATEHOUSE_DB` | the SQLite file (default `examples/genai-app/.data/gatehouse.sqlite`) |
 * | `GATEHOUSE_SECRET` | token signing secret; development: generated into the data folder |
 * | `MFA_SECRET_KEYS` | comma-separated 32-byte keys for TOTP secrets; development: generated |
 * | `SMTP_HOST`, `SMTP_PORT`, `SMTP_USER`, `SMTP_PASS`, `MAIL_FROM` | real mail; development without them: the outbox |
 * | `ADMIN_EMAIL` | the account promoted to ADMIN once its address is verified |
 * | `GITHUB_CLIENT_ID`, `GITHUB_CLIENT_SECRET` | "Log in with GitHub" (`GITHUB_URL`, `GITHUB_API_URL`: Enterprise Server) |
 * | `OIDC_ISSUER`, `OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET` | "Log in with OpenID Connect" (any provider) |
 * | `OPENAI_BASE_URL`, `OPENAI_API_KEY`, `OPENAI_MODEL` | an OpenAI-compatible model server (see `models.ts`) |
 * | `AUTHZ_MODE`, `AUTHZ_URL`, `AUTHZ_SHARED_SECRET` | decisions by the decision service (see `policy.ts`) |
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createMemoryMailer,
  createSmtpMailer,
  type GatehouseConfig,
  type Mailer,
  type MemoryMailer,
} from '../../src/index.js';

type Env = Readonly<Record<string, string | undefined>>;
type OAuthSettings = NonNullable<GatehouseConfig['oauth']>;

/** `true` unless `NODE_ENV=production`. */
export const isDevelopment = (env: Env): boolean => env.NODE_ENV !== 'production';

/**
 * A secret from `variable`, or in development one generated on first start into `dataDir/file`
 * (mode 0600) and read back afterwards, so tokens and TOTP secrets survive restarts.
 */
export function secretFromEnvOrDataFolder(env: Env, variable: string, dataDir: string, file: string): string {
  const fromEnv = env[variable];
  if (fromEnv) return fromEnv;
  if (!isDevelopment(env)) throw new Error(`${variable} is required when NODE_ENV=production`);
  const path = join(dataDir, file);
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(path, 'utf8').trim();
}

/** The mailer: SMTP when `SMTP_HOST` is set; in development otherwise, the in-memory outbox. */
export function mailerFromEnv(env: Env): { mailer: Mailer | undefined; outbox: MemoryMailer | undefined } {
  if (env.SMTP_HOST) {
    const port = Number(env.SMTP_PORT ?? 587);
    return {
      mailer: createSmtpMailer({
        host: env.SMTP_HOST,
        port,
        from: env.MAIL_FROM ?? 'GenAI example <no-reply@localhost>',
        ...(env.SMTP_USER && env.SMTP_PASS ? { auth: { user: env.SMTP_USER, pass: env.SMTP_PASS } } : {}),
        // A local mail catcher without TLS, only when asked for by name.
        ...(env.SMTP_INSECURE === '1' ? { requireTLS: false, ignoreTLS: true } : {}),
      }),
      outbox: undefined,
    };
  }
  if (!isDevelopment(env)) return { mailer: undefined, outbox: undefined };
  const outbox = createMemoryMailer();
  return { mailer: outbox, outbox };
}

/** OAuth providers configured by the environment; callbacks under `publicUrl`. */
export function oauthFromEnv(env: Env, publicUrl: string): { names: string[]; config: OAuthSettings } {
  const callback = (name: string) => `${publicUrl}/auth/oauth/${name}/callback`;
  const providers: NonNullable<OAuthSettings['providers']> = {};
  if (env.GITHUB_CLIENT_ID && env.GITHUB_CLIENT_SECRET) {
    providers.github = {
      type: 'github',
      clientId: env.GITHUB_CLIENT_ID,
      clientSecret: env.GITHUB_CLIENT_SECRET,
      redirectUri: callback('github'),
      // GitHub Enterprise Server (or a local stand-in): its own endpoints and API.
      ...(env.GITHUB_URL
        ? {
            issuer: env.GITHUB_URL,
            authorizationEndpoint: `${env.GITHUB_URL}/login/oauth/authorize`,
            tokenEndpoint: `${env.GITHUB_URL}/login/oauth/access_token`,
            apiBaseUrl: env.GITHUB_API_URL ?? `${env.GITHUB_URL}/api/v3`,
          }
        : {}),
    };
  }
  if (env.OIDC_ISSUER && env.OIDC_CLIENT_ID) {
    providers.oidc = {
      type: 'oidc',
      issuer: env.OIDC_ISSUER,
      clientId: env.OIDC_CLIENT_ID,
      ...(env.OIDC_CLIENT_SECRET ? { clientSecret: env.OIDC_CLIENT_SECRET } : {}),
      redirectUri: callback('oidc'),
    };
  }
  // A provider on plain-http loopback (a local test provider) is allowed in development only.
  const loopback = (value: string | undefined) => /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(value ?? '');
  const loopbackIssuer = loopback(env.OIDC_ISSUER) || loopback(env.GITHUB_URL);
  return {
    names: Object.keys(providers),
    config: {
      providers,
      defaultReturnTo: '/',
      ...(loopbackIssuer && isDevelopment(env) ? { allowInsecureRequests: true } : {}),
    },
  };
}
