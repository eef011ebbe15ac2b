/**
 * The records of redeemed one-time codes (RFC 6749 §10.5), on a real memory store and token
 * service: whichever of "the first redemption issues" and "a second attempt arrives" comes last
 * revokes the family, so the interleaving that HTTP tests can only hit by chance is pinned here.
 * A code never redeemed finds nothing, writes nothing and revokes nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TokenRevokedError } from '../../src/errors.js';
import type { SecurityEvent } from '../../src/index.js';
import {
  type CodeRedemptionDeps,
  detectReuse,
  markRedeemed,
  recordIssued,
  wasReused,
} from '../../src/oauth/code-redemption.js';
import { GOOD_PASSWORD, type TestGatehouse, testGatehouse } from '../support/gatehouse.js';

async function setup() {
  const gh = testGatehouse();
  const user = await gh.auth.register({ email: 'ada@example.com', password: GOOD_PASSWORD });
  const deps: CodeRedemptionDeps = {
    state: gh.store.state,
    tokens: gh.tokens,
    events: gh.events,
    clock: gh.now,
  };
  const codeHash = createHash('sha256').update(randomBytes(32)).digest('base64url');
  const issue = () => gh.tokens.issue({ id: user.id, role: user.role });
  const expiresAt = () => new Date(gh.now().getTime() + 60_000);
  return { gh, userId: user.id, deps, codeHash, issue, expiresAt };
}

const eventsOf = <T extends SecurityEvent['type']>(gh: TestGatehouse, type: T) =>
  gh.seen.filter((e): e is Extract<SecurityEvent, { type: T }> => e.type === type);

describe('redeemed one-time codes', () => {
  it('a second attempt after the issue revokes the family at once', async () => {
    const { gh, userId, deps, codeHash, issue, expiresAt } = await setup();
    const ref = await markRedeemed(deps, 'login_code', codeHash, { userId, clientId: null }, expiresAt());
    const tokens = await issue();
    expect(await recordIssued(deps, ref, userId, tokens.familyId)).toBe(false);
    await expect(gh.tokens.verify(tokens.accessToken)).resolves.toBeTruthy();

    const context = { ip: '198.51.100.7', userAgent: 'replayer' };
    expect(await detectReuse(deps, 'login_code', codeHash, context)).toEqual({
      userId,
      familyId: tokens.familyId,
    });
    await expect(gh.tokens.verify(tokens.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    expect(await gh.tokens.findRefreshToken(tokens.refreshToken)).toMatchObject({ active: false });
    expect(eventsOf(gh, 'code.reused')).toEqual([
      expect.objectContaining({
        userId,
        kind: 'login_code',
        clientId: null,
        familyId: tokens.familyId,
        revokedTokens: 2,
        ip: '198.51.100.7',
      }),
    ]);
  });

  it('a second attempt while the first is still issuing: the issuer revokes its own family on seeing the mark', async () => {
    const { gh, userId, deps, codeHash, issue, expiresAt } = await setup();
    const ref = await markRedeemed(deps, 'device_code', codeHash, { userId, clientId: 'cli' }, expiresAt());
    expect(await detectReuse(deps, 'device_code', codeHash)).toEqual({ userId, familyId: null });
    expect(eventsOf(gh, 'code.reused')).toEqual([
      expect.objectContaining({ kind: 'device_code', clientId: 'cli', familyId: null, revokedTokens: 0 }),
    ]);
    expect(await wasReused(deps, ref)).toBe(true);

    const tokens = await issue();
    expect(await recordIssued(deps, ref, userId, tokens.familyId)).toBe(true);
    await expect(gh.tokens.verify(tokens.accessToken)).rejects.toBeInstanceOf(TokenRevokedError);
    expect(eventsOf(gh, 'token.revoked')).toEqual([
      expect.objectContaining({ userId, scope: 'family', reason: 'reuse', count: 2 }),
    ]);
  });

  it('a code never redeemed finds nothing, writes nothing and revokes nothing', async () => {
    const { gh, userId, deps, codeHash, issue } = await setup();
    const tokens = await issue();
    expect(await detectReuse(deps, 'login_code', codeHash)).toBeNull();
    for (const prefix of ['code-used', 'code-issued', 'code-reused']) {
      expect(await gh.store.state.get(`${prefix}:login_code:${codeHash}`, gh.now())).toBeNull();
    }
    expect(eventsOf(gh, 'code.reused')).toEqual([]);
    await expect(gh.tokens.verify(tokens.accessToken)).resolves.toMatchObject({ record: { userId } });
  });

  it('kinds do not mix: a login code record is not a device code record', async () => {
    const { userId, deps, codeHash, expiresAt } = await setup();
    await markRedeemed(deps, 'login_code', codeHash, { userId, clientId: null }, expiresAt());
    expect(await detectReuse(deps, 'device_code', codeHash)).toBeNull();
  });

  it('the records expire with the code: afterwards nothing is found or recorded', async () => {
    const { gh, userId, deps, codeHash, issue, expiresAt } = await setup();
    const ref = await markRedeemed(deps, 'login_code', codeHash, { userId, clientId: null }, expiresAt());
    gh.clock.advance(61);
    const tokens = await issue();
    expect(await recordIssued(deps, ref, userId, tokens.familyId)).toBe(false);
    expect(await wasReused(deps, ref)).toBe(false);
    expect(await detectReuse(deps, 'login_code', codeHash)).toBeNull();
    await expect(gh.tokens.verify(tokens.accessToken)).resolves.toBeTruthy();
  });
});
