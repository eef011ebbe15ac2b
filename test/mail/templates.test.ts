import { describe, expect, it } from 'vitest';
import {
  defaultMailTemplates,
  escapeHtml,
  MAIL_TEMPLATE_KINDS,
  type MailContent,
  type MailTemplates,
  mergeMailTemplates,
  safeLink,
  UnsafeLinkError,
} from '../../src/mail/index.js';

const LINK = 'https://app.example/auth/reset?token=abc123&uid=42';
const AT = new Date('2025-03-04T05:06:07Z');

/** One rendering of every template, with the same app name. */
function renderAll(
  appName: string,
  templates: MailTemplates = defaultMailTemplates,
): Record<string, MailContent> {
  return {
    verifyEmail: templates.verifyEmail({ appName, link: LINK, expiresInMinutes: 30 }),
    passwordReset: templates.passwordReset({ appName, link: LINK, expiresInMinutes: 60 }),
    passwordChanged: templates.passwordChanged({ appName, at: AT }),
    emailChangeRequested: templates.emailChangeRequested({
      appName,
      link: LINK,
      expiresInMinutes: 1440,
      newEmail: 'new@example.com',
    }),
    emailChanged: templates.emailChanged({ appName, at: AT, newEmail: 'new@example.com' }),
    accountLocked: templates.accountLocked({ appName, until: AT }),
    securityNotice: templates.securityNotice({ appName, event: 'New sign-in', at: AT }),
  };
}

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
    expect(escapeHtml('plain text')).toBe('plain text');
  });
});

