/**
 * The patterns the secret-entropy estimate looks for, each as the parts it may cut from a secret
 * and what each part costs in bits: repetitions and runs, sequences (code points, hex order, byte
 * values), keyboard walks, and dictionary words (any case, look-alike digits, backwards). Used by
 * `secret-entropy.ts`, which finds the cheapest description built from these parts.
 *
 * @module
 */
import { isWordPrefix, keyboardLayouts, MAX_WORD_LENGTH, wordCodeBits, wordRank } from './secret-words.js';

/** A kind of structure found in a secret. */
export type SecretPattern =
  | 'word'
  | 'repeat'
  | 'sequence'
  | 'keyboard'
  | 'year'
  | 'separator'
  | 'encoded-text';

/** Shortest run, sequence or repetition that counts as structure. */
const MIN_MATCH = 3;
/** Shortest dictionary word. */
const MIN_WORD = 2;
/** Shortest keyboard walk. */
const MIN_WALK = 4;

/** One part of a description: how many items it covers, its cost, and its kind (`null`: a literal). */
export interface Part {
  readonly length: number;
  readonly bits: number;
  readonly pattern: SecretPattern | null;
}

/** For each position, the longest match with a part starting earlier (overlap allowed, as in LZ77). */
export function longestEarlierMatch<T>(items: readonly T[]): Int32Array {
  const n = items.length;
  const best = new Int32Array(n);
  let next = new Int32Array(n + 1);
  let current = new Int32Array(n + 1);
  for (let i = n - 1; i >= 1; i--) {
    current.fill(0);
    for (let k = i - 1; k >= 0; k--) {
      if (items[k] === items[i]) {
        const length = 1 + (next[k + 1] as number);
        current[k] = length;
        if (length > (best[i] as number)) best[i] = length;
      }
    }
    [next, current] = [current, next];
  }
  return best;
}

/**
 * Repetitions of an earlier part (which one, how long), runs of one item (which, how long) and
 * sequences with a constant step of at most 5 (start, step, length). `flag` names the kind.
 */
export function* repetitionParts(
  values: readonly number[],
  i: number,
  earlier: Int32Array,
  itemBits: number,
  flag: number,
): Generator<Part> {
  const lengthBits = Math.log2(values.length - i);
  for (let length = MIN_MATCH; length <= (earlier[i] as number); length++) {
    yield { length, bits: flag + 1 + Math.log2(i) + lengthBits, pattern: 'repeat' };
  }
  const step = (values[i + 1] ?? 0) - (values[i] ?? 0);
  let end = i + 1;
  while (end + 1 < values.length && (values[end + 1] as number) - (values[end] as number) === step) end++;
  const length = end - i + 1;
  if (length < MIN_MATCH || Math.abs(step) > 5) return;
  if (step === 0) {
    yield { length, bits: flag + 1 + itemBits + lengthBits, pattern: 'repeat' };
  } else {
    const stepBits = Math.abs(step) === 1 ? 2 : 4;
    yield { length, bits: flag + itemBits + stepBits + lengthBits, pattern: 'sequence' };
  }
}

const HEX = '0123456789abcdef';

/** The length of a run in hex order across `9`/`a` (`6789abc`), which code points do not see as a sequence. */
export function hexRun(lower: readonly string[], i: number): number {
  const first = HEX.indexOf(lower[i] ?? '-');
  if (first < 0) return 0;
  for (const step of [1, -1]) {
    let length = 1;
    while (
      lower[i + length] !== undefined &&
      HEX.indexOf(lower[i + length] as string) === first + step * length
    )
      length++;
    if (length >= MIN_MATCH) return length;
  }
  return 0;
}

/**
 * Keyboard walks starting at `i` on each layout (each character next to the previous key, e.g.
 * `qwerty`, `1qaz2wsx`, `7412` on the keypad): layout, start key, each step, and the length.
 */
