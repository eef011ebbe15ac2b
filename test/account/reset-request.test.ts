/**
 * A password-reset request does the same work for a registered and an unknown address before it
 * answers (OWASP ASVS 5.0 V6.3.8; Forgot Password Cheat Sheet, "consistent response time"): the
 * per-IP limit and the address's syntax, and not one store call that depends on the account. The
 * look-up, the event, the token and the mail come after the answer, on a later turn of the event
 * loop. (How long each path takes is measured by `npm run bench -- timing`, not here.)
 */
import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../src/errors.js';
import { createMemoryStore, type Store } from '../../src/index.js';
import { GOOD_PASSWORD } from '../support/gatehouse.js';
import { mailGatehouse, settle, waitForMail } from './support.js';

const EMAIL = 'ada@example.com';
const CTX = { ip: '198.51.100.7', userAgent: 'reset-request-test' };

/** The memory store, with every repository call written to `calls` as `repository.method`. */
function recordingStore(calls: string[]): Store {
  const store = createMemoryStore();
  const wrap = <T extends object>(name: string, repository: T): T =>
    new Proxy(repository, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(`${name}.${String(prop)}`);
          return value.apply(target, args);
        };
      },
    });
  return {
    ...store,
    users: wrap('users', store.users),
    tokens: wrap('tokens', store.tokens),
    state: wrap('state', store.state),
    counters: wrap('counters', store.counters),
  };
}

async function setup() {
  const calls: string[] = [];
  const gh = mailGatehouse({ store: recordingStore(calls), account: { emailVerification: 'off' } });
  await gh.auth.register({ email: EMAIL, password: GOOD_PASSWORD });
  await settle();
  gh.seen.length = 0;
  calls.length = 0;
  return { gh, calls };
}

const requested = (gh: Awaited<ReturnType<typeof setup>>['gh']) =>
  gh.seen.filter((e) => e.type === 'password.reset_requested');

describe('password-reset request: the same work before the answer', () => {
  it('a registered and an unknown address make the same store calls before the answer, and none reads the account', async () => {
    const { gh, calls } = await setup();
    const before: Record<string, string[]> = {};
    for (const [name, address] of [
      ['registered', EMAIL],
      ['unknown', 'nobody@example.com'],
    ] as const) {
      calls.length = 0;
      await gh.account.requestPasswordReset(address, CTX);
      before[name] = [...calls];
      // Answered: nothing about the account has happened yet.
      expect(requested(gh)).toEqual([]);
      expect(gh.mailer.messages).toEqual([]);
      await settle();
      gh.seen.length = 0;
      gh.mailer.clear();
    }
    expect(before.registered).toEqual(before.unknown);
    expect(before.registered?.some((call) => call.startsWith('users.') || call.startsWith('state.'))).toBe(
      false,
    );
  });

  it('after the answer, the registered address gets its event and mail; the unknown one its event only', async () => {
    const { gh, calls } = await setup();
    await gh.account.requestPasswordReset(EMAIL, CTX);
    await gh.account.requestPasswordReset('nobody@example.com', CTX);
    await waitForMail(gh.mailer, EMAIL, '/reset-password');
    await settle();
    expect(requested(gh)).toEqual([
      expect.objectContaining({ userId: expect.any(String), ip: CTX.ip }),
      expect.objectContaining({ userId: null, ip: CTX.ip }),
    ]);
    expect(gh.mailer.messages.map((m) => m.to)).toEqual([EMAIL]);
    expect(calls.filter((call) => call === 'users.findByEmail')).toHaveLength(2);
  });

  it('a malformed address answers the same and does nothing after', async () => {
    const { gh, calls } = await setup();
    await expect(gh.account.requestPasswordReset('not an address', CTX)).resolves.toBeUndefined();
    await expect(gh.account.requestPasswordReset(42, CTX)).resolves.toBeUndefined();
    await settle();
    expect(requested(gh)).toEqual([]);
    expect(calls.filter((call) => call.startsWith('users.'))).toEqual([]);
  });

  it('the per-IP limit still answers before anything else, for registered and unknown addresses alike', async () => {
    const gh = mailGatehouse({ rateLimits: { passwordResetPerIp: { limit: 2, window: 3600 } } });
    await gh.auth.register({ email: EMAIL, password: GOOD_PASSWORD });
    await gh.account.requestPasswordReset(EMAIL, CTX);
    await gh.account.requestPasswordReset('nobody@example.com', CTX);
    for (const address of [EMAIL, 'nobody@example.com']) {
      await expect(gh.account.requestPasswordReset(address, CTX)).rejects.toBeInstanceOf(RateLimitedError);
    }
  });
});
