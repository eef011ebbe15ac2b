/**
 * Every TypeScript sample in `README.md` and `docs/*.md` compiles against the current API, and
 * the samples marked to run do:
 *
 * - `<!-- sample: script -->` before a block runs it to completion;
 * - `<!-- sample: server -->` starts it, registers and logs in through its `/auth` routes, calls
 *   its guarded `GET /me`, and stops it with SIGTERM (it must exit 0: graceful shutdown is part of
 *   what such a sample teaches). The sample prints `listening on <port>`;
 * - `<!-- sample: app <METHOD> <path> -->` starts it as written (its fixed port is swapped for an
 *   ephemeral one by a preload that wraps `net.Server#listen`), registers and logs in, calls the
 *   guarded `<METHOD> <path>` with the access token, and kills it.
 *
 * A ```ts block without a marker is type-checked only: use it for fragments that need
 * something the test cannot give (a provider's credentials, a vitest run), and write what they
 * lack as `declare const x: T`. Blocks in other languages (`sh`, `text`) are not checked.
 *
 * The pages themselves: the README's table of contents links every page of `docs/`, every
 * relative link (README, docs/, SECURITY.md, CONTRIBUTING.md) points at an existing file and
 * heading, and no page cites an internal requirement id.
 *
 * Samples import `gatehouse` and its subpaths as a user would; here those names point at the
 * sources. Each run gets its own working directory (a sample's `./auth.db` lands there), and
 * the PostgreSQL and Redis servers of the test run.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, describe, expect, inject, it } from 'vitest';

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const out = join(root, '.tmp', `doc-samples-${process.pid}`);

/** Where each public specifier lives in this repository. */
const SPECIFIERS: Record<string, string> = {
  gatehouse: 'src/index.ts',
  'gatehouse/errors': 'src/error-classes.ts',
  'gatehouse/http': 'src/http/index.ts',
  'gatehouse/sqlite': 'adapters/sqlite/index.ts',
  'gatehouse/postgres': 'adapters/postgres/index.ts',
  'gatehouse/redis': 'adapters/redis/index.ts',
  'gatehouse/express': 'adapters/express/index.ts',
  'gatehouse/fastify': 'adapters/fastify/index.ts',
  'gatehouse/hono': 'adapters/hono/index.ts',
  'gatehouse/testing': 'src/testing.ts',
  'gatehouse/openfga': 'src/openfga.ts',
};

/** Every page of `docs/`, relative to the repository root. */
const PAGES = readdirSync(join(root, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .sort()
  .map((name) => `docs/${name}`);

/** The documents whose samples are checked, relative to the repository root. */
const DOCUMENTS = ['README.md', ...PAGES];

/** The documents whose links are checked: the samples' documents and the repository's guides. */
const LINKED_DOCUMENTS = [...DOCUMENTS, 'SECURITY.md', 'CONTRIBUTING.md'];

/** GitHub's anchor of a heading: lower-cased, punctuation dropped, spaces to `-`. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown document's headings (outside code blocks), as GitHub numbers repeats. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6} (.+)$/.exec(line);
    if (!heading) continue;
    const base = anchorOf(heading[1] ?? '');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Relative Markdown links `[text](target)` of a document, outside code blocks. */
function linksOf(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] ?? '')
    .filter((target) => !/^[a-z]+:/i.test(target));
}

interface Sample {
  readonly doc: string;
  readonly index: number;
  readonly mode: 'check' | 'script' | 'server' | 'app';
  /** For `app`: the guarded route to call, e.g. `POST /generate/text`. */
  readonly route?: { readonly method: string; readonly path: string };
  readonly file: string;
}

const MARKER = /(?:<!-- sample: (script|server|app)(?: ([A-Z]+) (\/\S*))? -->\n)?```ts\n([\s\S]*?)```/g;

