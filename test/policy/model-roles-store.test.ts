import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AuthorizationModel,
  defineRoles,
  MemoryRelationshipStore,
  PolicyEvaluator,
  PolicyModelError,
  RoleDefinitionError,
  rolesTypeDefinition,
  TupleValidationError,
  validateModel,
} from '../../src/policy/index.js';

const expectModelError = (model: AuthorizationModel, path: string) => {
  try {
    validateModel(model);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyModelError);
    expect((error as PolicyModelError).path).toBe(path);
    return;
  }
  throw new Error('expected a PolicyModelError');
};

describe('validateModel', () => {
  it('refuses unknown types, relations, conditions and bad tuplesets with a path', () => {
    expectModelError(
      { types: { doc: { relations: { viewer: { directly: [{ type: 'usr' }] } } } } },
      'types.doc.relations.viewer.directly[0]',
    );
    expectModelError(
      {
        types: {
          user: {},
          doc: { relations: { viewer: { directly: [{ type: 'user', relation: 'nope' }] } } },
        },
      },
      'types.doc.relations.viewer.directly[0]',
    );
    expectModelError(
      { types: { doc: { relations: { viewer: { rewrite: { computed: 'owner' } } } } } },
      'types.doc.relations.viewer.rewrite',
    );
    expectModelError(
      {
        types: {
          user: {},
          doc: { relations: { viewer: { directly: [{ type: 'user', condition: 'nope' }] } } },
        },
      },
      'types.doc.relations.viewer.directly[0]',
    );
    expectModelError(
      {
        types: {
          user: {},
          folder: {
            relations: {
              parent: {
                directly: [{ type: 'folder' }],
                rewrite: { union: [{ this: true }, { computed: 'viewer' }] },
              },
              viewer: {
                directly: [{ type: 'user' }],
                rewrite: {
                  union: [{ this: true }, { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } }],
                },
              },
            },
          },
        },
      },
      'types.folder.relations.viewer.rewrite.union[1]',
    );
  });

  it('refuses relations that only reference themselves', () => {
    expectModelError(
      { types: { doc: { relations: { viewer: { rewrite: { computed: 'viewer' } } } } } },
      'types.doc.relations.viewer',
    );
    expectModelError(
      {
        types: {
          doc: { relations: { a: { rewrite: { computed: 'b' } }, b: { rewrite: { computed: 'a' } } } },
        },
      },
      'types.doc.relations.a',
    );
  });

  it('accepts a condition with a zod schema and refuses unsafe names', () => {
    expect(() =>
      validateModel({
        types: {
          user: {},
          doc: { relations: { viewer: { directly: [{ type: 'user', condition: 'ok' }] } } },
        },
        conditions: { ok: { params: z.object({}), evaluate: () => true } },
      }),
    ).not.toThrow();
    expectModelError({ types: { 'bad name': {} } }, 'types.bad name');
  });
});

describe('MemoryRelationshipStore', () => {
  const model = validateModel({
    types: {
      user: {},
      doc: { relations: { viewer: { directly: [{ type: 'user' }, { type: 'user', wildcard: true }] } } },
    },
  });

  it('writes atomically: one bad tuple rejects the whole batch', async () => {
    const store = new MemoryRelationshipStore({ model });
    await expect(
      store.write([
        { object: { type: 'doc', id: '1' }, relation: 'viewer', subject: { type: 'user', id: 'anne' } },
        { object: { type: 'doc', id: '1' }, relation: 'editor', subject: { type: 'user', id: 'bob' } },
      ]),
    ).rejects.toBeInstanceOf(TupleValidationError);
    expect(store.size).toBe(0);
  });

  it('reads by object, by subject and by relation, and deletes', async () => {
    const store = new MemoryRelationshipStore({ model });
    const anne = {
      object: { type: 'doc', id: '1' },
      relation: 'viewer',
      subject: { type: 'user', id: 'anne' },
    };
    const pub = { object: { type: 'doc', id: '2' }, relation: 'viewer', subject: { type: 'user', id: '*' } };
    const ids = {
      object: { type: 'doc', id: 'a#viewer' },
      relation: 'viewer',
      subject: { type: 'user', id: 'x:y#z' },
    };
    await store.write([anne, pub, ids, anne]);
    expect(store.size).toBe(3);
    expect(await store.read({ object: { type: 'doc', id: '1' } })).toEqual([anne]);
    expect(await store.read({ subject: { type: 'user', id: 'anne' } })).toEqual([anne]);
    expect(await store.read({ relation: 'viewer' })).toHaveLength(3);
    expect(
      await store.readTuple({ type: 'doc', id: 'a#viewer' }, 'viewer', { type: 'user', id: 'x:y#z' }),
    ).toEqual(ids);
    expect(
      await store.readTuple({ type: 'doc', id: 'a' }, 'viewer', { type: 'user', id: 'x:y#z' }),
    ).toBeUndefined();
    await store.delete([anne]);
    expect(await store.read({ object: { type: 'doc', id: '1' } })).toEqual([]);
    expect(store.size).toBe(2);
  });
});

