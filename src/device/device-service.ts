/**
 * DeviceService: the device authorization grant (RFC 8628) on our server, so that a CLI or a TV
 * can log a user in. The device asks for codes, the user approves the user code while signed in
 * (in a browser, another session), and the device polls the token endpoint until it gets the
 * approving user's tokens — exactly once.
 *
 * State lives in the {@link StateStore}, under hashed keys only:
 * - `device:<hash(device_code)>`: the request (client, scope, expiry), written once and deleted
 *   by the poll that answers a decision — after that the device code is unknown (`invalid_grant`);
 * - `device-poll:<hash(device_code)>`: the polling state (interval, last poll), the only key a
 *   pending poll writes;
 * - `device-user:<hash(user_code)>`: which request a user code belongs to, taken (single use) by
 *   the approval or denial;
 * - `device-decision:<hash(device_code)>`: the user's decision, taken (single use) by the poll
 *   that answers it, so the tokens are issued exactly once even under concurrent polls;
 * - `code-used:`/`code-issued:`/`code-reused:device_code:<hash(device_code)>`: the redemption of
 *   an approved code and the token family it issued, kept as long as the request would have been.
 *   A poll with a redeemed device code is a second redemption (RFC 6749 §10.5, RFC 9700 §4.5): it
 *   gets `invalid_grant` as before, and the family the first poll received is revoked
 *   (`code.reused`; see `../oauth/code-redemption.ts`). A device must stop polling once it has
 *   its tokens (RFC 8628 §3.5).
 * Every key is written by one step of the flow only, so no write can undo another's.
 *
 * Which clients may use it: registered clients whose `grantTypes` include the device grant,
 * normally public clients (`public: true`: a CLI cannot keep a secret) identified by `client_id`;
 * confidential clients registered for it authenticate with their secret as at the token endpoint.
 *
 * @module
 */

import { DEVICE_CODE_GRANT } from '../clients/client-input.js';
import type { ClientService, PresentedClientCredentials } from '../clients/client-service.js';
import type { RateLimit, RateLimiter } from '../defense/rate-limiter.js';
import { InvalidGrantError } from '../errors.js';
import type { RequestContext, SecurityEvents } from '../events.js';
import {
  type CodeRedemptionDeps,
  detectReuse,
  markRedeemed,
  type RedemptionRef,
  recordIssued,
} from '../oauth/code-redemption.js';
import { storeCall } from '../storage/store-call.js';
import type { StateStore, UserRepository } from '../storage/types.js';
import type { IssuedTokens, TokenService } from '../token/token-service.js';
import {
  AccessDeniedError,
  AuthorizationPendingError,
  DeviceCodeExpiredError,
  DeviceFlowNotConfiguredError,
  InvalidUserCodeError,
  SlowDownError,
} from './errors.js';
import {
  formatUserCode,
  hashDeviceSecret,
  MAX_DEVICE_CODE_LENGTH,
  newDeviceCode,
  newUserCode,
  normalizeUserCode,
} from './user-code.js';

/** Options of {@link DeviceService}, normally built by `createGatehouse`. */
export interface DeviceServiceOptions {
  readonly state: StateStore;
  readonly users: UserRepository;
  readonly clients: ClientService;
  readonly tokens: TokenService;
  readonly events: SecurityEvents;
  readonly clock: () => Date;
  readonly limiter: RateLimiter;
  readonly rateLimits: {
    /** User-code entries (lookups, approvals, denials) per signed-in user (RFC 8628 §5.1). */
    readonly deviceCodeEntryPerUser: RateLimit;
    /** User-code entries per client IP. */
    readonly deviceCodeEntryPerIp: RateLimit;
    /**
     * Wrong user codes (malformed, unknown, used, expired) per client IP, whichever signed-in users
     * entered them: over it, every entry from that IP is refused, a right code too (RFC 8628 §5.1).
     */
    readonly deviceCodeFailuresPerIp: RateLimit;
    /** Device authorization requests per client IP. */
    readonly deviceAuthorizePerIp: RateLimit;
  };
  /** Where users enter the code (`verification_uri`); `undefined`: the flow answers 501. */
  readonly verificationUri: string | undefined;
  /** Lifetime of the codes, seconds. */
  readonly expiresIn: number;
  /** Initial polling interval, seconds (RFC 8628 §3.2 default 5). */
  readonly interval: number;
}

