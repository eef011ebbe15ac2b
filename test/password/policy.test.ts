import { dictionary } from '@zxcvbn-ts/language-common';
import { describe, expect, it } from 'vitest';
import { ConfigError, InputTooLargeError, ValidationError, WeakPasswordError } from '../../src/errors.js';
import { DEFAULT_PASSWORD_POLICY, PasswordService } from '../../src/password/index.js';
import { CHEAP_ARGON2, randomPassword } from './helpers.js';

const service = new PasswordService({ argon2: CHEAP_ARGON2 });
const rules = (password: string, svc = service, context?: { email?: string; username?: string }) =>
  svc.validate(password, context).map((issue) => issue.rule);

describe('defaults', () => {
  it('are NIST SP 800-63B-4 defaults: 15..64 code points, 1024 bytes, no composition rules', () => {
    expect(DEFAULT_PASSWORD_POLICY).toMatchObject({
      minLength: 15,
      maxLength: 64,
      maxBytes: 1024,
      requireDigit: false,
      requireUppercase: false,
      requireLowercase: false,
      blocklist: true,
      forbidContext: true,
    });
    expect(Object.isFrozen(DEFAULT_PASSWORD_POLICY)).toBe(true);
    expect(service.policy).toEqual(DEFAULT_PASSWORD_POLICY);
  });
});

describe('PW-01 minimum length in code points after NFC', () => {
  it('rejects 14 random characters and accepts 15', () => {
    expect(rules(randomPassword(14))).toEqual(['password_too_short']);
    expect(rules(randomPassword(15))).toEqual([]);
  });

  it('counts code points, not UTF-16 units', () => {
    expect('😀'.repeat(14).length).toBe(28);
    expect(rules('😀'.repeat(14))).toEqual(['password_too_short']);
    expect(rules('😀'.repeat(15))).toEqual([]);
  });

  it('counts after NFC: 15 NFD "é" (30 code points raw) is 15 after normalization', () => {
    expect(rules('e\u0301'.repeat(14))).toEqual(['password_too_short']);
    expect(rules('e\u0301'.repeat(64))).toEqual([]);
    expect(rules('e\u0301'.repeat(65))).toEqual(['password_too_long']);
  });

  it('accepts 8 when minLength is 8 (MFA enforced)', () => {
    const mfa = new PasswordService({ argon2: CHEAP_ARGON2, policy: { minLength: 8 } });
    expect(rules(randomPassword(8), mfa)).toEqual([]);
    expect(rules(randomPassword(7), mfa)).toEqual(['password_too_short']);
  });

  it('refuses a minLength below 8 with a ConfigError naming the field', () => {
    expect(() => new PasswordService({ policy: { minLength: 6 } })).toThrow(ConfigError);
    try {
      new PasswordService({ policy: { minLength: 6, maxLength: 10 } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.path)).toEqual([
        'policy.minLength',
        'policy.maxLength',
      ]);
    }
    expect(() => new PasswordService({ policy: { maxBytes: 100 } })).toThrow(ConfigError);
    expect(() => new PasswordService({ policy: { blocklist: 'yes' as unknown as boolean } })).toThrow(
      ConfigError,
    );
  });
});

describe('PW-02 maximum length and the byte cap', () => {
  it('accepts a 64-character passphrase and rejects 65 characters', () => {
    const passphrase = 'the quick brown fox jumps over the lazy dog, then naps in the sun';
    expect([...passphrase].length).toBe(65);
    expect(rules(passphrase.slice(0, 64))).toEqual([]);
    expect(rules(passphrase)).toEqual(['password_too_long']);
  });

  it('throws InputTooLargeError for 1 MiB from validate and assertValid', () => {
    const huge = 'a'.repeat(1024 * 1024);
    expect(() => service.validate(huge)).toThrow(InputTooLargeError);
    expect(() => service.assertValid(huge)).toThrow(InputTooLargeError);
    try {
      service.validate(huge);
      expect.unreachable();
    } catch (error) {
      expect((error as InputTooLargeError).field).toBe('password');
      expect((error as InputTooLargeError).code).toBe('ERR_INPUT_TOO_LARGE');
    }
  });

  it('measures the cap in UTF-8 bytes of the raw input', () => {
    const svc = new PasswordService({ argon2: CHEAP_ARGON2, policy: { maxLength: 64, maxBytes: 256 } });
    expect(rules('😀'.repeat(64), svc)).toEqual([]); // 256 bytes
    expect(() => svc.validate(`${'😀'.repeat(64)}a`)).toThrow(InputTooLargeError);
  });

  it('throws a ValidationError for a non-string', () => {
    expect(() => service.validate(['a'] as unknown as string)).toThrow(ValidationError);
  });
});

