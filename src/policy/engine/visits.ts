/**
 * The per-walk memo of `object#relation` results, which also marks the relations on the current
 * path (cycle detection): a short list searched linearly — a check visits a handful of relations
 * — that moves into a `Map` once a walk grows past {@link LINEAR_VISITS} entries.
 *
 * @module
 */

import type { RelationProgram } from './program.js';

/** Entries searched linearly before a `Map` takes over. */
export const LINEAR_VISITS = 24;

/** Memo of one walk, keyed by relation (which stands for its type) and object id. */
export class Visits<V> {
  private readonly rels: RelationProgram[] = [];
  private readonly ids: string[] = [];
  private readonly values: (V | undefined)[] = [];
  private map: Map<string, number> | undefined;

  /** The slot of `rel` on the object with `id`, or -1. */
  private find(rel: RelationProgram, id: string): number {
    if (this.map) return this.map.get(visitKey(rel, id)) ?? -1;
    const { rels, ids } = this;
    for (let i = 0; i < rels.length; i++) if (rels[i] === rel && ids[i] === id) return i;
    return -1;
  }

  /** The value stored for `rel` on the object with `id`. */
  get(rel: RelationProgram, id: string): V | undefined {
    const i = this.find(rel, id);
    return i < 0 ? undefined : this.values[i];
  }

  /** Stores `value` for `rel` on the object with `id`; returns its slot for {@link put}/{@link clear}. */
  add(rel: RelationProgram, id: string, value: V): number {
    const existing = this.find(rel, id);
    if (existing >= 0) {
      this.values[existing] = value;
      return existing;
    }
    const i = this.rels.length;
    this.rels.push(rel);
    this.ids.push(id);
    this.values.push(value);
    if (this.map) this.map.set(visitKey(rel, id), i);
    else if (i + 1 > LINEAR_VISITS) {
      this.map = new Map();
      for (let j = 0; j <= i; j++) this.map.set(visitKey(this.rels[j]!, this.ids[j]!), j);
    }
    return i;
  }

  /** Replaces the value of a slot. */
  put(slot: number, value: V): void {
    this.values[slot] = value;
  }

  /** Forgets the value of a slot (the entry then reads as absent). */
  clear(slot: number): void {
    this.values[slot] = undefined;
  }
}

// Relation programs get small numbers; ids are free-form, but the number ends at the first '#'.
const numbers = new WeakMap<RelationProgram, number>();
let nextNumber = 0;

function visitKey(rel: RelationProgram, id: string): string {
  let n = numbers.get(rel);
  if (n === undefined) {
    n = nextNumber++;
    numbers.set(rel, n);
  }
  return `${n}#${id}`;
}
