/**
 * The {@link RelationshipStore} contract suite: every implementation (memory, SQLite, a user's own)
 * must pass it unchanged. A check is only as good as the tuples it reads, so exact matching (no
 * prefix, pattern or case folding), verbatim ids and all-or-nothing batches are the important tests.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineModel } from '../../policy/builder.js';
import { type CompiledModel, defineCondition, validateModel } from '../../policy/model.js';
import {
  formatTuple,
  MAX_ID_LENGTH,
  type RelationshipStore,
  type RelationshipTuple,
} from '../../policy/relationship-store.js';
import { useFreshSubject } from './lifecycle.js';

/** What {@link describeRelationshipStoreContract} passes to the factory. */
export interface RelationshipStoreContractOptions {
  /** When set, the store must enforce this model's type restrictions on `write`. */
  readonly model?: CompiledModel;
}

/**
 * Creates the store under test; called before every test and must return an empty store (a fresh
 * database, schema, or key prefix) configured with `options`. Its `close()`, when present, is
 * called after the test.
 */
export type RelationshipStoreFactory = (
  options: RelationshipStoreContractOptions,
) => RelationshipStore | Promise<RelationshipStore>;

/**
 * The model the suite's type-restriction tests use: `folder#viewer` takes users, every user,
 * team members and users with the `in_office` condition; `folder#owner` takes plain users only.
 */
export const RELATIONSHIP_CONTRACT_MODEL: CompiledModel = validateModel(
  defineModel(
    (m) => ({
      user: m.type(),
      team: m.type({ member: m.relation(['user', 'team#member']) }),
      folder: m.type({
        owner: m.relation(['user']),
        parent: m.relation(['folder']),
        viewer: m.relation(['user', 'user:*', 'team#member', 'user with in_office']),
      }),
    }),
    {
      conditions: {
        in_office: defineCondition({
          params: z.object({ context: z.object({ ip: z.string(), allowed: z.array(z.string()) }) }),
          evaluate: ({ context }) => context.allowed.includes(context.ip),
        }),
      },
    },
  ),
);

/** Builds a tuple: `t(['folder', '1'], 'viewer', ['team', 'eng', 'member'])`. */
function t(
  object: readonly [string, string],
  relation: string,
  subject: readonly [string, string, string?],
  condition?: RelationshipTuple['condition'],
): RelationshipTuple {
  const [type, id, subjectRelation] = subject;
  return {
    object: { type: object[0], id: object[1] },
    relation,
    subject: subjectRelation === undefined ? { type, id } : { type, id, relation: subjectRelation },
    ...(condition ? { condition } : {}),
  };
}

/** Sorts tuples so lists can be compared regardless of the order a store returns them in. */
function sorted(tuples: readonly RelationshipTuple[]): RelationshipTuple[] {
  const key = (x: RelationshipTuple) => `${formatTuple(x)} ${JSON.stringify(x.condition ?? null)}`;
  return [...tuples].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

async function expectRejectedTuple(promise: Promise<unknown>, index: number): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'TupleValidationError', index });
}

const anneViews1 = t(['folder', '1'], 'viewer', ['user', 'anne']);
const bobViews1 = t(['folder', '1'], 'viewer', ['user', 'bob']);
const everyoneViews1 = t(['folder', '1'], 'viewer', ['user', '*']);
const engViews1 = t(['folder', '1'], 'viewer', ['team', 'eng', 'member']);
const opsViews1 = t(['folder', '1'], 'viewer', ['team', 'ops', 'member']);
const anneOwns1 = t(['folder', '1'], 'owner', ['user', 'anne']);
const anneViews10 = t(['folder', '10'], 'viewer', ['user', 'anne']);
const parentOf2 = t(['folder', '2'], 'parent', ['folder', '1']);
const anneInEng = t(['team', 'eng'], 'member', ['user', 'anne']);
const opsInEng = t(['team', 'eng'], 'member', ['team', 'ops', 'member']);
const FIXTURE = [
  anneViews1,
  bobViews1,
  everyoneViews1,
  engViews1,
  opsViews1,
  anneOwns1,
  anneViews10,
  parentOf2,
  anneInEng,
  opsInEng,
];

/**
 * Registers the relationship-store tests for a store without a model in the current `describe`;
 * `store` returns the store of the running test.
 */
