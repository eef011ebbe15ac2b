/**
 * {@link ClientRepository} kept in process memory.
 *
 * @module
 */
import { AlreadyRegisteredError } from '../../errors.js';
import type { ClientPatch, ClientRecord, ClientRepository } from '../types.js';

function copyClient(client: ClientRecord): ClientRecord {
  return Object.freeze({
    ...client,
    scopes: Object.freeze([...client.scopes]),
    grantTypes: Object.freeze([...client.grantTypes]),
    createdAt: new Date(client.createdAt.getTime()),
    updatedAt: new Date(client.updatedAt.getTime()),
    disabledAt: client.disabledAt === null ? null : new Date(client.disabledAt.getTime()),
  });
}

const byAge = (a: ClientRecord, b: ClientRecord): number =>
  a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * {@link ClientRepository} kept in process memory: one `Map` by client id. Every method runs
 * synchronously from check to write, so `create` is atomic. Records are copied in and out, so a
 * caller never holds the stored object.
 */
export class MemoryClientRepository implements ClientRepository {
  readonly #byId = new Map<string, ClientRecord>();

  async create(client: ClientRecord): Promise<ClientRecord> {
    if (this.#byId.has(client.id)) throw new AlreadyRegisteredError();
    this.#byId.set(client.id, copyClient(client));
    return copyClient(client);
  }

  async findById(id: string): Promise<ClientRecord | null> {
    const client = this.#byId.get(id);
    return client === undefined ? null : copyClient(client);
  }

  async list(): Promise<ClientRecord[]> {
    return [...this.#byId.values()].sort(byAge).map(copyClient);
  }

  async update(id: string, patch: ClientPatch, updatedAt: Date): Promise<ClientRecord | null> {
    const current = this.#byId.get(id);
    if (!current) return null;
    const changes: ClientPatch = {};
    for (const key of Object.keys(patch) as (keyof ClientPatch)[]) {
      if (patch[key] !== undefined) Object.assign(changes, { [key]: patch[key] });
    }
    const next = copyClient({ ...current, ...changes, updatedAt });
    this.#byId.set(id, next);
    return copyClient(next);
  }

  async delete(id: string): Promise<boolean> {
    return this.#byId.delete(id);
  }
}
