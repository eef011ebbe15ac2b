/**
 * The decision service's policy information point: attributes resolved before evaluation, the
 * PIP's precedence over what the caller sends, one resolution per entity per HTTP request, and a
 * PIP failure as a logged fail-closed deny. Real HTTP over loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { type SecurityEvent, SecurityEvents } from '../../src/events.js';
import {
  type AttributeLookup,
  createDecisionClient,
  createDecisionService,
  type PolicyEvaluator,
  type PolicyInformationPoint,
} from '../../src/policy/index.js';
import { docEvaluator, postJson, type Running, startService } from './decision-fixtures.js';

/** The directory the PIP reads: users and documents. `broken` makes it throw. */
const directory: Record<string, Record<string, unknown>> = {
  'user:anne': { role: 'user', department: 'eng' },
  'user:bob': { role: 'user', department: 'sales' },
  'user:carol': { role: 'admin', department: 'hr' },
  'document:d1': { department: 'eng' },
  'document:d9': { department: 'hr' },
};

const lookups: string[] = [];
const directoryPip = (extra: Partial<PolicyInformationPoint> = {}): PolicyInformationPoint => ({
  types: ['user', 'document'],
  resolve: async ({ type, id }: AttributeLookup) => {
    lookups.push(`${type}:${id}`);
    if (id === 'broken') throw new Error('directory unreachable');
    if (id === 'garbage') return ['not', 'an', 'object'] as unknown as Record<string, unknown>;
    if (id === 'slow') return new Promise(() => {}); // never answers
    return directory[`${type}:${id}`];
  },
  timeoutMs: 200,
  ...extra,
});

const user = (id: string, properties?: Record<string, unknown>) => ({
  type: 'user',
  id,
  ...(properties ? { properties } : {}),
});
const doc = (id: string, properties?: Record<string, unknown>) => ({
  type: 'document',
  id,
  ...(properties ? { properties } : {}),
});
const evaluation = (subject: object, action: string, resource: object) => ({
  subject,
  action: { name: action },
  resource,
});

let evaluator: PolicyEvaluator;
let strict: Running; // PIP for users and documents, no request properties trusted
let mixed: Running; // PIP for users only; documents keep the request's properties
let debug: Running; // as `strict`, with exposeReasons and a decision log
const events = new SecurityEvents();
const logged: SecurityEvent<'authz.decision'>[] = [];
events.on('authz.decision', (e) => logged.push(e));

beforeAll(async () => {
  evaluator = await docEvaluator();
  strict = await startService(createDecisionService(evaluator, { pip: directoryPip() }));
  mixed = await startService(
    createDecisionService(evaluator, {
      pip: { ...directoryPip(), types: ['user'] },
    }),
  );
  debug = await startService(
    createDecisionService(evaluator, { pip: directoryPip(), exposeReasons: true, events }),
  );
});

afterAll(async () => {
  await Promise.all([strict.close(), mixed.close(), debug.close()]);
});

const decide = async (base: string, body: unknown) => {
  const r = await postJson(base, '/access/v1/evaluation', body);
  expect(r.status).toBe(200);
  return r.body.decision;
};

