/**
 * The GitHub provider's profile (GitHub speaks plain OAuth 2.0, not OpenID Connect): the user from
 * `GET /user` and the primary email from `GET /user/emails`, with GitHub's own `verified` flag.
 * The identity is the numeric `id` (OWASP ASVS 5.0 6.8.1, 10.5.2, 10.3.3), never the `login`, which users can rename and others
 * can then take.
 *
 * @module
 */
import * as oauth from 'oauth4webapi';
import type { ProviderProfile } from './config.js';
import { OAuthFailedError } from './errors.js';
import type { ProviderRequestOptions } from './providers.js';

/** GitHub's REST API version these calls are written against. */
const GITHUB_API_VERSION = '2022-11-28';

/**
 * GETs `url` with the access token and returns the JSON body. A non-2xx answer or a body that is
 * not JSON throws {@link OAuthFailedError}.
 */
export async function getJson(
  accessToken: string,
  url: string,
  options: ProviderRequestOptions,
  headers: Record<string, string> = {},
): Promise<unknown> {
  let response: Response;
  try {
    response = await oauth.protectedResourceRequest(
      accessToken,
      'GET',
      new URL(url),
      new Headers({ accept: 'application/json', ...headers }),
      null,
      options,
    );
  } catch (error) {
    throw new OAuthFailedError({ cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new OAuthFailedError({ cause: new Error(`GET ${url} answered ${response.status}`) });
  }
  try {
    return await response.json();
  } catch (error) {
    throw new OAuthFailedError({ cause: error });
  }
}

interface GithubEmail {
  readonly email?: unknown;
  readonly primary?: unknown;
  readonly verified?: unknown;
}

/**
 * The GitHub user behind `accessToken`: subject = the numeric `id`; email = the primary address
 * from `/user/emails` with its `verified` flag (the `email` of `/user` is the public profile
 * address, which GitHub does not vouch for, so it is not used).
 */
export async function fetchGithubProfile(
  accessToken: string,
  apiBaseUrl: string,
  options: () => ProviderRequestOptions,
): Promise<ProviderProfile> {
  const base = apiBaseUrl.replace(/\/+$/, '');
  const headers = { 'x-github-api-version': GITHUB_API_VERSION };
  const user = (await getJson(accessToken, `${base}/user`, options(), headers)) as Record<
    string,
    unknown
  > | null;
  const id = user?.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    throw new OAuthFailedError({ cause: new Error('GitHub user without a numeric id') });
  }
  const emails = await getJson(accessToken, `${base}/user/emails`, options(), headers);
  const primary = Array.isArray(emails)
    ? (emails as GithubEmail[]).find((entry) => entry?.primary === true && typeof entry.email === 'string')
    : undefined;
  return {
    subject: String(id),
    email: (primary?.email as string | undefined) ?? null,
    emailVerified: primary?.verified === true,
    name: typeof user?.name === 'string' ? user.name : typeof user?.login === 'string' ? user.login : null,
  };
}
