/**
 * {@link Rows}: fixed-width rows of integers in one `Int32Array` (row-major, so the fields of a row
 * share a cache line), growing as needed, with freed row numbers reused. The tuples, the
 * `object#relation` entries and the subjects of `CompactTupleIndex` live in these.
 *
 * @module
 */

/** Rows of `stride` integers; field `f` of row `r` is `data[r * stride + f]`. */
export class Rows {
  /** The cells; replaced by a larger copy when the rows outgrow it (re-read it after {@link alloc}). */
  data: Int32Array;
  private capacity: number;
  private used = 0;
  private readonly free: number[] = [];

  constructor(
    readonly stride: number,
    capacity = 16,
  ) {
    this.capacity = capacity;
    this.data = new Int32Array(capacity * stride);
  }

  /** A row number not in use (a freed one first); its cells hold whatever was there. */
  alloc(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.used === this.capacity) this.grow();
    return this.used++;
  }

  /** Gives `row` back for reuse. */
  release(row: number): void {
    this.free.push(row);
  }

  /** Rows ever handed out (freed ones included): the bound of a scan over every row. */
  get highWater(): number {
    return this.used;
  }

  private grow(): void {
    this.capacity = Math.max(16, Math.ceil(this.capacity * 1.5));
    const bigger = new Int32Array(this.capacity * this.stride);
    bigger.set(this.data);
    this.data = bigger;
  }
}

/** "No row": the end of a list, or a lookup that found nothing. */
export const NONE = -1;

/**
 * Appends row `t` of `items` to the doubly-linked list whose head and tail are the cells `at` and
 * `at + 1` of `lists`; `t`'s next and previous rows are its fields `link` and `link + 1`.
 */
export function append(lists: Int32Array, at: number, items: Rows, link: number, t: number): void {
  const d = items.data;
  const s = items.stride;
  const last = lists[at + 1]!;
  d[t * s + link] = NONE;
  d[t * s + link + 1] = last;
  if (last === NONE) lists[at] = t;
  else d[last * s + link] = t;
  lists[at + 1] = t;
}

/** Removes row `t` from the list of {@link append}. */
export function unlink(lists: Int32Array, at: number, items: Rows, link: number, t: number): void {
  const d = items.data;
  const s = items.stride;
  const next = d[t * s + link]!;
  const prev = d[t * s + link + 1]!;
  if (prev === NONE) lists[at] = next;
  else d[prev * s + link] = next;
  if (next === NONE) lists[at + 1] = prev;
  else d[next * s + link + 1] = prev;
}
