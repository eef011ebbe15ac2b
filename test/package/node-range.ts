/**
 * Just enough of npm's semver ranges to read `engines.node` fields: `||` alternatives, comparator
 * sets joined by spaces, `>=`, `>`, `<=`, `<`, `=`, `^`, `~`, x-ranges (`20.x`, `20`, `*`) and
 * hyphen ranges (`18 - 20`). Pre-release tags are ignored. A range it cannot read throws, so a
 * check built on it fails loudly instead of passing by accident.
 */

/** `[major, minor, patch]`. */
export type Version = readonly [number, number, number];

type Test = (v: Version) => boolean;

/** Negative, zero or positive, as `a` is lower than, equal to or higher than `b`. */
export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** `'20.19.0'` (or `v20.19.0`) as a {@link Version}. */
export function parseVersion(text: string): Version {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  if (!match) throw new Error(`not a version: ${JSON.stringify(text)}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

const PARTIAL =
  /^(>=|<=|>|<|=|\^|~)?v?(\*|x|X|\d+)(?:\.(\*|x|X|\d+))?(?:\.(\*|x|X|\d+))?(?:-[0-9A-Za-z.-]+)?$/;

/** The numeric parts given, up to the first wildcard or missing one. */
function partsOf(match: RegExpExecArray): number[] {
  const parts: number[] = [];
  for (const part of [match[2], match[3], match[4]]) {
    if (part === undefined || /^[*xX]$/.test(part)) break;
    parts.push(Number(part));
  }
  return parts;
}

const at = (parts: number[]): Version => [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0];
/** The first version after every version matching the partial `parts` (`20` -> 21.0.0, `20.1` -> 20.2.0). */
function after(parts: number[]): Version {
  if (parts.length === 1) return [parts[0]! + 1, 0, 0];
  if (parts.length === 2) return [parts[0]!, parts[1]! + 1, 0];
  return [parts[0]!, parts[1]!, parts[2]! + 1];
}
const gte =
  (v: Version): Test =>
  (x) =>
    compareVersions(x, v) >= 0;
const lt =
  (v: Version): Test =>
  (x) =>
    compareVersions(x, v) < 0;

/** One comparator as tests that must all hold. */
function comparator(token: string): Test[] {
  const match = PARTIAL.exec(token);
  if (!match) throw new Error(`cannot read the range part ${JSON.stringify(token)}`);
  const op = match[1] ?? '=';
  const parts = partsOf(match);
  if (parts.length === 0) return op === '<' || op === '>' ? [() => false] : [];
  const low = at(parts);
  switch (op) {
    case '=':
      return [gte(low), lt(after(parts))];
    case '>=':
      return [gte(low)];
    case '>':
      return [gte(after(parts))];
    case '<':
      return [lt(low)];
    case '<=':
      return [lt(after(parts))];
    case '~':
      return [gte(low), lt(after(parts.slice(0, Math.min(parts.length, 2))))];
    default: {
      // '^': up to the next change of the leftmost non-zero part given.
      const keep = parts.findIndex((p) => p !== 0);
      const upper = keep === -1 ? after(parts) : after(parts.slice(0, keep + 1));
      return [gte(low), lt(upper)];
    }
  }
}

/** One comparator set (an alternative between `||`). */
function comparatorSet(set: string): Test[] {
  const text = set.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1');
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text);
  if (hyphen) {
    const from = comparator(`>=${hyphen[1]}`);
    const to = comparator(`<=${hyphen[2]}`);
    return [...from, ...to];
  }
  if (text === '') return [];
  return text.split(/\s+/).flatMap(comparator);
}

/** Whether `version` satisfies the range `range`. */
export function satisfies(version: Version, range: string): boolean {
  return range.split('||').some((set) => comparatorSet(set).every((test) => test(version)));
}

/**
 * The lowest version of each alternative of `range` that is a plain lower bound (`>=a.b.c` or
 * `^a.b.c`): the first release of each supported line. Throws for any other shape.
 */
export function lowerBounds(range: string): Version[] {
  return range.split('||').map((set) => {
    const match = /^\s*(?:>=|\^)\s*v?(\d+\.\d+\.\d+)\s*$/.exec(set);
    if (!match) throw new Error(`expected ">=x.y.z" or "^x.y.z" alternatives, got ${JSON.stringify(set)}`);
    return parseVersion(match[1]!);
  });
}

/** `20.19.0` as text. */
export function formatVersion(v: Version): string {
  return v.join('.');
}
