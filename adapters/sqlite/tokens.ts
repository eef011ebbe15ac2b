/**
 * {@link TokenRepository} on SQLite (better-sqlite3): the server-side token table. Every statement
 * is prepared once; `findById`, which runs on every authenticated request, is a single prepared
 * primary-key `get`. Refresh rotation is a compare-and-swap `UPDATE ... WHERE replaced_by IS NULL`
 * inside an immediate transaction, so of any number of concurrent rotations (from any connection
 * or process) exactly one wins.
 *
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { NewTokenRecord, RotateResult, TokenRecord, TokenRepository } from '../../src/storage/types.js';

/** A row of the `tokens` table as better-sqlite3 returns it. */
interface TokenRow {
  id: string;
  user_id: string;
  kind: string;
  family_id: string;
  token_hash: string | null;
  expires_at: number;
  family_expires_at: number;
  is_active: number;
  ip_address: string | null;
  user_agent: string | null;
  scope: string | null;
  client_id: string | null;
  replaced_by: string | null;
  used_at: number | null;
  created_at: number;
  updated_at: number;
}

const TOKEN_COLUMNS =
  'id, user_id, kind, family_id, token_hash, expires_at, family_expires_at, is_active, ip_address, user_agent, ' +
  'scope, client_id, replaced_by, used_at, created_at, updated_at';

function toRow(record: TokenRecord): TokenRow {
  return {
    id: record.id,
    user_id: record.userId,
    kind: record.kind,
    family_id: record.familyId,
    token_hash: record.tokenHash,
    expires_at: record.expiresAt.getTime(),
    family_expires_at: record.familyExpiresAt.getTime(),
    is_active: record.active ? 1 : 0,
    ip_address: record.ipAddress,
    user_agent: record.userAgent,
    scope: record.scope,
    client_id: record.clientId,
    replaced_by: record.replacedBy,
    used_at: record.usedAt === null ? null : record.usedAt.getTime(),
    created_at: record.createdAt.getTime(),
    updated_at: record.updatedAt.getTime(),
  };
}