export function* keyboardWalks(chars: readonly string[], i: number, flag: number): Generator<Part> {
  const layouts = keyboardLayouts();
  for (const layout of layouts) {
    let end = i;
    while (
      end + 1 < chars.length &&
      layout.neighbours.get(chars[end] as string)?.has(chars[end + 1] as string)
    )
      end++;
    const length = end - i + 1;
    if (length < MIN_WALK) continue;
    const bits =
      flag +
      Math.log2(layouts.length) +
      layout.startBits +
      (length - 1) * layout.stepBits +
      Math.log2(chars.length - i);
    yield { length, bits, pattern: 'keyboard' };
  }
}

const LOG2_WAYS = new Map<string, number>();

/** Bits for the capitals of a word: 1 for all small, else 1 plus log2 of the ways to place them. */
function caseBits(piece: string): number {
  let upper = 0;
  let lower = 0;
  for (const char of piece) {
    if (char >= 'A' && char <= 'Z') upper++;
    else if (char >= 'a' && char <= 'z') lower++;
  }
  if (upper === 0) return 1;
  if (lower === 0 || (upper === 1 && (/^[A-Z]/.test(piece) || /[A-Z]$/.test(piece)))) return 2;
  const key = `${upper}:${lower}`;
  let bits = LOG2_WAYS.get(key);
  if (bits === undefined) {
    let ways = 0;
    let choose = 1;
    for (let k = 1; k <= Math.min(upper, lower); k++) {
      choose = (choose * (upper + lower - k + 1)) / k;
      ways += choose;
    }
    bits = 1 + Math.log2(ways);
    LOG2_WAYS.set(key, bits);
  }
  return bits;
}

/** Look-alike characters and the letters they stand for. */
const LEET: Readonly<Record<string, readonly string[]>> = {
  '4': ['a'],
  '@': ['a'],
  '8': ['b'],
  '(': ['c'],
  '<': ['c'],
  '3': ['e'],
  '6': ['g'],
  '9': ['g'],
  '1': ['i', 'l'],
  '!': ['i'],
  '|': ['i', 'l'],
  '0': ['o'],
  $: ['s'],
  '5': ['s'],
  '+': ['t'],
  '7': ['t', 'l'],
  '2': ['z'],
};

/** Dictionary words starting at `i`: forwards or backwards, with look-alikes read as letters. */
export function* wordParts(
  chars: readonly string[],
  lower: readonly string[],
  i: number,
  flag: number,
): Generator<Part> {
  const last = Math.min(chars.length, i + MAX_WORD_LENGTH);
  for (const reversed of [false, true]) {
    let states = [{ text: '', substituted: 0 }];
    for (let end = i; end < last && states.length > 0; end++) {
      const char = lower[end] as string;
      const options: [string, number][] = [
        [char, 0],
        ...(LEET[char] ?? []).map((l): [string, number] => [l, 1]),
      ];
      const next: { text: string; substituted: number }[] = [];
      for (const state of states) {
        for (const [letter, substituted] of options) {
          const text = state.text + letter;
          if (next.length < 8 && isWordPrefix(text, reversed)) {
            next.push({ text, substituted: state.substituted + substituted });
          }
        }
      }
      states = next;
      const length = end - i + 1;
      if (length < MIN_WORD) continue;
      let best = Number.POSITIVE_INFINITY;
      for (const { text, substituted } of states) {
        const rank = wordRank(reversed ? [...text].reverse().join('') : text);
        if (rank === undefined) continue;
        const variant = 1 + (reversed ? 1 : 0) + (substituted > 0 ? 1 + substituted : 0);
        best = Math.min(best, Math.log2(rank) + variant);
      }
      if (Number.isFinite(best)) {
        const piece = chars.slice(i, end + 1).join('');
        yield { length, bits: flag + wordCodeBits() + best + caseBits(piece), pattern: 'word' };
      }
    }
  }
}