function extract(): Sample[] {
  const samples: Sample[] = [];
  mkdirSync(out, { recursive: true });
  for (const doc of DOCUMENTS) {
    const text = readFileSync(join(root, doc), 'utf8');
    let index = 0;
    for (const [, mode, method, path, code] of text.matchAll(MARKER)) {
      index++;
      const source = (code ?? '').replace(/from '(gatehouse(?:\/[a-z]+)?)'/g, (whole, specifier: string) => {
        const target = SPECIFIERS[specifier];
        // `.js`, as NodeNext resolution (and tsx) map it to the `.ts` source.
        return target ? `from '${join(root, target).replace(/\.ts$/, '.js')}'` : whole;
      });
      const file = join(out, `${doc.replace(/\.md$/, '').replace(/\//g, '-')}-${index}.ts`);
      // A module of its own: top-level await, and no name clashes between samples.
      writeFileSync(file, `${source}\nexport {};\n`);
      samples.push({
        doc,
        index,
        mode: (mode as Sample['mode'] | undefined) ?? 'check',
        ...(method && path ? { route: { method, path } } : {}),
        file,
      });
    }
  }
  return samples;
}

const samples = extract();

/** Preloaded into `app` samples: every server listens on an ephemeral port and reports it. */
const LISTEN_HOOK = join(out, 'listen-on-ephemeral-port.mjs');
writeFileSync(
  LISTEN_HOOK,
  `import { Server } from 'node:net';
const listen = Server.prototype.listen;
Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number') args[0] = 0;
  else if (args[0] !== null && typeof args[0] === 'object' && 'port' in args[0]) args[0] = { ...args[0], port: 0 };
  this.once('listening', () => {
    const address = this.address();
    if (address !== null && typeof address === 'object') {
      process.stdout.write(\`sample listening on \${address.family} \${address.address} \${address.port}\\n\`);
    }
  });
  return listen.apply(this, args);
};
`,
);

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

/** A fresh working directory for one run, inside the repository (so `--import tsx` resolves). */
function workingDirectory(sample: Sample): string {
  const dir = join(out, `run-${sample.doc.replace(/\W/g, '-')}-${sample.index}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const label = (sample: Sample) => `${sample.doc} sample ${sample.index}`;

/** Registers and logs in through the sample's `/auth` routes; the access token. */
async function signIn(base: string): Promise<string> {
  const email = `doc-${randomBytes(4).toString('hex')}@example.com`;
  const password = 'violet-otter-42-lantern';
  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const registered = await post('/auth/register', { email, password });
  expect(registered.status, await registered.clone().text()).toBe(201);
  const login = (await (await post('/auth/login', { email, password })).json()) as { access_token: string };
  return login.access_token;
}

/** Starts a sample; resolves with the first output line matching `ready`, and the process. */
function start(sample: Sample, args: string[], ready: RegExp) {
  const child = spawn(process.execPath, [...args, sample.file], {
    cwd: workingDirectory(sample),
    env: environment(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', done));
  let output = '';
  const match = new Promise<RegExpExecArray>((done, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = ready.exec(output);
      if (found) done(found);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => fail(new Error(`exited with ${code}: ${output}`)));
  });
  return { child, exited, match };
}

describe('docs pages and links', () => {
  it("the README's table of contents links every page of docs/", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const linked = new Set(linksOf(readme).map((target) => target.split('#')[0]));
    // A page that only says where its content went (`<!-- moved -->`) stays for old links.
    const moved = (page: string) => readFileSync(join(root, page), 'utf8').includes('<!-- moved -->');
    expect(PAGES.filter((page) => !linked.has(page) && !moved(page))).toEqual([]);
  });

  it('every relative link points at an existing file, and at an existing heading', () => {
    const broken: string[] = [];
    for (const doc of LINKED_DOCUMENTS) {
      const text = readFileSync(join(root, doc), 'utf8');
      for (const target of linksOf(text)) {
        const [path = '', anchor] = target.split('#');
        const file = path === '' ? join(root, doc) : resolve(dirname(join(root, doc)), path);
        if (!existsSync(file)) {
          broken.push(`${doc}: ${target} (no such file)`);
          continue;
        }
        if (
          anchor !== undefined &&
          file.endsWith('.md') &&
          !anchorsOf(readFileSync(file, 'utf8')).has(anchor)
        ) {
          broken.push(`${doc}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('no page cites an internal requirement id (cite the RFC, OWASP ASVS or NIST section instead)', () => {
    const cited = LINKED_DOCUMENTS.flatMap((doc) =>
      [...readFileSync(join(root, doc), 'utf8').matchAll(/\b[A-Z]{2,3}-\d{2}\b/g)].map(
        (m) => `${doc}: ${m[0]}`,
      ),
    );
    expect(cited).toEqual([]);
  });
});

