/**
 * One-time tokens for emailed links and login challenges: 256 random bits, stored only as a
 * SHA-256 hash, bound to one user and one purpose, single use, expiring, and replaced by a newer
 * request (FPCS, ASVS 6.4.1, 6.5.2; RFC 8725 §3.12 in spirit: one token kind is never accepted
 * for another).
 *
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { OneTimeTokenError } from '../errors.js';
import { storeCall } from '../storage/store-call.js';
import type { StateStore } from '../storage/types.js';

/** What a one-time token is for. A token of one purpose is never accepted for another. */
export type OneTimeTokenPurpose = 'verify_email' | 'password_reset' | 'email_change' | 'mfa_challenge';

/** A redeemed token: whose it was and the data stored with it. */
export interface RedeemedToken<T> {
  readonly userId: string;
  readonly data: T;
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const hash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('base64url');
const safeEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Issues and redeems one-time tokens on a {@link StateStore}. */
export class OneTimeTokens {
  readonly #state: StateStore;
  readonly #clock: () => Date;

  constructor(state: StateStore, clock: () => Date) {
    this.#state = state;
    this.#clock = clock;
  }

  /**
   * Issues a token for `userId` and `purpose`, valid for `ttlSeconds`. Any earlier token of the
   * same user and purpose stops working (a new request replaces older ones): the user's index
   * entry names the one live token, and a token it does not name is refused, so even of two
   * concurrent issues only the one written last works.
   */
  async issue<T>(purpose: OneTimeTokenPurpose, userId: string, ttlSeconds: number, data: T): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const tokenHash = hash(token);
    const expiresAt = new Date(this.#clock().getTime() + ttlSeconds * 1000);
    const indexKey = OneTimeTokens.#indexKey(purpose, userId);
    await storeCall(async () => {
      const previous = await this.#state.get(indexKey, this.#clock());
      if (previous !== null) await this.#state.delete(`ott:${purpose}:${previous}`);
      await this.#state.set(`ott:${purpose}:${tokenHash}`, JSON.stringify({ userId, data }), expiresAt);
      await this.#state.set(indexKey, tokenHash, expiresAt);
    });
    return token;
  }

  static #indexKey(purpose: OneTimeTokenPurpose, userId: string): string {
    return `ott:${purpose}:user:${userId}`;
  }

  /** Whether `tokenHash` is the user's current token of this purpose (not replaced or revoked). */
  async #isCurrent(purpose: OneTimeTokenPurpose, userId: string, tokenHash: string): Promise<boolean> {
    const current = await storeCall(() =>
      this.#state.get(OneTimeTokens.#indexKey(purpose, userId), this.#clock()),
    );
    return current !== null && safeEqual(current, tokenHash);
  }

  /** Looks at a token without using it; throws {@link OneTimeTokenError} when it is not valid. */
  async peek<T>(purpose: OneTimeTokenPurpose, token: unknown): Promise<RedeemedToken<T>> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) throw new OneTimeTokenError();
    const tokenHash = hash(token);
    const raw = await storeCall(() => this.#state.get(`ott:${purpose}:${tokenHash}`, this.#clock()));
    if (raw === null) throw new OneTimeTokenError();
    const found = JSON.parse(raw) as RedeemedToken<T>;
    if (!(await this.#isCurrent(purpose, found.userId, tokenHash))) throw new OneTimeTokenError();
    return found;
  }

  /**
   * Redeems a token: atomically takes it, so of concurrent redemptions exactly one succeeds.
   * Unknown, used, expired, replaced or other-purpose tokens throw {@link OneTimeTokenError}.
   */
  async redeem<T>(purpose: OneTimeTokenPurpose, token: unknown): Promise<RedeemedToken<T>> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) throw new OneTimeTokenError();
    const tokenHash = hash(token);
    const raw = await storeCall(() => this.#state.take(`ott:${purpose}:${tokenHash}`, this.#clock()));
    if (raw === null) throw new OneTimeTokenError();
    const redeemed = JSON.parse(raw) as RedeemedToken<T>;
    if (!(await this.#isCurrent(purpose, redeemed.userId, tokenHash))) throw new OneTimeTokenError();
    // The index entry is left to expire with the token: deleting it here could void a token
    // issued concurrently, and it names a token that no longer exists.
    return redeemed;
  }

  /** Voids the user's outstanding token of this purpose, if any. */
  async revoke(purpose: OneTimeTokenPurpose, userId: string): Promise<void> {
    const indexKey = OneTimeTokens.#indexKey(purpose, userId);
    await storeCall(async () => {
      const previous = await this.#state.take(indexKey, this.#clock());
      if (previous !== null) await this.#state.delete(`ott:${purpose}:${previous}`);
    });
  }
}
