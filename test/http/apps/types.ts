import type { Gatehouse, Principal } from '../../../src/index.js';

/** A running test app on 127.0.0.1 with an ephemeral port. */
export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Every adapter's test app mounts the same routes (see `describeAdapterConformance`):
 * - `/auth/*`: the auth routes
 * - `GET|POST /generate/text`: authenticate()
 * - `POST /generate/image`, `GET|POST /admin`: authenticate(), requireRole('ADMIN')
 * - `GET /scoped`: authenticate(), requireScope('read')
 * - `GET /optional`: authenticate({ optional: true })
 * - `GET /basic`: basicAuth({ credentials: BASIC_CREDENTIALS })
 * - `GET /basic-store`: basicAuth() against the user store
 * - `POST /api/data`: authenticate()
 * - `GET /moderate`: authenticate(), requireRole('MODERATOR') (with the configured hierarchy)
 * - `POST /images`: authenticate(), requirePermission('generate_image')
 * - `GET /docs/:id`: authenticate(), authorize('viewer', doc:<id>)
 * - `GET /public`: no guard, `{ ok: true }`
 * Guarded routes answer 200 with {@link principalJson} of the principal.
 */
export type StartApp = (gatehouse: Gatehouse) => Promise<RunningApp>;

export const BASIC_CREDENTIALS = {
  Aladdin: 'open sesame',
  test: '123£',
  ops: { password: 'ops-secret', role: 'ADMIN' },
};

/** What guarded test routes answer with. */
export function principalJson(principal: Principal | null | undefined): object {
  if (!principal) return { userId: null };
  return {
    userId: principal.userId,
    role: principal.role,
    method: principal.method,
    scopes: principal.scopes,
    ...(principal.issuer === undefined ? {} : { issuer: principal.issuer }),
  };
}
