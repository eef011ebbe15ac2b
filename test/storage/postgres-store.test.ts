/**
 * `createPostgresStore` against a real PostgreSQL server: the whole store contract (with a second
 * pool as the other instance), the interleavings only a networked database allows, the plans of
 * the hot queries, and the guard's one query per request.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../../adapters/postgres/index.js';
import { PostgresTokenRepository } from '../../adapters/postgres/tokens.js';
import { createGatehouse } from '../../src/index.js';
import {
  addMs,
  buildSuccessor,
  buildTokenRecord,
  buildUserRecord,
  CONTRACT_EPOCH,
  describeStoreContract,
} from '../../src/testing.js';
import { CHEAP_ARGON2, GOOD_PASSWORD, newSecret } from '../support/gatehouse.js';
import { newSchemaName, postgresSchemas } from '../support/postgres-schemas.js';
import { describeWithPostgres } from '../support/services/index.js';

describeWithPostgres('PostgreSQL store', (url) => {
  const schemas = postgresSchemas(url);
  const opened: PostgresStore[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) {
      await store.close();
      await schemas.drop(store.schema);
    }
  });
  /** A store on a new schema, closed and dropped after the test. */
  async function newStore(options: { schema?: string; poolSize?: number } = {}): Promise<PostgresStore> {
    const store = await createPostgresStore({
      connectionString: url,
      schema: options.schema ?? newSchemaName(),
      poolOptions: { max: options.poolSize ?? 4 },
    });
    opened.push(store);
    return store;
  }

  describeStoreContract(
    'contract',
    async () => {
      const store = await createPostgresStore({
        connectionString: url,
        schema: newSchemaName(),
        poolOptions: { max: 4 },
      });
      const close = store.close;
      return Object.assign(store, {
        close: async () => {
          await close();
          await schemas.drop(store.schema);
        },
      });
    },
    {
      // Another instance: its own pool on the same schema.
      peer: (store) =>
        createPostgresStore({
          connectionString: url,
          schema: (store as PostgresStore).schema,
          poolOptions: { max: 4 },
        }),
    },
  );

  describe('revocation and concurrent writes', () => {
    it('a family started in a transaction that commits after "log out everywhere" is ended (user generation)', async () => {
      const store = await newStore();
      const userId = randomUUID();
      const refresh = buildTokenRecord({ userId });
      const client = await store.pool.connect();
      try {
        // A login whose first write is not committed yet while the revocation runs and commits.
        await client.query('BEGIN');
        await new PostgresTokenRepository(client, { schema: store.schema }).create(refresh);
        expect(await store.tokens.revokeAllForUser(userId, addMs(CONTRACT_EPOCH, 1000))).toBe(0);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      // The row is marked active, but its family started under the old generation.
      const { rows } = await store.pool.query(
        `SELECT is_active FROM "${store.schema}".tokens WHERE id = $1`,
        [refresh.id],
      );
      expect(rows[0]?.is_active).toBe(true);
      expect((await store.tokens.findById(refresh.id))?.active).toBe(false);
      const access = buildSuccessor(refresh, CONTRACT_EPOCH, { kind: 'access', tokenHash: null });
      await store.tokens.create(access);
      expect((await store.tokens.findById(access.id))?.active).toBe(false);
    });

    it('an access row inserted while revokeFamily runs is still read as inactive', async () => {
      const store = await newStore();
      const refresh = buildTokenRecord({ userId: randomUUID() });
      await store.tokens.create(refresh);
      const access = buildSuccessor(refresh, CONTRACT_EPOCH, { kind: 'access', tokenHash: null });
      const client = await store.pool.connect();
      try {
        await client.query('BEGIN');
        await new PostgresTokenRepository(client, { schema: store.schema }).create(access);
        // The revoking UPDATE cannot see the uncommitted row: it escapes the row marking...
        await store.tokens.revokeFamily(refresh.familyId, addMs(CONTRACT_EPOCH, 1000));
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      // ...but not the family, which every read joins.
      expect((await store.tokens.findById(access.id))?.active).toBe(false);
    });
  });

  describe('queries', () => {
    it('the hot queries use an index on a seeded table (EXPLAIN)', async () => {
      const store = await newStore();
      const s = `"${store.schema}"`;
      // 20,000 users, 60,000 tokens in 20,000 families, counters and state rows.
      await store.pool.query(
        `INSERT INTO ${s}.users (id, email, role, is_active, password_change_required, created_at, updated_at)
         SELECT gen_random_uuid(), 'u' || i || '@example.com', 'USER', true, false, now(), now()
         FROM generate_series(1, 20000) i`,
      );
      await store.pool.query(
        `INSERT INTO ${s}.token_families (id, user_id, generation, expires_at, created_at)
         SELECT 'f' || i, u.id::text, 0, now() + interval '30 days', now()
         FROM (SELECT id, row_number() OVER () AS i FROM ${s}.users) u`,
      );
      await store.pool.query(
        `INSERT INTO ${s}.tokens (id, user_id, kind, family_id, token_hash, expires_at, family_expires_at,
           is_active, created_at, updated_at)
         SELECT 't' || f.id || '-' || k, f.user_id, CASE WHEN k = 1 THEN 'refresh' ELSE 'access' END, f.id,
           CASE WHEN k = 1 THEN 'h' || f.id END, now() + interval '15 minutes', f.expires_at, true, now(), now()
         FROM ${s}.token_families f, generate_series(1, 3) k`,
      );
      await store.pool.query(
        `INSERT INTO ${s}.counters (key, count, reset_at)
         SELECT 'rl:ip:' || i || '@1', 1, now() + interval '1 hour' FROM generate_series(1, 20000) i`,
      );
      await store.pool.query(
        `INSERT INTO ${s}.state (key, value, expires_at)
         SELECT 'oauth:' || i, '{}', now() + interval '10 minutes' FROM generate_series(1, 20000) i`,
      );
      await store.pool.query(
        `INSERT INTO ${s}.api_keys (id, user_id, name, secret_hash, scopes, created_at, expires_at)
         SELECT 'k' || i, 'u' || (i % 5000), 'key', 'h' || i, '{read}', now(), now() + interval '90 days'
         FROM generate_series(1, 20000) i`,
      );
      await store.pool.query(
        `INSERT INTO ${s}.linked_identities (id, user_id, provider, issuer, subject, email_verified, created_at, updated_at)
         SELECT gen_random_uuid(), 'u' || i, 'github', 'https://github.com', 's' || i, false, now(), now()
         FROM generate_series(1, 20000) i`,
      );
      await store.pool.query(
        `INSERT INTO ${s}.oauth_clients (id, name, scopes, grant_types, created_at, updated_at)
         SELECT 'client-' || i, 'c', '{read}', '{client_credentials}', now(), now() FROM generate_series(1, 20000) i`,
      );
      await store.pool.query(
        `INSERT INTO ${s}.mfa_totp (user_id, secret, enabled, created_at, updated_at)
         SELECT 'u' || i, 'secret', true, now(), now() FROM generate_series(1, 20000) i`,
      );
      await store.pool.query(
        `ANALYZE ${s}.users, ${s}.tokens, ${s}.token_families, ${s}.counters, ${s}.state, ${s}.api_keys,
           ${s}.linked_identities, ${s}.oauth_clients, ${s}.mfa_totp`,
      );
      const { rows: sample } = await store.pool.query(`SELECT user_id, family_id FROM ${s}.tokens LIMIT 1`);
      const userId = sample[0]?.user_id as string;
      const familyId = sample[0]?.family_id as string;
      const explainOf = async (sql: string, values: unknown[]) => {
        const { rows } = await store.pool.query(`EXPLAIN ${sql}`, values);
        return rows.map((r) => r['QUERY PLAN'] as string).join('\n');
      };
      // Capture the statements the repositories send, then EXPLAIN each with its own parameters.
      const sent: { text: string; values: unknown[] }[] = [];
      const query = store.pool.query.bind(store.pool);
      store.pool.query = ((config: { text: string; values: unknown[] }) => {
        sent.push({ text: config.text, values: config.values });
        return query(config as never);
      }) as unknown as typeof store.pool.query;
      const now = new Date();
      await store.tokens.findByIdWithUser(`t${familyId}-2`, store.users);
      await store.tokens.findByHash(`h${familyId}`);
      await store.tokens.listActiveForUser(userId, now);
      await store.tokens.revokeFamily(familyId, now);
      await store.tokens.revokeAllForUser(userId, now);
      await store.users.findByEmail('u5@example.com');
      await store.counters.hitSliding('rl:ip:7', 60_000, now, 10);
      await store.state.take('oauth:5', now);
      await store.apiKeys.findById('k77');
      await store.identities.findBySubject('https://github.com', 's77');
      await store.clients.findById('client-77');
      await store.mfa.getTotp('u77');
      const [firstUser] = await store.users.list({ limit: 50 });
      if (!firstUser) throw new Error('expected users');
      await store.users.list({ limit: 50, after: { createdAt: firstUser.createdAt, id: firstUser.id } });
      store.pool.query = query;
      expect(sent).toHaveLength(14);
      const tables = [
        'users',
        'tokens',
        'token_families',
        'counters',
        'state',
        'api_keys',
        'linked_identities',
      ];
      for (const { text, values } of sent) {
        const plan = await explainOf(text, values);
        for (const table of [...tables, 'oauth_clients', 'mfa_totp']) {
          expect(plan, `${text}\n${plan}`).not.toMatch(new RegExp(`Seq Scan on ${table}\\b`));
        }
      }
    });

    it('a guarded request is one query; with the token unknown or revoked too', async () => {
      const store = await newStore();
      const gatehouse = createGatehouse({
        store,
        tokens: { secret: newSecret() },
        password: { argon2: CHEAP_ARGON2 },
      });
      await gatehouse.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
      const login = await gatehouse.auth.login({ identifier: 'ada@example.com', password: GOOD_PASSWORD });
      if (login.status !== 'authenticated') throw new Error('expected tokens');
      let queries = 0;
      const query = store.pool.query.bind(store.pool);
      store.pool.query = ((...args: Parameters<typeof query>) => {
        queries++;
        return query(...args);
      }) as typeof store.pool.query;
      const principal = await gatehouse.auth.authenticate(login.accessToken);
      expect(principal.user.email).toBe('ada@example.com');
      expect(queries).toBe(1);
      await gatehouse.auth.authenticate(login.accessToken);
      expect(queries).toBe(2);
      store.pool.query = query;
      await gatehouse.auth.logout(login.accessToken);
      await expect(gatehouse.auth.authenticate(login.accessToken)).rejects.toMatchObject({
        code: 'ERR_TOKEN_REVOKED',
      });
    });
  });

  describe('schema and migrations', () => {
    it('keeps each schema apart and refuses a schema name that is not a plain identifier', async () => {
      const a = await newStore();
      const b = await newStore();
      await a.users.create(buildUserRecord({ email: 'same@example.com' }));
      await b.users.create(buildUserRecord({ email: 'same@example.com' }));
      expect(await a.users.count()).toBe(1);
      expect(await b.users.count()).toBe(1);
      for (const schema of ['Public', 'a-b', 'x"; DROP TABLE users; --', '']) {
        await expect(createPostgresStore({ connectionString: url, schema })).rejects.toMatchObject({
          code: 'ERR_CONFIG',
        });
      }
    });

    it('instances starting together apply each migration once (advisory lock)', async () => {
      const schema = newSchemaName();
      const stores = await Promise.all(
        Array.from({ length: 6 }, () =>
          createPostgresStore({ connectionString: url, schema, poolOptions: { max: 2 } }),
        ),
      );
      const { rows } = await schemas.admin.query(
        `SELECT version, count(*)::int AS n FROM "${schema}".gatehouse_migrations GROUP BY version`,
      );
      for (const store of stores) await store.close();
      await schemas.drop(schema);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.n === 1)).toBe(true);
    });

    it("with migrate: false refuses a schema that is not at this release's version", async () => {
      await expect(
        createPostgresStore({ connectionString: url, schema: newSchemaName(), migrate: false }),
      ).rejects.toThrow(/npx gatehouse migrate/);
      const store = await newStore();
      const checked = await createPostgresStore({
        connectionString: url,
        schema: store.schema,
        migrate: false,
      });
      await checked.close();
    });

    it('a pool passed in stays open on close(); a store refuses both or neither of pool and connectionString', async () => {
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      pool.on('error', () => undefined);
      const schema = newSchemaName();
      const store = await createPostgresStore({ pool, schema });
      await store.close();
      expect((await pool.query('SELECT 1 AS one')).rows[0]?.one).toBe(1);
      await schemas.drop(schema);
      await pool.end();
      await expect(createPostgresStore({} as never)).rejects.toMatchObject({ code: 'ERR_CONFIG' });
      await expect(createPostgresStore({ pool, connectionString: url })).rejects.toMatchObject({
        code: 'ERR_CONFIG',
      });
    });
  });
});
