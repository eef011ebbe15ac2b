/**
 * The store-level part of the token contract: `TokenRepository.findByIdWithUser`, the guard's one
 * read of a token record and its user. Optional: a store without it passes trivially (gatehouse
 * makes two reads instead).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { MemoryUserRepository } from '../memory.js';
import type { Store } from '../types.js';
import { addMs, buildTokenRecord, buildUserRecord, CONTRACT_EPOCH } from './fixtures.js';

/** Registers the tests; `store` returns the store of the running test. */
export function defineTokenUserReadTests(store: () => Store): void {
  it('findByIdWithUser, when offered, answers as findById and users.findById would, in any state', async () => {
    const { tokens, users } = store();
    if (tokens.findByIdWithUser === undefined) return;
    const user = await users.create(buildUserRecord());
    const access = buildTokenRecord({ kind: 'access', userId: user.id });
    const orphan = buildTokenRecord({ kind: 'access', userId: randomUUID() });
    const client = buildTokenRecord({ kind: 'access', userId: 'client:svc', familyId: 'client:svc:f1' });
    for (const record of [access, orphan, client]) await tokens.create(record);

    expect(await tokens.findByIdWithUser(access.id, users)).toEqual({ record: access, user });
    expect(await tokens.findByIdWithUser(orphan.id, users)).toEqual({ record: orphan, user: null });
    expect(await tokens.findByIdWithUser(client.id, users)).toEqual({ record: client, user: null });
    expect(await tokens.findByIdWithUser('no-such-token', users)).toBeNull();

    const now = addMs(CONTRACT_EPOCH, 1000);
    await users.update(user.id, { role: 'ADMIN', isActive: false }, now);
    await tokens.revokeFamily(access.familyId, now);
    const after = await tokens.findByIdWithUser(access.id, users);
    expect(after?.record).toEqual(await tokens.findById(access.id));
    expect(after?.record.active).toBe(false);
    expect(after?.user).toEqual(await users.findById(user.id));
  });

  it('findByIdWithUser declines (undefined) for a user repository it cannot read, never answering from its own table', async () => {
    const { tokens, users } = store();
    if (tokens.findByIdWithUser === undefined) return;
    const user = await users.create(buildUserRecord());
    const access = buildTokenRecord({ kind: 'access', userId: user.id });
    await tokens.create(access);
    const elsewhere = new MemoryUserRepository();
    const answer = await tokens.findByIdWithUser(access.id, elsewhere);
    // Either the two-read fallback (undefined) or an answer from the given repository (no such user there).
    if (answer !== undefined) expect(answer).toEqual({ record: access, user: null });
  });
}
