/**
 * Conditions in list queries: a path whose condition lacks an input the request could give (a
 * missing or wrongly typed context parameter) refuses the query with a typed error naming it, as
 * OpenFGA's ListObjects does, instead of leaving the path out of an answer called complete.
 * `check` keeps denying such a request with `condition_input_invalid` (fail closed).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fromOpenFgaTuple, loadOpenFgaModel } from '../../src/openfga.js';
import {
  defineCondition,
  defineModel,
  ListQueryError,
  MemoryRelationshipStore,
  PolicyEvaluator,
  validateModel,
} from '../../src/policy/index.js';

const MODEL = `model
  schema 1.1

type user

type doc
  relations
    define owner: [user]
    define viewer: [user, user with in_network, user:* with in_network] or owner

condition in_network(ip: ipaddress, cidr: string) {
  ip.in_cidr(cidr)
}
`;

async function engine(tuples: Parameters<typeof fromOpenFgaTuple>[0][]) {
  const compiled = validateModel(loadOpenFgaModel(MODEL));
  const store = new MemoryRelationshipStore({ model: compiled });
  await store.write(tuples.map(fromOpenFgaTuple));
  return new PolicyEvaluator({ model: compiled, store });
}

const office = { name: 'in_network', context: { cidr: '10.0.0.0/8' } };
const anne = { subject: { type: 'user', id: 'anne' }, action: 'viewer', type: 'doc' };
const readers = (id: string) => ({ resource: { type: 'doc', id }, action: 'viewer', subjectType: 'user' });

describe('a condition lacking a context parameter in a list query', () => {
  it('listResources refuses, naming the condition and the parameter; check denies as before', async () => {
    const pe = await engine([
      { user: 'user:anne', relation: 'viewer', object: 'doc:plain' },
      { user: 'user:anne', relation: 'viewer', object: 'doc:office', condition: office },
    ]);
    const attempt = pe.listResources(anne);
    await expect(attempt).rejects.toBeInstanceOf(ListQueryError);
    await expect(attempt).rejects.toMatchObject({
      code: 'ERR_MISSING_CONDITION_PARAMETER',
      condition: 'in_network',
      parameters: ['context.ip'],
      message: "failed to evaluate condition 'in_network': the request is missing context parameters 'ip'",
    });
    const check = await pe.check({
      subject: anne.subject,
      action: 'viewer',
      resource: { type: 'doc', id: 'office' },
    });
    expect(check).toMatchObject({ allowed: false, code: 'condition_input_invalid' });
    // Given the parameter, the answer is complete either way.
    expect(await pe.listResources({ ...anne, context: { ip: '10.1.2.3' } })).toEqual({
      resources: [
        { type: 'doc', id: 'office' },
        { type: 'doc', id: 'plain' },
      ],
      cursor: null,
      complete: true,
    });
    expect(await pe.listResources({ ...anne, context: { ip: '192.168.0.1' } })).toEqual({
      resources: [{ type: 'doc', id: 'plain' }],
      cursor: null,
      complete: true,
    });
  });

  it('a wrongly typed parameter is ERR_INVALID_CONDITION_PARAMETER', async () => {
    const pe = await engine([
      { user: 'user:anne', relation: 'viewer', object: 'doc:office', condition: office },
    ]);
    await expect(pe.listResources({ ...anne, context: { ip: 42 } })).rejects.toMatchObject({
      code: 'ERR_INVALID_CONDITION_PARAMETER',
      condition: 'in_network',
      parameters: ['context.ip'],
    });
    await expect(pe.listResources({ ...anne, context: { ip: 'not-an-ip' } })).rejects.toMatchObject({
      code: 'ERR_INVALID_CONDITION_PARAMETER',
    });
  });

  it("a parameter the tuple's stored context gives needs nothing from the request", async () => {
    const pe = await engine([
      {
        user: 'user:anne',
        relation: 'viewer',
        object: 'doc:pinned',
        condition: { name: 'in_network', context: { cidr: '10.0.0.0/8', ip: '10.0.0.1' } },
      },
    ]);
    expect(await pe.listResources(anne)).toMatchObject({
      resources: [{ type: 'doc', id: 'pinned' }],
      complete: true,
    });
  });

  it('a candidate granted by another path needs no parameter', async () => {
    const pe = await engine([
      { user: 'user:anne', relation: 'viewer', object: 'doc:1', condition: office },
      { user: 'user:anne', relation: 'owner', object: 'doc:1' },
    ]);
    expect(await pe.listResources(anne)).toMatchObject({
      resources: [{ type: 'doc', id: '1' }],
      complete: true,
    });
  });

  it('listSubjects refuses too, for a listed subject and for the conditional wildcard', async () => {
    const direct = await engine([
      { user: 'user:anne', relation: 'viewer', object: 'doc:1', condition: office },
    ]);
    await expect(direct.listSubjects(readers('1'))).rejects.toMatchObject({
      code: 'ERR_MISSING_CONDITION_PARAMETER',
      parameters: ['context.ip'],
    });
    expect((await direct.listSubjects({ ...readers('1'), context: { ip: '10.0.0.9' } })).subjects).toEqual([
      { type: 'user', id: 'anne' },
    ]);
    const wildcard = await engine([
      { user: 'user:*', relation: 'viewer', object: 'doc:1', condition: office },
    ]);
    await expect(wildcard.listSubjects(readers('1'))).rejects.toMatchObject({
      code: 'ERR_MISSING_CONDITION_PARAMETER',
    });
    expect(await wildcard.listSubjects({ ...readers('1'), context: { ip: '10.0.0.9' } })).toMatchObject({
      subjects: [{ type: 'user', id: '*' }],
      complete: true,
    });
  });
});

describe('a condition on attributes in a list query', () => {
  const model = validateModel(
    defineModel(
      (m) => ({
        user: m.type(),
        doc: m.type({ reader: m.relation(['user with paid']) }),
      }),
      {
        conditions: {
          paid: defineCondition({
            params: z.object({ subject: z.object({ plan: z.enum(['free', 'paid']) }) }),
            evaluate: ({ subject }) => subject.plan === 'paid',
          }),
        },
      },
    ),
  );

  it('a missing subject attribute is named as a condition input', async () => {
    const store = new MemoryRelationshipStore({ model });
    await store.write([
      {
        object: { type: 'doc', id: '1' },
        relation: 'reader',
        subject: { type: 'user', id: 'anne' },
        condition: { name: 'paid' },
      },
    ]);
    const pe = new PolicyEvaluator({ model, store });
    const request = { subject: { type: 'user', id: 'anne' }, action: 'reader', type: 'doc' };
    await expect(pe.listResources(request)).rejects.toMatchObject({
      code: 'ERR_MISSING_CONDITION_PARAMETER',
      parameters: ['subject.plan'],
      message: "failed to evaluate condition 'paid': the request is missing condition inputs 'subject.plan'",
    });
    const paid = { ...request, subject: { ...request.subject, attributes: { plan: 'paid' } } };
    expect((await pe.listResources(paid)).resources).toEqual([{ type: 'doc', id: '1' }]);
    const odd = { ...request, subject: { ...request.subject, attributes: { plan: 'gold' } } };
    await expect(pe.listResources(odd)).rejects.toMatchObject({ code: 'ERR_INVALID_CONDITION_PARAMETER' });
  });
});