export function defineRelationshipStoreTests(store: () => RelationshipStore): void {
  describe('empty store', () => {
    it('answers every read with nothing', async () => {
      expect(await store().read({})).toEqual([]);
      expect(await store().read({ object: { type: 'folder', id: '1' } })).toEqual([]);
      expect(
        await store().readTuple({ type: 'folder', id: '1' }, 'viewer', { type: 'user', id: 'anne' }),
      ).toBeUndefined();
      expect(await store().readUsersets({ type: 'folder', id: '1' }, 'viewer')).toEqual([]);
      expect(await store().readRelation({ type: 'folder', id: '1' }, 'viewer')).toEqual([]);
    });

    it('accepts empty batches', async () => {
      await store().write([]);
      await store().delete([]);
      expect(await store().read({})).toEqual([]);
    });
  });

  describe('readTuple', () => {
    it('returns the one written tuple, matching object, relation and subject exactly', async () => {
      await store().write(FIXTURE);
      const folder1 = { type: 'folder', id: '1' };
      expect(await store().readTuple(folder1, 'viewer', { type: 'user', id: 'anne' })).toEqual(anneViews1);
      expect(await store().readTuple(folder1, 'owner', { type: 'user', id: 'anne' })).toEqual(anneOwns1);
      expect(
        await store().readTuple(folder1, 'viewer', { type: 'team', id: 'eng', relation: 'member' }),
      ).toEqual(engViews1);
      expect(await store().readTuple(folder1, 'viewer', { type: 'user', id: 'carol' })).toBeUndefined();
      expect(await store().readTuple(folder1, 'editor', { type: 'user', id: 'anne' })).toBeUndefined();
      expect(
        await store().readTuple({ type: 'folder', id: '10' }, 'owner', { type: 'user', id: 'anne' }),
      ).toBeUndefined();
      expect(
        await store().readTuple({ type: 'document', id: '1' }, 'viewer', { type: 'user', id: 'anne' }),
      ).toBeUndefined();
    });

    it('tells a userset subject from a plain subject with the same type and id', async () => {
      await store().write([engViews1]);
      const folder1 = { type: 'folder', id: '1' };
      expect(await store().readTuple(folder1, 'viewer', { type: 'team', id: 'eng' })).toBeUndefined();
      expect(
        await store().readTuple(folder1, 'viewer', { type: 'team', id: 'eng', relation: 'admin' }),
      ).toBeUndefined();
      const plain = t(['folder', '1'], 'viewer', ['team', 'eng']);
      await store().write([plain]);
      expect(await store().readTuple(folder1, 'viewer', { type: 'team', id: 'eng' })).toEqual(plain);
      expect(
        await store().readTuple(folder1, 'viewer', { type: 'team', id: 'eng', relation: 'member' }),
      ).toEqual(engViews1);
    });

    it('stores a wildcard subject literally: user:* is found as user:*, not as user:anne', async () => {
      await store().write([everyoneViews1]);
      const folder1 = { type: 'folder', id: '1' };
      expect(await store().readTuple(folder1, 'viewer', { type: 'user', id: '*' })).toEqual(everyoneViews1);
      expect(await store().readTuple(folder1, 'viewer', { type: 'user', id: 'anne' })).toBeUndefined();
      expect(await store().readTuple(folder1, 'viewer', { type: 'team', id: '*' })).toBeUndefined();
    });
  });

  describe('readRelation and readUsersets', () => {
    it('readRelation returns every tuple of one object and relation, and nothing else', async () => {
      await store().write(FIXTURE);
      expect(sorted(await store().readRelation({ type: 'folder', id: '1' }, 'viewer'))).toEqual(
        sorted([anneViews1, bobViews1, everyoneViews1, engViews1, opsViews1]),
      );
      expect(await store().readRelation({ type: 'folder', id: '2' }, 'parent')).toEqual([parentOf2]);
      expect(await store().readRelation({ type: 'folder', id: '10' }, 'viewer')).toEqual([anneViews10]);
      expect(await store().readRelation({ type: 'folder', id: '1' }, 'parent')).toEqual([]);
      expect(await store().readRelation({ type: 'team', id: '1' }, 'viewer')).toEqual([]);
    });

    it('readUsersets returns the userset-subject tuples only', async () => {
      await store().write(FIXTURE);
      expect(sorted(await store().readUsersets({ type: 'folder', id: '1' }, 'viewer'))).toEqual(
        sorted([engViews1, opsViews1]),
      );
      expect(await store().readUsersets({ type: 'team', id: 'eng' }, 'member')).toEqual([opsInEng]);
      expect(await store().readUsersets({ type: 'folder', id: '1' }, 'owner')).toEqual([]);
      expect(await store().readUsersets({ type: 'folder', id: '10' }, 'viewer')).toEqual([]);
    });
  });

  describe('read', () => {
    it('by object (type and id), optionally with a relation', async () => {
      await store().write(FIXTURE);
      expect(sorted(await store().read({ object: { type: 'folder', id: '1' } }))).toEqual(
        sorted([anneViews1, bobViews1, everyoneViews1, engViews1, opsViews1, anneOwns1]),
      );
      expect(await store().read({ object: { type: 'folder', id: '1' }, relation: 'owner' })).toEqual([
        anneOwns1,
      ]);
      expect(await store().read({ object: { type: 'team', id: '1' } })).toEqual([]);
    });

    it('by object type alone, and by relation alone', async () => {
      await store().write(FIXTURE);
      expect(sorted(await store().read({ object: { type: 'team' } }))).toEqual(sorted([anneInEng, opsInEng]));
      expect(sorted(await store().read({ object: { type: 'folder' }, relation: 'viewer' }))).toEqual(
        sorted([anneViews1, bobViews1, everyoneViews1, engViews1, opsViews1, anneViews10]),
      );
      expect(sorted(await store().read({ relation: 'member' }))).toEqual(sorted([anneInEng, opsInEng]));
      expect(await store().read({ relation: 'editor' })).toEqual([]);
    });

    it('by subject (reverse lookup), with or without a relation and a subject relation', async () => {
      await store().write(FIXTURE);
      expect(sorted(await store().read({ subject: { type: 'user', id: 'anne' } }))).toEqual(
        sorted([anneViews1, anneOwns1, anneViews10, anneInEng]),
      );
      expect(
        sorted(await store().read({ subject: { type: 'user', id: 'anne' }, relation: 'viewer' })),
      ).toEqual(sorted([anneViews1, anneViews10]));
      expect(
        await store().read({
          subject: { type: 'user', id: 'anne' },
          object: { type: 'folder', id: '10' },
        }),
      ).toEqual([anneViews10]);
      expect(
        sorted(await store().read({ subject: { type: 'team', id: 'ops', relation: 'member' } })),
      ).toEqual(sorted([opsViews1, opsInEng]));
      expect(await store().read({ subject: { type: 'user', id: '*' } })).toEqual([everyoneViews1]);
      expect(await store().read({ subject: { type: 'user', id: 'carol' } })).toEqual([]);
    });

    it('a subject with an id is one exact subject: without a relation, the plain subject only', async () => {
      // Reverse lookups ("what is team:eng itself related to") rely on this.
      const plainEng = t(['folder', '3'], 'viewer', ['team', 'eng']);
      await store().write([...FIXTURE, plainEng]);
      expect(await store().read({ subject: { type: 'team', id: 'eng' } })).toEqual([plainEng]);
      expect(await store().read({ subject: { type: 'team', id: 'eng', relation: 'member' } })).toEqual([
        engViews1,
      ]);
      expect(await store().read({ subject: { type: 'team', id: 'ops' } })).toEqual([]);
      expect(await store().read({ subject: { type: 'folder', id: '1' } })).toEqual([parentOf2]);
      // The same holds when the object is part of the filter too.
      expect(
        await store().read({ object: { type: 'folder', id: '1' }, subject: { type: 'team', id: 'eng' } }),
      ).toEqual([]);
      expect(
        await store().read({
          object: { type: 'folder', id: '1' },
          subject: { type: 'team', id: 'eng', relation: 'member' },
        }),
      ).toEqual([engViews1]);
    });

    it('by subject type alone, optionally with a subject relation', async () => {
      await store().write(FIXTURE);
      expect(sorted(await store().read({ subject: { type: 'team' } }))).toEqual(
        sorted([engViews1, opsViews1, opsInEng]),
      );
      expect(sorted(await store().read({ subject: { type: 'team', relation: 'member' } }))).toEqual(
        sorted([engViews1, opsViews1, opsInEng]),
      );
      expect(await store().read({ subject: { type: 'team', relation: 'admin' } })).toEqual([]);
      expect(await store().read({ subject: { type: 'folder' } })).toEqual([parentOf2]);
    });

    it('an empty filter lists every tuple', async () => {
      await store().write(FIXTURE);
      expect(sorted(await store().read({}))).toEqual(sorted(FIXTURE));
    });
  });

  describe('conditions', () => {
    it('round-trip: a name alone, a name with a nested JSON context, and an empty context', async () => {
      const context = {
        ip: '10.0.0.1',
        allowed: ['10.0.0.0/8', '192.168.0.0/16'],
        limits: { daily: 5, ratio: 0.25, strict: true, note: null },
        label: 'zoë 日本語 🔐 "quoted" \\ %_',
      };
      const named = t(['folder', '1'], 'viewer', ['user', 'anne'], { name: 'in_office' });
      const withContext = t(['folder', '1'], 'viewer', ['user', 'bob'], { name: 'in_office', context });
      const emptyContext = t(['folder', '1'], 'viewer', ['user', 'carol'], {
        name: 'in_office',
        context: {},
      });
      await store().write([named, withContext, emptyContext]);
      const folder1 = { type: 'folder', id: '1' };
      const readAnne = await store().readTuple(folder1, 'viewer', { type: 'user', id: 'anne' });
      expect(readAnne).toEqual(named);
      expect(readAnne?.condition && 'context' in readAnne.condition).toBe(false);
      expect(await store().readTuple(folder1, 'viewer', { type: 'user', id: 'bob' })).toEqual(withContext);
      expect(await store().readTuple(folder1, 'viewer', { type: 'user', id: 'carol' })).toEqual(emptyContext);
      expect(sorted(await store().readRelation(folder1, 'viewer'))).toEqual(
        sorted([named, withContext, emptyContext]),
      );
      expect(sorted(await store().read({ object: folder1 }))).toEqual(
        sorted([named, withContext, emptyContext]),
      );
    });

    it('a tuple without a condition has no condition property', async () => {
      await store().write([anneViews1]);
      const read = await store().readTuple({ type: 'folder', id: '1' }, 'viewer', {
        type: 'user',
        id: 'anne',
      });
      expect(read).toEqual(anneViews1);
      expect(read && 'condition' in read).toBe(false);
      expect(read && 'relation' in read.subject).toBe(false);
    });

    it('keeps what was written: changing the caller object afterwards changes nothing', async () => {
      const context: Record<string, unknown> = { ip: '10.0.0.1' };
      await store().write([t(['folder', '1'], 'viewer', ['user', 'anne'], { name: 'in_office', context })]);
      context.ip = '6.6.6.6';
      const read = await store().readTuple({ type: 'folder', id: '1' }, 'viewer', {
        type: 'user',
        id: 'anne',
      });
      expect(read?.condition).toEqual({ name: 'in_office', context: { ip: '10.0.0.1' } });
    });
  });

  describe('write', () => {
    it('rewriting a tuple is idempotent and replaces its condition (set, change, remove)', async () => {
      const folder1 = { type: 'folder', id: '1' };
      const anne = { type: 'user', id: 'anne' };
      await store().write([anneViews1]);
      await store().write([anneViews1]);
      expect(await store().read({})).toEqual([anneViews1]);
      const conditioned = { ...anneViews1, condition: { name: 'in_office', context: { ip: 'a' } } };
      await store().write([conditioned]);
      expect(await store().readTuple(folder1, 'viewer', anne)).toEqual(conditioned);
      const other = { ...anneViews1, condition: { name: 'weekdays' } };
      await store().write([other]);
      expect(await store().readTuple(folder1, 'viewer', anne)).toEqual(other);
      await store().write([anneViews1]);
      expect(await store().readTuple(folder1, 'viewer', anne)).toEqual(anneViews1);
      expect(await store().read({})).toEqual([anneViews1]);
    });

    it('a batch holding one tuple twice stores it once, with the last condition', async () => {
      const last = { ...anneViews1, condition: { name: 'in_office', context: { n: 2 } } };
      await store().write([{ ...anneViews1, condition: { name: 'in_office', context: { n: 1 } } }, last]);
      expect(await store().read({})).toEqual([last]);
    });

    it('writes a large batch', async () => {
      const batch = Array.from({ length: 600 }, (_, i) => t(['folder', 'big'], 'viewer', ['user', `u${i}`]));
      await store().write(batch);
      expect(sorted(await store().readRelation({ type: 'folder', id: 'big' }, 'viewer'))).toEqual(
        sorted(batch),
      );
    });

    it('rejects malformed tuples with TupleValidationError and its index', async () => {
      const bad: unknown[] = [
        null,
        { relation: 'viewer', subject: { type: 'user', id: 'anne' } },
        t(['folder', ''], 'viewer', ['user', 'anne']),
        t(['folder', '*'], 'viewer', ['user', 'anne']),
        t(['folder', 'x'.repeat(MAX_ID_LENGTH + 1)], 'viewer', ['user', 'anne']),
        t(['folder', '1'], 'viewer', ['user', 'x'.repeat(MAX_ID_LENGTH + 1)]),
        t(['folder', '1'], 'view er', ['user', 'anne']),
        t(['folder', '1'], 'viewer', ['user', '']),
        t(['fol:der', '1'], 'viewer', ['user', 'anne']),
        t(['folder', '1'], 'viewer', ['us#er', 'anne']),
        t(['folder', '1'], 'viewer', ['team', 'eng', '']),
        t(['folder', '1'], 'viewer', ['team', 'eng', 'mem ber']),
        t(['folder', '1'], 'viewer', ['user', '*', 'member']),
        t(['folder', '1'], '__proto__', ['user', 'anne']),
        t(['folder', '1'], 'viewer', ['user', 'anne'], { name: 'bad name' }),
        { ...anneViews1, condition: { name: 'in_office', context: null } },
        { ...anneViews1, condition: { name: 'in_office', context: 'ip' } },
        { ...anneViews1, subject: { type: 'user', id: 42 } },
      ];
      for (const tuple of bad) {
        await expectRejectedTuple(store().write([anneViews1, tuple as RelationshipTuple]), 1);
      }
      expect(await store().read({})).toEqual([]);
      await expect(store().write(anneViews1 as unknown as RelationshipTuple[])).rejects.toMatchObject({
        name: 'TupleValidationError',
      });
    });

    it('is atomic: one bad tuple leaves the store exactly as it was', async () => {
      await store().write([
        anneViews1,
        { ...bobViews1, condition: { name: 'in_office', context: { v: 1 } } },
      ]);
      const before = sorted(await store().read({}));
      await expectRejectedTuple(
        store().write([
          engViews1,
          { ...bobViews1, condition: { name: 'in_office', context: { v: 2 } } },
          { ...anneViews1, condition: { name: 'weekdays' } },
          t(['folder', '*'], 'viewer', ['user', 'mallory']),
          opsViews1,
        ]),
        3,
      );
      expect(sorted(await store().read({}))).toEqual(before);
      expect(await store().readUsersets({ type: 'folder', id: '1' }, 'viewer')).toEqual([]);
    });
  });

  describe('delete', () => {
    it('removes exactly the given tuples; a missing tuple is a no-op', async () => {
      await store().write(FIXTURE);
      await store().delete([anneViews1, engViews1, t(['folder', '1'], 'viewer', ['user', 'nobody'])]);
      const folder1 = { type: 'folder', id: '1' };
      expect(await store().readTuple(folder1, 'viewer', { type: 'user', id: 'anne' })).toBeUndefined();
      expect(sorted(await store().readRelation(folder1, 'viewer'))).toEqual(
        sorted([bobViews1, everyoneViews1, opsViews1]),
      );
      expect(await store().readUsersets(folder1, 'viewer')).toEqual([opsViews1]);
      expect(sorted(await store().read({ subject: { type: 'user', id: 'anne' } }))).toEqual(
        sorted([anneOwns1, anneViews10, anneInEng]),
      );
      await store().delete([anneViews1]);
      expect(sorted(await store().read({}))).toEqual(
        sorted(FIXTURE.filter((x) => x !== anneViews1 && x !== engViews1)),
      );
    });

    it('matches on object, relation and subject and ignores the condition', async () => {
      await store().write([{ ...anneViews1, condition: { name: 'in_office', context: { ip: 'a' } } }]);
      await store().delete([{ ...anneViews1, condition: { name: 'other' } }]);
      expect(await store().read({})).toEqual([]);
    });

    it('tells a userset subject from a plain one, and a wildcard from an id', async () => {
      const plain = t(['folder', '1'], 'viewer', ['team', 'eng']);
      await store().write([plain, engViews1, everyoneViews1, anneViews1]);
      await store().delete([t(['folder', '1'], 'viewer', ['team', 'eng'])]);
      await store().delete([t(['folder', '1'], 'viewer', ['user', 'anne'])]);
      expect(sorted(await store().read({}))).toEqual(sorted([engViews1, everyoneViews1]));
      await store().delete([engViews1]);
      expect(await store().read({})).toEqual([everyoneViews1]);
    });

    it('a deleted tuple can be written again', async () => {
      await store().write([engViews1]);
      await store().delete([engViews1]);
      await store().write([engViews1]);
      expect(await store().readUsersets({ type: 'folder', id: '1' }, 'viewer')).toEqual([engViews1]);
    });

    it('is atomic: a malformed tuple rejects the batch and deletes nothing', async () => {
      await store().write(FIXTURE);
      await expectRejectedTuple(
        store().delete([anneViews1, bobViews1, t(['folder', '1'], 'viewer', ['user', ''])]),
        2,
      );
      expect(sorted(await store().read({}))).toEqual(sorted(FIXTURE));
    });
  });

  describe('ids are stored and matched verbatim', () => {
    const tricky = [
      'a:b',
      'a#b',
      'a:b#c',
      '%',
      '_',
      'a%',
      'a_c',
      "o'brien",
      '"double"',
      "'; DROP TABLE relationships; --",
      'back\\slash',
      'zoë@exämple.com',
      '日本語 🔐',
      ' padded ',
      'CaSe',
      'x'.repeat(MAX_ID_LENGTH),
    ];

    it('round-trips metacharacters, quotes, unicode and the longest id in objects and subjects', async () => {
      const tuples = tricky.flatMap((id) => [
        t(['folder', id], 'viewer', ['user', id]),
        t(['folder', 'plain'], 'viewer', ['team', id, 'member']),
      ]);
      await store().write(tuples);
      for (const id of tricky) {
        const object = { type: 'folder', id };
        expect(await store().readTuple(object, 'viewer', { type: 'user', id })).toEqual(
          t(['folder', id], 'viewer', ['user', id]),
        );
        expect(await store().readRelation(object, 'viewer')).toEqual([
          t(['folder', id], 'viewer', ['user', id]),
        ]);
        expect(await store().read({ object })).toEqual([t(['folder', id], 'viewer', ['user', id])]);
        expect(await store().read({ subject: { type: 'user', id } })).toEqual([
          t(['folder', id], 'viewer', ['user', id]),
        ]);
        expect(
          await store().readTuple({ type: 'folder', id: 'plain' }, 'viewer', {
            type: 'team',
            id,
            relation: 'member',
          }),
        ).toEqual(t(['folder', 'plain'], 'viewer', ['team', id, 'member']));
      }
      expect(await store().readUsersets({ type: 'folder', id: 'plain' }, 'viewer')).toHaveLength(
        tricky.length,
      );
      expect(await store().read({})).toHaveLength(tuples.length);
    });

    it('matches exactly: no prefix, pattern, case or trimming matches', async () => {
      await store().write(tricky.map((id) => t(['folder', id], 'viewer', ['user', id])));
      for (const id of [
        'a',
        'b',
        'a:',
        'a#',
        'ac',
        'abc',
        'a:b#',
        '%%',
        'case',
        'CASE',
        'padded',
        'x',
        "o'",
        '*',
      ]) {
        expect(
          await store().readTuple({ type: 'folder', id }, 'viewer', { type: 'user', id }),
          id,
        ).toBeUndefined();
        expect(await store().readRelation({ type: 'folder', id }, 'viewer'), id).toEqual([]);
        expect(await store().read({ object: { type: 'folder', id } }), id).toEqual([]);
        expect(await store().read({ subject: { type: 'user', id } }), id).toEqual([]);
      }
    });

    it('an id with ":" and "#" cannot pose as another object, relation or subject', async () => {
      // folder:"1#viewer@user:anne" must not be folder:1#viewer@user:anne, and so on.
      await store().write([
        t(['folder', '1#viewer@user:anne'], 'viewer', ['user', 'x']),
        t(['folder', '1'], 'viewer', ['user', 'anne#member']),
        t(['folder', '1'], 'viewer', ['team', 'eng:member']),
      ]);
      const folder1 = { type: 'folder', id: '1' };
      expect(await store().readTuple(folder1, 'viewer', { type: 'user', id: 'anne' })).toBeUndefined();
      expect(
        await store().readTuple(folder1, 'viewer', { type: 'user', id: 'anne', relation: 'member' }),
      ).toBeUndefined();
      expect(
        await store().readTuple(folder1, 'viewer', { type: 'team', id: 'eng', relation: 'member' }),
      ).toBeUndefined();
      expect(await store().readUsersets(folder1, 'viewer')).toEqual([]);
      expect(await store().readRelation(folder1, 'viewer')).toHaveLength(2);
    });
  });
}