describe('docs samples', () => {
  it('found samples in README.md (a quick start, and one per framework) and in docs/', () => {
    expect(samples.filter((s) => s.doc === 'README.md').length).toBeGreaterThanOrEqual(4);
    expect(samples.filter((s) => s.doc === 'README.md' && s.mode === 'app').length).toBeGreaterThanOrEqual(3);
    expect(samples.filter((s) => s.doc !== 'README.md').length).toBeGreaterThan(0);
  });

  it('every sample type-checks (strict, as the project itself)', () => {
    // The project's options, without unused-locals checks (a sample may declare what it shows).
    const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
    const options = {
      ...ts.parseJsonConfigFileContent(config.config, ts.sys, root).options,
      noUnusedLocals: false,
    };
    const program = ts.createProgram(
      samples.map((sample) => sample.file),
      options,
    );
    // Only the samples are checked here; the sources they import are `tsc`'s job.
    const errors = samples.flatMap((sample) => {
      const source = program.getSourceFile(sample.file);
      if (!source) return [`${label(sample)}: not compiled`];
      return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map(
        (d) => {
          const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line + 1;
          return `${label(sample)}, line ${line}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
        },
      );
    });
    expect(errors).toEqual([]);
    // One program over every sample of every page: seconds alone, much longer on a busy machine.
  }, 180_000);

  for (const sample of samples.filter((s) => s.mode === 'script')) {
    it(`${label(sample)} runs to completion`, async () => {
      const { stderr } = await exec(process.execPath, ['--import', 'tsx', sample.file], {
        cwd: workingDirectory(sample),
        env: environment(),
        timeout: 60_000,
      });
      expect(stderr).not.toMatch(/Error/);
    });
  }

  for (const sample of samples.filter((s) => s.mode === 'server')) {
    it(`${label(sample)} serves /auth and a guarded route, and stops on SIGTERM`, async () => {
      const { child, exited, match } = start(sample, ['--import', 'tsx'], /listening on (\d+)/);
      const base = `http://127.0.0.1:${Number((await match)[1])}`;
      const token = await signIn(base);
      const me = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
  }

  for (const sample of samples.filter((s) => s.mode === 'app')) {
    const route = sample.route ?? { method: 'GET', path: '/me' };
    it(`${label(sample)} serves /auth, and ${route.method} ${route.path} with a token only`, async () => {
      const hook = pathToFileURL(LISTEN_HOOK).href;
      const { child, exited, match } = start(
        sample,
        ['--import', hook, '--import', 'tsx'],
        /sample listening on (IPv4|IPv6) (\S+) (\d+)/,
      );
      try {
        const [, family, address, port] = await match;
        const host = address === '::' || address === '0.0.0.0' ? '127.0.0.1' : address;
        const base = `http://${family === 'IPv6' && host !== '127.0.0.1' ? `[${host}]` : host}:${port}`;
        const token = await signIn(base);
        const anonymous = await fetch(`${base}${route.path}`, { method: route.method });
        expect(anonymous.status).toBe(401);
        const guarded = await fetch(`${base}${route.path}`, {
          method: route.method,
          headers: { authorization: `Bearer ${token}` },
        });
        expect(guarded.status, await guarded.clone().text()).toBe(200);
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    });
  }
});