describe('roles', () => {
  const roles = defineRoles({
    USER: { permissions: ['chat', 'read_conversation'] },
    ADMIN: {
      inherits: ['USER'],
      permissions: ['generate_image', 'delete_message', 'ban_user', 'manage_billing'],
    },
    MODERATOR: { inherits: [{ role: 'USER' }, { role: 'ADMIN', only: ['delete_message', 'ban_user'] }] },
    SUSPENDED: { deny: ['chat', 'generate_image'] },
    GUEST: { inherits: ['USER'], deny: ['chat'] },
  });

  it('inheritance: ADMIN > USER', () => {
    expect(roles.roleAllows('ADMIN', 'chat')).toBe(true);
    expect(roles.roleAllows('ADMIN', 'generate_image')).toBe(true);
    expect(roles.roleAllows('USER', 'generate_image')).toBe(false);
    expect(roles.inheritsFrom('ADMIN', 'USER')).toBe(true);
    expect(roles.inheritsFrom('USER', 'ADMIN')).toBe(false);
  });

  it('subset inheritance: moderators get only the named admin permissions', () => {
    expect(roles.roleAllows('MODERATOR', 'delete_message')).toBe(true);
    expect(roles.roleAllows('MODERATOR', 'ban_user')).toBe(true);
    expect(roles.roleAllows('MODERATOR', 'chat')).toBe(true);
    expect(roles.roleAllows('MODERATOR', 'generate_image')).toBe(false);
    expect(roles.roleAllows('MODERATOR', 'manage_billing')).toBe(false);
  });

  it('deny wins within a role and across roles; unknown names deny', () => {
    expect(roles.roleAllows('GUEST', 'chat')).toBe(false);
    expect(roles.roleAllows('GUEST', 'read_conversation')).toBe(true);
    expect(roles.explain(['ADMIN', 'SUSPENDED'], 'generate_image')).toEqual({
      allowed: false,
      code: 'deny_rule',
      role: 'SUSPENDED',
    });
    expect(roles.rolesAllow(['ADMIN', 'SUSPENDED'], 'ban_user')).toBe(true);
    expect(roles.explain(['NOPE'], 'chat').code).toBe('no_matching_rule');
    expect(roles.roleAllows('__proto__', 'chat')).toBe(false);
    expect(roles.roleAllows('ADMIN', 'constructor')).toBe(false);
  });

  it('refuses cycles, unknown parents and subsets the parent lacks', () => {
    expect(() => defineRoles({ A: { inherits: ['B'] }, B: { inherits: ['A'] } })).toThrow(
      /inheritance cycle/,
    );
    expect(() => defineRoles({ A: { inherits: ['A'] } })).toThrow(RoleDefinitionError);
    expect(() => defineRoles({ A: { inherits: ['Z'] } })).toThrow(/unknown role/);
    expect(() =>
      defineRoles({ A: { permissions: ['x'] }, B: { inherits: [{ role: 'A', only: ['y'] }] } }),
    ).toThrow(/does not have/);
  });

  it('runs on the engine as resource-level roles with the same answers', async () => {
    const model = validateModel({ types: { user: {}, app: rolesTypeDefinition(roles) } });
    const store = new MemoryRelationshipStore({ model });
    const assign = (user: string, role: string) => ({
      object: { type: 'app', id: 'global' },
      relation: role,
      subject: { type: 'user', id: user },
    });
    await store.write([
      assign('ada', 'ADMIN'),
      assign('mo', 'MODERATOR'),
      assign('sus', 'ADMIN'),
      assign('sus', 'SUSPENDED'),
    ]);
    const pe = new PolicyEvaluator({ model, store });
    const can = async (user: string, action: string) =>
      (
        await pe.check({
          subject: { type: 'user', id: user },
          action,
          resource: { type: 'app', id: 'global' },
        })
      ).allowed;
    expect(await can('ada', 'generate_image')).toBe(true);
    expect(await can('mo', 'generate_image')).toBe(false);
    expect(await can('mo', 'ban_user')).toBe(true);
    expect(await can('mo', 'chat')).toBe(true);
    expect(await can('sus', 'generate_image')).toBe(false);
    expect(await can('sus', 'ban_user')).toBe(true);
    expect(await can('nobody', 'chat')).toBe(false);
  });
});
