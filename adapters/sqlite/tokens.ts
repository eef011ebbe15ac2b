/**
 * {@link TokenRepository} on SQLite (better-sqlite3): the server-side token table. Every statement
 * is prepared once; `findById`, which runs on every authenticated request, is a single prepared
 * statement: the token row by primary key joined with its family and its user's generation, which
 * together give the record's effective `active` (see `TokenRepository` on revocation). Refresh
 * rotation is a compare-and-swap `UPDATE ... WHERE replaced_by IS NULL` inside an immediate
 * transaction, so of any number of concurrent rotations (from any connection or process) exactly
 * one wins; every multi-statement write is one immediate transaction.
 *
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import type {
  NewTokenRecord,
  RotateResult,
  SyncTokenReads,
  TokenRecord,
  TokenRepository,
  TokenWithUser,
  UserRepository,
} from '../../src/storage/types.js';
import { USER_COLUMNS, type UserRow, userFromRow } from './users.js';

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
 * The columns of a read: `is_active` is the effective state, live only when the row, its family and
 * the family's generation all are (a missing family reads as revoked). In the order of
 * {@link TokenRow}'s fields, which raw reads (`tokenRowOf`) rely on.
 */
const READ_COLUMNS = `t.id, t.user_id, t.kind, t.family_id, t.token_hash, t.expires_at, t.family_expires_at,
  coalesce(t.is_active = 1 AND f.revoked_at IS NULL AND f.generation = coalesce(s.generation, 0), 0) AS is_active,
  t.ip_address, t.user_agent, t.scope, t.client_id, t.replaced_by, t.used_at, t.created_at, t.updated_at`;
const READ_FROM = `tokens t
  LEFT JOIN token_families f ON f.id = t.family_id
  LEFT JOIN token_subjects s ON s.user_id = f.user_id`;
/** The user table's columns, in `USER_COLUMNS` order. */
const USER_FIELDS = USER_COLUMNS.split(', ');

/**
 * The token row in the values of a raw read (an array, which better-sqlite3 builds several times
 * faster than an object per row): `READ_COLUMNS`, in the order of {@link TokenRow}'s fields.
 */
function tokenRowOf(v: readonly unknown[]): TokenRow {
  return {
    id: v[0] as string,
    user_id: v[1] as string,
    kind: v[2] as string,
    family_id: v[3] as string,
    token_hash: v[4] as string | null,
    expires_at: v[5] as number,
    family_expires_at: v[6] as number,
    is_active: v[7] as number,
    ip_address: v[8] as string | null,
    user_agent: v[9] as string | null,
    scope: v[10] as string | null,
    client_id: v[11] as string | null,
    replaced_by: v[12] as string | null,
    used_at: v[13] as number | null,
    created_at: v[14] as number,
    updated_at: v[15] as number,
  };
}

/** The user's row in the values of the joined raw read: `USER_COLUMNS` after the token's 16. */
function userRowOf(v: readonly unknown[]): UserRow {
  const user: Record<string, unknown> = {};
  for (let i = 0; i < USER_FIELDS.length; i++) user[USER_FIELDS[i] as string] = v[16 + i];
  return user as unknown as UserRow;
}

/** True for the family `tokens.family_id` while it is live. */
const FAMILY_LIVE = `EXISTS (SELECT 1 FROM token_families f LEFT JOIN token_subjects s ON s.user_id = f.user_id
  WHERE f.id = tokens.family_id AND f.revoked_at IS NULL AND f.generation = coalesce(s.generation, 0))`;

/**
 * {@link TokenRepository} backed by the `tokens`, `token_families` and `token_subjects` tables of a
 * migrated database (see `migrateSqliteDatabase`). Usually obtained through `createSqliteStore`;
 * it does not need the `users` table, so it can sit next to a user repository kept elsewhere.
 */
export class SqliteTokenRepository implements TokenRepository {
  readonly #users: UserRepository | undefined;
  readonly #byIdWithUser: BetterSqlite3.Statement<[string], unknown[]>;
  readonly #byIdValues: BetterSqlite3.Statement<[string], unknown[]>;
  readonly #byId: BetterSqlite3.Statement<[string], TokenRow>;
  readonly #byHash: BetterSqlite3.Statement<[string], TokenRow>;
  readonly #listActive: BetterSqlite3.Statement<[{ user_id: string; now: number }], TokenRow>;
  readonly #revoke: BetterSqlite3.Statement<[{ id: string; now: number }]>;
  readonly #create: (row: TokenRow) => void;
  readonly #rotate: (currentId: string, next: NewTokenRecord, now: number) => RotateResult;
  readonly #revokeFamily: (familyId: string, now: number) => number;
  readonly #revokeUser: (userId: string, now: number, except: string | null) => number;
  readonly #revokeClient: (clientId: string, now: number) => number;
  readonly #deleteUser: (userId: string) => number;
  readonly #deleteExpired: (before: number) => number;

