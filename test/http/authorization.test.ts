/**
 * Authorization guards on every adapter and transport: the role hierarchy in `requireRole`,
 * `requirePermission` on role permissions, and object-level `authorize` backed by the policy
 * evaluator (403, or 404 when hiding existence), failing closed when the decider fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defineModel,
  defineRoles,
  MemoryRelationshipStore,
  type PolicyDecider,
  PolicyEvaluator,
  validateModel,
} from '../../src/index.js';
import {
  bearer,
  get,
  type Harness,
  postJson,
  startHarness,
  TRANSPORTS,
  userWithTokens,
} from './conformance/support.js';

const roles = defineRoles({
  USER: { permissions: ['chat'] },
  MODERATOR: { inherits: ['USER'], permissions: ['moderate'] },
  ADMIN: { inherits: ['MODERATOR'], permissions: ['generate_image'] },
});

const model = validateModel(
  defineModel((m) => ({
    user: m.type(),
    doc: m.type({ owner: m.relation(['user']), viewer: m.relation(['user']).or(m.computed('owner')) }),
  })),
);

async function policy(): Promise<{ evaluator: PolicyEvaluator; store: MemoryRelationshipStore }> {
  const store = new MemoryRelationshipStore({ model });
  return { evaluator: new PolicyEvaluator({ model, store }), store };
}

describe.each(TRANSPORTS)('authorization guards: %s', (_name, start) => {
  let h: Harness;
  let hidden: Harness;
  let failing: Harness;
  let store: MemoryRelationshipStore;

  beforeAll(async () => {
    const p = await policy();
    store = p.store;
    h = await startHarness(start, { authorization: { roles, decider: p.evaluator } });
    hidden = await startHarness(start, {
      authorization: { roles, decider: p.evaluator, hideForbidden: true },
    });
    const broken: PolicyDecider = { check: () => Promise.reject(new Error('pdp down')) };
    failing = await startHarness(start, { authorization: { roles, decider: broken } });
  });
  afterAll(async () => {
    await Promise.all([h?.close(), hidden?.close(), failing?.close()]);
  });

  async function withRole(harness: Harness, role: string) {
    const user = await userWithTokens(harness, role.toLowerCase());
    await harness.gh.store.users.update(user.id, { role }, new Date());
    return user;
  }

  it('requireRole follows the hierarchy: ADMIN passes a MODERATOR guard, USER does not', async () => {
    const admin = await withRole(h, 'ADMIN');
    const moderator = await withRole(h, 'MODERATOR');
    const user = await withRole(h, 'USER');
    expect((await get(`${h.url}/moderate`, bearer(admin.tokens.access))).status).toBe(200);
    expect((await get(`${h.url}/moderate`, bearer(moderator.tokens.access))).status).toBe(200);
    expect((await get(`${h.url}/moderate`, bearer(user.tokens.access))).status).toBe(403);
    expect((await get(`${h.url}/moderate`)).status).toBe(401);
  });

  it('requirePermission uses the roles’ effective permissions, read per request', async () => {
    const user = await withRole(h, 'MODERATOR');
    expect((await postJson(`${h.url}/images`, {}, bearer(user.tokens.access))).status).toBe(403);
    await h.gh.store.users.update(user.id, { role: 'ADMIN' }, new Date());
    expect((await postJson(`${h.url}/images`, {}, bearer(user.tokens.access))).status).toBe(200);
  });

  it('authorize asks the evaluator about the object: owner and viewer pass, others get 403', async () => {
    const owner = await withRole(h, 'USER');
    const viewer = await withRole(h, 'USER');
    const stranger = await withRole(h, 'USER');
    await store.write([
      {
        object: { type: 'doc', id: `d-${owner.id}` },
        relation: 'owner',
        subject: { type: 'user', id: owner.id },
      },
      {
        object: { type: 'doc', id: `d-${owner.id}` },
        relation: 'viewer',
        subject: { type: 'user', id: viewer.id },
      },
    ]);
    const path = `${h.url}/docs/d-${owner.id}`;
    expect((await get(path, bearer(owner.tokens.access))).status).toBe(200);
    expect((await get(path, bearer(viewer.tokens.access))).status).toBe(200);
    const denied = await get(path, bearer(stranger.tokens.access));
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ error: 'forbidden', message: 'Forbidden' });
    expect((await get(path)).status).toBe(401);
  });

  it('authorize names the object from several route params (typed in every adapter)', async () => {
    const owner = await withRole(h, 'USER');
    await store.write([
      {
        object: { type: 'doc', id: `acme/d-${owner.id}` },
        relation: 'owner',
        subject: { type: 'user', id: owner.id },
      },
    ]);
    expect((await get(`${h.url}/orgs/acme/docs/d-${owner.id}`, bearer(owner.tokens.access))).status).toBe(
      200,
    );
    expect((await get(`${h.url}/orgs/other/docs/d-${owner.id}`, bearer(owner.tokens.access))).status).toBe(
      403,
    );
    expect((await get(`${h.url}/orgs/acme/docs/d-${owner.id}`)).status).toBe(401);
  });

  it('an anonymous request is refused before the decider is asked', async () => {
    const before = failing.gh.seen.length;
    const reply = await get(`${failing.url}/docs/anything`);
    expect(reply.status).toBe(401);
    expect(failing.gh.seen.slice(before).filter((event) => event.type === 'authz.decision')).toEqual([]);
  });

  it('with hideForbidden, a forbidden object gets exactly the answer of a missing route (AZ-05)', async () => {
    const stranger = await withRole(hidden, 'USER');
    const forbidden = await get(`${hidden.url}/docs/someone-elses`, bearer(stranger.tokens.access));
    const missing = await get(`${hidden.url}/auth/no-such-route`);
    expect(forbidden.status).toBe(404);
    expect(forbidden.text).toBe(missing.text);
  });

  it('fails closed when the decider throws', async () => {
    const user = await withRole(failing, 'ADMIN');
    expect((await get(`${failing.url}/docs/anything`, bearer(user.tokens.access))).status).toBe(403);
  });
});
