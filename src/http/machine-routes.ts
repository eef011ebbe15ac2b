/**
 * The machine routes: the client-credentials and device-code grants of `POST /token`, and the
 * device authorization grant's own routes (RFC 8628).
 *
 * | route | what |
 * | --- | --- |
 * | `POST /token` `grant_type=client_credentials` | a registered client's access token (no refresh token) |
 * | `POST /token` `grant_type=urn:ietf:params:oauth:grant-type:device_code` | polling: the approving user's tokens |
 * | `POST /device/authorize` | `client_id`, `scope` -> device code, user code, verification URIs |
 * | `POST /device/verify` (signed in) | `{ user_code }` -> what the device asks for (client, scope) |
 * | `POST /device/approve` (signed in) | `{ user_code, approve }` -> approves or denies |
 *
 * @module
 */
import { DEVICE_CODE_GRANT } from '../clients/client-input.js';
import { ValidationError } from '../errors.js';
import { machineGrantError, readClientAuthentication } from './client-auth.js';
import { deviceCodeGrantBody } from './request-bodies.js';
import { type HttpResult, jsonResult, tokenEndpointError } from './responses.js';
import { oauthTokenBody, type RouteInput, type RouteKit, type RouteTable, stringField } from './route-kit.js';

/** A grant of the token endpoint, given the already-read body. */
export type TokenGrant = (input: RouteInput, body: Record<string, unknown>) => Promise<HttpResult>;

/** The `scope` parameter as a list; `null` when present but not a string (`invalid_request`). */
function requestedScope(body: Record<string, unknown>): string[] | undefined | null {
  if (body.scope === undefined) return undefined;
  const scope = stringField(body.scope);
  return scope === undefined ? null : scope.split(' ').filter(Boolean);
}

/** `approve` from JSON (`true`/`false`) or a form (`"true"`/`"false"`); `undefined` otherwise. */
function approveFlag(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

/** The machine grants of `POST /token`, by `grant_type`. */
export function machineGrants(kit: RouteKit): Readonly<Record<string, TokenGrant>> {
  const { gatehouse } = kit;
  const realm = gatehouse.config.http.realm;

  const failure = (error: unknown, method: 'basic' | 'post' | 'none'): HttpResult => {
    const result = machineGrantError(error, realm, method);
    if (result.status === 500) kit.onError(error);
    return result;
  };

  /** RFC 6749 §4.4: client authentication, scope within the client's, an access token only. */
  const clientCredentials: TokenGrant = async (input, body) => {
    const auth = readClientAuthentication(input, body, realm);
    if (!auth.ok) return auth.result;
    const scope = requestedScope(body);
    if (scope === null) return tokenEndpointError('invalid_request', 'scope must be a string');
    try {
      const issued = await gatehouse.clients.clientCredentialsGrant(auth.credentials, scope, input.context);
      return jsonResult(200, {
        access_token: issued.accessToken,
        token_type: 'Bearer',
        expires_in: issued.expiresIn,
        ...(issued.scope.length > 0 ? { scope: issued.scope.join(' ') } : {}),
      });
    } catch (error) {
      return failure(error, auth.method);
    }
  };

  /** RFC 8628 §3.4–3.5: one poll with a device code. */
  const deviceCode: TokenGrant = async (input, body) => {
    const auth = readClientAuthentication(input, body, realm);
    if (!auth.ok) return auth.result;
    const grant = deviceCodeGrantBody.shape.device_code.safeParse(body.device_code);
    if (!grant.success) return tokenEndpointError('invalid_request', 'device_code is required');
    const code = grant.data;
    try {
      return jsonResult(
        200,
        oauthTokenBody(await gatehouse.device.poll(auth.credentials, code, input.context)),
      );
    } catch (error) {
      return failure(error, auth.method);
    }
  };

  return { client_credentials: clientCredentials, [DEVICE_CODE_GRANT]: deviceCode };
}

/** The device authorization grant's routes (see the module table). */
export function deviceRoutes(kit: RouteKit): RouteTable {
  const { gatehouse } = kit;
  const realm = gatehouse.config.http.realm;

  const authorize = async (input: RouteInput): Promise<HttpResult> => {
    const body = await kit.body(input);
    const auth = readClientAuthentication(input, body, realm);
    if (!auth.ok) return auth.result;
    const scope = requestedScope(body);
    if (scope === null) return tokenEndpointError('invalid_request', 'scope must be a string');
    try {
      const started = await gatehouse.device.authorize(auth.credentials, scope, input.context);
      return jsonResult(200, {
        device_code: started.deviceCode,
        user_code: started.userCode,
        verification_uri: started.verificationUri,
        verification_uri_complete: started.verificationUriComplete,
        expires_in: started.expiresIn,
        interval: started.interval,
      });
    } catch (error) {
      const result = machineGrantError(error, realm, auth.method);
      if (result.status === 500) kit.onError(error);
      return result;
    }
  };

  const verify = kit.signedIn(async (userId, body, input) => {
    const pending = await gatehouse.device.describe(userId, body.user_code, input.context);
    return jsonResult(200, {
      client_id: pending.clientId,
      client_name: pending.clientName,
      scope: pending.scope.join(' '),
      expires_in: pending.expiresIn,
    });
  });

  const approve = kit.signedIn(async (userId, body, input) => {
    const decision = approveFlag(body.approve);
    if (decision === undefined) {
      throw new ValidationError([
        { field: 'approve', rule: 'invalid_type', message: 'approve must be true or false' },
      ]);
    }
    const decided = await gatehouse.device.decide(userId, body.user_code, decision, input.context);
    return jsonResult(200, {
      status: decision ? 'approved' : 'denied',
      client_id: decided.clientId,
      scope: decided.scope.join(' '),
    });
  });

  return [
    ['/device/authorize', 'POST', authorize],
    ['/device/verify', 'POST', verify],
    ['/device/approve', 'POST', approve],
  ];
}
