/**
 * Generators shared by the consistency oracle and the fast-path equivalence tests: a random
 * model over users, groups, folders and docs (every operator, deny rules, parents), and random
 * tuples for it. Deterministic per seed.
 */
import type { AuthorizationModel, RelationshipTuple, Rewrite } from '../../src/policy/index.js';

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

export function genModel(rand: Rand): AuthorizationModel {
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
    types: {
      user: {},
      group: {
        relations: {
          member: {
            directly: [
              { type: 'user' },
              { type: 'user', wildcard: true },
              { type: 'group', relation: 'member' },
            ],
          },
        },
      },
      folder: {
        relations: {
          owner: { directly: [{ type: 'user' }] },
          blocked: { directly: [{ type: 'user' }, { type: 'group', relation: 'member' }] },
          parent: { directly: [{ type: 'folder' }] },
          viewer: {
            directly: [
              { type: 'user' },
              { type: 'user', wildcard: true },
              { type: 'group', relation: 'member' },
            ],
            ...folderViewer,
          },
        },
      },
      doc: {
        relations: {
          parent: { directly: [{ type: 'folder' }] },
          owner: { directly: [{ type: 'user' }] },
          editor: { directly: [{ type: 'user' }, { type: 'group', relation: 'member' }] },
          viewer: { directly: [{ type: 'user' }, { type: 'user', wildcard: true }], ...docViewer },
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
    out.push({ object, relation: rel, subject });
  }
  return out;
}
