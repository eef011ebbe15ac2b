/**
 * The `clients` and `device` sections of the configuration (part of the one schema in
 * `src/config.ts`): registered service clients and the device authorization grant.
 *
 * @module
 */
import { z } from 'zod';

/** Registered clients (client credentials, RFC 6749 §4.4). */
export const clientsConfigSchema = z
  .object({
    /**
     * The `role` of a principal authenticated with a client's token. Default `''`: no role, so
     * `requireRole` refuses client tokens unless you name a role here (e.g. `SERVICE`) and allow
     * it; guard machine routes with `requireScope` instead. Users' roles are never involved.
     */
    role: z.string().max(64).default(''),
  })
  .strict();

/** The device authorization grant (RFC 8628). */
export const deviceConfigSchema = z
  .object({
    /**
     * The page where users enter the code (`verification_uri`), e.g.
     * `https://app.example.com/device`. Default: `account.baseUrl` + `path`. Without either, the
     * device routes answer 501. Never built from the request's `Host`.
     */
    verificationUri: z.url({ protocol: /^https?$/ }).optional(),
    /** Path of the verification page under `account.baseUrl`. Default `/device`. */
    path: z.string().startsWith('/').default('/device'),
    /** Lifetime of a device code and its user code, seconds (1–30 min). Default 600. */
    expiresIn: z.number().int().min(60).max(1800).default(600),
    /** Polling interval given to devices, seconds (RFC 8628 §3.2 default 5). */
    interval: z.number().int().min(1).max(60).default(5),
  })
  .strict();

/**
 * The `verification_uri` of the device flow: `device.verificationUri`, or `account.baseUrl` with
 * `device.path` appended to its own path (an app under a prefix keeps it, as emailed links do);
 * `undefined` when neither is configured.
 */
export function deviceVerificationUri(
  device: { readonly verificationUri?: string | undefined; readonly path: string },
  baseUrl: string | undefined,
): string | undefined {
  if (device.verificationUri !== undefined) return device.verificationUri;
  if (baseUrl === undefined) return undefined;
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${device.path}`;
  url.search = '';
  url.hash = '';
  return url.href;
}
