/**
 * AZ-02 at the guards: an `authorize` deny because the decider could not decide — it threw, or it
 * answered with a fail-closed code such as a PDP that is down — is reported as an `authz.decision`
 * security event on the gatehouse's bus, over real HTTP (Hono adapter). A deny on the data is not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/events.js';
import type { PolicyDecider } from '../../src/index.js';
import {
  ADAPTERS,
  bearer,
  get,
  type Harness,
  startHarness,
  userWithTokens,
} from '../http/conformance/support.js';

const start = ADAPTERS.find(([name]) => name === 'hono')![1];

describe('authorize reports fail-closed denies as security events', () => {
  let throwing: Harness;
  let unavailable: Harness;
  let saysNo: Harness;
  const seen: SecurityEvent<'authz.decision'>[] = [];

  beforeAll(async () => {
    const decider = (check: PolicyDecider['check']): PolicyDecider => ({ check });
    throwing = await startHarness(start, {
      authorization: { decider: decider(() => Promise.reject(new Error('pdp down'))) },
    });
    unavailable = await startHarness(start, {
      authorization: { decider: decider(async () => ({ allowed: false, code: 'pdp_unavailable' })) },
    });
    saysNo = await startHarness(start, {
      authorization: { decider: decider(async () => ({ allowed: false, code: 'not_granted' })) },
    });
    for (const h of [throwing, unavailable, saysNo]) h.gh.events.on('authz.decision', (e) => seen.push(e));
  });
  afterAll(async () => {
    await Promise.all([throwing?.close(), unavailable?.close(), saysNo?.close()]);
  });

  it('a throwing decider and a PDP that could not be asked are logged; a plain deny is not', async () => {
    for (const [h, code] of [
      [throwing, 'decider_error'],
      [unavailable, 'pdp_unavailable'],
    ] as const) {
      const user = await userWithTokens(h, 'logged');
      seen.length = 0;
      expect((await get(`${h.url}/docs/d1`, bearer(user.tokens.access))).status).toBe(403);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        subject: `user:${user.id}`,
        action: 'viewer',
        resource: 'doc:d1',
        allowed: false,
        code,
        failClosed: true,
      });
    }
    const user = await userWithTokens(saysNo, 'plain');
    seen.length = 0;
    expect((await get(`${saysNo.url}/docs/d1`, bearer(user.tokens.access))).status).toBe(403);
    expect(seen).toHaveLength(0);
  });
});
