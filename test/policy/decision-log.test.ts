/**
 * The decision log as security events (`authz.decision`): off by default, fail-closed decisions
 * reported as soon as an event bus is given (AZ-02: deny, and log it), every deny or every
 * decision on request; from the evaluator and from the decision client (a PDP that is down).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type SecurityEvent, SecurityEvents } from '../../src/events.js';
import {
  type CheckRequest,
  createDecisionClient,
  defineCondition,
  isFailClosed,
  MemoryRelationshipStore,
  PolicyEvaluator,
  validateModel,
} from '../../src/policy/index.js';
import { brokenStore } from './broken-store.js';

const model = validateModel({
  types: {
    user: {},
    doc: {
      relations: {
        viewer: { directly: [{ type: 'user' }, { type: 'user', condition: 'in_office' }] },
      },
    },
  },
  conditions: {
    in_office: defineCondition({
      params: z.object({ context: z.object({ ip: z.string() }) }),
      evaluate: ({ context }) => context.ip.startsWith('10.'),
    }),
  },
});

const views = (user: string, extra: Partial<CheckRequest> = {}): CheckRequest => ({
  subject: { type: 'user', id: user, attributes: { email: 'secret@example.com' } },
  action: 'viewer',
  resource: { type: 'doc', id: '1' },
  ...extra,
});

async function setup(logDecisions?: 'off' | 'errors' | 'denied' | 'all') {
  const store = new MemoryRelationshipStore({ model });
  await store.write([
    { object: { type: 'doc', id: '1' }, relation: 'viewer', subject: { type: 'user', id: 'anne' } },
    {
      object: { type: 'doc', id: '1' },
      relation: 'viewer',
      subject: { type: 'user', id: 'olga' },
      condition: { name: 'in_office' },
    },
  ]);
  const events = new SecurityEvents(() => {});
  const seen: SecurityEvent<'authz.decision'>[] = [];
  events.on('authz.decision', (e) => seen.push(e));
  const pe = new PolicyEvaluator({ model, store, events, ...(logDecisions ? { logDecisions } : {}) });
  return { pe, seen, store, events };
}

describe('authz.decision events', () => {
  it('by default only fail-closed decisions are reported (AZ-02), without attributes', async () => {
    const { pe, seen } = await setup();
    expect((await pe.check(views('anne'))).allowed).toBe(true);
    expect((await pe.check(views('bob'))).allowed).toBe(false);
    expect(seen).toHaveLength(0);
    // olga's tuple needs context.ip: without it the condition cannot be decided -> deny, logged.
    expect(await pe.check(views('olga'))).toMatchObject({ allowed: false, code: 'condition_input_invalid' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      type: 'authz.decision',
      subject: 'user:olga',
      action: 'viewer',
      resource: 'doc:1',
      allowed: false,
      code: 'condition_input_invalid',
      failClosed: true,
    });
    expect(seen[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(seen[0])).not.toContain('secret@example.com');
  });

  it('a store failure is a deny that is logged', async () => {
    const broken = brokenStore();
    const events = new SecurityEvents();
    const seen: SecurityEvent<'authz.decision'>[] = [];
    events.on('authz.decision', (e) => seen.push(e));
    const pe = new PolicyEvaluator({ model, store: broken, events });
    expect(await pe.check(views('anne'))).toMatchObject({ allowed: false, code: 'store_error' });
    expect(seen.map((e) => [e.code, e.failClosed])).toEqual([['store_error', true]]);
  });

  it("logDecisions 'denied' adds every deny, 'all' every decision, 'off' none", async () => {
    const denied = await setup('denied');
    await denied.pe.check(views('anne'));
    await denied.pe.check(views('bob'));
    expect(denied.seen.map((e) => [e.subject, e.code, e.failClosed])).toEqual([
      ['user:bob', 'not_granted', false],
    ]);

    const all = await setup('all');
    await all.pe.check(views('anne'));
    await all.pe.check(views('olga', { context: { ip: '10.1.2.3' } }));
    await all.pe.check(views('bob'));
    expect(all.seen.map((e) => [e.subject, e.allowed])).toEqual([
      ['user:anne', true],
      ['user:olga', true],
      ['user:bob', false],
    ]);

    const off = await setup('off');
    await off.pe.check(views('olga'));
    expect(off.seen).toHaveLength(0);
  });

  it('checkSync and explain log too; a throwing listener changes no decision', async () => {
    const { pe, seen, events } = await setup('all');
    events.on('authz.decision', () => {
      throw new Error('log sink down');
    });
    expect(pe.checkSync(views('anne')).allowed).toBe(true);
    expect((await pe.explain(views('bob'))).allowed).toBe(false);
    expect(seen.map((e) => e.code)).toEqual(['granted', 'not_granted']);
  });

  it('the decision client reports a PDP it could not ask (pdp_unavailable)', async () => {
    const server = createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise((resolve) => server.close(resolve));
    const events = new SecurityEvents();
    const seen: SecurityEvent<'authz.decision'>[] = [];
    events.on('authz.decision', (e) => seen.push(e));
    const client = createDecisionClient({ url, timeoutMs: 500, events });
    expect(await client.check(views('anne'))).toEqual({ allowed: false, code: 'pdp_unavailable' });
    expect(await client.batchCheck([views('bob')])).toEqual([{ allowed: false, code: 'pdp_unavailable' }]);
    expect(seen.map((e) => [e.subject, e.code, e.failClosed])).toEqual([
      ['user:anne', 'pdp_unavailable', true],
      ['user:bob', 'pdp_unavailable', true],
    ]);
  });

  it('isFailClosed separates failures from decisions taken on the data', () => {
    for (const code of ['granted', 'not_granted', 'no_matching_rule', 'deny_rule']) {
      expect(isFailClosed(code)).toBe(false);
    }
    for (const code of ['store_error', 'condition_input_invalid', 'depth_exceeded', 'pdp_unavailable']) {
      expect(isFailClosed(code)).toBe(true);
    }
  });
});