  /**
   * Prepares every statement once against `db`, which must already hold the gatehouse schema.
   * `options.users` is the user repository of the same database, which `findByIdWithUser` joins.
   */
  constructor(db: BetterSqlite3.Database, options: { users?: UserRepository } = {}) {
    this.#users = options.users;
    const insertToken = db.prepare<[TokenRow]>(
      `INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES (@id, @user_id, @kind, @family_id, @token_hash, @expires_at,
        @family_expires_at, @is_active, @ip_address, @user_agent, @scope, @client_id, @replaced_by, @used_at,
        @created_at, @updated_at)`,
    );
    // The first record of a family starts it, at the user's current generation.
    const startFamily = db.prepare<[TokenRow]>(
      `INSERT INTO token_families (id, user_id, client_id, generation, revoked_at, expires_at, created_at)
       VALUES (@family_id, @user_id, @client_id,
         coalesce((SELECT generation FROM token_subjects WHERE user_id = @user_id), 0),
         NULL, @family_expires_at, @created_at)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.#byId = db
      .prepare<[string], TokenRow>(`SELECT ${READ_COLUMNS} FROM ${READ_FROM} WHERE t.id = ?`)
      .safeIntegers(false);
    this.#byIdValues = db
      .prepare<[string], unknown[]>(`SELECT ${READ_COLUMNS} FROM ${READ_FROM} WHERE t.id = ?`)
      .raw(true)
      .safeIntegers(false);
    const userRead = USER_FIELDS.map((column) => `u.${column}`).join(', ');
    this.#byIdWithUser = db
      .prepare<[string], unknown[]>(
        `SELECT ${READ_COLUMNS}, ${userRead} FROM ${READ_FROM} LEFT JOIN users u ON u.id = t.user_id WHERE t.id = ?`,
      )
      .raw(true)
      .safeIntegers(false);
    this.#byHash = db
      .prepare<[string], TokenRow>(`SELECT ${READ_COLUMNS} FROM ${READ_FROM} WHERE t.token_hash = ?`)
      .safeIntegers(false);
    this.#listActive = db
      .prepare<[{ user_id: string; now: number }], TokenRow>(
        `SELECT * FROM (SELECT ${READ_COLUMNS} FROM ${READ_FROM} WHERE t.user_id = @user_id AND t.is_active = 1)
         WHERE is_active = 1 AND expires_at > @now
         ORDER BY created_at, id`,
      )
      .safeIntegers(false);
    const markUsed = db.prepare<[{ id: string; replaced_by: string; now: number }]>(
      `UPDATE tokens SET replaced_by = @replaced_by, used_at = @now, updated_at = @now
       WHERE id = @id AND is_active = 1 AND replaced_by IS NULL AND ${FAMILY_LIVE}`,
    );
    this.#revoke = db.prepare(
      'UPDATE tokens SET is_active = 0, updated_at = @now WHERE id = @id AND is_active = 1',
    );
    const revokeFamilyRow = db.prepare<[{ family_id: string; now: number }]>(
      'UPDATE token_families SET revoked_at = @now WHERE id = @family_id AND revoked_at IS NULL',
    );
    const revokeFamilyTokens = db.prepare<[{ family_id: string; now: number }]>(
      'UPDATE tokens SET is_active = 0, updated_at = @now WHERE family_id = @family_id AND is_active = 1',
    );
    const raiseGeneration = db
      .prepare<[string], number>(
        `INSERT INTO token_subjects (user_id, generation) VALUES (?, 1)
         ON CONFLICT (user_id) DO UPDATE SET generation = generation + 1
         RETURNING generation`,
      )
      .pluck()
      .safeIntegers(false);
    const keepFamily = db.prepare<[{ id: string; user_id: string; generation: number }]>(
      `UPDATE token_families SET generation = @generation
       WHERE id = @id AND user_id = @user_id AND revoked_at IS NULL AND generation = @generation - 1`,
    );
    const revokeUserTokens = db.prepare<[{ user_id: string; now: number; except: string | null }]>(
      `UPDATE tokens SET is_active = 0, updated_at = @now
       WHERE user_id = @user_id AND is_active = 1 AND (@except IS NULL OR family_id <> @except)`,
    );
    const revokeClientFamilies = db.prepare<[{ client_id: string; now: number }]>(
      'UPDATE token_families SET revoked_at = @now WHERE client_id = @client_id AND revoked_at IS NULL',
    );
    const revokeClientTokens = db.prepare<[{ client_id: string; now: number }]>(
      'UPDATE tokens SET is_active = 0, updated_at = @now WHERE client_id = @client_id AND is_active = 1',
    );
    const deleteUserTokens = db.prepare<[string]>('DELETE FROM tokens WHERE user_id = ?');
    const deleteUserFamilies = db.prepare<[string]>('DELETE FROM token_families WHERE user_id = ?');
    const deleteUserSubject = db.prepare<[string]>('DELETE FROM token_subjects WHERE user_id = ?');
    const deleteExpiredTokens = db.prepare<[number]>('DELETE FROM tokens WHERE expires_at < ?');
    const deleteExpiredFamilies = db.prepare<[number]>('DELETE FROM token_families WHERE expires_at < ?');

    // Every write of more than one statement is one immediate transaction: it takes the write lock
    // before its first read, so no other connection or process can interleave.
    const create = db.transaction((row: TokenRow) => {
      startFamily.run(row);
      insertToken.run(row);
    });
    this.#create = (row) => create.immediate(row);
    const rotate = db.transaction((currentId: string, next: NewTokenRecord, now: number): RotateResult => {
      const marked = markUsed.run({ id: currentId, replaced_by: next.id, now }).changes;
      if (marked === 1) {
        const row = toRow(next);
        startFamily.run(row);
        insertToken.run(row);
        return { status: 'rotated' };
      }
      const row = this.#byId.get(currentId);
      if (row && row.is_active === 1 && row.replaced_by !== null) {
        return { status: 'already_rotated', current: fromRow(row) };
      }
      return { status: 'inactive' };
    });
    this.#rotate = (currentId, next, now) => rotate.immediate(currentId, next, now);
    const revokeFamily = db.transaction((familyId: string, now: number): number => {
      revokeFamilyRow.run({ family_id: familyId, now });
      return revokeFamilyTokens.run({ family_id: familyId, now }).changes;
    });
    this.#revokeFamily = (familyId, now) => revokeFamily.immediate(familyId, now);
    const revokeUser = db.transaction((userId: string, now: number, except: string | null): number => {
      const generation = raiseGeneration.get(userId) as number;
      if (except !== null) keepFamily.run({ id: except, user_id: userId, generation });
      return revokeUserTokens.run({ user_id: userId, now, except }).changes;
    });
    this.#revokeUser = (userId, now, except) => revokeUser.immediate(userId, now, except);
    const revokeClient = db.transaction((clientId: string, now: number): number => {
      revokeClientFamilies.run({ client_id: clientId, now });
      return revokeClientTokens.run({ client_id: clientId, now }).changes;
    });
    this.#revokeClient = (clientId, now) => revokeClient.immediate(clientId, now);
    const deleteUser = db.transaction((userId: string): number => {
      deleteUserFamilies.run(userId);
      deleteUserSubject.run(userId);
      return deleteUserTokens.run(userId).changes;
    });
    this.#deleteUser = (userId) => deleteUser.immediate(userId);
    const deleteExpired = db.transaction((before: number): number => {
      deleteExpiredFamilies.run(before);
      return deleteExpiredTokens.run(before).changes;
    });
    this.#deleteExpired = (before) => deleteExpired.immediate(before);
  }

  async create(record: NewTokenRecord): Promise<TokenRecord> {
    const row = toRow(record);
    this.#create(row);
    return fromRow(row);
  }

  /**
   * The guard's reads without a promise (see {@link SyncTokenReads}): better-sqlite3 runs a
   * statement synchronously, so the promise of the methods below only adds a microtask.
   */
  readonly sync: SyncTokenReads = {
    mirrors: (repository) =>
      repository.findById === SqliteTokenRepository.prototype.findById &&
      repository.findByIdWithUser === SqliteTokenRepository.prototype.findByIdWithUser,
    findById: (id) => {
      const values = this.#byIdValues.get(id);
      return values ? fromRow(tokenRowOf(values)) : null;
    },
    // The record, its family's state and its user in one statement, when `users` is this database's.
    findByIdWithUser: (id, users) => {
      if (this.#users === undefined || users !== this.#users) return undefined;
      const values = this.#byIdWithUser.get(id);
      if (!values) return null;
      const user = values[16] === null ? null : userFromRow(userRowOf(values));
      return { record: fromRow(tokenRowOf(values)), user };
    },
  };

  async findById(id: string): Promise<TokenRecord | null> {
    return this.sync.findById(id);
  }

  /** The record and its user in one statement, when `users` is this database's user repository. */
  async findByIdWithUser(id: string, users: UserRepository): Promise<TokenWithUser | null | undefined> {
    return this.sync.findByIdWithUser(id, users);
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
    return this.#revokeFamily(familyId, now.getTime());
  }

  async revokeAllForUser(userId: string, now: Date, exceptFamilyId?: string): Promise<number> {
    return this.#revokeUser(userId, now.getTime(), exceptFamilyId ?? null);
  }

  async revokeAllForClient(clientId: string, now: Date): Promise<number> {
    return this.#revokeClient(clientId, now.getTime());
  }

  async listActiveForUser(userId: string, now: Date): Promise<TokenRecord[]> {
    return this.#listActive.all({ user_id: userId, now: now.getTime() }).map(fromRow);
  }

  async deleteAllForUser(userId: string): Promise<number> {
    return this.#deleteUser(userId);
  }

  async deleteExpired(before: Date): Promise<number> {
    return this.#deleteExpired(before.getTime());
  }
}