describe('PW-03 no composition rules by default', () => {
  it('accepts "correct horse battery staple"', () => {
    expect(service.validate('correct horse battery staple')).toEqual([]);
    expect(() => service.assertValid('correct horse battery staple')).not.toThrow();
  });

  it('accepts printable ASCII, spaces and Unicode', () => {
    expect(rules(' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')).toEqual([]);
    expect(rules('пароль для входа в систему 🙂')).toEqual([]);
  });

  it('never mentions upper case, digits or symbols when the composition rules are off', () => {
    const failing = ['password', '', 'x'.repeat(65), 'alice.smith is my name', 'passwordpassword'];
    for (const password of failing) {
      for (const issue of service.validate(password, { username: 'alice.smith' })) {
        expect(issue.message).not.toMatch(/upper|lower-case|digit|symbol|number|special/i);
      }
    }
  });
});

describe('PW-04 blocklist and context words', () => {
  const entry = dictionary['passwords-common'].find((p) => [...p].length >= 15 && /^[a-z]+$/.test(p));

  it('rejects a common-password list entry by whole-string, case-insensitive comparison', () => {
    expect(entry).toBeDefined();
    expect(rules(entry!)).toEqual(['password_blocklisted']);
    expect(rules(entry!.toUpperCase())).toEqual(['password_blocklisted']);
    expect(rules('passwordpassword')).toEqual(['password_blocklisted']);
  });

  it('accepts the entry with a random suffix', () => {
    expect(rules(`${entry!}${randomPassword(4)}`)).toEqual([]);
  });

  it('rejects extraBlocklist entries case-insensitively even with the common list off', () => {
    const svc = new PasswordService({
      argon2: CHEAP_ARGON2,
      policy: { blocklist: false, extraBlocklist: ['Gatehouse Password 1'] },
    });
    expect(rules('gatehouse password 1', svc)).toEqual(['password_blocklisted']);
    expect(rules('GATEHOUSE PASSWORD 1!', svc)).toEqual([]);
    expect(rules('passwordpassword', svc)).toEqual([]);
  });

  it('rejects the username and the email local part inside the password', () => {
    const context = { username: 'alice.smith', email: 'alice.smith@example.com' };
    expect(rules('alice.smith-2026!!', service, context)).toEqual(['password_contains_context']);
    expect(rules('my name is ALICE.SMITH really', service, context)).toEqual(['password_contains_context']);
    expect(rules('alice.smith-2026!!', service, { email: 'alice.smith@example.com' })).toEqual([
      'password_contains_context',
    ]);
    expect(rules('alice.smith-2026!!', service)).toEqual([]);
  });

  it('rejects the application name, and ignores context words under 3 characters', () => {
    const svc = new PasswordService({ argon2: CHEAP_ARGON2, policy: { appName: 'Gatehouse' } });
    expect(rules('my gatehouse secret!', svc)).toEqual(['password_contains_context']);
    expect(rules('a long passphrase with al in it', svc, { username: 'al' })).toEqual([]);
  });

  it('can turn the context rule off', () => {
    const svc = new PasswordService({ argon2: CHEAP_ARGON2, policy: { forbidContext: false } });
    expect(rules('alice.smith-2026!!', svc, { username: 'alice.smith' })).toEqual([]);
  });
});

