/**
 * {@link MfaRepository} on SQLite (better-sqlite3): the `mfa_totp` and `mfa_backup_codes` tables.
 * Every statement is prepared once. The replay check of `useTotpStep` is a compare-and-swap
 * `UPDATE ... WHERE last_used_step IS NULL OR last_used_step < ?`, and `consumeBackupCode` a
 * single `DELETE` whose change count says whether this call used the code, so both hold across
 * connections and processes.
 *
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { MfaRepository, TotpRecord } from '../../src/storage/types.js';

/** A row of the `mfa_totp` table as better-sqlite3 returns it. */
interface TotpRow {
  user_id: string;
  secret: string;
  enabled: number;
  last_used_step: number | null;
  created_at: number;
  updated_at: number;
}

const TOTP_COLUMNS = 'user_id, secret, enabled, last_used_step, created_at, updated_at';

function toRow(record: TotpRecord): TotpRow {
  return {
    user_id: record.userId,
    secret: record.secret,
    enabled: record.enabled ? 1 : 0,
    last_used_step: record.lastUsedStep,
    created_at: record.createdAt.getTime(),
    updated_at: record.updatedAt.getTime(),
  };
}

function fromRow(row: TotpRow): TotpRecord {
  return {
    userId: row.user_id,
    secret: row.secret,
    enabled: row.enabled === 1,
    lastUsedStep: row.last_used_step,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/**
 * {@link MfaRepository} backed by the `mfa_totp` and `mfa_backup_codes` tables of a migrated
 * database (see `migrateSqliteDatabase`). Usually obtained through `createSqliteStore`. The tables
 * have no foreign key to `users`, so this repository also works next to users kept elsewhere.
 */
export class SqliteMfaRepository implements MfaRepository {
  readonly #getTotp: BetterSqlite3.Statement<[string], TotpRow>;
  readonly #saveTotp: BetterSqlite3.Statement<[TotpRow]>;
  readonly #deleteTotp: BetterSqlite3.Statement<[string]>;
  readonly #useStep: BetterSqlite3.Statement<[{ user_id: string; step: number; now: number }]>;
  readonly #insertCode: BetterSqlite3.Statement<[{ user_id: string; code_hash: string; now: number }]>;
  readonly #consumeCode: BetterSqlite3.Statement<[{ user_id: string; code_hash: string }]>;
  readonly #countCodes: BetterSqlite3.Statement<[string], number>;
  readonly #deleteCodes: BetterSqlite3.Statement<[string]>;
  readonly #replaceCodes: (userId: string, codeHashes: readonly string[], now: number) => void;
  readonly #deleteAll: (userId: string) => void;

  /** Prepares every statement once against `db`, which must already hold the gatehouse schema. */
  constructor(db: BetterSqlite3.Database) {
    this.#getTotp = db
      .prepare<[string], TotpRow>(`SELECT ${TOTP_COLUMNS} FROM mfa_totp WHERE user_id = ?`)
      .safeIntegers(false);
    this.#saveTotp = db.prepare<[TotpRow]>(
      `INSERT INTO mfa_totp (${TOTP_COLUMNS})
       VALUES (@user_id, @secret, @enabled, @last_used_step, @created_at, @updated_at)
       ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, enabled = excluded.enabled,
         last_used_step = excluded.last_used_step, created_at = excluded.created_at,
         updated_at = excluded.updated_at`,
    );
    this.#deleteTotp = db.prepare<[string]>('DELETE FROM mfa_totp WHERE user_id = ?');
    this.#useStep = db.prepare(
      `UPDATE mfa_totp SET last_used_step = @step, updated_at = @now
       WHERE user_id = @user_id AND (last_used_step IS NULL OR last_used_step < @step)`,
    );
    // A list with the same hash twice stores it once, as a set would.
    this.#insertCode = db.prepare(
      `INSERT INTO mfa_backup_codes (user_id, code_hash, created_at) VALUES (@user_id, @code_hash, @now)
       ON CONFLICT (user_id, code_hash) DO NOTHING`,
    );
    this.#consumeCode = db.prepare(
      'DELETE FROM mfa_backup_codes WHERE user_id = @user_id AND code_hash = @code_hash',
    );
    this.#countCodes = db
      .prepare<[string], number>('SELECT count(*) FROM mfa_backup_codes WHERE user_id = ?')
      .pluck()
      .safeIntegers(false);
    this.#deleteCodes = db.prepare<[string]>('DELETE FROM mfa_backup_codes WHERE user_id = ?');

    // Immediate transactions: another connection sees either the old set or the new one, never a mix.
    const replace = db.transaction((userId: string, codeHashes: readonly string[], now: number) => {
      this.#deleteCodes.run(userId);
      for (const codeHash of codeHashes) this.#insertCode.run({ user_id: userId, code_hash: codeHash, now });
    });
    this.#replaceCodes = (userId, codeHashes, now) => replace.immediate(userId, codeHashes, now);
    const deleteAll = db.transaction((userId: string) => {
      this.#deleteTotp.run(userId);
      this.#deleteCodes.run(userId);
    });
    this.#deleteAll = (userId) => deleteAll.immediate(userId);
  }

  async getTotp(userId: string): Promise<TotpRecord | null> {
    const row = this.#getTotp.get(userId);
    return row ? fromRow(row) : null;
  }

  async saveTotp(record: TotpRecord): Promise<void> {
    this.#saveTotp.run(toRow(record));
  }

  async deleteTotp(userId: string): Promise<boolean> {
    return this.#deleteTotp.run(userId).changes > 0;
  }

  async useTotpStep(userId: string, step: number, now: Date): Promise<boolean> {
    return this.#useStep.run({ user_id: userId, step, now: now.getTime() }).changes === 1;
  }

  async replaceBackupCodes(userId: string, codeHashes: readonly string[], now: Date): Promise<void> {
    this.#replaceCodes(userId, codeHashes, now.getTime());
  }

  async consumeBackupCode(userId: string, codeHash: string): Promise<boolean> {
    return this.#consumeCode.run({ user_id: userId, code_hash: codeHash }).changes === 1;
  }

  async countBackupCodes(userId: string): Promise<number> {
    return this.#countCodes.get(userId) ?? 0;
  }

  async deleteAllForUser(userId: string): Promise<void> {
    this.#deleteAll(userId);
  }
}
