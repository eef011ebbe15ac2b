/**
 * Several instances of one service sharing PostgreSQL and Redis, as behind a load balancer: two
 * processes of `server.ts` on one schema and one Redis prefix. What holds on one instance must
 * hold across them: a logout is seen everywhere, one refresh token rotates once (a second
 * presentation within the reuse interval gets the same successor, never a second family), failed logins add
 * up to the same lockout, an OAuth login may finish on another instance, a relationship written on
 * one is read on the other, and a deleted account is gone everywhere.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  atCallback,
  Browser,
  fragmentOf,
  OIDC_PROVIDER,
  outsideAuth,
  startOidcPeerWithDoors,
} from '../oauth/support.js';
import { postgresSchemas } from '../support/postgres-schemas.js';
import { describeWithPostgres, describeWithRedis } from '../support/services/index.js';
import {
  call,
  type Instance,
  login,
  me,
  PASSWORD,
  races,
  refresh,
  register,
  sharedSecret,
  signIn,
  startInstances,
} from './support.js';

const TRIALS = 20;

describeWithPostgres('several instances', (databaseUrl) => {
  describeWithRedis('on PostgreSQL and Redis', (redisUrl) => {
    const schemas = postgresSchemas(databaseUrl);
    const schema = `gh_inst_${randomBytes(5).toString('hex')}`;
    let a: Instance;
    let b: Instance;
    /** Two more on the same schema, with the refresh reuse interval off. */
    let strictA: Instance;
    let strictB: Instance;
    let oidc: Awaited<ReturnType<typeof startOidcPeerWithDoors>>;
    let users = 0;
    const newEmail = () => `user${++users}-${randomBytes(3).toString('hex')}@example.com`;

    beforeAll(async () => {
      oidc = await startOidcPeerWithDoors({ doors: 1 });
      const door = oidc.doors[0];
      if (!door) throw new Error('no door');
      const env = {
        STORE: 'postgres',
        DATABASE_URL: databaseUrl,
        SCHEMA: schema,
        REDIS_URL: redisUrl,
        REDIS_PREFIX: `${schema}:`,
        SECRET: sharedSecret(),
        OIDC_ISSUER: oidc.peer.issuer,
        OIDC_CLIENT_SECRET: oidc.clientSecret,
        PUBLIC_URL: door.url,
      };
      const [pair, strict] = await Promise.all([
        startInstances(2, env),
        startInstances(2, { ...env, REFRESH_REUSE_INTERVAL: '0' }),
      ]);
      [a, b] = pair as [Instance, Instance];
      [strictA, strictB] = strict as [Instance, Instance];
    }, 120_000);

    afterAll(async () => {
      await Promise.all([a?.kill(), b?.kill(), strictA?.kill(), strictB?.kill()]);
      await oidc?.close();
      await schemas.drop(schema);
    });

    it('logout on A: the token is refused on B at once', async () => {
      const email = newEmail();
      await register(a, email);
      const session = await signIn(b, email);
      expect(await me(b, session.accessToken)).toBe(200);
      expect((await call(`${a.url}/auth/logout`, { body: {}, token: session.accessToken })).status).toBe(204);
      expect(await me(b, session.accessToken)).toBe(401);
      expect(await me(a, session.accessToken)).toBe(401);
      expect((await refresh(b, session.refreshToken)).status).toBe(400);
    });

    it(`one refresh token sent to A and B at once (${TRIALS} trials): within the reuse interval both get the same successor, one family; reuse two rotations back revokes it everywhere`, async () => {
      const email = newEmail();
      await register(a, email);
      for (let trial = 0; trial < TRIALS; trial++) await races.refreshAgainstRefresh(a, b, email);
    });

    it(`with the reuse interval off, one refresh token sent to A and B at once (${TRIALS} trials): one rotation wins, the other revokes the family, no token of it survives`, async () => {
      const email = newEmail();
      await register(strictA, email);
      for (let trial = 0; trial < TRIALS; trial++)
        await races.refreshAgainstRefreshStrict(strictA, strictB, email);
    });

    it(`a refresh on A racing a logout on B (${TRIALS} trials): once both answered, nothing of the session is accepted`, async () => {
      const email = newEmail();
      await register(a, email);
      for (let trial = 0; trial < TRIALS; trial++) await races.refreshAgainstLogout(a, b, email);
    });

    it(`a login on A racing "log out everywhere" on B (${TRIALS} trials): the new session is whole or gone, the old one gone`, async () => {
      const email = newEmail();
      await register(a, email);
      for (let trial = 0; trial < TRIALS; trial++) await races.loginAgainstLogoutAll(a, b, email);
    });

    it('failed logins spread across A and B lock the account at the same count as on one instance', async () => {
      const attempts = async (targets: Instance[], failures: number) => {
        const email = newEmail();
        await register(a, email);
        for (let i = 0; i < failures; i++) {
          expect(
            (await login(targets[i % targets.length] as Instance, email, 'wrong password 123')).status,
          ).toBe(401);
        }
        return (await login(targets[failures % targets.length] as Instance, email)).status;
      };
      // maxFailures is 5: four failures leave the account open, five lock it, wherever they happen.
      expect(await attempts([a], 4)).toBe(200);
      expect(await attempts([a], 5)).toBe(401);
      expect(await attempts([a, b], 4)).toBe(200);
      expect(await attempts([a, b], 5)).toBe(401);
      expect(await attempts([b, a, a, b, b], 5)).toBe(401);
    });

    it('an OAuth login started on A completes on B', async () => {
      const door = oidc.doors[0];
      if (!door) throw new Error('no door');
      oidc.newAccount('oidc-user@corp.example');
      const browser = new Browser();
      door.target = a.url;
      const started = await browser.follow(
        `${door.url}/auth/oauth/${OIDC_PROVIDER}/login?return_to=/app`,
        atCallback(door.url, OIDC_PROVIDER),
      );
      expect(started.next).toBeDefined();
      door.target = b.url;
      const finished = await browser.follow(started.next as string, outsideAuth(door.url));
      const code = fragmentOf(finished.next as string).get('login_code');
      expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      door.target = a.url;
      const exchanged = await call(`${door.url}/auth/oauth/exchange`, { body: { login_code: code } });
      expect(exchanged.status).toBe(200);
      expect(await me(b, exchanged.body.access_token as string)).toBe(200);
      // The code was single-use across instances too.
      door.target = b.url;
      expect((await call(`${door.url}/auth/oauth/exchange`, { body: { login_code: code } })).status).toBe(
        400,
      );
      door.target = undefined;
    });

    it("a relationship written on A is seen by B's next check", async () => {
      const check = () => call(`${b.url}/check?object=doc:d1&relation=viewer&subject=user:anne`);
      expect((await check()).body.allowed).toBe(false);
      expect(
        (
          await call(`${a.url}/tuples`, {
            body: { object: 'doc:d1', relation: 'owner', subject: 'user:anne' },
          })
        ).status,
      ).toBe(200);
      expect((await check()).body.allowed).toBe(true);
    });

    it('an account deleted on A cannot log in on B, and its tokens are refused there', async () => {
      const email = newEmail();
      await register(a, email);
      const session = await signIn(b, email);
      const deleted = await call(`${a.url}/auth/account/delete`, {
        body: { current_password: PASSWORD },
        token: session.accessToken,
      });
      expect(deleted.status).toBe(204);
      expect((await login(b, email)).status).toBe(401);
      expect(await me(b, session.accessToken)).toBe(401);
    });
  });
});

