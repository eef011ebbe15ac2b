/**
 * The example's web page in a real browser (Debian chromium driven by playwright-core), against
 * the example started as `npm run example` starts it, with a loopback OpenID Connect provider
 * configured: register, verify through the development outbox, log in (cookie mode), stream a
 * generation, be refused images, share a conversation and see it as the other user, enrol TOTP and
 * log in with a computed code, the admin view, "Log in with OpenID Connect", log out. Screenshots
 * of each step go to `test/examples/screenshots/` (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGithub, startFakeGithub } from '../support/fake-github.js';
import { type OidcPeer, startOidcProvider } from '../support/oidc-provider.js';
import {
  launchChromium,
  registerAndGetToken,
  startGenAiExample,
  stopExamples,
  tempDatabase,
} from './support.js';

const PASSWORD = 'juniper-falcon-64-bridge';
const SCREENSHOTS = join(import.meta.dirname, 'screenshots');
let url: string;
let browser: Browser;
let oidc: OidcPeer;
let github: FakeGithub;

/** A port free right now, so the provider can know the example's callback before it starts. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const port = await freePort();
  oidc = await startOidcProvider({
    clients: [
      {
        clientId: 'genai-example',
        clientSecret: 'genai-example-client-secret-for-loopback-tests',
        redirectUris: [`http://127.0.0.1:${port}/auth/oauth/oidc/callback`],
      },
    ],
    accounts: [{ sub: 'oidc-user-1', email: 'olga@example.com', email_verified: true, name: 'Olga' }],
  });
  github = await startFakeGithub({
    id: 4242,
    login: 'gabi',
    emails: [{ email: 'gabi@example.com', primary: true, verified: true }],
  });
  ({ url } = await startGenAiExample({
    GATEHOUSE_DB: tempDatabase(),
    PORT: String(port),
    ADMIN_EMAIL: 'root@example.com',
    OIDC_ISSUER: oidc.issuer,
    OIDC_CLIENT_ID: 'genai-example',
    OIDC_CLIENT_SECRET: 'genai-example-client-secret-for-loopback-tests',
    // A GitHub stand-in on loopback, configured as a GitHub Enterprise Server would be.
    GITHUB_CLIENT_ID: github.clientId,
    GITHUB_CLIENT_SECRET: github.clientSecret,
    GITHUB_URL: github.url,
    GITHUB_API_URL: github.url,
  }));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await oidc?.close();
  await github?.close();
  stopExamples();
});

/** A fresh browser context (its own cookies) on the page, failing the test on any console error. */
async function openPage(path = '/'): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${url}${path}`);
  return { page, errors };
}

async function logIn(page: Page, email: string): Promise<void> {
  await page.fill('#login-email', email);
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-form button[type=submit]');
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

describe('the example web page in a browser', () => {
  it('registers, logs in with cookies, streams a generation, is refused images, logs out', async () => {
    const { page, errors } = await openPage();
    await page.fill('#register-email', 'ann@example.com');
    await page.fill('#register-password', PASSWORD);
    await page.click('#register-form button[type=submit]');
    await expect.poll(() => page.textContent('#message')).toContain('Registered');
    await shot(page, '01-registered');

    // The verification mail is in the development outbox on the page; its link verifies the address.
    await page.click('#refresh-outbox');
    const mail = await page
      .locator('#outbox li pre', { hasText: 'To: ann@example.com' })
      .first()
      .textContent();
    const link = mail?.match(/http:\/\/\S+\/verify-email\?token=\S+/)?.[0];
    expect(link).toBeDefined();
    await page.goto(link as string);
    await expect.poll(() => page.textContent('#message')).toBe('Your address is verified.');

    await logIn(page, 'ann@example.com');
    await expect.poll(() => page.textContent('#status')).toBe('Signed in as ann@example.com (USER)');
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'gatehouse-at')?.httpOnly).toBe(true);
    await shot(page, '02-signed-in');

    // Streaming: the output grows in several steps before the stream ends.
    await page.evaluate(() => {
      const output = document.getElementById('output') as HTMLElement;
      (window as unknown as { updates: number }).updates = 0;
      new MutationObserver(() => {
        (window as unknown as { updates: number }).updates++;
      }).observe(output, { childList: true, characterData: true, subtree: true });
    });
    await page.fill('#prompt', 'Write a haiku about gates');
    await page.click('#generate');
    await expect.poll(() => page.getAttribute('#output', 'data-done')).toBe('true');
    expect(await page.textContent('#output')).toContain('You asked about "Write a haiku about gates"');
    expect(await page.evaluate(() => (window as unknown as { updates: number }).updates)).toBeGreaterThan(5);
    await shot(page, '03-streamed');

    await page.click('#generate-image');
    await expect
      .poll(() => page.textContent('#message'))
      .toBe('Image generation is for moderators and admins.');
    expect(await page.locator('#image-result img').count()).toBe(0);

    await page.click('#logout');
    await expect.poll(() => page.textContent('#status')).toBe('Not signed in.');
    expect((await page.context().cookies()).find((c) => c.name === 'gatehouse-at')).toBeUndefined();
    await shot(page, '04-logged-out');
    // The refused image request is the only failed load: no script error, nothing blocked by the CSP.
    expect(errors).toEqual([
      'Failed to load resource: the server responded with a status of 403 (Forbidden)',
    ]);
  }, 60_000);

  it('shares a conversation that the other user then sees', async () => {
    await registerAndGetToken(url, 'bob@example.com', PASSWORD);
    const { page, errors } = await openPage();
    await logIn(page, 'ann@example.com');
    await expect.poll(() => page.textContent('#status')).toContain('ann@example.com');
    await page.fill('#conversation-title', 'Trip to Lisbon');
    await page.click('#conversation-form button[type=submit]');
    await expect.poll(() => page.textContent('#conversations')).toContain('Trip to Lisbon (yours)');
    await page.selectOption('#share-id', { label: 'Trip to Lisbon' });
    await page.fill('#share-email', 'bob@example.com');
    await page.click('#share-form button[type=submit]');
    await expect.poll(() => page.textContent('#message')).toContain('can now read the conversation');
    await shot(page, '05-shared');

    const bob = await openPage();
    await logIn(bob.page, 'bob@example.com');
    await expect
      .poll(() => bob.page.textContent('#conversations'))
      .toContain('Trip to Lisbon (shared with you)');
    await bob.page.click('#conversations button');
    await expect.poll(() => bob.page.textContent('#conversation-view')).toContain('Trip to Lisbon');
    await shot(bob.page, '06-seen-by-bob');
    expect([...errors, ...bob.errors]).toEqual([]);
  }, 60_000);

  it('enrols TOTP from the QR code page and logs in with a computed code', async () => {
    const { page, errors } = await openPage();
    await logIn(page, 'ann@example.com');
    await expect.poll(() => page.textContent('#status')).toContain('ann@example.com');
    await page.fill('#totp-password', PASSWORD);
    await page.click('#totp-start-form button[type=submit]');
    await expect.poll(() => page.isVisible('#totp-qr')).toBe(true);
    expect(await page.getAttribute('#totp-qr', 'src')).toMatch(/^data:image\/svg\+xml;base64,/);
    const totp = new TOTP({ secret: Secret.fromBase32((await page.textContent('#totp-secret')) ?? '') });
    await shot(page, '07-totp-qr');
    await page.fill('#totp-code', totp.generate());
    await page.click('#totp-confirm-form button[type=submit]');
    await expect.poll(() => page.textContent('#backup-codes')).toContain('Two-factor authentication is on');

    await page.click('#logout');
    await expect.poll(() => page.textContent('#status')).toBe('Not signed in.');
    await logIn(page, 'ann@example.com');
    await expect.poll(() => page.isVisible('#mfa-form')).toBe(true);
    expect(await page.textContent('#status')).toBe('Not signed in.');
    // The confirmation used this time step's code (a replay is refused): the next step's is valid.
    await page.fill('#mfa-code', totp.generate({ timestamp: Date.now() + 30_000 }));
    await page.click('#mfa-form button[type=submit]');
    await expect.poll(() => page.textContent('#status')).toBe('Signed in as ann@example.com (USER)');
    await shot(page, '08-totp-login');
    expect(errors).toEqual([]);
  }, 60_000);

  it('shows the admin view to the ADMIN_EMAIL account, whose promotion lets bob generate images', async () => {
    await registerAndGetToken(url, 'root@example.com', PASSWORD);
    const { page, errors } = await openPage();
    await page.click('#refresh-outbox');
    const mail = await page
      .locator('#outbox li pre', { hasText: 'To: root@example.com' })
      .first()
      .textContent();
    await page.goto(mail?.match(/http:\/\/\S+\/verify-email\?token=\S+/)?.[0] as string);
    await expect.poll(() => page.textContent('#message')).toBe('Your address is verified.');
    await logIn(page, 'root@example.com');
    await expect.poll(() => page.textContent('#status')).toBe('Signed in as root@example.com (ADMIN)');
    const bobRow = page.locator('#admin-users tr', { hasText: 'bob@example.com' });
    await bobRow.getByRole('button', { name: 'Make moderator' }).click();
    await expect.poll(() => bobRow.locator('td').nth(1).textContent()).toBe('MODERATOR');
    await shot(page, '09-admin');

    const bob = await openPage();
    await logIn(bob.page, 'bob@example.com');
    await expect.poll(() => bob.page.textContent('#status')).toBe('Signed in as bob@example.com (MODERATOR)');
    expect(await bob.page.isVisible('#admin')).toBe(false);
    await bob.page.click('#generate-image');
    await expect.poll(() => bob.page.locator('#image-result img').count()).toBe(1);
    await shot(bob.page, '10-moderator-image');
    expect([...errors, ...bob.errors]).toEqual([]);
  }, 60_000);

  it('logs in with the OpenID Connect provider and lands signed in on the page', async () => {
    oidc.next = { login: 'oidc-user-1' };
    const { page, errors } = await openPage();
    await page.click('#oauth-oidc');
    await page.waitForURL(`${url}/`);
    await expect.poll(() => page.textContent('#status')).toBe('Signed in as olga@example.com (USER)');
    await shot(page, '11-oidc');
    expect(errors).toEqual([]);
  }, 60_000);

  it('logs in with GitHub and lands signed in on the page', async () => {
    const { page, errors } = await openPage();
    await page.click('#oauth-github');
    await page.waitForURL(`${url}/`);
    await expect.poll(() => page.textContent('#status')).toBe('Signed in as gabi@example.com (USER)');
    await shot(page, '12-github');
    expect(errors).toEqual([]);
  }, 60_000);
});
