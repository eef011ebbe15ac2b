/**
 * The adapters' types, checked with the TypeScript compiler: each fixture in `types/` compiles
 * as is (its `expectTypeOf` assertions hold: the principal is non-null behind a guard, route
 * params are typed in `authorize`), and a copy with its `@ts-expect-error` directives removed
 * fails on exactly the lines they marked — so every directive marks a real error, and nothing
 * else in the fixture is one.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const FIXTURES = ['express', 'fastify', 'hono'].map((name) =>
  join(root, `test/http/types/${name}.fixture.ts`),
);
const DIRECTIVE = /\/\/ @ts-expect-error\b.*$/;

/** The copy of a fixture without directives: beside it (same imports), each directive a plain comment. */
const strippedName = (file: string) => file.replace(/\.fixture\.ts$/, '.stripped.ts');
const strip = (text: string) =>
  text
    .split('\n')
    .map((line) => line.replace(DIRECTIVE, '// (an error is expected on the next line)'))
    .join('\n');

interface Finding {
  readonly at: string;
  readonly message: string;
}

/** Diagnostics by fixture and stripped copy, from one program (one checker for both). */
function check(): Map<string, Finding[]> {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const options = ts.parseJsonConfigFileContent(config.config, ts.sys, root).options;
  const host = ts.createCompilerHost(options);
  const copies = new Map(FIXTURES.map((file) => [strippedName(file), strip(readFileSync(file, 'utf8'))]));
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, onError) => {
    const copy = copies.get(resolve(file));
    return copy === undefined
      ? getSourceFile(file, language, onError)
      : ts.createSourceFile(file, copy, language);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => copies.has(resolve(file)) || fileExists(file);
  const program = ts.createProgram([...FIXTURES, ...copies.keys()], options, host);
  const result = new Map<string, Finding[]>();
  for (const file of [...FIXTURES, ...copies.keys()]) {
    const source = program.getSourceFile(file);
    const found = source
      ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
      : [];
    result.set(
      file,
      found.map((d) => ({
        at: `${file.slice(root.length + 1)}:${d.start === undefined ? 0 : (source?.getLineAndCharacterOfPosition(d.start).line ?? -1) + 1}`,
        message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
      })),
    );
  }
  return result;
}

/** `file:line` of every line right after a `@ts-expect-error` directive, in the stripped copy. */
function markedLines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line, index) =>
      DIRECTIVE.test(line) ? [`${strippedName(file).slice(root.length + 1)}:${index + 2}`] : [],
    );
}

describe('adapter types', () => {
  let findings: Map<string, Finding[]>;
  beforeAll(() => {
    findings = check();
  });

  it.each(FIXTURES.map((file) => [file.slice(root.length + 1), file]))(
    '%s compiles as it is (strict, as the project itself)',
    (_name, file) => {
      expect(findings.get(file)).toEqual([]);
    },
  );

  it.each(FIXTURES.map((file) => [file.slice(root.length + 1), file]))(
    '%s without its @ts-expect-error directives fails on exactly the marked lines',
    (_name, file) => {
      const marked = markedLines(file);
      expect(marked.length).toBeGreaterThanOrEqual(3);
      const errors = findings.get(strippedName(file)) ?? [];
      expect([...new Set(errors.map((e) => e.at))].sort(), JSON.stringify(errors, null, 1)).toEqual(
        marked.sort(),
      );
    },
  );
});