describe('decision service PIP: attributes the request did not send', () => {
  it('decides on the attributes the PIP resolves', async () => {
    // carol is an admin in the directory: can_read any document; bob is not.
    expect(await decide(strict.url, evaluation(user('carol'), 'can_read', doc('d5')))).toBe(true);
    expect(await decide(strict.url, evaluation(user('bob'), 'can_read', doc('d5')))).toBe(false);
    // anne owns d1 and both are in eng; she owns d9 too, but d9 belongs to hr.
    expect(await decide(strict.url, evaluation(user('anne'), 'can_write', doc('d1')))).toBe(true);
    expect(await decide(strict.url, evaluation(user('anne'), 'can_write', doc('d9')))).toBe(false);
  });

  it('a caller-supplied property never overrides the PIP on a covered type', async () => {
    // bob claims to be an admin: the directory says he is not.
    expect(await decide(strict.url, evaluation(user('bob', { role: 'admin' }), 'can_read', doc('d5')))).toBe(
      false,
    );
    // dave is unknown to the directory: no role at all, and his claimed one is ignored.
    expect(await decide(strict.url, evaluation(user('dave', { role: 'admin' }), 'can_read', doc('d5')))).toBe(
      false,
    );
    // The document's department comes from the directory too: claiming 'eng' for d9 does not help.
    expect(
      await decide(
        strict.url,
        evaluation(user('anne', { department: 'hr' }), 'can_write', doc('d9', { department: 'eng' })),
      ),
    ).toBe(false);
  });

  it('requestProperties admits named request properties, below the PIP', async () => {
    const service = await startService(
      createDecisionService(evaluator, {
        pip: directoryPip({ requestProperties: { document: ['department'] } }),
      }),
    );
    try {
      // d9 is hr in the directory: the request's 'eng' loses to it.
      expect(
        await decide(service.url, evaluation(user('anne'), 'can_write', doc('d9', { department: 'eng' }))),
      ).toBe(false);
      const anneOwns = { type: 'document', id: 'd1' };
      // The admitted name fills in what the PIP lacks; a name not admitted is ignored.
      expect(
        await decide(service.url, evaluation(user('dave', { role: 'admin' }), 'can_read', anneOwns)),
      ).toBe(false);
      delete directory['document:d1'];
      try {
        expect(
          await decide(service.url, evaluation(user('anne'), 'can_write', doc('d1', { department: 'eng' }))),
        ).toBe(true);
        expect(await decide(service.url, evaluation(user('anne'), 'can_write', doc('d1')))).toBe(false);
      } finally {
        directory['document:d1'] = { department: 'eng' };
      }
    } finally {
      await service.close();
    }
  });

  it('types the PIP does not cover keep the request properties', async () => {
    // Documents are not covered by `mixed`: the request's department for d9 is used.
    expect(
      await decide(mixed.url, evaluation(user('anne'), 'can_write', doc('d9', { department: 'eng' }))),
    ).toBe(true);
    expect(await decide(mixed.url, evaluation(user('anne'), 'can_write', doc('d9')))).toBe(false);
  });

  it('resolves each entity once per HTTP request: a batch, a search, and again on the next request', async () => {
    lookups.length = 0;
    const batch = await postJson(strict.url, '/access/v1/evaluations', {
      subject: user('anne'),
      action: { name: 'can_write' },
      evaluations: [
        { resource: doc('d1') },
        { resource: doc('d9') },
        { resource: doc('d1') },
        { action: { name: 'can_read' }, resource: doc('d1') },
        { subject: user('carol'), action: { name: 'can_read' }, resource: doc('d9') },
      ],
    });
    expect(batch.status).toBe(200);
    expect(batch.body.evaluations?.map((e) => e.decision)).toEqual([true, false, true, true, true]);
    expect([...lookups].sort()).toEqual(['document:d1', 'document:d9', 'user:anne', 'user:carol']);

    lookups.length = 0;
    const actions = await postJson(strict.url, '/access/v1/search/action', {
      subject: user('anne'),
      resource: doc('d1'),
    });
    expect(actions.body.results?.map((r) => r.name).sort()).toEqual(['can_delete', 'can_read', 'can_write']);
    expect([...lookups].sort()).toEqual(['document:d1', 'user:anne']);

    lookups.length = 0;
    const found = await postJson(strict.url, '/access/v1/search/resource', {
      subject: user('anne'),
      action: { name: 'can_read' },
      resource: { type: 'document' },
    });
    expect(found.status).toBe(200);
    expect(found.body.results?.map((r) => r.id).sort()).toEqual(['d1', 'd9']);
    expect(lookups).toEqual(['user:anne']);

    lookups.length = 0;
    await decide(strict.url, evaluation(user('anne'), 'can_write', doc('d1')));
    await decide(strict.url, evaluation(user('anne'), 'can_write', doc('d1')));
    // Nothing is kept across requests: a changed directory entry counts at once.
    expect(lookups).toEqual(['user:anne', 'document:d1', 'user:anne', 'document:d1']);
  });

  it('the PIP is given the entity, the action and the context', async () => {
    const seen: AttributeLookup[] = [];
    const service = await startService(
      createDecisionService(evaluator, {
        pip: {
          types: ['user'],
          resolve: (lookup) => {
            seen.push(lookup);
            return {};
          },
        },
      }),
    );
    try {
      await decide(service.url, {
        ...evaluation(user('anne'), 'can_read', doc('d1')),
        context: { tenant: 't1' },
      });
      expect(seen).toEqual([{ type: 'user', id: 'anne', action: 'can_read', context: { tenant: 't1' } }]);
    } finally {
      await service.close();
    }
  });
});

