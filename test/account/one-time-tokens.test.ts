/**
 * OneTimeTokens on the memory state store (EV-01..EV-04): ≥ 128 random bits, purpose- and
 * user-bound, single use even under concurrency, expiring, replaced by a newer issue even when two
 * issues race, revocable, and stored only as a hash.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OneTimeTokens } from '../../src/account/one-time-tokens.js';
import { OneTimeTokenError } from '../../src/errors.js';
import { MemoryStateStore } from '../../src/storage/memory/state.js';
import { FakeClock } from '../support/gatehouse.js';

function setup() {
  const clock = new FakeClock();
  const state = new MemoryStateStore();
  return { clock, state, tokens: new OneTimeTokens(state, clock.now) };
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('base64url');

describe('OneTimeTokens', () => {
  it('issues 256-bit base64url tokens, all distinct, stored under their hash only', async () => {
    const { tokens, state, clock } = setup();
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const token = await tokens.issue('verify_email', `user-${i}`, 60, { n: i });
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      seen.add(token);
      expect(await state.get(`ott:verify_email:${sha256(token)}`, clock.now())).toContain(`"user-${i}"`);
      expect(await state.get(`ott:verify_email:${token}`, clock.now())).toBeNull();
    }
    expect(seen.size).toBe(200);
  });

  it('redeems once, for its own purpose only, with its user and data', async () => {
    const { tokens } = setup();
    const token = await tokens.issue('password_reset', 'u1', 60, { a: 1 });
    await expect(tokens.redeem('verify_email', token)).rejects.toBeInstanceOf(OneTimeTokenError);
    await expect(tokens.peek('email_change', token)).rejects.toBeInstanceOf(OneTimeTokenError);
    await expect(tokens.peek('password_reset', token)).resolves.toEqual({ userId: 'u1', data: { a: 1 } });
    await expect(tokens.redeem('password_reset', token)).resolves.toEqual({ userId: 'u1', data: { a: 1 } });
    await expect(tokens.redeem('password_reset', token)).rejects.toBeInstanceOf(OneTimeTokenError);
    await expect(tokens.peek('password_reset', token)).rejects.toBeInstanceOf(OneTimeTokenError);
  });

  it('of concurrent redemptions exactly one succeeds', async () => {
    const { tokens } = setup();
    const token = await tokens.issue('password_reset', 'u1', 60, {});
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => tokens.redeem('password_reset', token)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('expires: valid one second before its lifetime ends, invalid at the end', async () => {
    const { tokens, clock } = setup();
    const a = await tokens.issue('verify_email', 'a', 600, {});
    const b = await tokens.issue('verify_email', 'b', 600, {});
    clock.advance(599);
    await expect(tokens.redeem('verify_email', a)).resolves.toMatchObject({ userId: 'a' });
    clock.advance(1);
    await expect(tokens.redeem('verify_email', b)).rejects.toBeInstanceOf(OneTimeTokenError);
  });

  it('a newer token replaces the older one of the same user and purpose, not others', async () => {
    const { tokens } = setup();
    const first = await tokens.issue('password_reset', 'u1', 60, {});
    const otherPurpose = await tokens.issue('verify_email', 'u1', 60, {});
    const otherUser = await tokens.issue('password_reset', 'u2', 60, {});
    const second = await tokens.issue('password_reset', 'u1', 60, {});
    await expect(tokens.peek('password_reset', first)).rejects.toBeInstanceOf(OneTimeTokenError);
    await expect(tokens.redeem('password_reset', first)).rejects.toBeInstanceOf(OneTimeTokenError);
    await expect(tokens.redeem('password_reset', second)).resolves.toMatchObject({ userId: 'u1' });
    await expect(tokens.redeem('verify_email', otherPurpose)).resolves.toMatchObject({ userId: 'u1' });
    await expect(tokens.redeem('password_reset', otherUser)).resolves.toMatchObject({ userId: 'u2' });
  });

  it('EV-04 under concurrency: of tokens issued at the same time for one user, only one works', async () => {
    const { tokens } = setup();
    const issued = await Promise.all(
      Array.from({ length: 5 }, (_, i) => tokens.issue('password_reset', 'u1', 60, { i })),
    );
    const results = await Promise.allSettled(issued.map((token) => tokens.redeem('password_reset', token)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('revoke voids the outstanding token', async () => {
    const { tokens } = setup();
    const token = await tokens.issue('email_change', 'u1', 60, {});
    await tokens.revoke('email_change', 'u1');
    await expect(tokens.redeem('email_change', token)).rejects.toBeInstanceOf(OneTimeTokenError);
    await expect(tokens.revoke('email_change', 'u1')).resolves.toBeUndefined();
  });
});
