/**
 * PW-11 / ASVS 11.2.4: secrets and hashes are compared only with a library's constant-time verify
 * or `timingSafeEqual`, never with `===`. This scans the shipped source for equality comparisons
 * whose operand names a secret, except comparisons with null/undefined and lines marked
 * `constant-time-exempt` on the line before, with the reason.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SECRET_NAME = /(hash|secret|pepper|digest|password|signature|mac|otp|token)\b/i;
const COMPARISON = /([\w.$#?[\]']+)\s*(?:===|!==|==|!=)\s*([\w.$#?[\]']+)/g;
const HARMLESS = /^(null|undefined|true|false|\d+|'[^']*')$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'contract' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function secretComparisons(files: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, index) => {
      if (/constant-time-exempt/.test(lines[index - 1] ?? '') || /^\s*(\*|\/\/)/.test(line)) return;
      for (const [, left = '', right = ''] of line.matchAll(COMPARISON)) {
        if (HARMLESS.test(left) || HARMLESS.test(right) || /typeof/.test(line)) continue;
        if (SECRET_NAME.test(left) || SECRET_NAME.test(right))
          found.push(`${file}:${index + 1}: ${line.trim()}`);
      }
    });
  }
  return found;
}

describe('secret comparisons', () => {
  it('flags an equality comparison on a secret (the scanner works)', () => {
    const probe = join(import.meta.dirname, 'fixtures', 'bad-comparison.ts.txt');
    expect(secretComparisons([probe])).toHaveLength(2);
  });

  it('finds none in src/ or adapters/', () => {
    const root = join(import.meta.dirname, '..', '..');
    expect(
      secretComparisons([...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'adapters'))]),
    ).toEqual([]);
  });
});
