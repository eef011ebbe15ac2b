/**
 * The example's device-login page in a real browser (Debian chromium driven by playwright-core):
 * the command-line client shows a link and a code, a user opens the link, signs in, sees which
 * client asks for what, approves, and the client finishes its login and calls the service.
 * `CHROMIUM_PATH` overrides `/usr/bin/chromium`; `.ci/run` installs chromium, so a missing
 * browser fails this suite rather than skipping it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  postJson,
  startGenAiExample,
  startScript,
  stopExamples,
  tempDatabase,
} from './support.js';

const PASSWORD = 'quartz-finch-81-harbour';
let url: string;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(join(import.meta.dirname, 'screenshots'), { recursive: true });
  ({ url } = await startGenAiExample({ GATEHOUSE_DB: tempDatabase() }));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  stopExamples();
});

async function startCli(): Promise<{
  code: string;
  link: string;
  done: Promise<number | null>;
  output: () => string;
}> {
  const cli = await startScript(
    'examples/genai-app/cli.ts',
    { GATEHOUSE_URL: url },
    /open (\S+) and enter the code ([A-Z]{4}-[A-Z]{4})/,
    ['a sonnet about keys'],
  );
  return { link: cli.match[1] as string, code: cli.match[2] as string, done: cli.exited, output: cli.output };
}

describe('device-login page in a browser', () => {
  it('a user approves the CLI from the page; the CLI completes its login', async () => {
    expect(
      (await postJson(`${url}/auth/register`, { email: 'lin@example.com', password: PASSWORD })).status,
    ).toBe(202);
    const cli = await startCli();
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(cli.link);
    await page.fill('#email', 'lin@example.com');
    await page.fill('#password', PASSWORD);
    await page.click('#sign-in button[type=submit]');
    // verification_uri_complete filled the code in.
    await expect.poll(() => page.inputValue('#user-code')).toBe(cli.code);
    await page.click('#code button[type=submit]');
    await expect.poll(() => page.textContent('#client-name')).toBe('GenAI command line');
    expect(await page.textContent('#scope')).toBe('generate:text');
    await page.screenshot({ path: join(import.meta.dirname, 'screenshots', 'device-confirm.png') });
    await page.click('#approve');
    await expect.poll(() => page.textContent('#message')).toContain('Approved');

    expect(await cli.done).toBe(0);
    expect(cli.output()).toMatch(/200 .*a sonnet about keys/);
    // The page's strict CSP held: nothing was blocked, no script error.
    expect(consoleErrors).toEqual([]);
    await page.close();
  }, 60_000);

  it('a denial from the page ends the CLI login with access_denied', async () => {
    const cli = await startCli();
    const page = await browser.newPage();
    await page.goto(`${url}/device`);
    await page.fill('#email', 'lin@example.com');
    await page.fill('#password', PASSWORD);
    await page.click('#sign-in button[type=submit]');
    await page.fill('#user-code', cli.code.toLowerCase().replace('-', ' '));
    await page.click('#code button[type=submit]');
    await expect.poll(() => page.textContent('#client-name')).toBe('GenAI command line');
    await page.click('#deny');
    await expect.poll(() => page.textContent('#message')).toBe('Denied.');

    expect(await cli.done).toBe(1);
    expect(cli.output()).toContain('Sign-in failed: access_denied');
    await page.close();
  }, 60_000);

  it('a wrong password or an unknown code is answered on the page, without a session', async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/device`);
    await page.fill('#email', 'lin@example.com');
    await page.fill('#password', 'not-the-password-at-all');
    await page.click('#sign-in button[type=submit]');
    await expect.poll(() => page.textContent('#message')).toBe('Sign-in failed.');
    expect(await page.isVisible('#code')).toBe(false);
    await page.fill('#password', PASSWORD);
    await page.click('#sign-in button[type=submit]');
    await page.fill('#user-code', 'BCDF-GHJK');
    await page.click('#code button[type=submit]');
    await expect.poll(() => page.textContent('#message')).toBe('That code is unknown or has expired.');
    await page.close();
  }, 60_000);
});
