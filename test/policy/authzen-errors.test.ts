/**
 * Strict requests over HTTP: a request the engine refuses as invalid is an HTTP 400 naming the
 * problem (an `evaluations` item gets its error in its place, AuthZEN 1.0 "Errors" of the Access
 * Evaluations API), while a runtime fault stays a fail-closed deny or a 500 without details.
 * Real HTTP over loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDecisionClient,
  createDecisionService,
  MemoryRelationshipStore,
  PolicyEvaluator,
  type RelationshipStore,
} from '../../src/policy/index.js';
import { docEvaluator, docModel, postJson, type Running, startService } from './decision-fixtures.js';

let pdp: Running;
let broken: Running;

const evaluation = (
  action: string,
  resource: object = { type: 'document', id: 'd1' },
  subjectType = 'user',
) => ({
  subject: { type: subjectType, id: 'anne' },
  action: { name: action },
  resource,
});

beforeAll(async () => {
  pdp = await startService(createDecisionService(await docEvaluator()));
  // Every store read fails: a runtime fault, not the caller's mistake.
  const memory = new MemoryRelationshipStore({ model: docModel });
  const fail = async (): Promise<never> => {
    throw new Error('connection reset');
  };
  const failing: RelationshipStore = {
    write: (t) => memory.write(t),
    delete: (t) => memory.delete(t),
    read: fail,
    readTuple: fail,
    readUsersets: fail,
    readRelation: fail,
  };
  broken = await startService(
    createDecisionService(new PolicyEvaluator({ model: docModel, store: failing })),
  );
});

afterAll(async () => {
  await Promise.all([pdp.close(), broken.close()]);
});

describe('strict requests over HTTP', () => {
  it('an evaluation the engine refuses is a 400 naming the problem, without a decision', async () => {
    const cases: [object, RegExp][] = [
      [evaluation('can_read', { type: 'document', id: '*' }), /resource/],
      [evaluation('can_fly'), /can_fly/],
      [evaluation('can_read', { type: 'folder', id: 'f1' }), /folder/],
      [evaluation('can_read', { type: 'document', id: 'd1' }, 'robot'), /robot/],
    ];
    for (const [body, named] of cases) {
      const r = await postJson(pdp.url, '/access/v1/evaluation', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body).toEqual({ error: 'invalid_request', error_description: expect.stringMatching(named) });
    }
    // Without `evaluations`, the evaluations endpoint answers like the single one.
    const single = await postJson(pdp.url, '/access/v1/evaluations', evaluation('can_fly'));
    expect(single.status).toBe(400);
  });

  it('evaluations: an invalid item is answered in its place; the others are decided', async () => {
    const r = await postJson(pdp.url, '/access/v1/evaluations', {
      subject: { type: 'user', id: 'anne' },
      resource: { type: 'document', id: 'd1' },
      evaluations: [
        { action: { name: 'can_delete' } },
        { action: { name: 'can_fly' } },
        {}, // no action, even after the defaults
        { action: { name: 'can_read' }, resource: { type: 'document', id: '*' } },
        { action: { name: 'viewer' } },
      ],
    });
    expect(r.status).toBe(200);
    const items = r.body.evaluations ?? [];
    expect(items.map((e) => e.decision)).toEqual([true, false, false, false, true]);
    expect(items[0]).toEqual({ decision: true });
    expect(items[1]).toEqual({
      decision: false,
      context: { error: { status: 400, message: expect.stringMatching(/can_fly/) } },
    });
    expect(items[2]?.context?.error).toEqual({
      status: 400,
      message: expect.stringMatching(/evaluations\.2: action/),
    });
    expect(items[3]?.context?.error?.status).toBe(400);
    // An error is a deny for deny_on_first_deny; permit_on_first_permit goes past it.
    const short = await postJson(pdp.url, '/access/v1/evaluations', {
      subject: { type: 'user', id: 'anne' },
      resource: { type: 'document', id: 'd1' },
      options: { evaluations_semantic: 'deny_on_first_deny' },
      evaluations: [
        { action: { name: 'can_read' } },
        { action: { name: 'can_fly' } },
        { action: { name: 'viewer' } },
      ],
    });
    expect(short.body.evaluations?.map((e) => e.context?.error?.status ?? e.decision)).toEqual([true, 400]);
    const permit = await postJson(pdp.url, '/access/v1/evaluations', {
      subject: { type: 'user', id: 'anne' },
      resource: { type: 'document', id: 'd1' },
      options: { evaluations_semantic: 'permit_on_first_permit' },
      evaluations: [{ action: { name: 'can_fly' } }, {}, { action: { name: 'viewer' } }],
    });
    expect(permit.body.evaluations?.map((e) => e.context?.error?.status ?? e.decision)).toEqual([
      400,
      400,
      true,
    ]);
  });

  it('the decision client reports a refused request as invalid_request, per request in a batch', async () => {
    const client = createDecisionClient({ url: pdp.url });
    const ask = (action: string) => ({
      subject: { type: 'user', id: 'anne' },
      action,
      resource: { type: 'document', id: 'd1' },
    });
    expect(await client.check(ask('can_fly'))).toEqual({ allowed: false, code: 'invalid_request' });
    expect(await client.batchCheck([ask('can_read'), ask('can_fly'), ask('owner')])).toEqual([
      { allowed: true, code: 'granted' },
      { allowed: false, code: 'invalid_request' },
      { allowed: true, code: 'granted' },
    ]);
    // A userset subject has no AuthZEN form: refused locally rather than asked as another question.
    const userset = { ...ask('can_read'), subject: { type: 'user', id: 'anne', relation: 'member' } };
    expect(await client.check(userset)).toEqual({ allowed: false, code: 'invalid_request' });
  });

  it('a search the engine refuses is a 400 with its stable code and the parameters it lacks', async () => {
    const unknownRelation = await postJson(pdp.url, '/access/v1/search/resource', {
      subject: { type: 'user', id: 'anne' },
      action: { name: 'can_fly' },
      resource: { type: 'document' },
    });
    expect(unknownRelation.status).toBe(400);
    expect(unknownRelation.body).toEqual({
      error: 'invalid_request',
      error_description: expect.stringMatching(/can_fly/),
      code: 'ERR_UNKNOWN_RELATION',
    });
    const unknownType = await postJson(pdp.url, '/access/v1/search/subject', {
      subject: { type: 'robot' },
      action: { name: 'can_read' },
      resource: { type: 'document', id: 'd1' },
    });
    expect(unknownType.status).toBe(400);
    expect(unknownType.body.code).toBe('ERR_UNKNOWN_TYPE');
    // can_write needs the department of the subject and of each document: not sent.
    const missing = await postJson(pdp.url, '/access/v1/search/resource', {
      subject: { type: 'user', id: 'anne' },
      action: { name: 'can_write' },
      resource: { type: 'document' },
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'ERR_MISSING_CONDITION_PARAMETER' });
    expect(missing.body.parameters).toContain('subject.department');
    // A forged page token names the field.
    const token = await postJson(pdp.url, '/access/v1/search/resource', {
      subject: { type: 'user', id: 'anne' },
      action: { name: 'can_read' },
      resource: { type: 'document' },
      page: { token: 'forged' },
    });
    expect(token).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: expect.stringMatching(/^page\.token/) },
    });
  });

  it('a runtime fault is not a request error: a fail-closed deny, or a 500 without details', async () => {
    const one = await postJson(broken.url, '/access/v1/evaluation', evaluation('can_delete'));
    expect(one).toEqual({ status: 200, body: { decision: false } });
    const batch = await postJson(broken.url, '/access/v1/evaluations', {
      ...evaluation('can_delete'),
      evaluations: [{}, { action: { name: 'viewer' } }],
    });
    expect(batch).toEqual({ status: 200, body: { evaluations: [{ decision: false }, { decision: false }] } });
    const search = await postJson(broken.url, '/access/v1/search/resource', {
      subject: { type: 'user', id: 'anne' },
      action: { name: 'can_delete' },
      resource: { type: 'document' },
    });
    expect(search).toEqual({
      status: 500,
      body: { error: 'server_error', error_description: 'the request could not be decided' },
    });
  });
});