describe('decision service PIP: a failure is a fail-closed deny', () => {
  it('a throw, a non-object answer or no answer in time: decision false, code pip_error, logged', async () => {
    logged.length = 0;
    for (const id of ['broken', 'garbage', 'slow']) {
      const r = await postJson(
        debug.url,
        '/access/v1/evaluation',
        evaluation(user(id), 'can_read', doc('d1')),
      );
      expect(r.status, id).toBe(200);
      expect(r.body).toEqual({
        decision: false,
        context: { code: 'pip_error', reason: 'attributes could not be resolved' },
      });
    }
    expect(logged.map((e) => [e.subject, e.code, e.failClosed, e.allowed])).toEqual([
      ['user:broken', 'pip_error', true, false],
      ['user:garbage', 'pip_error', true, false],
      ['user:slow', 'pip_error', true, false],
    ]);
    // Without exposeReasons the deny carries nothing.
    const plain = await postJson(
      strict.url,
      '/access/v1/evaluation',
      evaluation(user('broken'), 'can_read', doc('d1')),
    );
    expect(plain).toEqual({ status: 200, body: { decision: false } });
  });

  it('a deny that the PIP alone causes: the same request without the failure is granted', async () => {
    // bob views d1: granted when his attributes resolve; a failing resource lookup denies it.
    expect(await decide(strict.url, evaluation(user('bob'), 'can_read', doc('d1')))).toBe(true);
    expect(await decide(strict.url, evaluation(user('bob'), 'can_read', doc('broken')))).toBe(false);
  });

  it('in a batch only the evaluations naming the failed entity are denied', async () => {
    const r = await postJson(debug.url, '/access/v1/evaluations', {
      action: { name: 'can_read' },
      resource: doc('d1'),
      evaluations: [{ subject: user('bob') }, { subject: user('broken') }, { subject: user('anne') }],
    });
    expect(r.status).toBe(200);
    expect(r.body.evaluations?.map((e) => [e.decision, e.context?.code])).toEqual([
      [true, 'granted'],
      [false, 'pip_error'],
      [true, 'granted'],
    ]);
    // The decision client reports the code when the service exposes it.
    const client = createDecisionClient({ url: debug.url });
    const request = {
      subject: { type: 'user', id: 'broken' },
      action: 'can_read',
      resource: { type: 'document', id: 'd1' },
    };
    expect(await client.check(request)).toEqual({ allowed: false, code: 'pip_error' });
    expect(await client.batchCheck([request])).toEqual([{ allowed: false, code: 'pip_error' }]);
  });

  it('a search whose entity cannot be resolved lists nothing and says it is incomplete', async () => {
    const resources = await postJson(strict.url, '/access/v1/search/resource', {
      subject: user('broken'),
      action: { name: 'can_read' },
      resource: { type: 'document' },
    });
    expect(resources.status).toBe(200);
    expect(resources.body).toEqual({
      results: [],
      page: { next_token: '' },
      context: { complete: false, incomplete_reason: 'pip_error' },
    });
    const subjects = await postJson(strict.url, '/access/v1/search/subject', {
      subject: { type: 'user' },
      action: { name: 'can_read' },
      resource: doc('broken'),
    });
    expect(subjects.body.context).toEqual({ complete: false, incomplete_reason: 'pip_error' });
    const actions = await postJson(strict.url, '/access/v1/search/action', {
      subject: user('bob'),
      resource: doc('broken'),
    });
    expect(actions.body).toMatchObject({
      results: [],
      context: { complete: false, incomplete_reason: 'pip_error' },
    });
  });
});

describe('decision service PIP: configuration', () => {
  it('an invalid pip option fails at creation, naming the field', () => {
    const bad: [unknown, string][] = [
      [{ types: [], resolve: () => ({}) }, 'pip.types'],
      [{ types: ['user'] }, 'pip.resolve'],
      [{ types: ['user'], resolve: () => ({}), timeoutMs: 0 }, 'pip.timeoutMs'],
      [
        { types: ['user'], resolve: () => ({}), requestProperties: { document: ['x'] } },
        'pip.requestProperties.document',
      ],
      [{ types: ['user'], resolve: () => ({}), cache: true }, 'pip'],
    ];
    for (const [pip, path] of bad) {
      let error: unknown;
      try {
        createDecisionService(evaluator, { pip: pip as PolicyInformationPoint });
      } catch (e) {
        error = e;
      }
      expect(error, path).toBeInstanceOf(ConfigError);
      expect(
        (error as ConfigError).issues.map((i) => i.path),
        path,
      ).toContain(path);
    }
  });
});
