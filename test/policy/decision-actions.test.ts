/**
 * The action search (`/access/v1/search/action`) lists only relations declared as actions: by
 * default the permissions (relations no tuple can be written to), never a data relation such as
 * `owner`, even when the subject holds it. Real HTTP over loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createDecisionService, type PolicyEvaluator } from '../../src/policy/index.js';
import { docEvaluator, postJson, type Running, startService } from './decision-fixtures.js';

let evaluator: PolicyEvaluator;
let conventional: Running;
let declared: Running;

beforeAll(async () => {
  evaluator = await docEvaluator();
  conventional = await startService(createDecisionService(evaluator));
  declared = await startService(
    createDecisionService(evaluator, { actions: { document: ['can_read', 'viewer', 'can_read'] } }),
  );
});

afterAll(async () => {
  await Promise.all([conventional.close(), declared.close()]);
});

const anneOnD1 = {
  subject: { type: 'user', id: 'anne', properties: { department: 'eng' } },
  resource: { type: 'document', id: 'd1', properties: { department: 'eng' } },
};

async function actionsOf(base: string, body: unknown): Promise<string[]> {
  const r = await postJson(base, '/access/v1/search/action', body);
  expect(r.status).toBe(200);
  return (r.body.results ?? []).map((a) => a.name ?? '').sort();
}

describe('action search: declared actions only', () => {
  it('by default lists the permissions, not the data relations the subject holds', async () => {
    // anne is the owner (and so a viewer) of d1: check says so, the action search does not list them.
    for (const relation of ['owner', 'viewer']) {
      const r = await evaluator.check({
        subject: { type: 'user', id: 'anne' },
        action: relation,
        resource: { type: 'document', id: 'd1' },
      });
      expect(r.allowed, relation).toBe(true);
    }
    expect(await actionsOf(conventional.url, anneOnD1)).toEqual(['can_delete', 'can_read', 'can_write']);
    // bob is a viewer only.
    expect(await actionsOf(conventional.url, { ...anneOnD1, subject: { type: 'user', id: 'bob' } })).toEqual([
      'can_read',
    ]);
    // A type without permissions lists nothing.
    expect(
      await actionsOf(conventional.url, { subject: anneOnD1.subject, resource: { type: 'user', id: 'bob' } }),
    ).toEqual([]);
  });

  it('with `actions`, exactly the declared relations (a declared data relation included), once each', async () => {
    expect(await actionsOf(declared.url, anneOnD1)).toEqual(['can_read', 'viewer']);
    // A type `actions` does not name has no actions.
    expect(
      await actionsOf(declared.url, { subject: anneOnD1.subject, resource: { type: 'user', id: 'bob' } }),
    ).toEqual([]);
  });

  it('answers in the AuthZEN shape, with a completeness flag', async () => {
    const r = await postJson(conventional.url, '/access/v1/search/action', {
      subject: { type: 'user', id: 'anne' },
      resource: { type: 'document', id: 'd1' },
    });
    expect(r.body).toEqual({
      results: [{ name: 'can_read' }, { name: 'can_delete' }], // in model order
      page: { next_token: '' },
      // can_write needs department attributes this request lacks: that check failed closed.
      context: { complete: false, incomplete_reason: 'check_error' },
    });
    const complete = await postJson(conventional.url, '/access/v1/search/action', {
      subject: { type: 'user', id: 'bob', properties: { department: 'sales' } },
      resource: { type: 'document', id: 'd1', properties: { department: 'eng' } },
    });
    expect(complete.body.context).toEqual({ complete: true });
  });

  it('an unknown resource type is a 400, not an empty list', async () => {
    const r = await postJson(conventional.url, '/access/v1/search/action', {
      subject: { type: 'user', id: 'anne' },
      resource: { type: 'folder', id: 'f1' },
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringMatching(/type/),
    });
  });

  it('`actions` naming an unknown type or relation fails at creation, naming the field', () => {
    const cases: [Record<string, string[]>, string][] = [
      [{ folder: ['can_read'] }, 'actions.folder'],
      [{ document: ['can_read', 'can_fly'] }, 'actions.document.1'],
    ];
    for (const [actions, path] of cases) {
      let error: unknown;
      try {
        createDecisionService(evaluator, { actions });
      } catch (e) {
        error = e;
      }
      expect(error, path).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues[0]?.path).toBe(path);
    }
  });
});
