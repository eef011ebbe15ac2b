/**
 * Consistency oracle: for generated models and tuple sets, `check` over every subject x resource x
 * permission equals membership in `listResources` and in `listSubjects` (wildcard expanded: a
 * subject is listed if it is explicit, or `*` is listed and it is not in `excluded`).
 */
import { describe, expect, it } from 'vitest';
import { MemoryRelationshipStore, PolicyEvaluator, validateModel } from '../../src/policy/index.js';
import { genModel, genTuples, mulberry32, OBJECTS, USERS } from './generate.js';

async function allPages<T>(
  fetch: (cursor: string | null) => Promise<{ cursor: string | null; complete: boolean } & T>,
) {
  const pages: T[] = [];
  let cursor: string | null = null;
  do {
    const page = await fetch(cursor);
    expect(page.complete).toBe(true);
    pages.push(page);
    cursor = page.cursor;
  } while (cursor !== null);
  return pages;
}

describe('consistency oracle: check == listResources == listSubjects', () => {
  const seeds = Array.from({ length: 12 }, (_, i) => i + 1);
  for (const seed of seeds) {
    it(`model and tuples from seed ${seed}`, async () => {
      const rand = mulberry32(seed);
      const source = genModel(rand);
      const model = validateModel(source);
      const store = new MemoryRelationshipStore({ model });
      await store.write(genTuples(rand, source, 25 + Math.floor(rand() * 20)));
      const pe = new PolicyEvaluator({ model, store });
      const subjects = [...USERS, 'unmentioned'];
      const pageSize = 1 + Math.floor(rand() * 3);
      let granted = 0;
      for (const [type, ids] of Object.entries(OBJECTS)) {
        for (const action of Object.keys(source.types[type]!.relations ?? {})) {
          if (action === 'parent') continue;
          const byUser = new Map<string, Set<string>>();
          for (const user of subjects) {
            const pages = await allPages((cursor) =>
              pe.listResources({ subject: { type: 'user', id: user }, action, type, pageSize, cursor }),
            );
            const listed = pages.flatMap((p) => p.resources.map((r) => r.id));
            expect(new Set(listed).size).toBe(listed.length);
            byUser.set(user, new Set(listed));
          }
          for (const id of ids) {
            const pages = await allPages((cursor) =>
              pe.listSubjects({ resource: { type, id }, action, subjectType: 'user', pageSize, cursor }),
            );
            const explicit = new Set(pages.flatMap((p) => p.subjects.map((s) => s.id)));
            const excluded = new Set(pages.flatMap((p) => p.excluded.map((s) => s.id)));
            const wildcard = explicit.has('*');
            for (const user of subjects) {
              const { allowed } = await pe.check({
                subject: { type: 'user', id: user },
                action,
                resource: { type, id },
              });
              if (allowed) granted++;
              const where = `${type}:${id}#${action}@user:${user}`;
              expect(byUser.get(user)!.has(id), `listResources ${where}`).toBe(allowed);
              expect(explicit.has(user) || (wildcard && !excluded.has(user)), `listSubjects ${where}`).toBe(
                allowed,
              );
            }
          }
        }
      }
      expect(granted).toBeGreaterThan(0);
    });
  }
});
