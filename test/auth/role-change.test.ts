/**
 * `gatehouse.account.setRole`: a role change applies to the user's next request on every session
 * (the role is read from the user per request, not from the token's `role` claim), is recorded as
 * `user.role_changed`, can end every session, and refuses roles that the configured roles do not
 * define. Run on the memory, SQLite and PostgreSQL stores, with the token-record cache, and through
 * a real HTTP app.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../adapters/postgres/index.js';
import { createSqliteStore } from '../../adapters/sqlite/index.js';
import { subscribeJsonLines } from '../../src/audit/json-lines.js';
import { UnknownRoleError } from '../../src/auth/role-change.js';
import { NotFoundError, ValidationError } from '../../src/errors.js';
import { createGatehouse } from '../../src/gatehouse.js';
import { defineRoles } from '../../src/policy/roles.js';
import { createMemoryStore } from '../../src/storage/memory.js';
import type { Store } from '../../src/storage/types.js';
import { startHonoApp } from '../http/apps/hono.js';
import { CHEAP_ARGON2, FakeClock, GOOD_PASSWORD, newSecret, testGatehouse } from '../support/gatehouse.js';
import { memoryChannelBus, observedChannel } from '../support/invalidation.js';
import { loginTokens } from '../support/login.js';
import { postgresSchemas } from '../support/postgres-schemas.js';
import { describeWithPostgres } from '../support/services/index.js';

const ADA = { identifier: 'ada@example.com', password: GOOD_PASSWORD };
const ADMIN_CONTEXT = { ip: '203.0.113.9', userAgent: 'admin-console' };

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A gatehouse on a fresh store of the kind under test, with Ada registered. */
type Setup = () => Promise<ReturnType<typeof testGatehouse>>;

/** The behaviour every store must give. */
function describeRoleChanges(name: string, setup: Setup): void {
  describe(`setRole on the ${name} store`, () => {
    async function withAda() {
      const gh = await setup();
      const user = await gh.auth.register({ email: ADA.identifier, password: ADA.password });
      return { gh, user };
    }

    it('a promotion applies to the next request of every session; the role claim stays as issued', async () => {
      const { gh, user } = await withAda();
      const phone = await loginTokens(gh, ADA);
      const laptop = await loginTokens(gh, ADA);
      expect((await gh.auth.authenticate(phone.accessToken)).user.role).toBe('USER');

      const change = await gh.account.setRole(user.id, 'ADMIN', { changedBy: 'root-1' }, ADMIN_CONTEXT);
      expect(change).toEqual({ userId: user.id, from: 'USER', to: 'ADMIN', changed: true, revokedTokens: 0 });
      for (const session of [phone, laptop]) {
        const principal = await gh.auth.authenticate(session.accessToken);
        expect(principal.user.role).toBe('ADMIN');
        // The claim is the role at issue: informational, never what a guard decides on.
        expect(principal.claims.role).toBe('USER');
      }
      const refreshed = await gh.auth.refresh(phone.refreshToken);
      expect((await gh.auth.authenticate(refreshed.accessToken)).claims.role).toBe('ADMIN');
      expect(gh.seen.filter((e) => e.type === 'user.role_changed')).toEqual([
        expect.objectContaining({
          type: 'user.role_changed',
          userId: user.id,
          from: 'USER',
          to: 'ADMIN',
          changedBy: 'root-1',
          via: 'service',
          revokedTokens: 0,
          ip: ADMIN_CONTEXT.ip,
          userAgent: ADMIN_CONTEXT.userAgent,
        }),
      ]);
      expect(gh.seen.some((e) => e.type === 'token.revoked')).toBe(false);
    });

    it('a demotion with revokeSessions ends every session; signing in again gives the new role', async () => {
      const { gh, user } = await withAda();
      await gh.account.setRole(user.id, 'ADMIN');
      const phone = await loginTokens(gh, ADA);
      const laptop = await loginTokens(gh, ADA);

      const change = await gh.account.setRole(user.id, 'USER', { revokeSessions: true });
      expect(change).toMatchObject({ from: 'ADMIN', to: 'USER', changed: true });
      expect(change.revokedTokens).toBeGreaterThanOrEqual(4);
      for (const session of [phone, laptop]) {
        await expect(gh.auth.authenticate(session.accessToken)).rejects.toMatchObject({
          code: 'ERR_TOKEN_REVOKED',
        });
        await expect(gh.auth.refresh(session.refreshToken)).rejects.toMatchObject({ status: 400 });
      }
      const demoted = gh.seen.filter((e) => e.type === 'user.role_changed').at(-1);
      expect(demoted).toMatchObject({ from: 'ADMIN', to: 'USER', revokedTokens: change.revokedTokens });
      expect(gh.seen.filter((e) => e.type === 'token.revoked').at(-1)).toMatchObject({
        userId: user.id,
        scope: 'user',
        reason: 'admin',
        count: change.revokedTokens,
      });
      const again = await loginTokens(gh, ADA);
      expect((await gh.auth.authenticate(again.accessToken)).user.role).toBe('USER');
    });

    it('the role the user already has: nothing written, no user.role_changed', async () => {
      const { gh, user } = await withAda();
      const before = await gh.store.users.findById(user.id);
      gh.clock.advance(60);
      const change = await gh.account.setRole(user.id, 'USER');
      expect(change).toEqual({ userId: user.id, from: 'USER', to: 'USER', changed: false, revokedTokens: 0 });
      expect(await gh.store.users.findById(user.id)).toEqual(before);
      expect(gh.seen.some((e) => e.type === 'user.role_changed')).toBe(false);
    });

    it('an unknown user: NotFoundError, and no event', async () => {
      const { gh } = await withAda();
      await expect(
        gh.account.setRole('00000000-0000-4000-8000-000000000000', 'ADMIN'),
      ).rejects.toBeInstanceOf(NotFoundError);
      expect(gh.seen.some((e) => e.type === 'user.role_changed' || e.type === 'token.revoked')).toBe(false);
    });
  });
}

