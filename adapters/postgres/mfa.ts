/**
 * {@link MfaRepository} on PostgreSQL: the `mfa_totp` and `mfa_backup_codes` tables.
 *
 * The two checks that second factors rest on are single statements whose row lock decides
 * concurrent calls from any instance: `useTotpStep` is a compare-and-swap `UPDATE ... WHERE
 * last_used_step IS NULL OR last_used_step < $step` (RFC 6238 §5.2: a code is accepted once), and
 * `consumeBackupCode` a `DELETE` of one `(user, hash)` row, so a backup code is used once (OWASP
 * ASVS v4 2.6.1). A waiting call re-checks its `WHERE` against the row the winner committed.
 *
 * `replaceBackupCodes` deletes the old set and inserts the new one in one transaction, after
 * taking an advisory lock on the user: without the lock, two concurrent replacements under READ
 * COMMITTED would each delete only the rows their snapshot saw and leave both new sets behind. With
 * it, readers see the old set or the new one, and the last replacement wins whole.
 *
 * @module
 */
import type { MfaRepository, TotpRecord } from '../../src/storage/types.js';
import { hasNul, named, type PostgresPool, quoteSchema, run, withAdvisoryLock } from './sql.js';

/** A row of `mfa_totp` as pg returns it (`bigint` comes back as a string). */
interface TotpRow {
  user_id: string;
  secret: string;
  enabled: boolean;
  last_used_step: string | null;
  created_at: Date;
  updated_at: Date;
}

const TOTP_COLUMNS = 'user_id, secret, enabled, last_used_step, created_at, updated_at';

function fromRow(row: TotpRow): TotpRecord {
  return {
    userId: row.user_id,
    secret: row.secret,
    enabled: row.enabled,
    lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * {@link MfaRepository} backed by `<schema>.mfa_totp` and `<schema>.mfa_backup_codes` of a migrated
 * schema (see `migratePostgres`). Usually obtained through `createPostgresStore`. `db` must be a
 * pool (see {@link PostgresPool}): `replaceBackupCodes` borrows one connection for its
 * transaction. The tables have no foreign key to `users`, so this repository also works next to
 * users kept elsewhere.
 */
export class PostgresMfaRepository implements MfaRepository {
  readonly #db: PostgresPool;
  readonly #lockPrefix: string;
  readonly #getTotp;
  readonly #saveTotp;
  readonly #deleteTotp;
  readonly #useStep;
  readonly #deleteCodes;
  readonly #insertCodes;
  readonly #consumeCode;
  readonly #countCodes;
  readonly #deleteAll;

  /** `db` is a `pg.Pool`; `schema` the schema holding the tables (default `gatehouse`). */
  constructor(db: PostgresPool, schema = 'gatehouse') {
    this.#db = db;
    const s = quoteSchema(schema);
    const totp = `${s}.mfa_totp`;
    const codes = `${s}.mfa_backup_codes`;
    this.#lockPrefix = `gatehouse mfa_backup_codes ${schema} `;
    this.#getTotp = named(`SELECT ${TOTP_COLUMNS} FROM ${totp} WHERE user_id = $1`);
    this.#saveTotp = named(
      `INSERT INTO ${totp} (${TOTP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, enabled = excluded.enabled,
         last_used_step = excluded.last_used_step, created_at = excluded.created_at,
         updated_at = excluded.updated_at`,
    );
    this.#deleteTotp = named(`DELETE FROM ${totp} WHERE user_id = $1`);
    this.#useStep = named(
      `UPDATE ${totp} SET last_used_step = $2, updated_at = $3
       WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2)`,
    );
    this.#deleteCodes = named(`DELETE FROM ${codes} WHERE user_id = $1`);
    // A list with the same hash twice stores it once, as a set would.
    this.#insertCodes = named(
      `INSERT INTO ${codes} (user_id, code_hash, created_at)
       SELECT $1::text, hash, $3::timestamptz FROM unnest($2::text[]) AS hash
       ON CONFLICT (user_id, code_hash) DO NOTHING`,
    );
    this.#consumeCode = named(`DELETE FROM ${codes} WHERE user_id = $1 AND code_hash = $2`);
    this.#countCodes = named(`SELECT count(*)::int AS n FROM ${codes} WHERE user_id = $1`);
    this.#deleteAll = named(
      `WITH factor AS (DELETE FROM ${totp} WHERE user_id = $1)
       DELETE FROM ${codes} WHERE user_id = $1`,
    );
  }

  async getTotp(userId: string): Promise<TotpRecord | null> {
    if (hasNul(userId)) return null;
    const { rows } = await run<TotpRow>(this.#db, this.#getTotp, [userId]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async saveTotp(record: TotpRecord): Promise<void> {
    await run(this.#db, this.#saveTotp, [
      record.userId,
      record.secret,
      record.enabled,
      record.lastUsedStep,
      record.createdAt,
      record.updatedAt,
    ]);
  }

  async deleteTotp(userId: string): Promise<boolean> {
    if (hasNul(userId)) return false;
    const { rowCount } = await run(this.#db, this.#deleteTotp, [userId]);
    return rowCount === 1;
  }

  async useTotpStep(userId: string, step: number, now: Date): Promise<boolean> {
    if (hasNul(userId)) return false;
    const { rowCount } = await run(this.#db, this.#useStep, [userId, step, now]);
    return rowCount === 1;
  }

  async replaceBackupCodes(userId: string, codeHashes: readonly string[], now: Date): Promise<void> {
    // A NUL in the user id or a hash is refused by the server: the write throws, nothing changes.
    await withAdvisoryLock(this.#db, this.#lockPrefix + userId, async (client) => {
      await run(client, this.#deleteCodes, [userId]);
      if (codeHashes.length > 0) await run(client, this.#insertCodes, [userId, [...codeHashes], now]);
    });
  }

  async consumeBackupCode(userId: string, codeHash: string): Promise<boolean> {
    if (hasNul(userId) || hasNul(codeHash)) return false;
    const { rowCount } = await run(this.#db, this.#consumeCode, [userId, codeHash]);
    return rowCount === 1;
  }

  async countBackupCodes(userId: string): Promise<number> {
    if (hasNul(userId)) return 0;
    const { rows } = await run<{ n: number }>(this.#db, this.#countCodes, [userId]);
    return rows[0]?.n ?? 0;
  }

  async deleteAllForUser(userId: string): Promise<void> {
    if (hasNul(userId)) return;
    await run(this.#db, this.#deleteAll, [userId]);
  }
}
