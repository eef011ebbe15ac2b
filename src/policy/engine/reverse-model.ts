/**
 * Model analysis for the reverse queries, cached per compiled model: which relations compute
 * from which (`computedBy`), which use a tupleset (`ttuBy`), which can be granted without any
 * tuple (`unbounded`), and which `type#relation`s can lead to a target (`relevantTo`).
 *
 * @module
 */

import { type CompiledModel, findRelation, type Rewrite } from '../model.js';

/** The analysis of one model. */
export interface Analysis {
  /** `type#r` -> relations `s` of the same type whose rewrite positively references `computed: r`. */
  readonly computedBy: ReadonlyMap<string, readonly string[]>;
  /** `type#tupleset` -> `{ computed, relation }` pairs: `relation` is `computed from tupleset`. */
  readonly ttuBy: ReadonlyMap<string, readonly { computed: string; relation: string }[]>;
  /** Relations that can be granted without any tuple (a condition leaf in a generating position). */
  readonly unbounded: ReadonlySet<string>;
}

const analyses = new WeakMap<CompiledModel, Analysis>();
const relevances = new WeakMap<CompiledModel, Map<string, ReadonlySet<string>>>();
/** `type#relation`. */
export const key = (type: string, relation: string) => `${type}#${relation}`;

/** Leaves of `rw` in positions where they can grant (union/intersection operands, exclusion base). */
export function positiveLeaves(rw: Rewrite, out: Rewrite[] = []): Rewrite[] {
  if ('union' in rw) for (const c of rw.union) positiveLeaves(c, out);
  else if ('intersection' in rw) for (const c of rw.intersection) positiveLeaves(c, out);
  else if ('exclusion' in rw) positiveLeaves(rw.exclusion.base, out);
  else out.push(rw);
  return out;
}

/** Every leaf of `rw`, negative positions included. */
export function allLeaves(rw: Rewrite, out: Rewrite[] = []): Rewrite[] {
  if ('union' in rw) for (const c of rw.union) allLeaves(c, out);
  else if ('intersection' in rw) for (const c of rw.intersection) allLeaves(c, out);
  else if ('exclusion' in rw) {
    allLeaves(rw.exclusion.base, out);
    allLeaves(rw.exclusion.subtract, out);
  } else out.push(rw);
  return out;
}

function push<V>(map: Map<string, V[]>, k: string, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}

/** The (cached) analysis of `model`. */
export function analyze(model: CompiledModel): Analysis {
  const cached = analyses.get(model);
  if (cached) return cached;
  const computedBy = new Map<string, string[]>();
  const ttuBy = new Map<string, { computed: string; relation: string }[]>();
  for (const [type, relations] of model.types) {
    for (const rel of relations.values()) {
      for (const leaf of positiveLeaves(rel.rewrite)) {
        if ('computed' in leaf) push(computedBy, key(type, leaf.computed), rel.name);
        if ('tupleToUserset' in leaf) {
          const { tupleset, computed } = leaf.tupleToUserset;
          push(ttuBy, key(type, tupleset), { computed, relation: rel.name });
        }
      }
    }
  }
  const unbounded = new Set<string>();
  const bounded = (type: string, rw: Rewrite): boolean => {
    if ('this' in rw) return true;
    if ('condition' in rw) return false;
    if ('computed' in rw) return !unbounded.has(key(type, rw.computed));
    if ('tupleToUserset' in rw) {
      const ts = findRelation(model, type, rw.tupleToUserset.tupleset);
      return (ts?.directly ?? []).every((d) => !unbounded.has(key(d.type, rw.tupleToUserset.computed)));
    }
    if ('union' in rw) return rw.union.every((c) => bounded(type, c));
    if ('intersection' in rw) return rw.intersection.some((c) => bounded(type, c));
    return bounded(type, rw.exclusion.base);
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const [type, relations] of model.types) {
      for (const rel of relations.values()) {
        const k = key(type, rel.name);
        if (!unbounded.has(k) && !bounded(type, rel.rewrite)) {
          unbounded.add(k);
          changed = true;
        }
      }
    }
  }
  const analysis: Analysis = { computedBy, ttuBy, unbounded };
  analyses.set(model, analysis);
  return analysis;
}

/** The `type#relation`s whose members can, through positive edges, become members of `target`. */
export function relevantTo(model: CompiledModel, type: string, relation: string): ReadonlySet<string> {
  let perModel = relevances.get(model);
  if (!perModel) {
    perModel = new Map();
    relevances.set(model, perModel);
  }
  const target = key(type, relation);
  const cached = perModel.get(target);
  if (cached) return cached;
  const seen = new Set<string>([target]);
  const work: Array<[string, string]> = [[type, relation]];
  const add = (t: string, r: string) => {
    const k = key(t, r);
    if (!seen.has(k) && findRelation(model, t, r)) {
      seen.add(k);
      work.push([t, r]);
    }
  };
  for (let item = work.pop(); item; item = work.pop()) {
    const [t, r] = item;
    const rel = findRelation(model, t, r);
    if (!rel) continue;
    for (const leaf of positiveLeaves(rel.rewrite)) {
      if ('this' in leaf) {
        for (const d of rel.directly) if (d.relation !== undefined) add(d.type, d.relation);
      } else if ('computed' in leaf) add(t, leaf.computed);
      else if ('tupleToUserset' in leaf) {
        const ts = findRelation(model, t, leaf.tupleToUserset.tupleset);
        for (const d of ts?.directly ?? []) add(d.type, leaf.tupleToUserset.computed);
      }
    }
  }
  perModel.set(target, seen);
  return seen;
}
