/**
 * Every TypeScript sample in `docs/*.md` compiles against the current API, and the samples marked
 * to run do: `<!-- sample: script -->` before a block runs it to completion; `<!-- sample: server -->`
 * starts it, registers and logs in through its `/auth` routes, calls its guarded `/me`, and stops it
 * with SIGTERM. Samples import `gatehouse` and its subpaths as a user would; here those names point
 * at the sources. They run against the test PostgreSQL and Redis servers.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const out = join(root, '.tmp', `doc-samples-${process.pid}`);

/** Where each public specifier lives in this repository. */
const SPECIFIERS: Record<string, string> = {
  gatehouse: 'src/index.ts',
  'gatehouse/sqlite': 'adapters/sqlite/index.ts',
  'gatehouse/postgres': 'adapters/postgres/index.ts',
  'gatehouse/redis': 'adapters/redis/index.ts',
  'gatehouse/express': 'adapters/express/index.ts',
  'gatehouse/fastify': 'adapters/fastify/index.ts',
  'gatehouse/hono': 'adapters/hono/index.ts',
  'gatehouse/testing': 'src/testing.ts',
  'gatehouse/openfga': 'src/openfga.ts',
};

interface Sample {
  readonly doc: string;
  readonly index: number;
  readonly mode: 'check' | 'script' | 'server';
  readonly file: string;
}

function extract(): Sample[] {
  const docs = readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md'));
  const samples: Sample[] = [];
  mkdirSync(out, { recursive: true });
  for (const doc of docs) {
    const text = readFileSync(join(root, 'docs', doc), 'utf8');
    const blocks = text.matchAll(/(?:<!-- sample: (script|server) -->\n)?```ts\n([\s\S]*?)```/g);
    let index = 0;
    for (const [, mode, code] of blocks) {
      index++;
      const source = (code ?? '').replace(/from '(gatehouse(?:\/[a-z]+)?)'/g, (whole, specifier: string) => {
        const path = SPECIFIERS[specifier];
        // `.js`, as NodeNext resolution (and tsx) map it to the `.ts` source.
        return path ? `from '${join(root, path).replace(/\.ts$/, '.js')}'` : whole;
      });
      const file = join(out, `${doc.replace(/\.md$/, '')}-${index}.ts`);
      // A module of its own: top-level await, and no name clashes between samples.
      writeFileSync(file, `${source}\nexport {};\n`);
      samples.push({ doc, index, mode: (mode as Sample['mode'] | undefined) ?? 'check', file });
    }
  }
  return samples;
}

const samples = extract();

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
});

function environment(): NodeJS.ProcessEnv {
  const databaseUrl = inject('postgresUrl');
  const redisUrl = inject('redisUrl');
  if (databaseUrl === null || redisUrl === null) throw new Error('the doc samples need PostgreSQL and Redis');
  return {
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    GATEHOUSE_SECRET: randomBytes(32).toString('base64url'),
    PORT: '0',
  };
}

describe('docs samples', () => {
  it('found samples in docs/', () => {
    expect(samples.length).toBeGreaterThan(0);
  });

  it('every sample type-checks (strict, as the project itself)', async () => {
    const config = join(out, 'tsconfig.json');
    writeFileSync(
      config,
      JSON.stringify({
        extends: join(root, 'tsconfig.json'),
        compilerOptions: { rootDir: root, noUnusedLocals: false },
        files: samples.map((sample) => sample.file),
        include: [],
      }),
    );
    const result = await exec(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', config],
      {
        cwd: root,
      },
    ).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result).toBe('');
  });

  for (const sample of samples.filter((s) => s.mode === 'script')) {
    it(`${sample.doc} sample ${sample.index} runs to completion`, async () => {
      const { stderr } = await exec(process.execPath, ['--import', 'tsx', sample.file], {
        cwd: root,
        env: environment(),
        timeout: 60_000,
      });
      expect(stderr).not.toMatch(/Error/);
    });
  }

  for (const sample of samples.filter((s) => s.mode === 'server')) {
    it(`${sample.doc} sample ${sample.index} serves /auth and a guarded route, and stops on SIGTERM`, async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', sample.file], {
        cwd: root,
        env: environment(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((done) => child.once('exit', done));
      let output = '';
      const port = await new Promise<number>((done, fail) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (\d+)/.exec(output);
          if (match) done(Number(match[1]));
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => fail(new Error(`exited with ${code}: ${output}`)));
      });
      const base = `http://127.0.0.1:${port}`;
      const email = `doc-${randomBytes(4).toString('hex')}@example.com`;
      const password = 'violet-otter-42-lantern';
      const post = (path: string, body: unknown) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await post('/auth/register', { email, password })).status).toBe(201);
      const login = (await (await post('/auth/login', { email, password })).json()) as {
        access_token: string;
      };
      const me = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${login.access_token}` } });
      expect(me.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
  }
});
