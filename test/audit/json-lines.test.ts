import { describe, expect, it } from 'vitest';
import { toJsonLine } from '../../src/audit/json-lines.js';
import { subscribeJsonLines } from '../../src/index.js';
import { GOOD_PASSWORD, testGatehouse } from '../support/gatehouse.js';

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Every code point that must never reach a log line as itself, by class: C0 controls, DEL, C1
 * controls (with NEL U+0085), the line and paragraph separators, and the bidirectional controls.
 */
const UNSAFE_CLASSES: Record<string, number[]> = {
  C0: range(0x00, 0x1f),
  DEL: [0x7f],
  C1: range(0x80, 0x9f),
  'line and paragraph separators': [0x2028, 0x2029],
  bidirectional: [0x061c, 0x200e, 0x200f, ...range(0x202a, 0x202e), ...range(0x2066, 0x2069)],
};

/** Characters that are text and stay as they are. */
const SAFE = [
  'A',
  ' ',
  '~',
  '\u00a0',
  '\u00e9',
  '\u00ff',
  '\u0100',
  '\u2027',
  '\u202f',
  '\u3042',
  '\ud83d\ude00',
];

/** What a line may contain: printable ASCII and printable non-ASCII outside the classes above. */
function onlyPrintable(line: string): boolean {
  for (const char of line) {
    const code = char.codePointAt(0) as number;
    if (Object.values(UNSAFE_CLASSES).some((codes) => codes.includes(code))) return false;
  }
  return true;
}