describeRoleChanges('memory', async () => testGatehouse());
describeRoleChanges('SQLite', async () => {
  const store = createSqliteStore();
  cleanup.push(() => store.close());
  return testGatehouse({ store });
});
describeWithPostgres('setRole on PostgreSQL', (url) => {
  const schemas = postgresSchemas(url);
  describeRoleChanges('PostgreSQL', async () => {
    const schema = await schemas.create();
    const store = await createPostgresStore({ connectionString: url, schema, migrate: false });
    cleanup.push(async () => {
      await store.close();
      await schemas.drop(schema);
    });
    return testGatehouse({ store });
  });
});

describe('setRole and the configured roles', () => {
  const roles = defineRoles({
    MODERATOR: { permissions: ['moderate'] },
    ADMIN: { inherits: ['MODERATOR'], permissions: ['manage_users'] },
  });

  it('refuses a role authorization.roles does not define, before touching the user', async () => {
    const gh = testGatehouse({ authorization: { roles } });
    const user = await gh.auth.register({ email: ADA.identifier, password: ADA.password });
    const before = await gh.store.users.findById(user.id);
    const error = await gh.account.setRole(user.id, 'ADMNI').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownRoleError);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      code: 'ERR_VALIDATION',
      status: 400,
      role: 'ADMNI',
      knownRoles: ['MODERATOR', 'ADMIN', 'USER'],
      issues: [{ field: 'role', rule: 'unknown_role' }],
    });
    // What a client may see: no list of the roles that exist.
    expect(JSON.stringify(error)).not.toContain('MODERATOR');
    // Refused before the user is even looked up: an unknown user gets the same answer.
    await expect(gh.account.setRole('no-such-user', 'ADMNI')).rejects.toBeInstanceOf(UnknownRoleError);
    expect(await gh.store.users.findById(user.id)).toEqual(before);
    expect(gh.seen.some((e) => e.type === 'user.role_changed')).toBe(false);
  });

  it('accepts a defined role, and USER (the registration default) even when it is not defined', async () => {
    const gh = testGatehouse({ authorization: { roles } });
    const user = await gh.auth.register({ email: ADA.identifier, password: ADA.password });
    await expect(gh.account.setRole(user.id, 'MODERATOR')).resolves.toMatchObject({ to: 'MODERATOR' });
    await expect(gh.account.setRole(user.id, 'USER')).resolves.toMatchObject({
      from: 'MODERATOR',
      to: 'USER',
    });
  });

  it.each([
    ['an empty name', ''],
    ['a name with a space', 'SUPER ADMIN'],
    ['a name with a colon (tuple syntax)', 'role:admin'],
    ['an Object.prototype member', '__proto__'],
    ['a name over 64 characters', `R${'x'.repeat(64)}`],
    ['a number', 42],
  ])('refuses a malformed role, with or without configured roles: %s', async (_name, role) => {
    for (const gh of [testGatehouse(), testGatehouse({ authorization: { roles } })]) {
      const user = await gh.auth.register({ email: ADA.identifier, password: ADA.password });
      await expect(gh.account.setRole(user.id, role as string)).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
        issues: [{ field: 'role', rule: 'invalid_role' }],
      });
      expect((await gh.store.users.findById(user.id))?.role).toBe('USER');
    }
  });
});

