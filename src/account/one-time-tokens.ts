/**
 * One-time tokens for emailed links and login challenges: 256 random bits, stored only as a
 * SHA-256 hash, bound to one user and one purpose, single use, expiring, and replaced by a newer
 * request (FPCS, ASVS 6.4.1, 6.5.2; RFC 8725 §3.12 in spirit: one token kind is never accepted
 * for another).
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { OneTimeTokenError, StoreUnavailableError } from '../errors.js';
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

/** Issues and redeems one-time tokens on a {@link StateStore}. */
export class OneTimeTokens {
  readonly #state: StateStore;
  readonly #clock: () => Date;

  constructor(state: StateStore, clock: () => Date) {
    this.#state = state;
    this.#clock = clock;
  }

  async #store<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new StoreUnavailableError({ cause: error });
    }
  }

  /**
   * Issues a token for `userId` and `purpose`, valid for `ttlSeconds`. Any earlier token of the
   * same user and purpose stops working (a new request replaces older ones).
   */
  async issue<T>(purpose: OneTimeTokenPurpose, userId: string, ttlSeconds: number, data: T): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.#clock().getTime() + ttlSeconds * 1000);
    const indexKey = `ott:${purpose}:user:${userId}`;
    await this.#store(async () => {
      const previous = await this.#state.get(indexKey, this.#clock());
      if (previous !== null) await this.#state.delete(`ott:${purpose}:${previous}`);
      await this.#state.set(`ott:${purpose}:${hash(token)}`, JSON.stringify({ userId, data }), expiresAt);
      await this.#state.set(indexKey, hash(token), expiresAt);
    });
    return token;
  }

  /** Looks at a token without using it; throws {@link OneTimeTokenError} when it is not valid. */
  async peek<T>(purpose: OneTimeTokenPurpose, token: unknown): Promise<RedeemedToken<T>> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) throw new OneTimeTokenError();
    const raw = await this.#store(() => this.#state.get(`ott:${purpose}:${hash(token)}`, this.#clock()));
    if (raw === null) throw new OneTimeTokenError();
    return JSON.parse(raw) as RedeemedToken<T>;
  }

  /**
   * Redeems a token: atomically takes it, so of concurrent redemptions exactly one succeeds.
   * Unknown, used, expired or other-purpose tokens throw {@link OneTimeTokenError}.
   */
  async redeem<T>(purpose: OneTimeTokenPurpose, token: unknown): Promise<RedeemedToken<T>> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) throw new OneTimeTokenError();
    const raw = await this.#store(() => this.#state.take(`ott:${purpose}:${hash(token)}`, this.#clock()));
    if (raw === null) throw new OneTimeTokenError();
    const redeemed = JSON.parse(raw) as RedeemedToken<T>;
    await this.#store(() => this.#state.delete(`ott:${purpose}:user:${redeemed.userId}`));
    return redeemed;
  }

  /** Voids the user's outstanding token of this purpose, if any. */
  async revoke(purpose: OneTimeTokenPurpose, userId: string): Promise<void> {
    const indexKey = `ott:${purpose}:user:${userId}`;
    await this.#store(async () => {
      const previous = await this.#state.take(indexKey, this.#clock());
      if (previous !== null) await this.#state.delete(`ott:${purpose}:${previous}`);
    });
  }
}