function fromRow(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    userId: row.user_id,
    // The CHECK constraint of the schema guarantees one of the two.
    kind: row.kind === 'access' ? 'access' : 'refresh',
    familyId: row.family_id,
    tokenHash: row.token_hash,
    expiresAt: new Date(row.expires_at),
    familyExpiresAt: new Date(row.family_expires_at),
    active: row.is_active === 1,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    scope: row.scope,
    clientId: row.client_id,
    replacedBy: row.replaced_by,
    usedAt: row.used_at === null ? null : new Date(row.used_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/**
 * {@link TokenRepository} backed by the `tokens` table of a migrated database (see
 * `migrateSqliteDatabase`). Usually obtained through `createSqliteStore`; it does not need the
 * `users` table, so it can sit next to a user repository kept elsewhere.
 */
export class SqliteTokenRepository implements TokenRepository {
  readonly #insert: BetterSqlite3.Statement<[TokenRow]>;
  readonly #byId: BetterSqlite3.Statement<[string], TokenRow>;
  readonly #byHash: BetterSqlite3.Statement<[string], TokenRow>;
  readonly #markUsed: BetterSqlite3.Statement<[{ id: string; replaced_by: string; now: number }]>;
  readonly #revoke: BetterSqlite3.Statement<[{ id: string; now: number }]>;
  readonly #revokeFamily: BetterSqlite3.Statement<[{ family_id: string; now: number }]>;
  readonly #revokeUser: BetterSqlite3.Statement<[{ user_id: string; now: number }]>;
  readonly #revokeUserExcept: BetterSqlite3.Statement<[{ user_id: string; now: number; except: string }]>;
  readonly #revokeClient: BetterSqlite3.Statement<[{ client_id: string; now: number }]>;
  readonly #listActive: BetterSqlite3.Statement<[{ user_id: string; now: number }], TokenRow>;
  readonly #deleteUser: BetterSqlite3.Statement<[string]>;
  readonly #deleteExpired: BetterSqlite3.Statement<[number]>;
  readonly #rotate: (currentId: string, next: NewTokenRecord, now: number) => RotateResult;

  /** Prepares every statement once against `db`, which must already hold the gatehouse schema. */
  constructor(db: BetterSqlite3.Database) {
    this.#insert = db.prepare<[TokenRow]>(
      `INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES (@id, @user_id, @kind, @family_id, @token_hash, @expires_at,
        @family_expires_at, @is_active, @ip_address, @user_agent, @scope, @client_id, @replaced_by, @used_at,
        @created_at, @updated_at)`,
    );
    this.#byId = db
      .prepare<[string], TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`)
      .safeIntegers(false);
    this.#byHash = db
      .prepare<[string], TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE token_hash = ?`)
      .safeIntegers(false);
    this.#markUsed = db.prepare(
      `UPDATE tokens SET replaced_by = @replaced_by, used_at = @now, updated_at = @now
       WHERE id = @id AND is_active = 1 AND replaced_by IS NULL`,
    );
    this.#revoke = db.prepare(
      'UPDATE tokens SET is_active = 0, updated_at = @now WHERE id = @id AND is_active = 1',
    );
    this.#revokeFamily = db.prepare(
      'UPDATE tokens SET is_active = 0, updated_at = @now WHERE family_id = @family_id AND is_active = 1',
    );
    this.#revokeUser = db.prepare(
      'UPDATE tokens SET is_active = 0, updated_at = @now WHERE user_id = @user_id AND is_active = 1',
    );
    this.#revokeUserExcept = db.prepare(
      `UPDATE tokens SET is_active = 0, updated_at = @now
       WHERE user_id = @user_id AND is_active = 1 AND family_id <> @except`,
    );
    this.#revokeClient = db.prepare(
      'UPDATE tokens SET is_active = 0, updated_at = @now WHERE client_id = @client_id AND is_active = 1',
    );
    this.#listActive = db
      .prepare<[{ user_id: string; now: number }], TokenRow>(
        `SELECT ${TOKEN_COLUMNS} FROM tokens
         WHERE user_id = @user_id AND is_active = 1 AND expires_at > @now
         ORDER BY created_at, id`,
      )
      .safeIntegers(false);
    this.#deleteUser = db.prepare<[string]>('DELETE FROM tokens WHERE user_id = ?');
    this.#deleteExpired = db.prepare<[number]>('DELETE FROM tokens WHERE expires_at < ?');

    // BEGIN IMMEDIATE takes the write lock before the compare, so another connection cannot slip
    // in between; a failed insert of the successor rolls the mark back.
    const rotate = db.transaction((currentId: string, next: NewTokenRecord, now: number): RotateResult => {
      const marked = this.#markUsed.run({ id: currentId, replaced_by: next.id, now }).changes;
      if (marked === 1) {
        this.#insert.run(toRow(next));
        return { status: 'rotated' };
      }
      const row = this.#byId.get(currentId);
      if (row && row.is_active === 1 && row.replaced_by !== null) {
        return { status: 'already_rotated', current: fromRow(row) };
      }
      return { status: 'inactive' };
    });
    this.#rotate = (currentId, next, now) => rotate.immediate(currentId, next, now);
  }

  async create(record: NewTokenRecord): Promise<TokenRecord> {
    const row = toRow(record);
    this.#insert.run(row);
    return fromRow(row);
  }

  async findById(id: string): Promise<TokenRecord | null> {
    const row = this.#byId.get(id);
    return row ? fromRow(row) : null;
  }

  async findByHash(hash: string): Promise<TokenRecord | null> {
    const row = this.#byHash.get(hash);
    return row ? fromRow(row) : null;
  }

  async rotate(currentId: string, next: NewTokenRecord, now: Date): Promise<RotateResult> {
    return this.#rotate(currentId, next, now.getTime());
  }

  async revoke(id: string, now: Date): Promise<boolean> {
    return this.#revoke.run({ id, now: now.getTime() }).changes > 0;
  }

  async revokeFamily(familyId: string, now: Date): Promise<number> {
    return this.#revokeFamily.run({ family_id: familyId, now: now.getTime() }).changes;
  }

  async revokeAllForUser(userId: string, now: Date, exceptFamilyId?: string): Promise<number> {
    const params = { user_id: userId, now: now.getTime() };
    return exceptFamilyId === undefined
      ? this.#revokeUser.run(params).changes
      : this.#revokeUserExcept.run({ ...params, except: exceptFamilyId }).changes;
  }

  async revokeAllForClient(clientId: string, now: Date): Promise<number> {
    return this.#revokeClient.run({ client_id: clientId, now: now.getTime() }).changes;
  }

  async listActiveForUser(userId: string, now: Date): Promise<TokenRecord[]> {
    return this.#listActive.all({ user_id: userId, now: now.getTime() }).map(fromRow);
  }

  async deleteAllForUser(userId: string): Promise<number> {
    return this.#deleteUser.run(userId).changes;
  }

  async deleteExpired(before: Date): Promise<number> {
    return this.#deleteExpired.run(before.getTime()).changes;
  }
}