describe('setRole with the token-record cache on', () => {
  it('a change made on one instance is the role of the next request on the other', async () => {
    const clock = new FakeClock();
    const secret = newSecret();
    const shared: Store = createMemoryStore();
    const bus = memoryChannelBus();
    const instance = () => {
      const observed = observedChannel(bus.channel());
      const gatehouse = createGatehouse({
        store: shared,
        clock: clock.now,
        tokens: { secret, recordCache: { channel: observed.channel, maxAge: 300 } },
        password: { argon2: CHEAP_ARGON2 },
      });
      cleanup.push(() => gatehouse.close());
      return { gatehouse, observed };
    };
    const a = instance();
    const b = instance();
    await b.observed.status(true);
    const user = await a.gatehouse.auth.register({ email: ADA.identifier, password: ADA.password });
    const { accessToken } = await loginTokens(a.gatehouse, ADA);
    // Cached on B now (maxAge 300: only the invalidation can make B read the user again).
    expect((await b.gatehouse.auth.authenticate(accessToken)).user.role).toBe('USER');
    await a.gatehouse.account.setRole(user.id, 'ADMIN');
    await b.observed.received((m) => m.kind === 'user' && m.id === user.id);
    expect((await b.gatehouse.auth.authenticate(accessToken)).user.role).toBe('ADMIN');
    await a.gatehouse.account.setRole(user.id, 'USER', { revokeSessions: true });
    await expect(b.gatehouse.auth.authenticate(accessToken)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
  });
});

describe('user.role_changed in the audit log', () => {
  it('is logged at warn (a change of privileges), with outcome success', async () => {
    const gh = testGatehouse();
    const user = await gh.auth.register({ email: ADA.identifier, password: ADA.password });
    const calls: [string, Record<string, unknown>][] = [];
    subscribeJsonLines(gh.events, {
      info: (object) => calls.push(['info', object as Record<string, unknown>]),
      warn: (object) => calls.push(['warn', object as Record<string, unknown>]),
    });
    await gh.account.setRole(user.id, 'ADMIN', { changedBy: 'root-1' });
    expect(calls).toEqual([
      [
        'warn',
        expect.objectContaining({
          type: 'user.role_changed',
          from: 'USER',
          to: 'ADMIN',
          changedBy: 'root-1',
          outcome: 'success',
        }),
      ],
    ]);
  });
});

describe('setRole through an HTTP app (Hono)', () => {
  it('requireRole sees a promotion on the next request, and a demotion with revokeSessions refuses the token', async () => {
    const gh = testGatehouse();
    const app = await startHonoApp(gh);
    cleanup.push(() => app.close());
    const user = await gh.auth.register({ email: ADA.identifier, password: ADA.password });
    const { accessToken } = await loginTokens(gh, ADA);
    const admin = () => fetch(`${app.url}/admin`, { headers: { authorization: `Bearer ${accessToken}` } });

    expect((await admin()).status).toBe(403);
    await gh.account.setRole(user.id, 'ADMIN');
    const promoted = await admin();
    expect(promoted.status).toBe(200);
    expect(await promoted.json()).toMatchObject({ userId: user.id, role: 'ADMIN' });
    await gh.account.setRole(user.id, 'USER');
    expect((await admin()).status).toBe(403);
    await gh.account.setRole(user.id, 'ADMIN');
    await gh.account.setRole(user.id, 'USER', { revokeSessions: true });
    expect((await admin()).status).toBe(401);
  });
});