/**
 * Registers the type-restriction tests in the current `describe`; `store` returns a store created
 * with `{ model: RELATIONSHIP_CONTRACT_MODEL }`.
 */
export function defineModelRestrictedRelationshipStoreTests(store: () => RelationshipStore): void {
  const inOffice = { name: 'in_office', context: { allowed: ['10.0.0.1'] } };

  it('accepts the tuples the model allows: users, wildcards, usersets and conditioned users', async () => {
    const allowed = [
      anneViews1,
      everyoneViews1,
      engViews1,
      t(['folder', '1'], 'viewer', ['user', 'bob'], inOffice),
      anneOwns1,
      parentOf2,
      anneInEng,
      opsInEng,
    ];
    await store().write(allowed);
    expect(sorted(await store().read({}))).toEqual(sorted(allowed));
  });

  it('rejects what no type restriction admits, and the batch with it', async () => {
    const rejected = [
      t(['document', '1'], 'viewer', ['user', 'anne']),
      t(['folder', '1'], 'editor', ['user', 'anne']),
      t(['folder', '1'], 'viewer', ['folder', '2']),
      t(['folder', '1'], 'owner', ['user', '*']),
      t(['folder', '1'], 'owner', ['team', 'eng', 'member']),
      t(['folder', '1'], 'owner', ['user', 'anne'], inOffice),
      t(['folder', '1'], 'viewer', ['user', 'anne'], { name: 'weekdays' }),
      t(['folder', '1'], 'viewer', ['user', '*'], inOffice),
      t(['folder', '1'], 'viewer', ['team', 'eng']),
      t(['folder', '1'], 'viewer', ['team', 'eng', 'owner']),
      t(['folder', '1'], 'parent', ['folder', '2', 'viewer']),
      t(['team', 'eng'], 'member', ['user', '*']),
      t(['folder', '1'], 'viewer', ['user', '']),
    ];
    for (const tuple of rejected) {
      await expectRejectedTuple(store().write([anneViews1, engViews1, tuple]), 2);
    }
    expect(await store().read({})).toEqual([]);
  });

  it('deleting checks the shape only, so tuples of a changed model can still be removed', async () => {
    await store().write([anneViews1]);
    await store().delete([t(['folder', '1'], 'editor', ['user', 'anne']), anneViews1]);
    expect(await store().read({})).toEqual([]);
  });
}

/**
 * Declares a vitest `describe(name)` block that runs the {@link RelationshipStore} contract:
 * reads by tuple, relation, userset, object and subject, wildcards, conditions, idempotent
 * rewrites, deletes, atomic batches, verbatim ids, and the model's type restrictions.
 * `createStore(options)` is called before every test and must return an empty store built with
 * `options` (`{}` for most tests, `{ model }` for the type-restriction tests); its `close()`,
 * when present, is called after the test.
 *
 * @example
 * import { describeRelationshipStoreContract } from 'gatehouse/testing';
 * describeRelationshipStoreContract('my tuples', ({ model }) => new MyTupleStore(freshDb(), { model }));
 */
export function describeRelationshipStoreContract(name: string, createStore: RelationshipStoreFactory): void {
  describe(name, () => {
    describe('without a model', () => {
      const store = useFreshSubject(() => createStore({}));
      defineRelationshipStoreTests(store);
    });
    describe('with a model: type restrictions', () => {
      const store = useFreshSubject(() => createStore({ model: RELATIONSHIP_CONTRACT_MODEL }));
      defineModelRestrictedRelationshipStoreTests(store);
    });
  });
}
