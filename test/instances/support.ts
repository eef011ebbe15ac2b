/**
 * Several instances of `test/instances/server.ts` (each a process, as behind a load balancer),
 * and the HTTP calls the tests make to them.
 */
import { randomBytes } from 'node:crypto';
import { startScript } from '../examples/support.js';

/** A running instance. */
export interface Instance {
  readonly url: string;
  /** Everything the process printed. */
  output(): string;
  /** Stops it (SIGKILL: no goodbye, like a crashed or killed container). */
  kill(): Promise<void>;
}

/** Starts one instance with `env` (see `server.ts`). */
export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const started = await startScript('test/instances/server.ts', env, /listening on (http:\/\/\S+)/);
  return {
    url: started.match[1] as string,
    output: started.output,
    kill: async () => {
      if (started.child.exitCode !== null || started.child.signalCode !== null) return;
      started.child.kill('SIGKILL');
      await started.exited;
    },
  };
}

/** Starts `count` instances with the same `env`, at the same time (their migrations race). */
export function startInstances(count: number, env: Record<string, string>): Promise<Instance[]> {
  return Promise.all(Array.from({ length: count }, () => startInstance(env)));
}

/** A 32-byte secret every instance of a test shares. */
export function sharedSecret(): string {
  return randomBytes(32).toString('base64url');
}

export const PASSWORD = 'violet-otter-42-lantern';

/** A JSON request; resolves with the status and the parsed body (or `{}`). */
export async function call(
  url: string,
  options: { method?: string; body?: unknown; token?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = {};
  }
  return { status: response.status, body };
}

/** The tokens of a login. */
export interface Session {
  readonly accessToken: string;
  readonly refreshToken: string;
}

/** Registers `email` on `instance`. */
export async function register(instance: Instance, email: string): Promise<string> {
  const { status, body } = await call(`${instance.url}/auth/register`, {
    body: { email, password: PASSWORD },
  });
  if (status !== 201) throw new Error(`register: ${status} ${JSON.stringify(body)}`);
  return body.id as string;
}

/** Logs `email` in on `instance`: the status, and the session when it succeeded. */
export async function login(
  instance: Instance,
  email: string,
  password = PASSWORD,
): Promise<{ status: number; session?: Session }> {
  const { status, body } = await call(`${instance.url}/auth/login`, { body: { email, password } });
  if (status !== 200) return { status };
  return {
    status,
    session: { accessToken: body.access_token as string, refreshToken: body.refresh_token as string },
  };
}

/** {@link login}, which must succeed. */
export async function signIn(instance: Instance, email: string): Promise<Session> {
  const { status, session } = await login(instance, email);
  if (!session) throw new Error(`login: ${status}`);
  return session;
}

/** Refreshes on `instance`: the status and the new session when it succeeded. */
export async function refresh(
  instance: Instance,
  refreshToken: string,
): Promise<{ status: number; session?: Session }> {
  const { status, body } = await call(`${instance.url}/auth/refresh`, {
    body: { refresh_token: refreshToken },
  });
  if (status !== 200) return { status };
  return {
    status,
    session: { accessToken: body.access_token as string, refreshToken: body.refresh_token as string },
  };
}

/** `GET /me` with the token: 200 while it is accepted, 401 once refused. */
export async function me(instance: Instance, accessToken: string): Promise<number> {
  return (await call(`${instance.url}/me`, { token: accessToken })).status;
}
