/**
 * The API-key routes, for a signed-in user (a session or an access token of this gatehouse —
 * never an API key, so a leaked key cannot mint or list keys):
 *
 * | route | what |
 * | --- | --- |
 * | `POST /api-keys` `{ name, scopes?, expires_in? }` | 201 `{ key, ...info }`: the key is shown this once |
 * | `GET /api-keys` | 200 `{ keys: [info, ...] }`: public id, prefix, name, scopes, dates, status; never a secret |
 * | `POST /api-keys/revoke` `{ id }` | 204; unknown, foreign or already revoked ids -> 404 |
 *
 * With `apiKeys.enabled` false, every one answers 404 like an unknown route.
 *
 * @module
 */
import type { ApiKeyInfo } from '../apikey/api-key-service.js';
import { clientError, type HttpResult, jsonResult } from './responses.js';
import type { Route, RouteInput, RouteKit, RouteTable } from './route-kit.js';

/** Scopes from a JSON list, or a space-separated string (form bodies). */
function scopesField(value: unknown): unknown {
  return typeof value === 'string' ? value.split(' ').filter(Boolean) : value;
}

/** A number field that may arrive as a form string. */
function integerField(value: unknown): unknown {
  return typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : value;
}

/** The API-key routes of {@link RouteKit}'s gatehouse. */
export function apiKeyRoutes(kit: RouteKit): RouteTable {
  const { gatehouse } = kit;

  /** Authenticates, refuses anything but a user session, reads the body (unsafe methods), maps errors. */
  const withSession =
    (run: (userId: string, body: Record<string, unknown>, input: RouteInput) => Promise<HttpResult>): Route =>
    async (input) => {
      if (!gatehouse.config.apiKeys.enabled) return clientError(404, 'not_found', 'Not found');
      // Refuses an API key (and any other non-session credential) with 403 session_required.
      const principal = await kit.principal(input);
      if ('status' in principal) return principal;
      const body = input.request.method.toUpperCase() === 'POST' ? await kit.body(input) : {};
      try {
        return await run(principal.userId, body, input);
      } catch (error) {
        return kit.flowError(error);
      }
    };

  const info = (key: ApiKeyInfo) => ({ ...key });

  return [
    [
      '/api-keys',
      'POST',
      withSession(async (userId, body, input) => {
        const created = await gatehouse.apiKeys.create(
          userId,
          { name: body.name, scopes: scopesField(body.scopes), expiresIn: integerField(body.expires_in) },
          input.context,
        );
        return jsonResult(201, { key: created.key, ...info(created.info) });
      }),
    ],
    [
      '/api-keys',
      'GET',
      withSession(async (userId) =>
        jsonResult(200, { keys: (await gatehouse.apiKeys.list(userId)).map(info) }),
      ),
    ],
    [
      '/api-keys/revoke',
      'POST',
      withSession(async (userId, body, input) => {
        await gatehouse.apiKeys.revoke(userId, body.id, input.context);
        return kit.noContent(input);
      }),
    ],
  ];
}
