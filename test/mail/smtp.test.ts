import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  createSmtpMailer,
  defaultMailTemplates,
  InvalidMailMessageError,
  MailDeliveryError,
  type SmtpMailer,
  type SmtpMailerOptions,
} from '../../src/mail/index.js';
import { startSmtpServer, type TestSmtpServer } from './smtp-test-server.js';

const USER = 'gatehouse-smtp-user@mail.example';
const PASS = 'S3cret-Pa55word!/+=';
const LINK = 'https://app.example/auth/verify-email?token=Zx9_kQ-3vLw8yT2mNpRf5aHc7uJd1eGs&next=%2Fhome';

/** Options for talking to the loopback test server: plain TCP, STARTTLS ignored (test only). */
function loopback(port: number, extra: Partial<SmtpMailerOptions> = {}): SmtpMailerOptions {
  return { host: '127.0.0.1', port, from: 'Acme <no-reply@acme.example>', ignoreTLS: true, ...extra };
}

function decodeEntities(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Every way an error could end up in a log. */
function everythingAbout(error: unknown): string {
  const e = error as Error;
  return [
    String(e),
    e.message,
    e.stack ?? '',
    inspect(e, { depth: 5, showHidden: true }),
    JSON.stringify(e),
  ].join('\n');
}

const mailers: SmtpMailer[] = [];
function track(mailer: SmtpMailer): SmtpMailer {
  mailers.push(mailer);
  return mailer;
}
afterEach(() => {
  for (const mailer of mailers.splice(0)) mailer.close();
});

describe('createSmtpMailer against a real SMTP server with AUTH', () => {
  let server: TestSmtpServer;

  beforeAll(async () => {
    server = await startSmtpServer({
      users: { [USER]: PASS },
      // A careless server that repeats both credentials in its rejection.
      authFailureMessage: (user, pass) => `Error: bad login for ${user} with password ${pass}`,
      rejectRecipients: ['blocked@example.com'],
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('delivers the verify-email template to the recipient with the link intact in text and html', async () => {
    const mailer = track(createSmtpMailer(loopback(server.port, { auth: { user: USER, pass: PASS } })));
    const content = defaultMailTemplates.verifyEmail({ appName: 'Acme', link: LINK, expiresInMinutes: 60 });
    const before = server.received.length;

    await mailer.send({ to: 'ada@example.com', ...content });

    const [mail] = (await server.waitForMessages(before + 1)).slice(before);
    expect(mail).toBeDefined();
    if (!mail) return;
    expect(mail.user).toBe(USER);
    expect(mail.mailFrom).toBe('no-reply@acme.example');
    expect(mail.rcptTo).toEqual(['ada@example.com']);
    expect(mail.parsed.subject).toBe('Verify your email address for Acme');
    const to = Array.isArray(mail.parsed.to) ? mail.parsed.to : [mail.parsed.to];
    expect(to.flatMap((t) => t?.value.map((v) => v.address))).toEqual(['ada@example.com']);

    const text = mail.parsed.text ?? '';
    const textLinks = text.match(/https?:\/\/\S+/g) ?? [];
    expect(textLinks).toEqual([LINK]);
    expect(text).toContain('expires in 1 hour');

    const html = typeof mail.parsed.html === 'string' ? mail.parsed.html : '';
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => decodeEntities(m[1] ?? ''));
    expect(hrefs).toEqual([LINK]);
    // The raw `&` of the query string is escaped in the HTML source.
    expect(html).toContain('token=Zx9_kQ-3vLw8yT2mNpRf5aHc7uJd1eGs&amp;next=%2Fhome');
  });

  it('verify() succeeds with the right credentials', async () => {
    const mailer = track(createSmtpMailer(loopback(server.port, { auth: { user: USER, pass: PASS } })));
    await expect(mailer.verify()).resolves.toBeUndefined();
  });

  it('reports an authentication failure without the user name or the password', async () => {
    const wrongUser = 'intruder-account@mail.example';
    const wrongPass = 'Wr0ng-Pa55word-Xy!';
    for (const auth of [
      { user: USER, pass: wrongPass },
      { user: wrongUser, pass: PASS },
    ]) {
      const mailer = track(createSmtpMailer(loopback(server.port, { auth })));
      const secrets = [
        auth.user,
        auth.pass,
        Buffer.from(auth.user).toString('base64'),
        Buffer.from(auth.pass).toString('base64'),
        Buffer.from(`\u0000${auth.user}\u0000${auth.pass}`).toString('base64'),
      ];
      for (const attempt of [
        () => mailer.send({ to: 'ada@example.com', subject: 'Hello', text: 'Hi' }),
        () => mailer.verify(),
      ]) {
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(MailDeliveryError);
        expect(error).toMatchObject({ code: 'ERR_MAIL_DELIVERY', failure: 'auth', responseCode: 535 });
        expect((error as Error).message).toMatch(/authentication failed/i);
        expect((error as Error).cause).toBeUndefined();
        const dump = everythingAbout(error);
        for (const secret of secrets) expect(dump).not.toContain(secret);
        expect(dump).not.toContain('intruder');
        expect(dump).not.toContain('Pa55word');
      }
    }
    expect(server.received.every((m) => m.parsed.subject !== 'Hello')).toBe(true);
  });

  it('reports a rejected recipient with the SMTP code and no credentials', async () => {
    const mailer = track(createSmtpMailer(loopback(server.port, { auth: { user: USER, pass: PASS } })));
    const error = await mailer.send({ to: 'blocked@example.com', subject: 'Hello', text: 'Hi' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MailDeliveryError);
    expect(error).toMatchObject({ failure: 'rejected', responseCode: 550, retryable: false });
    expect((error as Error).message).toContain('unavailable');
    const dump = everythingAbout(error);
    expect(dump).not.toContain(PASS);
    expect(dump).not.toContain(USER);
  });

  it('refuses a recipient list or a header injection before talking to the server', async () => {
    const mailer = track(createSmtpMailer(loopback(server.port, { auth: { user: USER, pass: PASS } })));
    const before = server.received.length;
    for (const message of [
      { to: 'ada@example.com, eve@example.com', subject: 'Hi', text: 'Hi' },
      { to: 'ada@example.com\r\nBcc: eve@example.com', subject: 'Hi', text: 'Hi' },
      { to: 'Ada <ada@example.com>', subject: 'Hi', text: 'Hi' },
      { to: 'ada@example.com', subject: 'Hi\r\nBcc: eve@example.com', text: 'Hi' },
      { to: 'ada@example.com', subject: 'Hi', text: '' },
    ]) {
      await expect(mailer.send(message)).rejects.toBeInstanceOf(InvalidMailMessageError);
    }
    expect(server.received.length).toBe(before);
  });
});

describe('createSmtpMailer without AUTH', () => {
  let server: TestSmtpServer;

  beforeAll(async () => {
    server = await startSmtpServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('sends the text and html parts of every default template', async () => {
    const mailer = track(createSmtpMailer(loopback(server.port)));
    const before = server.received.length;
    const at = new Date('2025-01-02T03:04:05Z');
    await mailer.send({
      to: 'old@example.com',
      ...defaultMailTemplates.emailChanged({ appName: 'Acme', at, newEmail: 'new@example.com' }),
    });
    await mailer.send({
      to: 'ada@example.com',
      ...defaultMailTemplates.securityNotice({
        appName: 'Acme',
        event: 'New sign-in',
        at,
        ipAddress: '203.0.113.7',
      }),
    });
    const mails = (await server.waitForMessages(before + 2)).slice(before);
    expect(mails.map((m) => m.rcptTo)).toEqual([['old@example.com'], ['ada@example.com']]);
    expect(mails[0]?.parsed.text).toContain('changed to new@example.com on Thu, 02 Jan 2025 03:04:05 UTC');
    expect(mails[1]?.parsed.text).toContain('IP address: 203.0.113.7');
    expect(typeof mails[1]?.parsed.html).toBe('string');
  });

  it('requires STARTTLS by default and refuses to send in clear', async () => {
    const mailer = track(
      createSmtpMailer({ host: '127.0.0.1', port: server.port, from: 'no-reply@acme.example' }),
    );
    const before = server.received.length;
    const error = await mailer.send({ to: 'ada@example.com', subject: 'Hi', text: 'Hi' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MailDeliveryError);
    expect(error).toMatchObject({ failure: 'tls' });
    expect(server.received.length).toBe(before);
  });

  it('sends in clear to a local catcher when requireTLS is explicitly false', async () => {
    const mailer = track(
      createSmtpMailer({
        host: '127.0.0.1',
        port: server.port,
        from: 'no-reply@acme.example',
        requireTLS: false,
      }),
    );
    const before = server.received.length;
    await mailer.send({ to: 'ada@example.com', subject: 'Clear', text: 'Hi' });
    const [mail] = (await server.waitForMessages(before + 1)).slice(before);
    expect(mail?.parsed.subject).toBe('Clear');
  });
});

describe('createSmtpMailer failures without a server', () => {
  it('reports a refused connection as a retryable connection failure', async () => {
    const server = await startSmtpServer();
    const { port } = server;
    await server.close();
    const mailer = track(
      createSmtpMailer(loopback(port, { auth: { user: USER, pass: PASS }, timeoutMs: 5_000 })),
    );
    const error = await mailer.send({ to: 'ada@example.com', subject: 'Hi', text: 'Hi' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MailDeliveryError);
    expect(error).toMatchObject({ failure: 'connection', retryable: true });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect(everythingAbout(error)).not.toContain(PASS);
  });

  it('rejects invalid options with a ConfigError that never repeats the credentials', () => {
    const bad = [
      { host: '', port: 25, from: 'a@b.example' },
      { host: 'smtp.example', port: 0, from: 'a@b.example' },
      { host: 'smtp.example', port: 587, from: 'not-an-address' },
      { host: 'smtp.example', port: 587, from: 'a@b.example', ignoreTLS: true, requireTLS: true },
      { host: 'smtp.example', port: 587, from: 'a@b.example', auth: { user: USER, pass: '' } },
    ];
    for (const options of bad) {
      let error: unknown;
      try {
        createSmtpMailer({ ...options, auth: options.auth ?? { user: USER, pass: PASS } });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect(everythingAbout(error)).not.toContain(PASS);
      expect(everythingAbout(error)).not.toContain(USER);
    }
  });
});
