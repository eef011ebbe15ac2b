import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createConsoleMailer,
  createMemoryMailer,
  defaultMailTemplates,
  InvalidMailMessageError,
  type MailMessage,
} from '../../src/mail/index.js';

const LINK = 'https://app.example/auth/verify-email?token=abc123';

describe('createConsoleMailer', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints the recipient, the subject and the text with its link', async () => {
    const lines: string[] = [];
    const mailer = createConsoleMailer((line) => lines.push(line));
    const content = defaultMailTemplates.verifyEmail({ appName: 'Acme', link: LINK, expiresInMinutes: 60 });
    await mailer.send({ to: 'ada@example.com', ...content });
    expect(lines).toContain('To: ada@example.com');
    expect(lines).toContain('Subject: Verify your email address for Acme');
    expect(lines).toContain(LINK);
    expect(lines.join('\n')).not.toContain('<html');
    expect(lines.every((line) => !line.includes('\n'))).toBe(true);
  });

  it('defaults to console.log', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await createConsoleMailer().send({ to: 'ada@example.com', subject: 'Hello', text: `Open ${LINK}` });
    const printed = log.mock.calls.map((call) => String(call[0]));
    expect(printed).toContain('To: ada@example.com');
    expect(printed).toContain(`Open ${LINK}`);
  });

  it('neutralises terminal escape sequences and refuses invalid messages', async () => {
    const lines: string[] = [];
    const mailer = createConsoleMailer((line) => lines.push(line));
    await mailer.send({ to: 'ada@example.com', subject: 'Hi', text: 'a\u001b[2Jb' });
    expect(lines.join('\n')).not.toContain('\u001b');
    await expect(mailer.send({ to: 'not an address', subject: 'Hi', text: 'x' })).rejects.toBeInstanceOf(
      InvalidMailMessageError,
    );
  });
});

describe('createMemoryMailer', () => {
  it('keeps sent messages in order', async () => {
    const mailer = createMemoryMailer();
    const first = {
      to: 'ada@example.com',
      ...defaultMailTemplates.passwordReset({ appName: 'Acme', link: LINK, expiresInMinutes: 15 }),
    };
    await mailer.send(first);
    await mailer.send({ to: 'bob@example.com', subject: 'Hi Bob', text: 'Hello' });
    await mailer.send({ to: 'ada@example.com', subject: 'Hi again', text: 'Hello' });
    expect(mailer.messages.map((m) => m.subject)).toEqual([first.subject, 'Hi Bob', 'Hi again']);
    expect(mailer.messages[0]).toEqual(first);
    expect(mailer.last()?.subject).toBe('Hi again');
    expect(mailer.last('BOB@example.com')?.subject).toBe('Hi Bob');
    expect(mailer.last('nobody@example.com')).toBeUndefined();
    expect(mailer.messages[0]?.text.match(/https?:\/\/\S+/)?.[0]).toBe(LINK);
  });

  it('stores a frozen copy, so later changes to the caller object do not leak in', async () => {
    const mailer = createMemoryMailer();
    const message: MailMessage = { to: 'ada@example.com', subject: 'Hi', text: 'one' };
    await mailer.send(message);
    message.text = 'two';
    expect(mailer.messages[0]?.text).toBe('one');
    expect(Object.isFrozen(mailer.messages[0])).toBe(true);
  });

  it('clears, and refuses the same invalid messages as the SMTP mailer', async () => {
    const mailer = createMemoryMailer();
    await mailer.send({ to: 'ada@example.com', subject: 'Hi', text: 'x' });
    mailer.clear();
    expect(mailer.messages).toHaveLength(0);
    await expect(
      mailer.send({ to: 'ada@example.com,eve@example.com', subject: 'Hi', text: 'x' }),
    ).rejects.toMatchObject({ code: 'ERR_MAIL_INVALID_MESSAGE', field: 'to' });
    await expect(mailer.send({ to: 'ada@example.com', subject: 'a\nb', text: 'x' })).rejects.toMatchObject({
      field: 'subject',
    });
    expect(mailer.messages).toHaveLength(0);
  });
});
