/**
 * {@link MfaRepository} kept in process memory.
 *
 * @module
 */
import type { MfaRepository, TotpRecord } from '../types.js';

function copyTotp(record: TotpRecord): TotpRecord {
  return Object.freeze({
    userId: record.userId,
    secret: record.secret,
    enabled: record.enabled,
    lastUsedStep: record.lastUsedStep,
    createdAt: new Date(record.createdAt.getTime()),
    updatedAt: new Date(record.updatedAt.getTime()),
  });
}

/**
 * {@link MfaRepository} kept in process memory: a `Map` of TOTP factors and a `Map` of backup-code
 * hash sets. Every method runs synchronously from check to write, so `useTotpStep` and
 * `consumeBackupCode` are true compare-and-swaps. A user without codes has no entry.
 */
export class MemoryMfaRepository implements MfaRepository {
  readonly #totp = new Map<string, TotpRecord>();
  readonly #backupCodes = new Map<string, Set<string>>();

  async getTotp(userId: string): Promise<TotpRecord | null> {
    const record = this.#totp.get(userId);
    return record === undefined ? null : copyTotp(record);
  }

  async saveTotp(record: TotpRecord): Promise<void> {
    this.#totp.set(record.userId, copyTotp(record));
  }

  async deleteTotp(userId: string): Promise<boolean> {
    return this.#totp.delete(userId);
  }

  async useTotpStep(userId: string, step: number, now: Date): Promise<boolean> {
    const record = this.#totp.get(userId);
    if (record === undefined) return false;
    if (record.lastUsedStep !== null && record.lastUsedStep >= step) return false;
    this.#totp.set(userId, copyTotp({ ...record, lastUsedStep: step, updatedAt: now }));
    return true;
  }

  async replaceBackupCodes(userId: string, codeHashes: readonly string[], _now: Date): Promise<void> {
    if (codeHashes.length === 0) this.#backupCodes.delete(userId);
    else this.#backupCodes.set(userId, new Set(codeHashes));
  }

  async consumeBackupCode(userId: string, codeHash: string): Promise<boolean> {
    const codes = this.#backupCodes.get(userId);
    if (codes === undefined || !codes.delete(codeHash)) return false;
    if (codes.size === 0) this.#backupCodes.delete(userId);
    return true;
  }

  async countBackupCodes(userId: string): Promise<number> {
    return this.#backupCodes.get(userId)?.size ?? 0;
  }

  async deleteAllForUser(userId: string): Promise<void> {
    this.#totp.delete(userId);
    this.#backupCodes.delete(userId);
  }
}