describe('JSON-lines audit sink', () => {
  it('writes one parseable line per event, with UTC time, and never a secret', async () => {
    const gh = testGatehouse();
    const lines: string[] = [];
    subscribeJsonLines(gh.events, (line) => lines.push(line));
    const context = { ip: '198.51.100.4', userAgent: 'evil\r\n{"type":"login.succeeded"}\u001b[31m' };
    await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD }, context);
    await gh.auth
      .login({ identifier: 'ada@example.com', password: 'wrong-password-here' }, context)
      .catch(() => {});
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.endsWith('\n')).toBe(true);
      for (const control of ['\r', '\n', '\u001b']) expect(line.slice(0, -1)).not.toContain(control);
      const record = JSON.parse(line);
      expect(record.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(record.ip).toBe('198.51.100.4');
      expect(record.userAgent).toBe(context.userAgent);
    }
    expect(JSON.parse(lines[1] as string)).toMatchObject({
      type: 'login.failed',
      outcome: 'failure',
      reason: 'wrong_password',
    });
    expect(lines.join('')).not.toContain(GOOD_PASSWORD);
    expect(lines.join('')).not.toContain('wrong-password-here');
  });

  it('logs failures at warn and the rest at info with a pino-like logger', async () => {
    const gh = testGatehouse();
    const calls: [string, object, string | undefined][] = [];
    const unsubscribe = subscribeJsonLines(gh.events, {
      info: (object, message) => calls.push(['info', object, message]),
      warn: (object, message) => calls.push(['warn', object, message]),
    });
    await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
    await gh.auth.login({ identifier: 'nobody@example.com', password: GOOD_PASSWORD }).catch(() => {});
    unsubscribe();
    await gh.auth.login({ identifier: 'nobody@example.com', password: GOOD_PASSWORD }).catch(() => {});
    expect(calls.map(([level, , message]) => `${level}:${message}`)).toEqual([
      'info:user.registered',
      'warn:login.failed',
    ]);
  });

  it('logs an authorization deny as a failure at warn, a grant at info (LO-01)', () => {
    const gh = testGatehouse();
    const calls: [string, Record<string, unknown>][] = [];
    subscribeJsonLines(gh.events, {
      info: (object) => calls.push(['info', object as Record<string, unknown>]),
      warn: (object) => calls.push(['warn', object as Record<string, unknown>]),
    });
    const decision = { subject: 'user:ada', action: 'view', resource: 'doc:1', durationMs: 0.2 };
    gh.events.emit('authz.decision', undefined, gh.clock.now(), {
      ...decision,
      allowed: true,
      code: 'granted',
      failClosed: false,
    });
    gh.events.emit('authz.decision', undefined, gh.clock.now(), {
      ...decision,
      allowed: false,
      code: 'store_error',
      failClosed: true,
    });
    expect(calls.map(([level, record]) => [level, record.outcome, record.code])).toEqual([
      ['info', 'success', 'granted'],
      ['warn', 'failure', 'store_error'],
    ]);
  });

  it.each(Object.entries(UNSAFE_CLASSES))(
    'writes every %s code point as a \\u escape, one line, and the value reads back exactly (ASVS V16.4.1)',
    async (_class, codes) => {
      const gh = testGatehouse();
      const lines: string[] = [];
      subscribeJsonLines(gh.events, (line) => lines.push(line));
      for (const code of codes) {
        const userAgent = `a${String.fromCodePoint(code)}{"type":"login.succeeded"}`;
        gh.events.emit('rate.limited', { ip: '198.51.100.4', userAgent }, gh.clock.now(), {
          bucket: 'x',
          retryAfter: 1,
        });
        const line = lines.at(-1) as string;
        expect(line.endsWith('\n')).toBe(true);
        const body = line.slice(0, -1);
        expect(onlyPrintable(body), `U+${code.toString(16).padStart(4, '0')}`).toBe(true);
        expect(body.split(/\r\n|[\n\r\u0085\u2028\u2029\v\f]/)).toHaveLength(1);
        // JSON's own short escapes (\b, \t, \n, \f, \r) for those it has, else \uXXXX.
        const escaped =
          code < 0x20
            ? JSON.stringify(String.fromCodePoint(code)).slice(1, -1)
            : `\\u${code.toString(16).padStart(4, '0')}`;
        expect(body).toContain(`a${escaped}{`);
        expect(JSON.parse(body).userAgent).toBe(userAgent);
      }
      expect(lines).toHaveLength(codes.length);
    },
  );

  it('leaves printable text, accents, CJK and emoji as they are; escapes a lone surrogate', () => {
    for (const text of SAFE) expect(toJsonLine({ text })).toBe(`{"text":"${text}"}`);
    expect(toJsonLine({ text: '\ud800' })).toBe('{"text":"\\ud800"}');
  });

  it('hands a pino-like logger strings with every such character spelled out, nested in arrays too', () => {
    const gh = testGatehouse();
    const records: Record<string, unknown>[] = [];
    subscribeJsonLines(gh.events, {
      info: (object) => records.push(object as Record<string, unknown>),
      warn: (object) => records.push(object as Record<string, unknown>),
    });
    const all = Object.values(UNSAFE_CLASSES).flat();
    const userAgent = all.map((code) => String.fromCodePoint(code)).join('');
    gh.events.emit('api_key.created', { ip: null, userAgent }, gh.clock.now(), {
      userId: 'u',
      keyId: 'k',
      scopes: ['read\u2028write', 'ok'],
    });
    const [record] = records as [Record<string, unknown>];
    expect(onlyPrintable(JSON.stringify(record))).toBe(true);
    expect(record.userAgent).toBe(all.map((code) => `\\u${code.toString(16).padStart(4, '0')}`).join(''));
    expect(record.scopes).toEqual(['read\\u2028write', 'ok']);
    expect(record.ip).toBeNull();
  });

  it('logs token.rejected at warn as a failure', async () => {
    const gh = testGatehouse();
    const calls: [string, Record<string, unknown>][] = [];
    subscribeJsonLines(gh.events, {
      info: (object) => calls.push(['info', object as Record<string, unknown>]),
      warn: (object) => calls.push(['warn', object as Record<string, unknown>]),
    });
    await gh.auth.authenticate('not a token', { ip: '198.51.100.4', userAgent: 'x' }).catch(() => {});
    expect(calls).toEqual([
      [
        'warn',
        expect.objectContaining({
          type: 'token.rejected',
          outcome: 'failure',
          code: 'ERR_TOKEN_INVALID',
          check: 'format',
          reason: 'malformed',
          ip: '198.51.100.4',
        }),
      ],
    ]);
  });
});
