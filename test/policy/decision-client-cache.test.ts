/**
 * The decision client's optional decision cache: off by default, keyed on the whole request,
 * definite decisions only, bounded in entries and time (and so delaying a revocation by up to its
 * TTL). A real decision service over loopback counts what reaches it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  type CheckRequest,
  createDecisionClient,
  createDecisionService,
  type DecisionCacheOptions,
  MemoryRelationshipStore,
  PolicyEvaluator,
} from '../../src/policy/index.js';
import { docModel, docTuples, type Running, startService } from './decision-fixtures.js';

const store = new MemoryRelationshipStore({ model: docModel });
/** The evaluations each request to the PDP carried (1 for `/evaluation`). */
const sent: number[] = [];
let failNext = 0;
let pdp: Running;

beforeAll(async () => {
  await store.write(docTuples);
  const service = createDecisionService(new PolicyEvaluator({ model: docModel, store }));
  pdp = await startService({
    async handle(request) {
      const body = (await request.clone().json()) as { evaluations?: unknown[] };
      sent.push(body.evaluations?.length ?? 1);
      if (failNext > 0) {
        failNext--;
        return new Response('{}', { status: 503 });
      }
      return service.handle(request);
    },
  });
});

afterAll(() => pdp.close());

afterEach(() => {
  sent.length = 0;
  failNext = 0;
  vi.useRealTimers();
});

const ask = (user: string, action = 'can_read', extra: Partial<CheckRequest> = {}): CheckRequest => ({
  subject: { type: 'user', id: user },
  action,
  resource: { type: 'document', id: 'd1' },
  ...extra,
});
const cached = (cache: DecisionCacheOptions) => createDecisionClient({ url: pdp.url, cache });
const granted = { allowed: true, code: 'granted' };
const notGranted = { allowed: false, code: 'not_granted' };

describe('decision client cache', () => {
  it('is off by default: every check reaches the PDP', async () => {
    const client = createDecisionClient({ url: pdp.url });
    expect(await client.check(ask('bob'))).toEqual(granted);
    expect(await client.check(ask('bob'))).toEqual(granted);
    expect(sent).toEqual([1, 1]);
  });

  it('answers a repeated request from the cache; any difference in the request is a new question', async () => {
    const client = cached({ maxEntries: 100, ttlMs: 60_000 });
    const withProps = (props: Record<string, unknown>, context: Record<string, unknown> = {}) =>
      ask('bob', 'can_read', { subject: { type: 'user', id: 'bob', attributes: props }, context });
    expect(await client.check(withProps({ a: 1, b: 2 }))).toEqual(granted);
    expect(await client.check(withProps({ b: 2, a: 1 }))).toEqual(granted); // same JSON, other key order
    expect(sent).toHaveLength(1);
    await client.check(withProps({ a: 1, b: 3 })); // another attribute value
    await client.check(withProps({ a: 1, b: 2 }, { ip: '10.0.0.1' })); // another context
    await client.check(ask('bob', 'viewer')); // another action
    await client.check(ask('carol')); // another subject
    expect(sent).toHaveLength(5);
    // batchCheck sends only what the cache does not hold.
    sent.length = 0;
    expect(await client.batchCheck([ask('carol'), ask('anne'), withProps({ a: 1, b: 2 })])).toEqual([
      notGranted,
      granted,
      granted,
    ]);
    expect(sent).toEqual([1]);
    expect(await client.batchCheck([ask('anne')])).toEqual([granted]);
    expect(sent).toEqual([1]);
  });

  it('keeps only definite decisions: a PDP failure or a refused request is asked again', async () => {
    const client = cached({ maxEntries: 100, ttlMs: 60_000 });
    failNext = 1;
    expect(await client.check(ask('anne', 'can_delete'))).toEqual({
      allowed: false,
      code: 'pdp_unavailable',
    });
    expect(await client.check(ask('anne', 'can_delete'))).toEqual(granted);
    expect(await client.check(ask('anne', 'can_delete'))).toEqual(granted);
    expect(sent).toEqual([1, 1]);
    sent.length = 0;
    failNext = 1;
    expect(await client.batchCheck([ask('anne', 'owner')])).toEqual([
      { allowed: false, code: 'pdp_unavailable' },
    ]);
    expect(await client.batchCheck([ask('anne', 'owner')])).toEqual([granted]);
    expect(sent).toEqual([1, 1]);
    sent.length = 0;
    const refused = { allowed: false, code: 'invalid_request' };
    expect(await client.check(ask('anne', 'can_fly'))).toEqual(refused);
    expect(await client.check(ask('anne', 'can_fly'))).toEqual(refused);
    expect(sent).toEqual([1, 1]);
  });

  it('delays a revocation by up to ttlMs, then asks again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const client = cached({ maxEntries: 100, ttlMs: 5000 });
    const revoked = {
      object: { type: 'document', id: 'd1' },
      relation: 'viewer',
      subject: { type: 'user', id: 'bob' },
    };
    expect(await client.check(ask('bob'))).toEqual(granted);
    await store.delete([revoked]);
    try {
      vi.setSystemTime(new Date('2026-01-01T00:00:04.999Z'));
      expect(await client.check(ask('bob'))).toEqual(granted); // still the cached grant
      vi.setSystemTime(new Date('2026-01-01T00:00:05Z'));
      expect(await client.check(ask('bob'))).toEqual(notGranted);
      expect(sent).toEqual([1, 1]);
    } finally {
      await store.write([revoked]);
    }
  });

  it('holds at most maxEntries, evicting the least recently used', async () => {
    const client = cached({ maxEntries: 2, ttlMs: 60_000 });
    await client.check(ask('anne')); // A
    await client.check(ask('bob')); // B
    await client.check(ask('anne')); // A again: cached, now the most recent
    await client.check(ask('carol')); // C evicts B
    expect(sent).toHaveLength(3);
    await client.check(ask('anne'));
    await client.check(ask('carol'));
    expect(sent).toHaveLength(3);
    await client.check(ask('bob'));
    expect(sent).toHaveLength(4);
  });

  it('invalid cache options fail at creation, naming the field', () => {
    const bad: [unknown, string][] = [
      [{ maxEntries: 10 }, 'cache.ttlMs'],
      [{ ttlMs: 1000 }, 'cache.maxEntries'],
      [{ maxEntries: 0, ttlMs: 1000 }, 'cache.maxEntries'],
      [{ maxEntries: 10, ttlMs: 10 * 60_000 }, 'cache.ttlMs'],
      [{ maxEntries: 10, ttlMs: 1.5 }, 'cache.ttlMs'],
    ];
    for (const [cache, path] of bad) {
      let error: unknown;
      try {
        createDecisionClient({ url: pdp.url, cache: cache as DecisionCacheOptions });
      } catch (e) {
        error = e;
      }
      expect(error, path).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.path)).toContain(path);
    }
  });
});