describe('validate reports every failed rule', () => {
  it('lists several failures at once and assertValid carries them all', () => {
    const svc = new PasswordService({
      argon2: CHEAP_ARGON2,
      policy: { requireDigit: true, requireUppercase: true },
    });
    expect(rules('password', svc)).toEqual([
      'password_too_short',
      'password_blocklisted',
      'password_requires_digit',
      'password_requires_uppercase',
    ]);
    try {
      svc.assertValid('password', { username: 'password' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(WeakPasswordError);
      const weak = error as WeakPasswordError;
      expect(weak.code).toBe('ERR_WEAK_PASSWORD');
      expect(weak.issues.map((i) => i.rule)).toEqual([
        'password_too_short',
        'password_blocklisted',
        'password_contains_context',
        'password_requires_digit',
        'password_requires_uppercase',
      ]);
      expect(weak.issues.every((i) => i.field === 'password' && i.message.length > 0)).toBe(true);
    }
  });
});

describe('optional composition rules', () => {
  const svc = new PasswordService({
    argon2: CHEAP_ARGON2,
    policy: { requireDigit: true, requireUppercase: true, requireLowercase: true },
  });

  it('enforces each enabled rule, Unicode-aware', () => {
    expect(rules('ALL UPPER CASE LETTERS', svc)).toEqual([
      'password_requires_digit',
      'password_requires_lowercase',
    ]);
    expect(rules('all lower case letters', svc)).toEqual([
      'password_requires_digit',
      'password_requires_uppercase',
    ]);
    expect(rules('Mixed case with digit 7', svc)).toEqual([]);
    expect(rules('ÉCOLE été numéro ٣ ok', svc)).toEqual([]);
  });

  it('mentions composition in messages only when enabled', () => {
    const messages = svc.validate('nothing but lower case').map((i) => i.message);
    expect(messages.join(' ')).toMatch(/digit/);
    expect(messages.join(' ')).toMatch(/upper-case/);
  });
});

describe('control characters in new passwords (NIST SP 800-63B-4 §3.1.1.2, RFC 8265 §4.2)', () => {
  const base = 'violet-otter-42-lantern';
  it.each([
    ['NUL', '\u0000'],
    ['TAB', '\t'],
    ['LF', '\n'],
    ['CR', '\r'],
    ['ESC', '\u001b'],
    ['DEL', '\u007f'],
    ['C1 NEL', '\u0085'],
    ['C1 CSI', '\u009b'],
  ])('refuses %s anywhere, with a message that says what is allowed', (_name, control) => {
    for (const password of [`${control}${base}`, `${base}${control}`, `violet${control}otter-42-lantern`]) {
      const issues = service.validate(password);
      expect(issues.map((i) => i.rule)).toEqual(['password_contains_control']);
      expect(issues[0]?.field).toBe('password');
      expect(issues[0]?.message).toMatch(/control characters/);
      expect(issues[0]?.message).toMatch(/spaces/);
      expect(() => service.assertValid(password)).toThrow(WeakPasswordError);
    }
  });

  it('still accepts spaces, no-break spaces, symbols, emoji and other scripts', () => {
    for (const password of [
      'correct horse battery staple',
      'violet\u00a0otter\u00a042\u00a0lantern',
      'violet\u3000otter 42 lantern',
      '🙂 violet-otter-42-lantern 🚀',
      'пароль для входа в систему',
      'violet\u200dotter-42-lantern',
    ]) {
      expect(rules(password), JSON.stringify(password)).toEqual([]);
    }
  });

  it('is a rule for setting a password only: a hash of one with a LF still verifies', async () => {
    const legacy = `violet-otter\n42-lantern`;
    const stored = await service.hash(legacy);
    expect(await service.verify(legacy, stored)).toMatchObject({ ok: true });
    expect(await service.verify('violet-otter42-lantern', stored)).toMatchObject({ ok: false });
  });
});
