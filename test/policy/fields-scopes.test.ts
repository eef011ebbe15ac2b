/**
 * AZ-04: field-level read and write checks, mass assignment blocked.
 * AZ-07: token scopes (and the issuer) take part in policy decisions.
 */
import { describe, expect, it } from 'vitest';
import {
  assertWritable,
  type CheckRequest,
  defineFieldPolicy,
  defineModel,
  FieldAccessError,
  FieldPolicyError,
  filterReadable,
  issuerCondition,
  MemoryRelationshipStore,
  PolicyEvaluator,
  readableFields,
  scopeCondition,
  validateModel,
} from '../../src/policy/index.js';

const model = validateModel(
  defineModel(
    (m) => ({
      user: m.type(),
      profile: m.type({
        owner: m.relation(['user']),
        admin: m.relation(['user']),
        viewer: m.relation(['user:*']).or(m.computed('owner')),
        read_private: m.computed('owner').or(m.computed('admin')),
        edit: m.computed('owner').and(m.condition('scope_profile_write')),
        manage: m.computed('admin'),
      }),
    }),
    {
      conditions: {
        scope_profile_write: scopeCondition('profile:write'),
        partner: issuerCondition('https://partner.example'),
      },
    },
  ),
);

const profilePolicy = defineFieldPolicy({
  displayName: { read: 'viewer', write: 'edit' },
  bio: { read: 'viewer', write: 'edit' },
  email: { read: 'read_private', write: 'edit' },
  role: { read: 'read_private', write: 'manage' },
  passwordHash: {},
});

const record = {
  displayName: 'Anne',
  bio: 'hello',
  email: 'anne@example.com',
  role: 'USER',
  passwordHash: '$argon2id$...',
};

async function setup() {
  const store = new MemoryRelationshipStore({ model });
  const p1 = { type: 'profile', id: 'anne' };
  await store.write([
    { object: p1, relation: 'owner', subject: { type: 'user', id: 'anne' } },
    { object: p1, relation: 'admin', subject: { type: 'user', id: 'root' } },
    { object: p1, relation: 'viewer', subject: { type: 'user', id: '*' } },
  ]);
  return new PolicyEvaluator({ model, store });
}

const as = (user: string, scopes: readonly string[] = ['profile:read', 'profile:write']) =>
  ({
    subject: { type: 'user', id: user, attributes: { scopes: [...scopes] } },
    resource: { type: 'profile', id: 'anne' },
  }) satisfies Omit<CheckRequest, 'action'>;

describe('AZ-04 field-level reads', () => {
  it('each subject sees only the fields its permissions allow; unlisted fields never', async () => {
    const pe = await setup();
    expect(await filterReadable(pe, as('anne'), profilePolicy, record)).toEqual({
      displayName: 'Anne',
      bio: 'hello',
      email: 'anne@example.com',
      role: 'USER',
    });
    expect(await filterReadable(pe, as('stranger'), profilePolicy, record)).toEqual({
      displayName: 'Anne',
      bio: 'hello',
    });
    expect([...(await readableFields(pe, as('root'), profilePolicy))].sort()).toEqual([
      'bio',
      'displayName',
      'email',
      'role',
    ]);
    const extra = { ...record, internalNote: 'x' };
    expect(await filterReadable(pe, as('anne'), profilePolicy, extra)).not.toHaveProperty('internalNote');
  });

  it('a decider that fails reveals nothing (fail closed)', async () => {
    const down = {
      check: async () => {
        throw new Error('PDP down');
      },
    };
    expect(await filterReadable(down, as('anne'), profilePolicy, record)).toEqual({});
  });
});

describe('AZ-04 field-level writes: mass assignment is blocked', () => {
  it('the owner may change their own fields', async () => {
    const pe = await setup();
    const change = { displayName: 'Anne B.', bio: 'new' };
    await expect(assertWritable(pe, as('anne'), profilePolicy, change)).resolves.toBe(change);
  });

  it('an extra field (role) in the change refuses the whole change, naming the field', async () => {
    const pe = await setup();
    const error = await assertWritable(pe, as('anne'), profilePolicy, { bio: 'x', role: 'ADMIN' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FieldAccessError);
    expect(error).toMatchObject({ code: 'ERR_FIELD_FORBIDDEN', status: 403, fields: ['role'] });
  });

  it('unknown, read-only and prototype-polluting fields are refused', async () => {
    const pe = await setup();
    const hostile = JSON.parse('{"__proto__":{"isAdmin":true},"passwordHash":"x","createdAt":1}') as object;
    await expect(assertWritable(pe, as('anne'), profilePolicy, hostile)).rejects.toMatchObject({
      fields: ['__proto__', 'passwordHash', 'createdAt'],
    });
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('others may not write, and field policies refuse unsafe names', async () => {
    const pe = await setup();
    await expect(assertWritable(pe, as('stranger'), profilePolicy, { bio: 'x' })).rejects.toBeInstanceOf(
      FieldAccessError,
    );
    await expect(assertWritable(pe, as('root'), profilePolicy, { role: 'MODERATOR' })).resolves.toBeDefined();
    expect(() => defineFieldPolicy(JSON.parse('{"__proto__":{"read":"viewer"}}'))).toThrow(FieldPolicyError);
    expect(() => defineFieldPolicy({ a: { read: 'constructor' } })).toThrow(FieldPolicyError);
  });
});

describe('AZ-07 token scopes and issuer in decisions', () => {
  const edit = (scopes?: readonly string[]) => ({
    subject: { type: 'user', id: 'anne', ...(scopes ? { attributes: { scopes: [...scopes] } } : {}) },
    action: 'edit',
    resource: { type: 'profile', id: 'anne' },
  });

  it('a token with read scope only cannot edit, even as the owner', async () => {
    const pe = await setup();
    expect((await pe.check(edit(['profile:read', 'profile:write']))).allowed).toBe(true);
    expect(await pe.check(edit(['profile:read']))).toMatchObject({ allowed: false, code: 'not_granted' });
    await expect(
      assertWritable(pe, as('anne', ['profile:read']), profilePolicy, { bio: 'x' }),
    ).rejects.toThrow(FieldAccessError);
  });

  it('no scopes passed at all is a fail-closed deny, not a grant', async () => {
    const pe = await setup();
    expect(await pe.check(edit())).toMatchObject({ allowed: false, code: 'condition_input_invalid' });
  });

  it('issuerCondition admits only the named issuers', () => {
    const partner = issuerCondition('https://partner.example');
    const ok = partner.params.safeParse({ subject: { issuer: 'https://partner.example' } });
    expect(ok.success && partner.evaluate(ok.data)).toBe(true);
    const other = partner.params.safeParse({ subject: { issuer: 'https://evil.example' } });
    expect(other.success && partner.evaluate(other.data)).toBe(false);
    expect(partner.params.safeParse({ subject: {} }).success).toBe(false);
    expect(() => scopeCondition()).toThrow(TypeError);
  });
});
