/**
 * Finding an external issuer's JWKS URL through its metadata document: OpenID Connect Discovery
 * (`<issuer>/.well-known/openid-configuration`) or RFC 8414 (`/.well-known/oauth-authorization-server`
 * inserted before the issuer's path). The document's `issuer` must equal the configured issuer
 * exactly (RFC 8414 §3.3, OIDC Discovery §4.3), so a document served for another issuer cannot
 * substitute its keys; `jwks_uri` must be https unless insecure http is explicitly allowed.
 *
 * @module
 */
import { IssuerUnavailableError } from '../errors.js';

/** Where the metadata of `issuer` is published. */
export function metadataUrl(issuer: string, kind: 'oidc' | 'oauth2'): URL {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  if (kind === 'oidc') url.pathname = `${path}/.well-known/openid-configuration`;
  else url.pathname = `/.well-known/oauth-authorization-server${path}`;
  return url;
}

/**
 * Fetches the metadata of `issuer` within `timeoutMs` and returns its `jwks_uri`. An unreachable,
 * slow, non-200 or malformed document, an `issuer` that is not exactly the configured one, or a
 * non-https `jwks_uri` throws {@link IssuerUnavailableError} (the request is answered 503; the
 * next one tries again).
 */
export async function discoverJwksUri(
  issuer: string,
  kind: 'oidc' | 'oauth2',
  options: { readonly timeoutMs: number; readonly allowInsecureHttp: boolean },
): Promise<URL> {
  let metadata: unknown;
  try {
    const response = await fetch(metadataUrl(issuer, kind), {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (response.status !== 200) throw new Error(`metadata answered ${response.status}`);
    metadata = await response.json();
  } catch (error) {
    throw new IssuerUnavailableError({ cause: error });
  }
  const record = (typeof metadata === 'object' && metadata !== null ? metadata : {}) as Record<
    string,
    unknown
  >;
  if (record.issuer !== issuer) {
    throw new IssuerUnavailableError({
      cause: new Error('metadata issuer does not match the configured issuer'),
    });
  }
  let jwksUri: URL;
  try {
    jwksUri = new URL(String(record.jwks_uri));
  } catch (error) {
    throw new IssuerUnavailableError({ cause: error });
  }
  if (jwksUri.protocol !== 'https:' && !(options.allowInsecureHttp && jwksUri.protocol === 'http:')) {
    throw new IssuerUnavailableError({ cause: new Error('jwks_uri must be an https URL') });
  }
  return jwksUri;
}
