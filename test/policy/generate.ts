/**
 * Generators shared by the consistency oracle and the fast-path equivalence tests: a random
 * model over users, groups, folders and docs (every operator, deny rules, parents), and random
 * tuples for it. Deterministic per seed. With {@link GenOptions.rich}, the model also has
 * conditions (on plain, wildcard and userset subjects and on a tuple-to-userset's parent link)
 * and more userset restrictions (`folder#viewer`, `doc#editor`): the oracle's models.
 */
import { z } from 'zod';
import {
  type AuthorizationModel,
  type DirectSubjectType,
  defineCondition,
  type RelationshipTuple,
  type Rewrite,
} from '../../src/policy/index.js';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

/** A positive expression that always contains `this` (so the relation is grounded and uses its restrictions). */
function genRewrite(
  rand: Rand,
  extra: readonly Rewrite[],
  negatives: readonly Rewrite[],
  grounded: readonly Rewrite[],
): { rewrite: Rewrite; deny?: Rewrite } {
  const operands: Rewrite[] = [{ this: true }, ...extra.filter(() => rand() < 0.6)];
  let rewrite: Rewrite = operands.length === 1 ? operands[0]! : { union: operands };
  const shape = rand();
  if (shape < 0.25) rewrite = { intersection: [rewrite, pick(rand, grounded)] };
  else if (shape < 0.5 && negatives.length > 0)
    rewrite = { exclusion: { base: rewrite, subtract: pick(rand, negatives) } };
  const deny = rand() < 0.3 && negatives.length > 0 ? pick(rand, negatives) : undefined;
  return deny ? { rewrite, deny } : { rewrite };
}

/** Options of {@link genModel}. */
export interface GenOptions {
  /** Conditions and more userset restrictions (see the module doc). Default `false`: the original models. */
  readonly rich?: boolean;
}

/** The condition of rich models: grants when `context.ok` (a tuple's stored context wins). */
export const OK_CONDITION = defineCondition({
  params: z.object({ context: z.object({ ok: z.boolean() }) }),
  evaluate: ({ context }) => context.ok,
});

/** `restrictions`, plus `extra` when `rich`. */
const more = (rich: boolean, restrictions: DirectSubjectType[], extra: DirectSubjectType[]) =>
  rich ? [...restrictions, ...extra] : restrictions;

export function genModel(rand: Rand, options: GenOptions = {}): AuthorizationModel {
  const rich = options.rich === true;
  const folderViewer = genRewrite(
    rand,
    [{ computed: 'owner' }, { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } }],
    [{ computed: 'blocked' }],
    [{ computed: 'owner' }],
  );
  const docViewer = genRewrite(
    rand,
    [
      { computed: 'owner' },
      { computed: 'editor' },
      { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } },
    ],
    [{ tupleToUserset: { tupleset: 'parent', computed: 'blocked' } }, { computed: 'owner' }],
    [{ computed: 'editor' }, { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } }],
  );
  return {
    ...(rich ? { conditions: { ok: OK_CONDITION } } : {}),
    types: {
      user: {},
      group: {
        relations: {
          member: {
            directly: more(
              rich,
              [{ type: 'user' }, { type: 'user', wildcard: true }, { type: 'group', relation: 'member' }],
              [{ type: 'user', condition: 'ok' }],
            ),
          },
        },
      },
      folder: {
        relations: {
          owner: { directly: [{ type: 'user' }] },
          blocked: { directly: [{ type: 'user' }, { type: 'group', relation: 'member' }] },
          parent: { directly: [{ type: 'folder' }] },
          viewer: {
            directly: more(
              rich,
              [{ type: 'user' }, { type: 'user', wildcard: true }, { type: 'group', relation: 'member' }],
              [
                { type: 'user', wildcard: true, condition: 'ok' },
                { type: 'group', relation: 'member', condition: 'ok' },
                { type: 'folder', relation: 'owner' },
              ],
            ),
            ...folderViewer,
          },
        },
      },
      doc: {
        relations: {
          parent: { directly: more(rich, [{ type: 'folder' }], [{ type: 'folder', condition: 'ok' }]) },
          owner: { directly: [{ type: 'user' }] },
          editor: {
            directly: more(
              rich,
              [{ type: 'user' }, { type: 'group', relation: 'member' }],
              [
                { type: 'user', condition: 'ok' },
                { type: 'folder', relation: 'viewer' },
              ],
            ),
          },
          viewer: {
            directly: more(
              rich,
              [{ type: 'user' }, { type: 'user', wildcard: true }],
              [
                { type: 'doc', relation: 'editor' },
                { type: 'group', relation: 'member' },
              ],
            ),
            ...docViewer,
          },
          edit: { rewrite: { intersection: [{ computed: 'editor' }, { computed: 'viewer' }] } },
          read_only: {
            rewrite: { exclusion: { base: { computed: 'viewer' }, subtract: { computed: 'editor' } } },
          },
        },
      },
    },
  };
}

export const USERS = ['u0', 'u1', 'u2', 'u3', 'u4'];
export const OBJECTS: Record<string, string[]> = {
  group: ['g0', 'g1', 'g2'],
  folder: ['f0', 'f1', 'f2', 'f3'],
  doc: ['d0', 'd1', 'd2', 'd3'],
};

export function genTuples(rand: Rand, model: AuthorizationModel, count: number): RelationshipTuple[] {
  const out: RelationshipTuple[] = [];
  const slots: Array<[string, string]> = [];
  for (const [type, def] of Object.entries(model.types)) {
    for (const [rel, r] of Object.entries(def.relations ?? {}))
      if (r.directly?.length) slots.push([type, rel]);
  }
  for (let i = 0; i < count; i++) {
    const [type, rel] = pick(rand, slots);
    const restriction = pick(rand, model.types[type]!.relations![rel]!.directly!);
    const object = { type, id: pick(rand, OBJECTS[type]!) };
    let subject: RelationshipTuple['subject'];
    if (restriction.wildcard) {
      if (rand() < 0.6) continue; // keep wildcards rarer
      subject = { type: restriction.type, id: '*' };
    } else if (restriction.relation) {
      subject = {
        type: restriction.type,
        id: pick(rand, OBJECTS[restriction.type]!),
        relation: restriction.relation,
      };
    } else {
      subject = {
        type: restriction.type,
        id: pick(rand, restriction.type === 'user' ? USERS : OBJECTS[restriction.type]!),
      };
    }
    if (restriction.condition === undefined) out.push({ object, relation: rel, subject });
    else {
      // Stored context (which wins over the request's) on some, none on others.
      const stored = rand();
      const context = stored < 0.3 ? { ok: true } : stored < 0.6 ? { ok: false } : undefined;
      out.push({
        object,
        relation: rel,
        subject,
        condition: context ? { name: restriction.condition, context } : { name: restriction.condition },
      });
    }
  }
  return out;
}
