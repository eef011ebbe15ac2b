/**
 * End to end over real SMTP: gatehouse sends with `createSmtpMailer` to an `smtp-server` on
 * 127.0.0.1, and the links are read from the mails the server received — registration ->
 * verification link -> verify; reset request -> reset link -> confirm -> log in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidCredentialsError } from '../../src/errors.js';
import { createSmtpMailer, type SmtpMailer } from '../../src/index.js';
import { startSmtpServer, type TestSmtpServer } from '../mail/smtp-test-server.js';
import { GOOD_PASSWORD, testGatehouse } from '../support/gatehouse.js';
import { signIn, tokenLink } from './support.js';

const EMAIL = 'ada@example.com';
const NEW_PASSWORD = 'copper-heron-77-meadow-path';

describe('account flows over a real SMTP server on loopback', () => {
  let server: TestSmtpServer;
  let mailer: SmtpMailer;

  beforeAll(async () => {
    server = await startSmtpServer();
    // Plain TCP is acceptable only because the server is on loopback in this test.
    mailer = createSmtpMailer({
      host: '127.0.0.1',
      port: server.port,
      from: 'Acme <no-reply@acme.example>',
      ignoreTLS: true,
      requireTLS: false,
      timeoutMs: 5000,
    });
  });
  afterAll(async () => {
    mailer?.close();
    await server?.close();
  });

  it('register -> verify with the mailed link; reset -> confirm with the mailed link -> log in', async () => {
    const gh = testGatehouse({
      mail: { mailer },
      account: { baseUrl: 'https://app.example.com', appName: 'Acme' },
    });
    const before = server.received.length;
    const user = await gh.auth.register({ email: EMAIL, password: GOOD_PASSWORD }, { ip: '198.51.100.1' });

    const [welcome] = (await server.waitForMessages(before + 1)).slice(before);
    expect(welcome?.rcptTo).toEqual([EMAIL]);
    expect(welcome?.mailFrom).toBe('no-reply@acme.example');
    expect(welcome?.parsed.subject).toBe('Verify your email address for Acme');
    const verifyLink = tokenLink({ text: welcome?.parsed.text ?? '' });
    expect(verifyLink.origin + verifyLink.pathname).toBe('https://app.example.com/verify-email');
    // The HTML part carries the same link.
    expect(String(welcome?.parsed.html)).toContain(verifyLink.href);

    await gh.account.verifyEmail(verifyLink.searchParams.get('token'));
    expect((await gh.store.users.findById(user.id))?.emailVerifiedAt).not.toBeNull();

    await gh.account.requestPasswordReset(EMAIL, { ip: '198.51.100.1' });
    const [reset] = (await server.waitForMessages(before + 2)).slice(before + 1);
    expect(reset?.rcptTo).toEqual([EMAIL]);
    expect(reset?.parsed.subject).toBe('Reset your Acme password');
    const resetLink = tokenLink({ text: reset?.parsed.text ?? '' });
    expect(resetLink.origin + resetLink.pathname).toBe('https://app.example.com/reset-password');

    await gh.account.confirmPasswordReset(resetLink.searchParams.get('token'), NEW_PASSWORD);
    expect((await signIn(gh, EMAIL, NEW_PASSWORD)).accessToken).toBeTruthy();
    await expect(gh.auth.login({ identifier: EMAIL, password: GOOD_PASSWORD })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );

    // The owner gets the "password changed" notice over SMTP as well.
    const [notice] = (await server.waitForMessages(before + 3)).slice(before + 2);
    expect(notice?.rcptTo).toEqual([EMAIL]);
    expect(notice?.parsed.subject).toBe('Your Acme password was changed');
    expect(notice?.parsed.text).not.toContain('token=');
  });
});
