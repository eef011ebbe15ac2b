/**
 * The MFA, API-key, linked-identity and client repositories of `gatehouse/postgres` against a real
 * PostgreSQL server, one schema per test: the contract suites, then what the contract leaves to
 * the store (values PostgreSQL `text` cannot hold, transactions, instances with pools of their own).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresApiKeyRepository } from '../../adapters/postgres/api-keys.js';
import { PostgresClientRepository } from '../../adapters/postgres/clients.js';
import { PostgresAccountRepository } from '../../adapters/postgres/identities.js';
import { PostgresMfaRepository } from '../../adapters/postgres/mfa.js';
import {
  addMs,
  buildApiKeyRecord,
  buildClientRecord,
  buildLinkedIdentity,
  buildTotpRecord,
  CONTRACT_EPOCH,
  describeAccountRepositoryContract,
  describeApiKeyRepositoryContract,
  describeClientRepositoryContract,
  describeMfaRepositoryContract,
  randomTokenHash,
} from '../../src/testing.js';
import { freshOnSchema, postgresSchemas, testPool } from '../support/postgres-schemas.js';
import { describeWithPostgres } from '../support/services/index.js';

const NUL = '\u0000';

describeWithPostgres('PostgreSQL repositories: MFA, API keys, identities, clients', (url) => {
  const schemas = postgresSchemas(url);
  const fresh = <T extends object>(build: (pool: ReturnType<typeof testPool>, schema: string) => T) =>
    freshOnSchema(url, schemas, build);
  describeMfaRepositoryContract(
    'mfa',
    fresh((pool, schema) => new PostgresMfaRepository(pool, schema)),
  );
  describeApiKeyRepositoryContract(
    'api keys',
    fresh((pool, schema) => new PostgresApiKeyRepository(pool, schema)),
  );
  describeAccountRepositoryContract(
    'identities',
    fresh((pool, schema) => new PostgresAccountRepository(pool, schema)),
  );
  describeClientRepositoryContract(
    'clients',
    fresh((pool, schema) => new PostgresClientRepository(pool, schema)),
  );

  describe('beyond the contract', () => {
    /** Pools and schemas of the running test, ended and dropped after it. */
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step();
    });
    async function schema(): Promise<string> {
      const name = await schemas.create();
      cleanup.push(() => schemas.drop(name));
      return name;
    }
    function pool(max = 4) {
      const created = testPool(url, max);
      cleanup.push(() => created.end());
      return created;
    }

    describe('values with NUL, which no PostgreSQL text can hold', () => {
      // Were any of these sent, the server would reject it (22021) and the call would throw.
      it('lookups and deletes of a NUL key find nothing, and what is stored stays', async () => {
        const s = await schema();
        const db = pool();
        const mfa = new PostgresMfaRepository(db, s);
        const totp = buildTotpRecord();
        const code = randomTokenHash();
        await mfa.saveTotp(totp);
        await mfa.replaceBackupCodes(totp.userId, [code], CONTRACT_EPOCH);
        expect(await mfa.getTotp(`${totp.userId}${NUL}`)).toBeNull();
        expect(await mfa.useTotpStep(`${totp.userId}${NUL}`, 1, CONTRACT_EPOCH)).toBe(false);
        expect(await mfa.consumeBackupCode(totp.userId, `${code}${NUL}`)).toBe(false);
        expect(await mfa.consumeBackupCode(`${totp.userId}${NUL}`, code)).toBe(false);
        expect(await mfa.countBackupCodes(`${totp.userId}${NUL}`)).toBe(0);
        expect(await mfa.deleteTotp(`${totp.userId}${NUL}`)).toBe(false);
        await mfa.deleteAllForUser(`${totp.userId}${NUL}`);
        expect(await mfa.getTotp(totp.userId)).toEqual(totp);
        expect(await mfa.countBackupCodes(totp.userId)).toBe(1);

        const keys = new PostgresApiKeyRepository(db, s);
        const key = buildApiKeyRecord();
        await keys.create(key, 5);
        expect(await keys.findById(`${key.id}${NUL}`)).toBeNull();
        expect(await keys.listForUser(`${key.userId}${NUL}`)).toEqual([]);
        expect(await keys.revoke(key.id, `${key.userId}${NUL}`, CONTRACT_EPOCH)).toBe(false);
        expect(await keys.revoke(`${key.id}${NUL}`, key.userId, CONTRACT_EPOCH)).toBe(false);
        await keys.touch(`${key.id}${NUL}`, CONTRACT_EPOCH);
        expect(await keys.deleteAllForUser(`${key.userId}${NUL}`)).toBe(0);
        expect(await keys.findById(key.id)).toEqual(key);

        const identities = new PostgresAccountRepository(db, s);
        const identity = buildLinkedIdentity();
        await identities.create(identity);
        expect(await identities.findBySubject(identity.issuer, `${identity.subject}${NUL}`)).toBeNull();
        expect(await identities.findBySubject(`${identity.issuer}${NUL}`, identity.subject)).toBeNull();
        expect(await identities.findByUserAndProvider(identity.userId, `github${NUL}`)).toBeNull();
        expect(await identities.listForUser(`${identity.userId}${NUL}`)).toEqual([]);
        expect(await identities.update(`${identity.id}${NUL}`, { tokens: 'x' }, CONTRACT_EPOCH)).toBeNull();
        expect(await identities.delete(`${identity.id}${NUL}`)).toBe(false);
        expect(await identities.deleteAllForUser(`${identity.userId}${NUL}`)).toBe(0);
        expect(await identities.findBySubject(identity.issuer, identity.subject)).toEqual(identity);

        const clients = new PostgresClientRepository(db, s);
        const client = buildClientRecord();
        await clients.create(client);
        expect(await clients.findById(`${client.id}${NUL}`)).toBeNull();
        expect(await clients.update(`${client.id}${NUL}`, { name: 'x' }, CONTRACT_EPOCH)).toBeNull();
        expect(await clients.delete(`${client.id}${NUL}`)).toBe(false);
        expect(await clients.list()).toEqual([client]);
      });

      it('a write of a NUL value throws and writes nothing, and the pool stays usable', async () => {
        const s = await schema();
        const db = pool(1);
        const keys = new PostgresApiKeyRepository(db, s);
        const userId = randomUUID();
        await expect(keys.create(buildApiKeyRecord({ userId, name: `a${NUL}b` }), 5)).rejects.toThrow();
        await expect(keys.create(buildApiKeyRecord({ userId, scopes: [`read${NUL}`] }), 5)).rejects.toThrow();
        expect(await keys.listForUser(userId)).toEqual([]);
        expect(await keys.create(buildApiKeyRecord({ userId }), 5)).toBe(true);

        const mfa = new PostgresMfaRepository(db, s);
        const kept = [randomTokenHash(), randomTokenHash()];
        await mfa.replaceBackupCodes(userId, kept, CONTRACT_EPOCH);
        // The old set was deleted before the insert failed: the rollback brings it back.
        await expect(
          mfa.replaceBackupCodes(userId, [randomTokenHash(), `x${NUL}`], CONTRACT_EPOCH),
        ).rejects.toThrow();
        expect(await mfa.countBackupCodes(userId)).toBe(2);
        await expect(mfa.saveTotp(buildTotpRecord({ userId, secret: `s${NUL}` }))).rejects.toThrow();
        expect(await mfa.getTotp(userId)).toBeNull();

        const identities = new PostgresAccountRepository(db, s);
        await expect(
          identities.create(buildLinkedIdentity({ userId, subject: `1${NUL}` })),
        ).rejects.toThrow();
        expect(await identities.listForUser(userId)).toEqual([]);

        const clients = new PostgresClientRepository(db, s);
        await expect(clients.create(buildClientRecord({ name: `n${NUL}` }))).rejects.toThrow();
        expect(await clients.list()).toEqual([]);
      });
    });

    describe('API keys: the per-user cap', () => {
      it('holds across two instances (two pools) creating at once, for several users', async () => {
        const s = await schema();
        const a = new PostgresApiKeyRepository(pool(8), s);
        const b = new PostgresApiKeyRepository(pool(8), s);
        const users = Array.from({ length: 4 }, () => randomUUID());
        const results = await Promise.all(
          users.flatMap((userId) =>
            Array.from({ length: 20 }, (_, i) =>
              (i % 2 === 0 ? a : b)
                .create(buildApiKeyRecord({ userId }), 5)
                .then((created) => ({ userId, created })),
            ),
          ),
        );
        for (const userId of users) {
          const mine = results.filter((r) => r.userId === userId);
          expect(mine.filter((r) => r.created)).toHaveLength(5);
          expect(await a.listForUser(userId)).toHaveLength(5);
          expect(await b.listForUser(userId)).toHaveLength(5);
        }
      });

      it('a revocation frees a place for the next create, whichever instance makes it', async () => {
        const s = await schema();
        const a = new PostgresApiKeyRepository(pool(), s);
        const b = new PostgresApiKeyRepository(pool(), s);
        const userId = randomUUID();
        const first = buildApiKeyRecord({ userId });
        expect(await a.create(first, 2)).toBe(true);
        expect(await b.create(buildApiKeyRecord({ userId }), 2)).toBe(true);
        expect(await a.create(buildApiKeyRecord({ userId }), 2)).toBe(false);
        expect(await b.revoke(first.id, userId, addMs(CONTRACT_EPOCH, 1))).toBe(true);
        const results = await Promise.all([
          a.create(buildApiKeyRecord({ userId }), 2),
          b.create(buildApiKeyRecord({ userId }), 2),
        ]);
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('a failed create (duplicate id) rolls back and returns its connection to the pool', async () => {
        const s = await schema();
        const keys = new PostgresApiKeyRepository(pool(1), s);
        const key = buildApiKeyRecord();
        expect(await keys.create(key, 5)).toBe(true);
        await expect(keys.create(buildApiKeyRecord({ id: key.id }), 5)).rejects.toMatchObject({
          code: '23505',
        });
        // With one connection, a connection left in the aborted transaction would fail this.
        const next = buildApiKeyRecord({ userId: key.userId });
        expect(await keys.create(next, 5)).toBe(true);
        expect(await keys.findById(next.id)).toEqual(next);
      });
    });

    describe('MFA: backup codes', () => {
      it('concurrent replacements from two instances leave exactly one of the sets, whole', async () => {
        const s = await schema();
        const a = new PostgresMfaRepository(pool(4), s);
        const b = new PostgresMfaRepository(pool(4), s);
        const userId = randomUUID();
        await a.replaceBackupCodes(userId, [randomTokenHash()], CONTRACT_EPOCH);
        // Sets of different sizes: the count says which one won.
        const sets = Array.from({ length: 8 }, (_, i) =>
          Array.from({ length: i + 2 }, () => randomTokenHash()),
        );
        await Promise.all(
          sets.map((set, i) => (i % 2 === 0 ? a : b).replaceBackupCodes(userId, set, CONTRACT_EPOCH)),
        );
        const count = await a.countBackupCodes(userId);
        const winner = sets.find((set) => set.length === count);
        expect(winner).toBeDefined();
        for (const code of winner ?? []) expect(await b.consumeBackupCode(userId, code)).toBe(true);
        expect(await a.countBackupCodes(userId)).toBe(0);
      });

      it('a list with the same hash twice stores it once', async () => {
        const s = await schema();
        const mfa = new PostgresMfaRepository(pool(), s);
        const userId = randomUUID();
        const code = randomTokenHash();
        await mfa.replaceBackupCodes(userId, [code, code, randomTokenHash()], CONTRACT_EPOCH);
        expect(await mfa.countBackupCodes(userId)).toBe(2);
        expect(await mfa.consumeBackupCode(userId, code)).toBe(true);
        expect(await mfa.consumeBackupCode(userId, code)).toBe(false);
      });

      it('a TOTP step is accepted once across two instances', async () => {
        const s = await schema();
        const a = new PostgresMfaRepository(pool(), s);
        const b = new PostgresMfaRepository(pool(), s);
        const record = buildTotpRecord();
        await a.saveTotp(record);
        const step = Math.floor(CONTRACT_EPOCH.getTime() / 30_000);
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            (i % 2 === 0 ? a : b).useTotpStep(record.userId, step, CONTRACT_EPOCH),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('identities: ids are UUIDs', () => {
      it('create refuses an id that is not a lower-case UUID; update and delete of one find nothing', async () => {
        const s = await schema();
        const identities = new PostgresAccountRepository(pool(), s);
        const identity = buildLinkedIdentity();
        await expect(identities.create({ ...identity, id: 'not-a-uuid' })).rejects.toThrow(TypeError);
        await expect(identities.create({ ...identity, id: identity.id.toUpperCase() })).rejects.toThrow(
          TypeError,
        );
        expect(await identities.listForUser(identity.userId)).toEqual([]);
        await identities.create(identity);
        expect(await identities.update('not-a-uuid', { tokens: 'x' }, CONTRACT_EPOCH)).toBeNull();
        expect(
          await identities.update(identity.id.toUpperCase(), { tokens: 'x' }, CONTRACT_EPOCH),
        ).toBeNull();
        expect(await identities.delete("' OR '1'='1")).toBe(false);
        expect(await identities.findBySubject(identity.issuer, identity.subject)).toEqual(identity);
      });
    });
  });
});
