/**
 * The {@link ClientRepository} contract suite: every implementation (memory, SQLite, a user's own)
 * must pass it unchanged. Client ids are looked up exactly (they are printable ASCII chosen by an
 * administrator, so metacharacters must stay literal), and a taken id must fail atomically.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ClientRecord, ClientRepository } from '../types.js';
import { addMs, CONTRACT_EPOCH, randomTokenHash } from './fixtures.js';
import { type ContractFactory, expectAlreadyRegistered, useFreshSubject } from './lifecycle.js';

/**
 * A complete {@link ClientRecord}: an enabled confidential client with a fresh random id, a
 * SHA-256-shaped secret hash, two scopes and the client-credentials grant, created at
 * {@link CONTRACT_EPOCH}; `overrides` replace any field.
 */
export function buildClientRecord(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    id: `ghc_${randomBytes(16).toString('base64url')}`,
    name: 'Nightly report job',
    secretHash: randomTokenHash(),
    scopes: ['reports:read', 'reports:write'],
    grantTypes: ['client_credentials'],
    createdAt: CONTRACT_EPOCH,
    updatedAt: CONTRACT_EPOCH,
    disabledAt: null,
    ...overrides,
  };
}

/**
 * Registers the client-repository tests in the current `describe`; `repo` returns the repository
 * of the running test. Used by {@link describeClientRepositoryContract} and `describeStoreContract`.
 */
export function defineClientRepositoryTests(repo: () => ClientRepository): void {
  const later = addMs(CONTRACT_EPOCH, 61_001);

  it('create stores the client and findById returns it; unknown ids give null', async () => {
    const client = buildClientRecord();
    expect(await repo().create(client)).toEqual(client);
    expect(await repo().findById(client.id)).toEqual(client);
    expect(await repo().findById(`${client.id}x`)).toBeNull();
    expect(await repo().findById('')).toBeNull();
  });

  it('round-trips every field: public clients, empty lists, unicode names, dates to the millisecond', async () => {
    const publicClient = buildClientRecord({
      name: 'CLI für Zoë 🔐 "quoted" \\ back',
      secretHash: null,
      scopes: [],
      grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'],
      createdAt: new Date(Date.UTC(2001, 8, 9, 1, 46, 40, 7)),
      updatedAt: new Date(Date.UTC(2038, 0, 19, 3, 14, 7, 999)),
      disabledAt: new Date(Date.UTC(2030, 5, 1, 0, 0, 0, 1)),
    });
    const both = buildClientRecord({
      scopes: ['c', 'a', 'b'],
      grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'client_credentials'],
    });
    await repo().create(publicClient);
    await repo().create(both);
    expect(await repo().findById(publicClient.id)).toEqual(publicClient);
    expect(await repo().findById(both.id)).toEqual(both);
  });

  it('a taken id is refused with AlreadyRegisteredError and the first client is unchanged', async () => {
    const first = buildClientRecord();
    await repo().create(first);
    await expectAlreadyRegistered(repo().create(buildClientRecord({ id: first.id, name: 'impostor' })));
    expect(await repo().findById(first.id)).toEqual(first);
  });

  it('of concurrent creates with one id exactly one succeeds', async () => {
    const id = `svc-${randomBytes(6).toString('hex')}`;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => repo().create(buildClientRecord({ id, name: `n${i}` }))),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_ALREADY_REGISTERED' });
    }
  });

  it('matches ids exactly: case, prefixes and SQL or LIKE metacharacters are literal', async () => {
    const odd = buildClientRecord({ id: "svc:a%_b' OR '1'='1" });
    const upper = buildClientRecord({ id: 'Reports-Job' });
    await repo().create(odd);
    await repo().create(upper);
    expect(await repo().findById("svc:a%_b' OR '1'='1")).toEqual(odd);
    expect(await repo().findById('svc:a%')).toBeNull();
    expect(await repo().findById('svc:aX_b')).toBeNull();
    expect(await repo().findById('reports-job')).toBeNull();
    expect(await repo().findById('Reports-Job')).toEqual(upper);
  });

  it('update applies the patch, sets updatedAt, and leaves omitted fields alone', async () => {
    const client = buildClientRecord();
    await repo().create(client);
    const secretHash = randomTokenHash();
    const rotated = await repo().update(client.id, { secretHash }, later);
    expect(rotated).toEqual({ ...client, secretHash, updatedAt: later });
    const disabled = await repo().update(client.id, { disabledAt: later, scopes: ['only'] }, addMs(later, 1));
    expect(disabled).toEqual({
      ...client,
      secretHash,
      scopes: ['only'],
      disabledAt: later,
      updatedAt: addMs(later, 1),
    });
    expect(await repo().findById(client.id)).toEqual(disabled);
    const enabled = await repo().update(
      client.id,
      { disabledAt: null, secretHash: null, name: 'renamed', grantTypes: [] },
      addMs(later, 2),
    );
    expect(enabled).toMatchObject({ disabledAt: null, secretHash: null, name: 'renamed', grantTypes: [] });
    expect(await repo().findById(client.id)).toEqual(enabled);
  });

  it('update of an unknown client returns null and creates nothing', async () => {
    expect(await repo().update('ghc_missing', { name: 'x' }, later)).toBeNull();
    expect(await repo().findById('ghc_missing')).toBeNull();
    expect(await repo().list()).toEqual([]);
  });

  it('returned records are copies: mutating one changes nothing stored', async () => {
    const client = buildClientRecord();
    await repo().create(client);
    const found = (await repo().findById(client.id)) as ClientRecord & { scopes: string[] };
    try {
      found.scopes.push('admin');
    } catch {
      // frozen copies are fine too
    }
    expect((await repo().findById(client.id))?.scopes).toEqual(client.scopes);
  });

  it('list returns every client, oldest first', async () => {
    const newer = buildClientRecord({
      createdAt: addMs(CONTRACT_EPOCH, 5),
      updatedAt: addMs(CONTRACT_EPOCH, 5),
    });
    const older = buildClientRecord({ createdAt: CONTRACT_EPOCH });
    const disabled = buildClientRecord({ createdAt: addMs(CONTRACT_EPOCH, 9), disabledAt: later });
    await repo().create(newer);
    await repo().create(disabled);
    await repo().create(older);
    expect(await repo().list()).toEqual([older, newer, disabled]);
  });

  it('delete removes only that client; a second delete returns false', async () => {
    const gone = buildClientRecord();
    const kept = buildClientRecord();
    await repo().create(gone);
    await repo().create(kept);
    expect(await repo().delete(gone.id)).toBe(true);
    expect(await repo().delete(gone.id)).toBe(false);
    expect(await repo().findById(gone.id)).toBeNull();
    expect(await repo().findById(kept.id)).toEqual(kept);
    // The id is free again.
    await repo().create(gone);
    expect(await repo().findById(gone.id)).toEqual(gone);
  });
}

/**
 * Declares a vitest `describe(name)` block with the {@link ClientRepository} contract.
 * `createRepository` is called before every test and must return an empty repository.
 *
 * @example
 * import { describeClientRepositoryContract } from 'gatehouse/testing';
 * describeClientRepositoryContract('my clients', () => new MyClientRepository(db));
 */
export function describeClientRepositoryContract(
  name: string,
  createRepository: ContractFactory<ClientRepository>,
): void {
  describe(name, () => {
    const repo = useFreshSubject(createRepository);
    defineClientRepositoryTests(repo);
  });
}