describeWithPostgres('several instances with the token-record cache', (databaseUrl) => {
  describeWithRedis('invalidated over PostgreSQL and over Redis', (redisUrl) => {
    const schemas = postgresSchemas(databaseUrl);
    const schema = `gh_cache_${randomBytes(5).toString('hex')}`;
    const instances: Record<'postgres' | 'redis', [Instance, Instance]> = {} as never;

    beforeAll(async () => {
      const secret = sharedSecret();
      for (const channel of ['postgres', 'redis'] as const) {
        instances[channel] = (await startInstances(2, {
          STORE: 'postgres',
          DATABASE_URL: databaseUrl,
          SCHEMA: schema,
          REDIS_URL: redisUrl,
          REDIS_PREFIX: `${schema}:`,
          SECRET: secret,
          RECORD_CACHE: channel,
          CACHE_MAX_AGE: '30',
        })) as [Instance, Instance];
      }
    }, 120_000);

    afterAll(async () => {
      await Promise.all(
        Object.values(instances)
          .flat()
          .map((instance) => instance.kill()),
      );
      await schemas.drop(schema);
    });

    /** Polls `GET /me` until the token is refused; the test timeout is the bound this test allows. */
    const refusedSoon = async (instance: Instance, token: string) => {
      while ((await me(instance, token)) !== 401) await new Promise((resolve) => setTimeout(resolve, 20));
    };

    for (const channel of ['postgres', 'redis'] as const) {
      it(`${channel}: logout on A, refused on B (cached there) as soon as the invalidation arrives, well within maxAge`, async () => {
        const [a, b] = instances[channel];
        const email = `cache-${channel}-${randomBytes(3).toString('hex')}@example.com`;
        await register(a, email);
        const session = await signIn(a, email);
        expect(await me(b, session.accessToken)).toBe(200);
        expect(await me(b, session.accessToken)).toBe(200);
        expect((await call(`${a.url}/auth/logout`, { body: {}, token: session.accessToken })).status).toBe(
          204,
        );
        expect(await me(a, session.accessToken)).toBe(401);
        await refusedSoon(b, session.accessToken);
      });
    }

    it('postgres: the listening connections terminated empty the caches: a revocation nobody announced is refused', async () => {
      const [a, b] = instances.postgres;
      const email = `cache-down-${randomBytes(3).toString('hex')}@example.com`;
      await register(a, email);
      const session = await signIn(a, email);
      expect(await me(b, session.accessToken)).toBe(200);
      const admin = schemas.admin;
      const listeners = async () =>
        (
          await admin.query<{ pid: number }>(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'gatehouse-invalidation'",
          )
        ).rows.map((r) => r.pid);
      const killed = await listeners();
      expect(killed.length).toBeGreaterThanOrEqual(2);
      await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [killed]);
      // Both instances noticed, emptied their caches, and listen again on new connections.
      while ((await listeners()).filter((pid) => !killed.includes(pid)).length < 2) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Revoked in the database directly: no notification. B's cache was emptied when its channel dropped.
      await admin.query(
        `UPDATE "${schema}".token_families SET revoked_at = now() WHERE user_id = (SELECT id::text FROM "${schema}".users WHERE email = $1)`,
        [email],
      );
      expect(await me(b, session.accessToken)).toBe(401);
    });
  });
});
