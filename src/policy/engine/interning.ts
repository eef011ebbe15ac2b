/**
 * Interning for `CompactTupleIndex`: type and relation names, and objects (`type:id`), as
 * small integers. An object is found by its type's number and then its id in that type's own
 * `Map`, so no composite string key is ever built: an id containing `:`, `#` or `@` can never be
 * confused with another object's.
 *
 * @module
 */

/** Type and relation names as numbers ≥ 1 (0 stands for "no relation"). Names are never forgotten. */
export class NameTable {
  private readonly numbers = new Map<string, number>();
  /** `names[n]` is the name numbered `n`; `names[0]` is unused. */
  readonly names: string[] = [''];

  /** The number of `name`, or 0 when it was never interned. */
  find(name: string): number {
    return this.numbers.get(name) ?? 0;
  }

  /** The number of `name`, interning it when new. */
  intern(name: string): number {
    let n = this.numbers.get(name);
    if (n === undefined) {
      n = this.names.length;
      this.names.push(name);
      this.numbers.set(name, n);
    }
    return n;
  }
}

/**
 * Objects (and subjects: `user:anne`, `team:eng`, `user:*`) as node numbers, reference-counted:
 * a node no tuple refers to any more is forgotten and its number reused.
 */
export class NodeTable {
  /** Per node: its type's number. */
  private types = new Int32Array(16);
  /** Per node: how many tuple ends refer to it. */
  private refs = new Int32Array(16);
  private used = 0;
  private readonly free: number[] = [];
  /** Per node: its id (the very string of the first tuple that named it). */
  private readonly ids: (string | undefined)[] = [];
  /** Per type number: id -> node. */
  private readonly byType: (Map<string, number> | undefined)[] = [];

  /** The node of `type:id`, or -1. */
  find(type: number, id: string): number {
    return this.byType[type]?.get(id) ?? -1;
  }

  /** The node of `type:id`, created when new; counts one more reference to it. */
  acquire(type: number, id: string): number {
    let ids = this.byType[type];
    if (!ids) {
      ids = new Map();
      this.byType[type] = ids;
    }
    let node = ids.get(id);
    if (node === undefined) {
      node = this.alloc();
      this.types[node] = type;
      this.refs[node] = 0;
      this.ids[node] = id;
      ids.set(id, node);
    }
    this.refs[node]!++;
    return node;
  }

  private alloc(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.used === this.types.length) {
      const size = Math.ceil(this.used * 1.5);
      const types = new Int32Array(size);
      types.set(this.types);
      this.types = types;
      const refs = new Int32Array(size);
      refs.set(this.refs);
      this.refs = refs;
    }
    return this.used++;
  }

  /** Drops one reference to `node`, forgetting it with the last. */
  release(node: number): void {
    if (--this.refs[node]! > 0) return;
    this.byType[this.types[node]!]!.delete(this.ids[node]!);
    this.ids[node] = undefined;
    this.free.push(node);
  }

  /** The type number of `node`. */
  typeOf(node: number): number {
    return this.types[node]!;
  }

  /** The id of `node`. */
  idOf(node: number): string {
    return this.ids[node]!;
  }
}

/** Node lookups remembered by a {@link NodeMemo}. */
const MEMO = 8;

interface Remembered {
  type: string;
  id: string | undefined;
  node: number;
}

/**
 * The last few `type:id` -> node answers (a check asks about one object several times in a row,
 * about its subject and the type wildcard at each step, and next about the subject of a tuple it
 * just read). Every write must {@link forget} them: nodes come and go.
 */
export class NodeMemo {
  private readonly slots: Remembered[] = Array.from({ length: MEMO }, () => ({
    type: '',
    id: undefined,
    node: -1,
  }));
  private next = 0;

  /** The remembered node of `type:id` (-1: known absent), or `undefined`. */
  get(type: string, id: string): number | undefined {
    for (const m of this.slots) if (m.id === id && m.type === type) return m.node;
    return undefined;
  }

  /** Remembers `type:id` -> `node`, in place of the oldest. */
  set(type: string, id: string, node: number): void {
    const m = this.slots[this.next]!;
    this.next = (this.next + 1) % MEMO;
    m.type = type;
    m.id = id;
    m.node = node;
  }

  /** Forgets everything. */
  forget(): void {
    for (const m of this.slots) m.id = undefined;
  }
}
