import { describe, expect, it } from 'vitest';
import { subscribeJsonLines } from '../../src/index.js';
import { GOOD_PASSWORD, testGatehouse } from '../support/gatehouse.js';

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
});
