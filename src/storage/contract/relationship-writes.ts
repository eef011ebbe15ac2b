/**
 * The write half of the {@link RelationshipStore} contract: conditions round-trip, rewrites are
 * idempotent, malformed tuples are rejected with their index, deletes match exactly, and every
 * batch is all-or-nothing.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_ID_LENGTH,
  type RelationshipStore,
  type RelationshipTuple,
} from '../../policy/relationship-store.js';
import {
  anneInEng,
  anneOwns1,
  anneViews1,
  anneViews10,
  bobViews1,
  engViews1,
  everyoneViews1,
  expectRejectedTuple,
  FIXTURE,
  opsViews1,
  sorted,
  t,
} from './relationship-fixtures.js';

/**
 * Registers the condition, write and delete tests in the current `describe`; `store` returns the
 * store of the running test.
 */
export function defineRelationshipWriteTests(store: () => RelationshipStore): void {
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
}
