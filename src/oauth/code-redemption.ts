/**
 * What a one-time code leaves behind once it is redeemed, so that a second redemption can revoke
 * what the first one issued (RFC 6749 §10.5: "If an authorization code is used more than once,
 * the authorization server MUST attempt to revoke all tokens previously issued based on that
 * code"; RFC 9700 §4.5 on code injection and replay). Used by the OAuth login code
 * (`/oauth/exchange`) and the device code of the device grant (RFC 8628).
 *
 * A code's own state entry is consumed by the redemption (`StateStore.take`), so a later attempt
 * cannot tell a used code from one that never existed. Three more entries, under the SHA-256 of
 * the code only and kept as long as the code would have lived, make the difference:
 *
 * - `code-used:<kind>:<hash>`: the code was redeemed, by whom (written by {@link markRedeemed},
 *   before or right after the single-use take and before anything is issued);
 * - `code-issued:<kind>:<hash>`: the token family the redemption started (written by
 *   {@link recordIssued} right after the issue);
 * - `code-reused:<kind>:<hash>`: a second attempt was seen (written by {@link detectReuse}).
 *
 * The two sides write first and read second, in opposite order: the issuer writes the family and
 * then looks for the reuse mark, a second attempt writes the mark and then reads the family. So
 * whichever comes last sees the other's write, and the family is revoked even when the second
 * attempt lands while the first is still issuing (several instances sharing one store included).
 * A code that never existed leaves nothing to find: nothing is revoked and nothing is written.
 *
 * @module
 */
import type { RequestContext, SecurityEvents } from '../events.js';
import { storeCall } from '../storage/store-call.js';
import type { StateStore } from '../storage/types.js';
import type { TokenService } from '../token/token-service.js';

/** Which one-time code: the OAuth login code, or the device code of the device grant. */
export type RedeemedCodeKind = 'login_code' | 'device_code';

/** What the redemption records need: the state store, the token family revocation, events, a clock. */
export interface CodeRedemptionDeps {
  readonly state: StateStore;
  readonly tokens: Pick<TokenService, 'revokeFamily'>;
  readonly events: SecurityEvents;
  readonly clock: () => Date;
}

/**
 * A redeemed code, as far as its records go: where they are and until when they are kept. Plain
 * data, so it can travel with a login challenge (the second factor issues the tokens later).
 */
export interface RedemptionRef {
  readonly kind: RedeemedCodeKind;
  /** SHA-256 of the code (the caller's own hashing), never the code. */
  readonly codeHash: string;
  /** Epoch milliseconds: when the code would have expired; the records expire with it. */
  readonly expiresAt: number;
}

/** Who redeemed a code. */
interface UsedRecord {
  readonly userId: string;
  /** The client a device code was issued to; `null` for login codes. */
  readonly clientId: string | null;
  readonly expiresAt: number;
}

const usedKey = (kind: RedeemedCodeKind, hash: string): string => `code-used:${kind}:${hash}`;
const issuedKey = (kind: RedeemedCodeKind, hash: string): string => `code-issued:${kind}:${hash}`;
const reusedKey = (kind: RedeemedCodeKind, hash: string): string => `code-reused:${kind}:${hash}`;

/**
 * Records that a code is being redeemed by `userId` (and, for a device code, its client), until
 * `expiresAt`. Call it before anything is issued: before the single-use take when the code can be
 * read first (so even a concurrent loser of the take finds it), else right after the take.
 */
export async function markRedeemed(
  deps: CodeRedemptionDeps,
  kind: RedeemedCodeKind,
  codeHash: string,
  owner: { readonly userId: string; readonly clientId: string | null },
  expiresAt: Date,
): Promise<RedemptionRef> {
  const record: UsedRecord = {
    userId: owner.userId,
    clientId: owner.clientId,
    expiresAt: expiresAt.getTime(),
  };
  await storeCall(() => deps.state.set(usedKey(kind, codeHash), JSON.stringify(record), expiresAt));
  return { kind, codeHash, expiresAt: record.expiresAt };
}

/**
 * Whether a second attempt with the code was already seen. Lets a flow that issues later (the
 * second factor after a login code) refuse before issuing; {@link recordIssued} still covers an
 * attempt that arrives afterwards.
 */
export async function wasReused(deps: CodeRedemptionDeps, ref: RedemptionRef): Promise<boolean> {
  const now = deps.clock();
  if (now.getTime() >= ref.expiresAt) return false;
  return (await storeCall(() => deps.state.get(reusedKey(ref.kind, ref.codeHash), now))) !== null;
}

/**
 * Records the token family a redemption issued, then checks for a second attempt that came in
 * meanwhile: if there was one, the family is revoked here (`token.revoked`, reason `reuse`) and
 * `true` is returned. After the code's lifetime nothing is recorded.
 */
export async function recordIssued(
  deps: CodeRedemptionDeps,
  ref: RedemptionRef,
  userId: string,
  familyId: string,
  context?: RequestContext,
): Promise<boolean> {
  const now = deps.clock();
  if (now.getTime() >= ref.expiresAt) return false;
  const expiresAt = new Date(ref.expiresAt);
  await storeCall(() => deps.state.set(issuedKey(ref.kind, ref.codeHash), familyId, expiresAt));
  const reused = await storeCall(() => deps.state.get(reusedKey(ref.kind, ref.codeHash), now));
  if (reused === null) return false;
  await revoke(deps, userId, familyId, context);
  return true;
}

/**
 * Called when a presented code was not found (or lost the single-use take). When the code was
 * redeemed before, this is a second redemption: it is marked, the family the first redemption
 * issued is revoked (`token.revoked`, reason `reuse`; if the first is still issuing, it revokes
 * its own family on seeing the mark), `code.reused` is emitted, and the redeeming user is
 * returned. A code that was never redeemed (unknown, expired, forged) returns `null` and changes
 * nothing.
 */
export async function detectReuse(
  deps: CodeRedemptionDeps,
  kind: RedeemedCodeKind,
  codeHash: string,
  context?: RequestContext,
): Promise<{ readonly userId: string; readonly familyId: string | null } | null> {
  const now = deps.clock();
  const raw = await storeCall(() => deps.state.get(usedKey(kind, codeHash), now));
  if (raw === null) return null;
  const used = JSON.parse(raw) as UsedRecord;
  await storeCall(() => deps.state.set(reusedKey(kind, codeHash), '1', new Date(used.expiresAt)));
  const familyId = await storeCall(() => deps.state.get(issuedKey(kind, codeHash), now));
  const revokedTokens = familyId === null ? 0 : await revoke(deps, used.userId, familyId, context);
  deps.events.emit('code.reused', context, now, {
    userId: used.userId,
    kind,
    clientId: used.clientId,
    familyId,
    revokedTokens,
  });
  return { userId: used.userId, familyId };
}

async function revoke(
  deps: CodeRedemptionDeps,
  userId: string,
  familyId: string,
  context: RequestContext | undefined,
): Promise<number> {
  const count = await deps.tokens.revokeFamily(familyId);
  deps.events.emit('token.revoked', context, deps.clock(), {
    userId,
    scope: 'family',
    reason: 'reuse',
    count,
  });
  return count;
}
