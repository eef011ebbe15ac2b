export { LockoutService, type LockoutSettings, type LockState } from './lockout.js';
export { type RateLimit, RateLimiter } from './rate-limiter.js';
