/**
 * {@link IdTable}: an open-addressing hash table of integer ids whose keys live elsewhere (in the
 * typed-array columns of `CompactTupleIndex`). A slot holds only the id (4 bytes); the caller
 * hashes a key, walks the probe sequence and compares the key with the id's columns. Linear
 * probing with backward-shift deletion, so no tombstones pile up under churn.
 *
 * @module
 */

const EMPTY = -1;

/** Mixes `value` into the running hash `h` (murmur-style; a 32-bit integer). */
export function mixHash(h: number, value: number): number {
  let k = Math.imul(value, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Finishes a hash made by {@link mixHash}. */
export function finishHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * A hash table of ids (integers ≥ 0). `hashOf(id)` must give the hash the id was inserted with
 * (it is used to move ids when the table grows or an id is removed).
 */
export class IdTable {
  private slots: Int32Array;
  private mask: number;
  private count = 0;

  constructor(
    private readonly hashOf: (id: number) => number,
    capacity = 16,
  ) {
    this.slots = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
  }

  /** Number of ids held. */
  get size(): number {
    return this.count;
  }

  /** The first slot to probe for `hash`. */
  start(hash: number): number {
    return hash & this.mask;
  }

  /** The slot after `slot` in a probe sequence. */
  next(slot: number): number {
    return (slot + 1) & this.mask;
  }

  /** The id in `slot`, or -1 when the slot is empty (the probe sequence ends there). */
  at(slot: number): number {
    return this.slots[slot]!;
  }

  /** Adds `id` (not already present) under `hash`. */
  insert(id: number, hash: number): void {
    if ((this.count + 1) * 4 > this.slots.length * 3) this.grow();
    this.place(id, hash);
    this.count++;
  }

  /** Removes `id`, inserted under `hash`; a no-op when it is not there. */
  remove(id: number, hash: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let slot = hash & mask;
    for (;;) {
      const at = slots[slot]!;
      if (at === EMPTY) return;
      if (at === id) break;
      slot = (slot + 1) & mask;
    }
    // Backward-shift: move later ids of the cluster into the hole when their home allows it.
    let hole = slot;
    let probe = (slot + 1) & mask;
    for (;;) {
      const at = slots[probe]!;
      if (at === EMPTY) break;
      const home = this.hashOf(at) & mask;
      // `at` may move to `hole` when `home` is not cyclically within (hole, probe].
      if (((probe - home) & mask) >= ((probe - hole) & mask)) {
        slots[hole] = at;
        hole = probe;
      }
      probe = (probe + 1) & mask;
    }
    slots[hole] = EMPTY;
    this.count--;
  }

  /** Bytes held by the slots. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  private place(id: number, hash: number): void {
    const slots = this.slots;
    let slot = hash & this.mask;
    while (slots[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    slots[slot] = id;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(EMPTY);
    this.mask = this.slots.length - 1;
    for (const id of old) if (id !== EMPTY) this.place(id, this.hashOf(id));
  }
}
