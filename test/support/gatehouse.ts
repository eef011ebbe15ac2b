import { randomBytes } from 'node:crypto';
import {
  createGatehouse,
  createMemoryStore,
  type Gatehouse,
  type GatehouseConfig,
  type SecurityEvent,
} from '../../src/index.js';

/** Cheap argon2 parameters for tests that are not about hashing cost (the defaults are tested separately). */
export const CHEAP_ARGON2 = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

/** A fresh 32-byte random secret, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** A controllable clock. */
export class FakeClock {
  #now: number;
  constructor(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
    this.#now = start;
  }
  now = (): Date => new Date(this.#now);
  advance(seconds: number): void {
    this.#now += seconds * 1000;
  }
}

export interface TestGatehouse extends Gatehouse {
  readonly clock: FakeClock;
  readonly secret: string;
  readonly seen: SecurityEvent[];
}

/** A gatehouse over a memory store (unless one is given) with cheap argon2, a fake clock and an event log. */
export function testGatehouse(overrides: Partial<GatehouseConfig> = {}): TestGatehouse {
  const clock = new FakeClock();
  const secret = newSecret();
  const gatehouse = createGatehouse({
    store: createMemoryStore(),
    clock: clock.now,
    ...overrides,
    tokens: overrides.tokens?.keys ? { ...overrides.tokens } : { secret, ...overrides.tokens },
    password: { argon2: CHEAP_ARGON2, ...overrides.password },
    // Generous limits for tests that are not about rate limiting (those set their own).
    rateLimits: { registerPerIp: { limit: 10_000, window: 3600 }, ...overrides.rateLimits },
  });
  const seen: SecurityEvent[] = [];
  gatehouse.events.on('*', (event) => seen.push(event));
  return { ...gatehouse, clock, secret, seen };
}

/** A password that passes the default policy (15+ code points, not common, no context). */
export const GOOD_PASSWORD = 'violet-otter-42-lantern';