describe('default mail templates', () => {
  it('render every kind with a subject, a text body and an html body', () => {
    const all = renderAll('Acme');
    expect(Object.keys(all)).toEqual([...MAIL_TEMPLATE_KINDS]);
    for (const content of Object.values(all)) {
      expect(content.subject).toContain('Acme');
      expect(content.subject).not.toMatch(/[\r\n]/);
      expect(content.text).toContain('Acme');
      expect(content.html).toMatch(/^<!doctype html>/);
    }
    expect(all.verifyEmail?.text).toContain(LINK);
    expect(all.verifyEmail?.text).toContain('expires in 30 minutes');
    expect(all.passwordReset?.text).toContain('expires in 1 hour');
    expect(all.emailChangeRequested?.text).toContain('expires in 1 day');
    expect(all.emailChangeRequested?.text).toContain('new@example.com');
    expect(all.passwordChanged?.text).toContain('Tue, 04 Mar 2025 05:06:07 UTC');
    expect(all.accountLocked?.text).toContain('locked until Tue, 04 Mar 2025 05:06:07 UTC');
    expect(all.securityNotice?.text).toContain('Event: New sign-in');
  });

  it('put the link in an href with the & escaped, and nowhere else unescaped in the html', () => {
    const { html } = defaultMailTemplates.passwordReset({
      appName: 'Acme',
      link: LINK,
      expiresInMinutes: 15,
    });
    expect(html).toContain('href="https://app.example/auth/reset?token=abc123&amp;uid=42"');
    expect(html).not.toContain('abc123&uid');
  });

  it('escape <script> in the app name in every html body', () => {
    const evil = '<script>alert("pwned")</script>';
    for (const [kind, content] of Object.entries(renderAll(evil))) {
      expect(content.html, kind).not.toContain('<script>');
      expect(content.html, kind).not.toContain('"pwned"');
      expect(content.html, kind).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
    }
  });

  it('escape attacker-controlled details and keep them from forging lines', () => {
    const { text, html, subject } = defaultMailTemplates.securityNotice({
      appName: 'Acme\r\nBcc: eve@example.com',
      event: 'New sign-in',
      at: AT,
      ipAddress: '203.0.113.7',
      userAgent: 'Mozilla/5.0 "><img src=x onerror=alert(1)>\n\nUrgent: confirm at https://evil.example',
    });
    expect(subject).toBe('Security notice for your Acme Bcc: eve@example.com account: New sign-in');
    expect(html).not.toContain('<img');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    const deviceLine = text.split('\n').find((line) => line.startsWith('Device:'));
    expect(deviceLine).toContain('Urgent: confirm at https://evil.example');
    expect(text.split('\n').some((line) => line.startsWith('Urgent'))).toBe(false);
  });

  it('normalise a link so quotes and angle brackets cannot leave the href', () => {
    const { html } = defaultMailTemplates.verifyEmail({
      appName: 'Acme',
      link: 'https://app.example/verify?t=1"><script>alert(1)</script>',
      expiresInMinutes: 10,
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain('href="https://app.example/verify?t=1%22%3E%3Cscript%3Ealert(1)%3C/script%3E"');
  });

  it('refuse javascript: and every other non-http(s) link by throwing', () => {
    const unsafe = [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(document.cookie)',
      ' javascript:alert(1)',
      'java\tscript:alert(1)',
      'vbscript:msgbox(1)',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      '/relative/path?token=abc',
      '//app.example/verify',
      'https://user:pass@app.example/verify',
      'not a url',
      '',
    ];
    for (const link of unsafe) {
      for (const render of [
        () => defaultMailTemplates.verifyEmail({ appName: 'Acme', link, expiresInMinutes: 10 }),
        () => defaultMailTemplates.passwordReset({ appName: 'Acme', link, expiresInMinutes: 10 }),
        () =>
          defaultMailTemplates.emailChangeRequested({
            appName: 'Acme',
            link,
            expiresInMinutes: 10,
            newEmail: 'new@example.com',
          }),
      ]) {
        let error: unknown;
        try {
          render();
        } catch (e) {
          error = e;
        }
        expect(error, JSON.stringify(link)).toBeInstanceOf(UnsafeLinkError);
        expect(error).toMatchObject({ code: 'ERR_MAIL_UNSAFE_LINK' });
      }
    }
  });

  it('accept https: and http: links', () => {
    expect(safeLink('https://app.example/v?t=1')).toBe('https://app.example/v?t=1');
    expect(safeLink('http://localhost:3000/v?t=1')).toBe('http://localhost:3000/v?t=1');
  });

  it('reject invalid inputs with a TypeError', () => {
    expect(() =>
      defaultMailTemplates.verifyEmail({ appName: 'Acme', link: LINK, expiresInMinutes: 0 }),
    ).toThrow(TypeError);
    expect(() =>
      defaultMailTemplates.verifyEmail({ appName: 'Acme', link: LINK, expiresInMinutes: Number.NaN }),
    ).toThrow(TypeError);
    expect(() => defaultMailTemplates.passwordChanged({ appName: 'Acme', at: new Date('nope') })).toThrow(
      TypeError,
    );
    expect(() => defaultMailTemplates.accountLocked({ appName: '  ', until: AT })).toThrow(TypeError);
  });

  it('round a fractional lifetime down to whole minutes, at least one', () => {
    const render = (expiresInMinutes: number) =>
      defaultMailTemplates.passwordReset({ appName: 'Acme', link: LINK, expiresInMinutes }).text;
    expect(render(90 / 60)).toContain('expires in 1 minute ');
    expect(render(0.5)).toContain('expires in 1 minute ');
    expect(render(125.9)).toContain('expires in 125 minutes');
    expect(render(120)).toContain('expires in 2 hours');
  });

  it('leave the new address out of the email-changed notice when not given', () => {
    const { text } = defaultMailTemplates.emailChanged({ appName: 'Acme', at: AT });
    expect(text).toContain('The email address of your Acme account was changed on');
    expect(text).not.toContain('@');
  });
});

describe('mergeMailTemplates', () => {
  const custom = ({ appName, link }: { appName: string; link: string }): MailContent => ({
    subject: `[${appName}] Password reset`,
    text: `Reset: ${safeLink(link)}`,
    html: `<a href="${escapeHtml(safeLink(link))}">Reset</a>`,
  });

  it('replaces one template and keeps the others', () => {
    const templates = mergeMailTemplates({ passwordReset: custom });
    expect(templates.passwordReset).toBe(custom);
    expect(templates.passwordReset({ appName: 'Acme', link: LINK, expiresInMinutes: 5 }).subject).toBe(
      '[Acme] Password reset',
    );
    for (const kind of MAIL_TEMPLATE_KINDS) {
      if (kind !== 'passwordReset') expect(templates[kind]).toBe(defaultMailTemplates[kind]);
    }
    expect(renderAll('Acme', templates).verifyEmail).toEqual(renderAll('Acme').verifyEmail);
    // The defaults themselves are untouched.
    expect(defaultMailTemplates.passwordReset).not.toBe(custom);
    expect(Object.isFrozen(templates)).toBe(true);
  });

  it('builds on a given base and ignores undefined entries', () => {
    const base = mergeMailTemplates({ passwordReset: custom });
    const templates = mergeMailTemplates({ verifyEmail: undefined }, base);
    expect(templates.passwordReset).toBe(custom);
    expect(templates.verifyEmail).toBe(defaultMailTemplates.verifyEmail);
  });

  it('rejects an unknown template name or a non-function', () => {
    expect(() => mergeMailTemplates({ passwordRest: custom } as unknown as Partial<MailTemplates>)).toThrow(
      /Unknown mail template "passwordRest"/,
    );
    expect(() => mergeMailTemplates({ verifyEmail: 'nope' } as unknown as Partial<MailTemplates>)).toThrow(
      TypeError,
    );
  });
});