/** The device authorization response (RFC 8628 §3.2), camel-cased. */
export interface DeviceAuthorization {
  readonly deviceCode: string;
  /** Formatted for display: `BCDF-GHJK`. */
  readonly userCode: string;
  readonly verificationUri: string;
  /** `verificationUri` with `?user_code=...`, for a QR code or a link. */
  readonly verificationUriComplete: string;
  readonly expiresIn: number;
  readonly interval: number;
}

/** What a pending request asks for, shown to the user before they approve (RFC 8628 §5.4). */
export interface PendingDeviceRequest {
  readonly clientId: string;
  readonly clientName: string;
  readonly scope: readonly string[];
  /** Seconds until the code expires. */
  readonly expiresIn: number;
}

/** A stored device request. Times are epoch milliseconds. */
interface DeviceRequest {
  readonly clientId: string;
  readonly scope: string[];
  readonly expiresAt: number;
}

/** The polling state of a request. */
interface PollState {
  /** Seconds the device must wait between polls (grows by 5 with each `slow_down`). */
  readonly interval: number;
  readonly lastPolledAt: number;
}

interface DeviceDecision {
  readonly approved: boolean;
  readonly userId: string;
}

/** Attempts at drawing a user code not in use before giving up (each collision is ~1 in 2^34). */
const USER_CODE_ATTEMPTS = 5;

/** The device authorization grant. See the module documentation. */
export class DeviceService {
  readonly #o: DeviceServiceOptions;

  constructor(options: DeviceServiceOptions) {
    this.#o = options;
  }

