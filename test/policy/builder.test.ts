import { describe, expect, it } from 'vitest';
import { defineModel, PolicyModelError, parseRestriction, validateModel } from '../../src/policy/index.js';

describe('defineModel builder', () => {
  it('produces an AuthorizationModel that validates', () => {
    const model = defineModel((m) => ({
      user: m.type(),
      team: m.type({ member: m.relation(['user', 'team#member']) }),
      folder: m.type({
        owner: m.relation(['user']),
        parent: m.relation(['folder']),
        viewer: m
          .relation(['user', 'user:*', 'team#member'])
          .or(m.computed('owner'))
          .or(m.from('parent', 'viewer')),
      }),
    }));
    const viewer = model.types.folder?.relations?.viewer;
    expect(viewer?.directly).toEqual([
      { type: 'user' },
      { type: 'user', wildcard: true },
      { type: 'team', relation: 'member' },
    ]);
    expect(viewer?.rewrite).toEqual({
      union: [
        { this: true },
        { computed: 'owner' },
        { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } },
      ],
    });
    expect(() => validateModel(model)).not.toThrow();
  });

  it('builds intersection, exclusion and deny rules', () => {
    const model = defineModel((m) => ({
      user: m.type(),
      doc: m.type({
        blocked: m.relation(['user']),
        member: m.relation(['user']),
        approved: m.relation(['user']),
        editor: m.computed('member').and(m.computed('approved')).butNot(m.computed('blocked')),
        viewer: m.computed('member').deny(m.computed('blocked')),
      }),
    }));
    const doc = model.types.doc?.relations;
    expect(doc?.editor?.rewrite).toEqual({
      exclusion: {
        base: { intersection: [{ computed: 'member' }, { computed: 'approved' }] },
        subtract: { computed: 'blocked' },
      },
    });
    expect(doc?.viewer?.deny).toEqual({ computed: 'blocked' });
  });

  it('rejects typos at compile time', () => {
    // Each lambda below is type-checked by `tsc --noEmit` (the ts-expect-error lines fail the typecheck
    // if the typo were accepted); at run time they are never built.
    const typos = [
      () =>
        defineModel((m) => ({
          user: m.type(),
          // @ts-expect-error unknown computed relation
          doc: m.type({ owner: m.relation(['user']), viewer: m.computed('ownr') }),
        })),
      () =>
        defineModel((m) => ({
          user: m.type(),
          // @ts-expect-error unknown type in a restriction
          doc: m.type({ owner: m.relation(['usr']) }),
        })),
      () =>
        defineModel((m) => ({
          user: m.type(),
          team: m.type({ member: m.relation(['user']) }),
          // @ts-expect-error unknown userset relation
          doc: m.type({ viewer: m.relation(['team#membr']) }),
        })),
      () =>
        defineModel((m) => ({
          user: m.type(),
          // @ts-expect-error unknown relation on the parent's type
          folder: m.type({
            parent: m.relation(['folder']),
            viewer: m.relation(['user']).or(m.from('parent', 'viewr')),
          }),
        })),
    ];
    expect(typos).toHaveLength(4);
  });

  it('parses restrictions and refuses malformed ones', () => {
    expect(parseRestriction('user:* with paid')).toEqual({ type: 'user', wildcard: true, condition: 'paid' });
    expect(parseRestriction('team#member')).toEqual({ type: 'team', relation: 'member' });
    expect(() => parseRestriction('team#')).toThrow(PolicyModelError);
    expect(() => parseRestriction('user:alice')).toThrow(PolicyModelError);
  });
});
