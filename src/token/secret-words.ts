/**
 * The word lists and keyboard layouts the secret-strength estimate matches against: how many
 * guesses a word costs an attacker who tries common words first (its rank), and which keys are
 * neighbours on a keyboard. Built once, on first use, from `@zxcvbn-ts/language-common` (common
 * passwords ranked by frequency, the EFF diceware list) and a short list of frequent English words
 * and the words people put in configuration secrets ("my", "key", "jwt", "prod", ...), which those
 * lists lack.
 *
 * @module
 */
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

/**
 * Configuration jargon and frequent English words, roughly most likely first. Their rank is their
 * position here, ahead of the password list: these are the words hand-made secrets are made of.
 */
const SECRET_WORDS = `
my secret key jwt token the for and your this is to of a in it not use do app api auth sign signing
signed super very long strong secure security change changeme replace me please default example
sample test testing dev development prod production staging local password pass passwd pwd admin
root user access refresh session cookie flow hmac sha sha256 hs256 rs256 private public random
string value config env server service backend frontend salt pepper hash crypto encrypt encryption
decrypt main master demo gatehouse express node nodejs fastify hono here insert put own real new
old one two three four five six seven eight nine ten zero with that have be i you he she we they at
on by from or as what all would there their so up out if about who get which go when make can like
time no just him know take people into year good some could them see other than then now look only
come its over think also back after way even want because any these give day most us was are were
been has had did said our more will an his her may should must never always keep safe hidden word
words phrase passphrase letmein welcome hello world love god money company project team web site
online data base database internal external system systems cloud docker kubernetes aws gcp azure
github gitlab ci cd deploy release version v1 v2 final backup temp tmp xxx abc qwerty foo bar baz
qux lorem ipsum dolor sit amet man woman child men women life work first last well great little
own right big high small large next early young important few public bad same able thing things
part place case week point government number group problem fact hand eye home water room mother
father area night story sun moon star sky blue red green yellow white black orange purple pink
brown grey gray dog cat horse bird fish tree apple cloud rain snow fire ice wind stone rock river
sea lake mountain house door car road city country school book game music friend family name head
face food light heart mind body open close start stop run walk talk read write play live give
find tell ask feel try leave call keep let begin seem help show hear turn move pay meet include
continue set learn lead understand watch follow stop create speak allow add spend grow offer
remember consider appear buy wait serve die send expect build stay fall cut reach kill remain
quick lazy jump jumps over under again still every each much many such own every through down
off where why how here there always often sometimes going gone went came come coming keeps kept
sentence letter paper line end side kind head hour minute second month today tomorrow yesterday
`;

/** The diceware list is drawn uniformly: each of its 7776 words is worth log2(7776) ≈ 12.9 bits. */
const DICEWARE_RANK = 7776;

interface Words {
  readonly ranks: ReadonlyMap<string, number>;
  /** Every word, sorted, and every word reversed, sorted: for prefix searches. */
  readonly sorted: readonly string[];
  readonly sortedReversed: readonly string[];
  /** log2 of the sum of 1/rank over all words: what a rank-ordered code spends beyond log2(rank). */
  readonly codeBits: number;
}

let words: Words | undefined;

function reverse(word: string): string {
  let reversed = '';
  for (let i = word.length - 1; i >= 0; i--) reversed += word[i];
  return reversed;
}

function loadWords(): Words {
  if (words !== undefined) return words;
  const ranks = new Map<string, number>();
  const add = (word: string, rank: number) => {
    const known = ranks.get(word);
    if (known === undefined || rank < known) ranks.set(word, rank);
  };
  SECRET_WORDS.split(/\s+/)
    .filter(Boolean)
    .forEach((word, index) => {
      add(word, index + 1);
    });
  dictionary['passwords-common'].forEach((word, index) => {
    add(word.toLowerCase(), index + 1);
  });
  for (const word of dictionary['diceware-common']) add(word.toLowerCase(), DICEWARE_RANK);
  let sum = 0;
  for (const rank of ranks.values()) sum += 1 / rank;
  const sorted = [...ranks.keys()].sort();
  const sortedReversed = sorted.map(reverse).sort();
  words = { ranks, sorted, sortedReversed, codeBits: Math.log2(sum) };
  return words;
}

/** The longest word looked up, in characters. */
export const MAX_WORD_LENGTH = 24;

/**
 * The rank of a lower-case word (1 = the most common), or `undefined` when it is in no list.
 * Guessing it costs `log2(rank)` bits.
 */
export function wordRank(word: string): number | undefined {
  return loadWords().ranks.get(word);
}

/**
 * What naming one word costs beyond log2 of its rank, so that the costs of all words add up to a
 * code (Kraft's inequality): log2 of the sum of 1/rank, about 3.5 bits.
 */
export function wordCodeBits(): number {
  return loadWords().codeBits;
}

function hasPrefixIn(sorted: readonly string[], prefix: string): boolean {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as string) < prefix) low = middle + 1;
    else high = middle;
  }
  return low < sorted.length && (sorted[low] as string).startsWith(prefix);
}

/** Whether some word starts with `prefix` (`reversed`: some word ends with `prefix` reversed). */
export function isWordPrefix(prefix: string, reversed: boolean): boolean {
  const { sorted, sortedReversed } = loadWords();
  return hasPrefixIn(reversed ? sortedReversed : sorted, prefix);
}

/** One keyboard layout: for every key, the characters on the keys next to it. */
export interface KeyboardLayout {
  /** Neighbouring characters (shifted and unshifted) of each character. */
  readonly neighbours: ReadonlyMap<string, ReadonlySet<string>>;
  /** log2 of the number of characters a walk may start on. */
  readonly startBits: number;
  /** log2 of the average number of neighbours: the cost of each further step of a walk. */
  readonly stepBits: number;
}

let layouts: readonly KeyboardLayout[] | undefined;

function buildLayout(graph: Record<string, readonly (string | null)[]>): KeyboardLayout {
  const neighbours = new Map<string, Set<string>>();
  let total = 0;
  for (const [key, adjacent] of Object.entries(graph)) {
    const set = new Set<string>();
    for (const entry of adjacent) if (entry) for (const char of entry) set.add(char);
    neighbours.set(key, set);
    total += set.size;
  }
  const average = neighbours.size === 0 ? 2 : total / neighbours.size;
  return { neighbours, startBits: Math.log2(Math.max(2, neighbours.size)), stepBits: Math.log2(average) };
}

/** The keyboard layouts walks are looked for on: qwerty, qwertz, azerty, dvorak and the keypad. */
export function keyboardLayouts(): readonly KeyboardLayout[] {
  layouts ??= (['qwerty', 'qwertz', 'azerty', 'dvorak', 'keypad'] as const).map((name) =>
    buildLayout(adjacencyGraphs[name] as Record<string, readonly (string | null)[]>),
  );
  return layouts;
}
