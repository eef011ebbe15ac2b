/**
 * Several instances of `test/instances/server.ts` (each a process, as behind a load balancer),
 * and the HTTP calls the tests make to them.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
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

/**
 * The races between issuing and revoking, one trial each, as two instances `a` and `b` of one
 * service run them (`email` is registered). Each asserts that once the revocation has answered, no
 * token it covers is accepted by either instance.
 */
export const races = {
  /**
   * One refresh token to both at once, with the reuse interval on (the default): one rotation wins
   * and the other, within the interval, gets the *same* successor — both 200, one family, nothing
   * revoked, never two live refresh tokens. Then the successor rotates once more, and the first
   * token (now two rotations back) is reuse: the family is revoked on both instances.
   */
  async refreshAgainstRefresh(a: Instance, b: Instance, email: string): Promise<void> {
    const session = await signIn(a, email);
    const results = await Promise.all([refresh(a, session.refreshToken), refresh(b, session.refreshToken)]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const [x, y] = results.map((r) => r.session) as [Session, Session];
    expect(x.refreshToken).toBe(y.refreshToken);
    for (const accessToken of [x.accessToken, y.accessToken, session.accessToken]) {
      expect([await me(a, accessToken), await me(b, accessToken)]).toEqual([200, 200]);
    }
    const next = await refresh(b, x.refreshToken);
    expect(next.status).toBe(200);
    expect((await refresh(a, session.refreshToken)).status).toBe(400);
    for (const accessToken of [x.accessToken, y.accessToken, next.session?.accessToken as string]) {
      expect([await me(a, accessToken), await me(b, accessToken)]).toEqual([401, 401]);
    }
    expect((await refresh(b, next.session?.refreshToken as string)).status).toBe(400);
  },

  /**
   * One refresh token to both at once, with the reuse interval off (`refreshReuseInterval: 0`):
   * one rotation wins; the other is a reuse and revokes the family, the winner's tokens with it.
   */
  async refreshAgainstRefreshStrict(a: Instance, b: Instance, email: string): Promise<void> {
    const session = await signIn(a, email);
    const results = await Promise.all([refresh(a, session.refreshToken), refresh(b, session.refreshToken)]);
    // RFC 6749 §5.2: a refused refresh token is invalid_grant, 400.
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    const winner = results.find((r) => r.session)?.session;
    if (!winner) throw new Error('no winner');
    expect([await me(a, winner.accessToken), await me(b, winner.accessToken)]).toEqual([401, 401]);
    expect((await refresh(b, winner.refreshToken)).status).toBe(400);
    expect(await me(a, session.accessToken)).toBe(401);
  },

  /**
   * The reuse interval across instances, on the real clock (the instances run with a 2 s
   * interval): a used token presented to the other instance at once gets the same successor;
   * presented again after the interval, it revokes the family everywhere.
   */
  async reuseAfterInterval(a: Instance, b: Instance, email: string): Promise<void> {
    const session = await signIn(a, email);
    const rotated = await refresh(a, session.refreshToken);
    const again = await refresh(b, session.refreshToken);
    expect([rotated.status, again.status]).toEqual([200, 200]);
    expect(again.session?.refreshToken).toBe(rotated.session?.refreshToken);
    await new Promise((resolve) => setTimeout(resolve, 2_300));
    expect((await refresh(b, session.refreshToken)).status).toBe(400);
    const access = rotated.session?.accessToken as string;
    expect([await me(a, access), await me(b, access)]).toEqual([401, 401]);
    expect((await refresh(a, rotated.session?.refreshToken as string)).status).toBe(400);
  },

  /** A refresh on `a` against a logout of the same session on `b`. */
  async refreshAgainstLogout(a: Instance, b: Instance, email: string): Promise<void> {
    const session = await signIn(a, email);
    const [rotated, logout] = await Promise.all([
      refresh(a, session.refreshToken),
      call(`${b.url}/auth/logout`, { body: {}, token: session.accessToken }),
    ]);
    expect([204, 401]).toContain(logout.status);
    if (rotated.session) {
      expect([await me(a, rotated.session.accessToken), await me(b, rotated.session.accessToken)]).toEqual([
        401, 401,
      ]);
      expect((await refresh(b, rotated.session.refreshToken)).status).toBe(400);
    }
    expect(await me(b, session.accessToken)).toBe(401);
  },

  /** A login on `a` against "log out everywhere" on `b`: the new login is whole or gone, the old one gone. */
  async loginAgainstLogoutAll(a: Instance, b: Instance, email: string): Promise<void> {
    const old = await signIn(b, email);
    const [fresh, everywhere] = await Promise.all([
      login(a, email),
      call(`${b.url}/auth/logout-all`, { body: {}, token: old.accessToken }),
    ]);
    expect(everywhere.status).toBe(204);
    expect(await me(a, old.accessToken)).toBe(401);
    const session = fresh.session;
    if (!session) throw new Error(`login: ${fresh.status}`);
    // Never a live access token in a revoked login, nor the other way round.
    const accessLive = (await me(b, session.accessToken)) === 200;
    const refreshLive = (await refresh(a, session.refreshToken)).status === 200;
    expect(refreshLive).toBe(accessLive);
  },
};