  /** What the records of redeemed device codes need. */
  get #redemptions(): CodeRedemptionDeps {
    const { state, tokens, events, clock } = this.#o;
    return { state, tokens, events, clock };
  }

  /** After expiry a request is kept this long (ms) so that polls get `expired_token`, then forgotten. */
  get #retentionMs(): number {
    return this.#o.expiresIn * 1000;
  }

  /**
   * Starts a device authorization (RFC 8628 §3.1–3.2): rate limited per IP, authenticates the
   * client for the device grant (`invalid_client` / `unauthorized_client`), checks the requested
   * scope against the client's allowed scopes (default: all of them), and returns a device code
   * (256 bits) and a user code, both stored only hashed.
   */
  async authorize(
    credentials: PresentedClientCredentials,
    requestedScope: readonly string[] | undefined,
    context?: RequestContext,
  ): Promise<DeviceAuthorization> {
    const { verificationUri } = this.#o;
    if (verificationUri === undefined) throw new DeviceFlowNotConfiguredError();
    await this.#o.limiter.hit('device-authorize-ip', context?.ip, this.#o.rateLimits.deviceAuthorizePerIp);
    const client = await this.#o.clients.authenticate(credentials, DEVICE_CODE_GRANT, context);
    const scope = this.#o.clients.grantedScopes(client, requestedScope);
    const now = this.#o.clock().getTime();
    const expiresAt = now + this.#o.expiresIn * 1000;
    const userCode = await this.#freeUserCode(now);
    const deviceCode = newDeviceCode();
    const deviceHash = hashDeviceSecret('device', deviceCode);
    const userCodeHash = hashDeviceSecret('user', userCode);
    const request: DeviceRequest = { clientId: client.id, scope, expiresAt };
    await this.#put(`device:${deviceHash}`, request, expiresAt);
    await storeCall(() => this.#o.state.set(`device-user:${userCodeHash}`, deviceHash, new Date(expiresAt)));
    this.#o.events.emit('device.authorization_requested', context, new Date(now), { clientId: client.id });
    const complete = new URL(verificationUri);
    complete.searchParams.set('user_code', formatUserCode(userCode));
    return {
      deviceCode,
      userCode: formatUserCode(userCode),
      verificationUri,
      verificationUriComplete: complete.toString(),
      expiresIn: this.#o.expiresIn,
      interval: this.#o.interval,
    };
  }

  /**
   * What the request behind a user code asks for (client name, scope), so that the verification
   * page can show it before the user decides (RFC 8628 §5.4, remote phishing). Counts as a code
   * entry for the rate limits. A malformed, unknown, used or expired code throws
   * {@link InvalidUserCodeError}.
   */
  async describe(userId: string, userCode: unknown, context?: RequestContext): Promise<PendingDeviceRequest> {
    await this.#limitEntry(userId, context);
    const found = await this.#pending(userCode, false, context);
    const client = await this.#o.clients.get(found.request.clientId);
    if (!client) throw new InvalidUserCodeError();
    return {
      clientId: client.id,
      clientName: client.name,
      scope: found.request.scope,
      expiresIn: Math.max(0, Math.floor((found.request.expiresAt - this.#o.clock().getTime()) / 1000)),
    };
  }

  /**
   * The signed-in user `userId` approves (or denies) the request behind `userCode`. The user code
   * is single use: approving or denying consumes it. Rate limited per user and per IP
   * (RFC 8628 §5.1); a malformed, unknown, used or expired code throws {@link InvalidUserCodeError}.
   * On approval the next poll receives this user's tokens.
   */
  async decide(
    userId: string,
    userCode: unknown,
    approve: boolean,
    context?: RequestContext,
  ): Promise<{ clientId: string; scope: readonly string[] }> {
    await this.#limitEntry(userId, context);
    const { deviceHash, request } = await this.#pending(userCode, true, context);
    const decision: DeviceDecision = { approved: approve, userId };
    await storeCall(() =>
      this.#o.state.set(
        `device-decision:${deviceHash}`,
        JSON.stringify(decision),
        new Date(request.expiresAt + this.#retentionMs),
      ),
    );
    this.#o.events.emit(approve ? 'device.approved' : 'device.denied', context, this.#o.clock(), {
      userId,
      clientId: request.clientId,
    });
    return { clientId: request.clientId, scope: request.scope };
  }

  /**
   * One poll of the token endpoint with the device-code grant (RFC 8628 §3.4–3.5). The client
   * authenticates as at authorization, and the device code must have been issued to it (else
   * `invalid_grant`). Then, in order: expired -> {@link DeviceCodeExpiredError}; decided ->
   * the decision is consumed: denied -> {@link AccessDeniedError}, approved -> the approving
   * user's tokens (access + refresh), exactly once; still pending -> {@link SlowDownError} (the
   * interval grows by 5 s) when polled sooner than the interval after the previous poll, else
   * {@link AuthorizationPendingError}.
   *
   * A device code that already got its tokens is answered `invalid_grant`, and that poll, as a
   * second redemption (RFC 6749 §10.5), revokes the token family the first one received and
   * emits `code.reused`. An unknown code revokes nothing.
   */
  async poll(
    credentials: PresentedClientCredentials,
    deviceCode: unknown,
    context?: RequestContext,
  ): Promise<IssuedTokens> {
    const client = await this.#o.clients.authenticate(credentials, DEVICE_CODE_GRANT, context);
    if (typeof deviceCode !== 'string' || deviceCode.length > MAX_DEVICE_CODE_LENGTH) {
      throw new InvalidGrantError();
    }
    const deviceHash = hashDeviceSecret('device', deviceCode);
    const request = await this.#load(deviceHash);
    if (!request) {
      await detectReuse(this.#redemptions, 'device_code', deviceHash, context);
      throw new InvalidGrantError();
    }
    if (request.clientId !== client.id) throw new InvalidGrantError();
    const now = this.#o.clock().getTime();
    if (now >= request.expiresAt) throw new DeviceCodeExpiredError();
    const decided = await storeCall(() => this.#o.state.take(`device-decision:${deviceHash}`, new Date(now)));
    if (decided !== null) {
      const decision = JSON.parse(decided) as DeviceDecision;
      // Recorded before the request is forgotten, so any later poll finds the code redeemed.
      const redemption = decision.approved
        ? await markRedeemed(
            this.#redemptions,
            'device_code',
            deviceHash,
            { userId: decision.userId, clientId: request.clientId },
            new Date(request.expiresAt + this.#retentionMs),
          )
        : undefined;
      await storeCall(() => this.#o.state.delete(`device:${deviceHash}`));
      await storeCall(() => this.#o.state.delete(`device-poll:${deviceHash}`));
      if (!redemption) throw new AccessDeniedError();
      return this.#issue(decision.userId, request, redemption, context);
    }
    const polled = await storeCall(() => this.#o.state.get(`device-poll:${deviceHash}`, new Date(now)));
    const previous = polled === null ? null : (JSON.parse(polled) as PollState);
    const interval = previous?.interval ?? this.#o.interval;
    if (previous !== null && now - previous.lastPolledAt < interval * 1000) {
      const slower: PollState = { interval: interval + 5, lastPolledAt: now };
      await this.#put(`device-poll:${deviceHash}`, slower, request.expiresAt);
      throw new SlowDownError(slower.interval);
    }
    await this.#put(`device-poll:${deviceHash}`, { interval, lastPolledAt: now }, request.expiresAt);
    throw new AuthorizationPendingError();
  }

  async #issue(
    userId: string,
    request: DeviceRequest,
    redemption: RedemptionRef,
    context?: RequestContext,
  ): Promise<IssuedTokens> {
    const user = await storeCall(() => this.#o.users.findById(userId));
    // The approving account was disabled or flagged since: no tokens, and the device stops.
    if (!user?.isActive || user.passwordChangeRequired) throw new AccessDeniedError();
    const tokens = await this.#o.tokens.issue({ id: user.id, role: user.role }, context, {
      scope: request.scope,
      clientId: request.clientId,
    });
    // The code came back while these were issued: they are revoked already, so not handed out.
    if (await recordIssued(this.#redemptions, redemption, user.id, tokens.familyId, context)) {
      throw new InvalidGrantError();
    }
    this.#o.events.emit('login.succeeded', context, this.#o.clock(), {
      userId: user.id,
      factor: 'device_code',
      familyId: tokens.familyId,
    });
    return tokens;
  }

  /**
   * The rate limits of a user-code entry: wrong codes from the IP so far (checked first, counted
   * by {@link DeviceService.#wrongCode}, so guesses spread over several accounts add up), then
   * entries of the user and of the IP.
   */
  async #limitEntry(userId: string, context: RequestContext | undefined): Promise<void> {
    const { deviceCodeEntryPerUser, deviceCodeEntryPerIp, deviceCodeFailuresPerIp } = this.#o.rateLimits;
    await this.#o.limiter.check('device-code-failures-ip', context?.ip, deviceCodeFailuresPerIp);
    await this.#o.limiter.hit('device-code-entry-user', userId, deviceCodeEntryPerUser);
    await this.#o.limiter.hit('device-code-entry-ip', context?.ip, deviceCodeEntryPerIp);
  }

  /** A user code that names no live request: counted against the client IP, then refused. */
  async #wrongCode(context: RequestContext | undefined): Promise<never> {
    const limit = this.#o.rateLimits.deviceCodeFailuresPerIp;
    await this.#o.limiter.record('device-code-failures-ip', context?.ip, limit);
    throw new InvalidUserCodeError();
  }

  /** The live request behind a user code; with `consume`, the user code is used up (atomic take). */
  async #pending(
    userCode: unknown,
    consume: boolean,
    context: RequestContext | undefined,
  ): Promise<{ deviceHash: string; request: DeviceRequest }> {
    const normalized = normalizeUserCode(userCode);
    if (normalized === undefined) return this.#wrongCode(context);
    const key = `device-user:${hashDeviceSecret('user', normalized)}`;
    const now = this.#o.clock();
    const deviceHash = await storeCall(() =>
      consume ? this.#o.state.take(key, now) : this.#o.state.get(key, now),
    );
    const request = deviceHash === null ? null : await this.#load(deviceHash);
    if (deviceHash === null || !request || now.getTime() >= request.expiresAt)
      return this.#wrongCode(context);
    return { deviceHash, request };
  }

  async #freeUserCode(now: number): Promise<string> {
    for (let attempt = 0; attempt < USER_CODE_ATTEMPTS; attempt++) {
      const code = newUserCode();
      const key = `device-user:${hashDeviceSecret('user', code)}`;
      if ((await storeCall(() => this.#o.state.get(key, new Date(now)))) === null) return code;
    }
    throw new Error('gatehouse: no free device user code after several attempts');
  }

  async #load(deviceHash: string): Promise<DeviceRequest | null> {
    const value = await storeCall(() => this.#o.state.get(`device:${deviceHash}`, this.#o.clock()));
    return value === null ? null : (JSON.parse(value) as DeviceRequest);
  }

  /** Stores `value` as JSON, kept until `expiresAt` plus the retention (see {@link DeviceService}). */
  async #put(key: string, value: DeviceRequest | PollState, expiresAt: number): Promise<void> {
    await storeCall(() =>
      this.#o.state.set(key, JSON.stringify(value), new Date(expiresAt + this.#retentionMs)),
    );
  }
}
