/**
 * The token-record cache across two instances on PostgreSQL, invalidated through `LISTEN/NOTIFY`:
 * a logout on one instance is refused on the other as soon as the notification arrives; while the
 * listening connection is down the cache serves nothing; a lost notification is bounded by maxAge.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createPostgresInvalidationChannel,
  createPostgresStore,
  type PostgresStore,
} from '../../adapters/postgres/index.js';
import { createGatehouse, type Gatehouse } from '../../src/index.js';
import { CHEAP_ARGON2, FakeClock, GOOD_PASSWORD, newSecret } from '../support/gatehouse.js';
import { observedChannel } from '../support/invalidation.js';
import { newSchemaName, postgresSchemas } from '../support/postgres-schemas.js';
import { describeWithPostgres } from '../support/services/index.js';

describeWithPostgres('token record cache on PostgreSQL LISTEN/NOTIFY', (url) => {
  const schemas = postgresSchemas(url);
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  /** Two instances (own pools, own channels) on one schema, with a shared fake clock. */
  async function twoInstances(maxAge = 5) {
    const clock = new FakeClock();
    const secret = newSecret();
    const schema = newSchemaName();
    cleanup.push(() => schemas.drop(schema));
    const instance = async (name: string) => {
      const store: PostgresStore = await createPostgresStore({
        connectionString: url,
        schema,
        poolOptions: { max: 4 },
      });
      const observed = observedChannel(
        createPostgresInvalidationChannel({
          pool: store.pool,
          // Named, so that a test can terminate this instance's listening connection and no other.
          connection: { connectionString: url, application_name: `${schema}-${name}` },
          heartbeatMs: 1_000,
          maxReconnectDelayMs: 200,
        }),
      );
      const gatehouse = createGatehouse({
        store,
        clock: clock.now,
        tokens: { secret, recordCache: { channel: observed.channel, maxAge } },
        password: { argon2: CHEAP_ARGON2 },
      });
      cleanup.push(async () => {
        await gatehouse.close();
        await store.close();
      });
      await observed.status(true);
      return { store, gatehouse, observed };
    };
    const a = await instance('a');
    const b = await instance('b');
    return { clock, a, b, schema };
  }

  async function signIn(gatehouse: Gatehouse) {
    await gatehouse.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
    const login = await gatehouse.auth.login({ identifier: 'ada@example.com', password: GOOD_PASSWORD });
    if (login.status !== 'authenticated') throw new Error('expected tokens');
    return login;
  }

  it('logout on A: refused on B once the notification arrived', async () => {
    const { a, b } = await twoInstances();
    const { accessToken, familyId } = await signIn(a.gatehouse);
    await b.gatehouse.auth.authenticate(accessToken);
    await a.gatehouse.auth.logout(accessToken);
    await b.observed.received((m) => m.kind === 'family' && m.id === familyId);
    await expect(b.gatehouse.auth.authenticate(accessToken)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
  });

  it('the listening connection terminated: B reports down, reads the store, reconnects by itself', async () => {
    const { a, b, schema } = await twoInstances();
    const { accessToken, familyId } = await signIn(a.gatehouse);
    await b.gatehouse.auth.authenticate(accessToken);
    await schemas.admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
      [`${schema}-b`],
    );
    await b.observed.status(false);
    // Revoked behind gatehouse's back while B cannot hear anything: B must not serve its cache.
    await a.store.pool.query(`UPDATE "${schema}".token_families SET revoked_at = now() WHERE id = $1`, [
      familyId,
    ]);
    await expect(b.gatehouse.auth.authenticate(accessToken)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
    await b.observed.status(true);
    // Listening again: a new login is cached and invalidated as before.
    const again = await a.gatehouse.auth.login({ identifier: 'ada@example.com', password: GOOD_PASSWORD });
    if (again.status !== 'authenticated') throw new Error('expected tokens');
    await b.gatehouse.auth.authenticate(again.accessToken);
    await a.gatehouse.auth.logoutAll((await a.gatehouse.auth.authenticate(again.accessToken)).user.id);
    await b.observed.received((m) => m.kind === 'user');
    await expect(b.gatehouse.auth.authenticate(again.accessToken)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
  });

  it('a revocation no notification announced is seen within maxAge', async () => {
    const { a, b, clock, schema } = await twoInstances(10);
    const { accessToken, familyId } = await signIn(a.gatehouse);
    await b.gatehouse.auth.authenticate(accessToken);
    await a.store.pool.query(`UPDATE "${schema}".token_families SET revoked_at = now() WHERE id = $1`, [
      familyId,
    ]);
    clock.advance(9);
    await b.gatehouse.auth.authenticate(accessToken);
    clock.advance(1);
    await expect(b.gatehouse.auth.authenticate(accessToken)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
  });

  describe('channel', () => {
    it('refuses a channel name that is not a plain identifier', async () => {
      const store = await createPostgresStore({
        connectionString: url,
        schema: newSchemaName(),
        poolOptions: { max: 1 },
      });
      cleanup.push(async () => {
        await store.close();
        await schemas.drop(store.schema);
      });
      expect(() => createPostgresInvalidationChannel({ pool: store.pool, channel: 'a; NOTIFY x' })).toThrow(
        TypeError,
      );
    });
  });
});
