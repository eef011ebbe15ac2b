import type { Gatehouse, Principal } from '../../../src/index.js';

/**
 * A `fetch`-shaped client: real `fetch` over a socket, or a framework's own test tool (Fastify's
 * `inject()`, Hono's `app.request()`) behind the same signature.
 */
export type Client = (url: string, init?: RequestInit) => Promise<Response>;

/** A client for requests `fetch` cannot send: raw header pairs, duplicates kept. */
export type RawClient = (
  url: string,
  method: string,
  headers: ReadonlyArray<readonly [string, string]>,
) => Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>;

/**
 * A running test app. Over real HTTP it listens on 127.0.0.1 with an ephemeral port and has no
 * `client`; in process, `url` is a made-up origin that only `client` and `raw` answer.
 */
export interface RunningApp {
  readonly url: string;
  /** The in-process transport (absent: real HTTP at `url`). */
  readonly client?: Client;
  /** The in-process transport for raw header pairs (absent: `node:http` at `url`). */
  readonly raw?: RawClient;
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
 * - `GET /orgs/:org/docs/:id`: authenticate(), authorize('viewer', doc:<org>/<id>) (two typed params)
 * - `GET /whoami`: authenticate(), then the principal through the adapter's non-null accessor
 * - `GET /unguarded-whoami`: no guard, the same accessor (a wiring mistake: answered 500, never 200)
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

let inProcessApps = 0;

/** A fresh origin for an in-process app: unique, so concurrent apps never share one. */
export function inProcessOrigin(tool: string): string {
  inProcessApps += 1;
  return `http://${tool}-${inProcessApps}.gatehouse.test`;
}
