/**
 * Starting the examples the way their commands do (`node --import tsx <script>`, a child process)
 * and waiting for the line that says they are ready.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';

/** A started script. */
export interface Started {
  /** The `ready` pattern's match (group 1 is usually the URL or the value waited for). */
  readonly match: RegExpExecArray;
  readonly child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

/** Spawns `node --import tsx <script> ...args` and waits until its output matches `ready`. */
export function startScript(
  script: string,
  env: Record<string, string>,
  ready: RegExp,
  args: readonly string[] = [],
): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not get ready: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ match, child, output: () => output, exited });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code}: ${output}`)));
  });
}

/** Starts the example GenAI service (`npm run example`); resolves with its URL. */
export async function startGenAiExample(env: Record<string, string>): Promise<Started & { url: string }> {
  const started = await startScript(
    'examples/genai-app/server.ts',
    env,
    /listening on (http:\/\/\S+) \(authorization: [a-z-]+\)/,
  );
  return { ...started, url: started.match[1] as string };
}

/** A fresh SQLite file path in a temporary folder (removed by {@link stopExamples}). */
export function tempDatabase(prefix = 'gatehouse-example-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return join(dir, 'example.sqlite');
}

/** Kills every started process and removes the temporary folders (for `afterAll`). */
export function stopExamples(): void {
  for (const child of children.splice(0)) child.kill();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A JSON POST, with a Bearer token when given. */
export function postJson(url: string, body: unknown, token?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

/** A mail the development outbox kept. */
export interface OutboxMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** The mails the example's development outbox holds, oldest first. */
export async function readOutbox(url: string): Promise<OutboxMail[]> {
  const response = await fetch(`${url}/dev/outbox`);
  if (response.status !== 200) throw new Error(`GET /dev/outbox answered ${response.status}`);
  return ((await response.json()) as { messages: OutboxMail[] }).messages;
}

/** The `token` of the last link to `path` mailed to `email` (waiting up to 5 s for the mail). */
export async function tokenFromOutbox(url: string, email: string, path: string): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const mail = (await readOutbox(url)).filter((m) => m.to === email && m.text.includes(path)).at(-1);
    const token = mail?.text.match(/[?&]token=([\w-]+)/)?.[1];
    if (token) return token;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no mail to ${email} with a ${path} link`);
}

/** Registers `email` (202: the example mails a verification link) and returns a Bearer token. */
export async function registerAndGetToken(url: string, email: string, password: string): Promise<string> {
  const registered = await postJson(`${url}/auth/register`, { email, password });
  if (registered.status !== 202) throw new Error(`register answered ${registered.status}`);
  return passwordGrant(url, email, password);
}

/** A Bearer access token from the token endpoint (password grant). */
export async function passwordGrant(url: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${url}/auth/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username: email, password }),
  });
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Confirms `email` with the verification link from the outbox. */
export async function verifyFromOutbox(url: string, email: string): Promise<void> {
  const token = await tokenFromOutbox(url, email, '/verify-email');
  const response = await postJson(`${url}/auth/verify-email`, { token });
  if (response.status >= 300) throw new Error(`verify-email answered ${response.status}`);
}

/**
 * Debian's headless chromium for the browser suites (`CHROMIUM_PATH` overrides `/usr/bin/chromium`);
 * a missing browser fails the suite rather than skipping it. Loaded on demand, so the suites
 * without a browser do not load playwright.
 */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
