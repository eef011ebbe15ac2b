/**
 * Faults with two instances under load, on servers of this file's own (they are stopped and
 * restarted here): PostgreSQL restarted, Redis restarted, an instance killed in the middle of a
 * refresh. During an outage requests fail with 503 and none succeeds wrongly; afterwards the
 * service works again by itself, and no data was half-written.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PostgresServer,
  type RedisServer,
  startPostgresServer,
  startRedisServer,
} from '../support/services/index.js';
import {
  call,
  type Instance,
  login,
  me,
  PASSWORD,
  refresh,
  register,
  sharedSecret,
  signIn,
  startInstance,
} from './support.js';

const exec = promisify(execFile);
const autocannon = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/** Responses by status code of a bounded autocannon run (a separate process). */
async function load(
  url: string,
  seconds: number,
  request: { method?: string; body?: unknown; token?: string } = {},
): Promise<Record<string, number>> {
  const args = [autocannon, '--json', '-c', '4', '-d', String(seconds), '-t', '10'];
  if (request.method) args.push('-m', request.method);
  if (request.body !== undefined)
    args.push('-H', 'content-type=application/json', '-b', JSON.stringify(request.body));
  if (request.token) args.push('-H', `authorization=Bearer ${request.token}`);
  args.push(url);
  const { stdout } = await exec(process.execPath, args, { maxBuffer: 1 << 24 });
  const result = JSON.parse(stdout) as { statusCodeStats?: Record<string, { count: number }> };
  return Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `probe` returns true (polling; the test timeout bounds the wait). */
async function eventually(probe: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
}

/** The status codes seen, without their counts. */
const codes = (stats: Record<string, number>) => Object.keys(stats).sort();

describe('faults under load', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let instances: Instance[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgresServer(), startRedisServer()]);
    env = {
      STORE: 'postgres',
      DATABASE_URL: postgres.url,
      SCHEMA: 'gatehouse',
      REDIS_URL: redis.url,
      SECRET: sharedSecret(),
    };
    instances = await Promise.all([startInstance(env), startInstance(env)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.kill()));
    await Promise.all([postgres?.destroy(), redis?.destroy()]);
  });

  it('PostgreSQL restarted while both instances serve: 503 during the outage, never a revoked token accepted, back by itself', async () => {
    const [a, b] = instances as [Instance, Instance];
    await register(a, 'pg-fault@example.com');
    const live = await signIn(a, 'pg-fault@example.com');
    const revoked = await signIn(b, 'pg-fault@example.com');
    expect((await call(`${b.url}/auth/logout`, { body: {}, token: revoked.accessToken })).status).toBe(204);

    const runs = Promise.all([
      load(`${a.url}/me`, 6, { token: live.accessToken }),
      load(`${b.url}/me`, 6, { token: live.accessToken }),
      load(`${a.url}/me`, 6, { token: revoked.accessToken }),
      load(`${b.url}/me`, 6, { token: revoked.accessToken }),
    ]);
    await sleep(1_500);
    await postgres.stop();
    await sleep(2_000);
    await postgres.start();
    const [liveA, liveB, revokedA, revokedB] = await runs;

    for (const stats of [liveA, liveB]) {
      expect(codes(stats)).toEqual(['200', '503']);
    }
    for (const stats of [revokedA, revokedB]) {
      // Refused (401) or unavailable (503): never accepted, never a 500.
      expect(codes(stats).every((code) => code === '401' || code === '503')).toBe(true);
      expect(stats['503'] ?? 0).toBeGreaterThan(0);
    }
    // Back by itself: the pools reconnect, the session is whole (it refreshes), the revoked one stays out.
    await eventually(
      async () => (await me(a, live.accessToken)) === 200 && (await me(b, live.accessToken)) === 200,
    );
    expect(await me(a, revoked.accessToken)).toBe(401);
    expect((await refresh(b, live.refreshToken)).status).toBe(200);
  });

  it('Redis restarted while both instances serve logins: 503 during the outage, never a wrong password accepted, back by itself', async () => {
    const [a, b] = instances as [Instance, Instance];
    await register(a, 'redis-right@example.com');
    await register(a, 'redis-wrong@example.com');
    const runs = Promise.all([
      load(`${a.url}/auth/login`, 5, {
        method: 'POST',
        body: { email: 'redis-right@example.com', password: PASSWORD },
      }),
      load(`${b.url}/auth/login`, 5, {
        method: 'POST',
        body: { email: 'redis-right@example.com', password: PASSWORD },
      }),
      load(`${a.url}/auth/login`, 5, {
        method: 'POST',
        body: { email: 'redis-wrong@example.com', password: 'not-the-password-1' },
      }),
    ]);
    await sleep(1_500);
    await redis.stop();
    await sleep(1_500);
    await redis.start();
    const [rightA, rightB, wrong] = await runs;
    for (const stats of [rightA, rightB]) expect(codes(stats)).toEqual(['200', '503']);
    expect(codes(wrong).every((code) => code === '401' || code === '503')).toBe(true);
    expect(wrong['503'] ?? 0).toBeGreaterThan(0);
    await eventually(async () => (await login(b, 'redis-right@example.com')).status === 200);
    expect((await login(a, 'redis-right@example.com')).status).toBe(200);
  });

  it('with rateLimits.failOpen, registration goes on while Redis is down; without it, it answers 503', async () => {
    const open = await startInstance({ ...env, FAIL_OPEN: '1' });
    instances.push(open);
    const [closed] = instances as [Instance];
    await redis.stop();
    try {
      const email = `failopen-${randomBytes(3).toString('hex')}@example.com`;
      expect(
        (await call(`${closed.url}/auth/register`, { body: { email, password: PASSWORD } })).status,
      ).toBe(503);
      expect((await call(`${open.url}/auth/register`, { body: { email, password: PASSWORD } })).status).toBe(
        201,
      );
      // The lockout is not a rate limit: login still needs Redis and fails closed.
      expect((await login(open, email)).status).toBe(503);
    } finally {
      await redis.start();
    }
    // Back by itself once Redis is: the rate-limited route answers again.
    await eventually(
      async () =>
        (
          await call(`${closed.url}/auth/register`, {
            body: { email: `back-${randomBytes(3).toString('hex')}@example.com`, password: PASSWORD },
          })
        ).status === 201,
    );
  });

  it('an instance killed in the middle of refreshes leaves no half-rotated family: each token rotated or still usable', async () => {
    const survivor = instances[1] as Instance;
    // Its Redis connection may still be coming back from the previous test's restart.
    await eventually(async () => Boolean(await register(survivor, 'kill@example.com')));
    const db = new pg.Pool({ connectionString: postgres.url, max: 2 });
    db.on('error', () => undefined);
    try {
      for (let trial = 0; trial < 6; trial++) {
        const victim = await startInstance(env);
        const session = await signIn(survivor, 'kill@example.com');
        const sent = refresh(victim, session.refreshToken).catch(() => ({ status: 0 }));
        await sleep(trial * 3);
        await victim.kill();
        await sent;
        // Rotated (presented again within the reuse interval: the same successor, 200; after it, the
        // family is revoked: 400) or untouched (rotates here: 200); nothing else.
        const after = await refresh(survivor, session.refreshToken);
        expect([200, 400]).toContain(after.status);
        const { rows } = await db.query(
          `SELECT count(*)::int AS broken FROM gatehouse.tokens t
           WHERE t.replaced_by IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM gatehouse.tokens s WHERE s.id = t.replaced_by AND s.family_id = t.family_id)`,
        );
        expect(rows[0]?.broken).toBe(0);
      }
    } finally {
      await db.end();
    }
  });
});
