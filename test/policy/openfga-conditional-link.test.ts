/**
 * A condition on a tuple-to-userset's linking relation (`define parent: [folder with c]` and
 * `viewer from parent`): `@openfga/syntax-transformer` 0.2.x's validator crashes on such a valid
 * model; the loader keeps its real verdicts and lets gatehouse's own validation decide the rest.
 */
import { transformer, validator } from '@openfga/syntax-transformer';
import { describe, expect, it } from 'vitest';
import { fromOpenFgaTuple, loadOpenFgaModel, OpenFgaModelError } from '../../src/openfga.js';
import {
  ListQueryError,
  MemoryRelationshipStore,
  PolicyEvaluator,
  validateModel,
} from '../../src/policy/index.js';

const MODEL = `model
  schema 1.1

type user

type folder
  relations
    define viewer: [user]

type doc
  relations
    define parent: [folder with within_hours]
    define viewer: viewer from parent

condition within_hours(hour: int) {
  hour >= 9 && hour < 17
}
`;

async function engine() {
  const compiled = validateModel(loadOpenFgaModel(MODEL));
  const store = new MemoryRelationshipStore({ model: compiled });
  await store.write(
    [
      { user: 'user:anne', relation: 'viewer', object: 'folder:shared' },
      { user: 'folder:shared', relation: 'parent', object: 'doc:1', condition: { name: 'within_hours' } },
      { user: 'user:bob', relation: 'viewer', object: 'folder:other' },
      { user: 'folder:other', relation: 'parent', object: 'doc:2', condition: { name: 'within_hours' } },
    ].map(fromOpenFgaTuple),
  );
  return new PolicyEvaluator({ model: compiled, store });
}

const view = (user: string, doc: string, hour?: number) => ({
  subject: { type: 'user', id: user },
  action: 'viewer',
  resource: { type: 'doc', id: doc },
  ...(hour === undefined ? {} : { context: { hour } }),
});

describe('a condition on the linking relation of a tuple-to-userset', () => {
  it('the validator of @openfga/syntax-transformer crashes on this valid model (the upstream bug)', () => {
    // If this starts passing, upstream is fixed and the crash tolerance in the loader can go.
    expect(() => validator.validateDSL(MODEL)).toThrow(TypeError);
    expect(() => transformer.transformDSLToJSONObject(MODEL)).not.toThrow();
  });

  it('the model loads, with the condition on the parent restriction', () => {
    const model = loadOpenFgaModel(MODEL);
    expect(model.types.doc?.relations?.parent?.directly).toEqual([
      { type: 'folder', condition: 'within_hours' },
    ]);
    expect(model.types.doc?.relations?.viewer?.rewrite).toEqual({
      tupleToUserset: { tupleset: 'parent', computed: 'viewer' },
    });
  });

  it('check follows the conditional parent link only when the condition holds', async () => {
    const pe = await engine();
    expect(await pe.check(view('anne', '1', 10))).toMatchObject({ allowed: true, code: 'granted' });
    expect(await pe.check(view('anne', '1', 20))).toMatchObject({ allowed: false, code: 'not_granted' });
    expect(await pe.check(view('anne', '1'))).toMatchObject({
      allowed: false,
      code: 'condition_input_invalid',
    });
    expect(await pe.check(view('bob', '1', 10))).toMatchObject({ allowed: false, code: 'not_granted' });
    expect((await pe.check(view('bob', '2', 10))).allowed).toBe(true);
  });

  it('list queries through the conditional parent link honour the condition', async () => {
    const pe = await engine();
    const anne = { subject: { type: 'user', id: 'anne' }, action: 'viewer', type: 'doc' };
    expect((await pe.listResources({ ...anne, context: { hour: 10 } })).resources).toEqual([
      { type: 'doc', id: '1' },
    ]);
    expect(await pe.listResources({ ...anne, context: { hour: 20 } })).toMatchObject({
      resources: [],
      complete: true,
    });
    const readers = { resource: { type: 'doc', id: '1' }, action: 'viewer', subjectType: 'user' };
    expect((await pe.listSubjects({ ...readers, context: { hour: 10 } })).subjects).toEqual([
      { type: 'user', id: 'anne' },
    ]);
    expect((await pe.listSubjects({ ...readers, context: { hour: 20 } })).subjects).toEqual([]);
    const missing = pe.listResources(anne);
    await expect(missing).rejects.toBeInstanceOf(ListQueryError);
    await expect(missing).rejects.toMatchObject({
      code: 'ERR_MISSING_CONDITION_PARAMETER',
      parameters: ['context.hour'],
    });
  });

  it("the validator's real errors are still reported, with their line", () => {
    const syntax = MODEL.replace('viewer from parent', 'viewer frm parent');
    expect(() => loadOpenFgaModel(syntax)).toThrow(OpenFgaModelError);
    const unknownType = MODEL.replace('[folder with within_hours]', '[foldr with within_hours]');
    expect(() => loadOpenFgaModel(unknownType)).toThrow(expect.objectContaining({ line: 12 }));
  });

  it("OpenFGA's unused-condition rule still holds when the validator crashed", () => {
    const unused = `${MODEL}
condition never_used(x: int) {
  x > 1
}
`;
    expect(() => validator.validateDSL(unused)).toThrow(TypeError);
    expect(() => loadOpenFgaModel(unused)).toThrow(/`never_used` condition is not used in the model/);
    expect(() => loadOpenFgaModel(unused)).toThrow(expect.objectContaining({ line: 19, column: 11 }));
  });
});
