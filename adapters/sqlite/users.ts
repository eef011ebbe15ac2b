/**
 * {@link UserRepository} on SQLite (better-sqlite3). Every statement is prepared once, in the
 * constructor; uniqueness is enforced by the schema's unique indexes, so concurrent creates of one
 * email cannot both succeed, whatever process they come from.
 *
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import { AlreadyRegisteredError } from '../../src/errors.js';
import type {
  NewUser,
  UserListQuery,
  UserPatch,
  UserRecord,
  UserRepository,
} from '../../src/storage/types.js';

/** A row of the `users` table as better-sqlite3 returns it. */
export interface UserRow {
  id: string;
  email: string;
  username: string | null;
  password_hash: string | null;
  role: string;
  is_active: number;
  email_verified_at: number | null;
  password_change_required: number;
  created_at: number;
  updated_at: number;
}

/** Named parameters of the insert statement (better-sqlite3 binds `@name` from these keys). */
type UserParams = UserRow;

/** Parameters of the patching update: each column comes with a `set_*` flag (1 = take the new value). */
interface UpdateParams {
  id: string;
  updated_at: number;
  set_email: number;
  email: string | null;
  set_username: number;
  username: string | null;
  set_password_hash: number;
  password_hash: string | null;
  set_role: number;
  role: string | null;
  set_is_active: number;
  is_active: number | null;
  set_email_verified_at: number;
  email_verified_at: number | null;
  set_password_change_required: number;
  password_change_required: number | null;
}

/** The columns of `users`, in the order of {@link UserRow}. */
export const USER_COLUMNS =
  'id, email, username, password_hash, role, is_active, email_verified_at, password_change_required, created_at, updated_at';

/**
 * True for better-sqlite3's unique and primary-key violations (`SQLITE_CONSTRAINT_UNIQUE`,
 * `SQLITE_CONSTRAINT_PRIMARYKEY`). Checks the `code` rather than `instanceof SqliteError`, so a
 * database opened by another copy of better-sqlite3 works too.
 */
export function isSqliteUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function toMillis(date: Date): number {
  return date.getTime();
}

function toMillisOrNull(date: Date | null): number | null {
  return date === null ? null : date.getTime();
}

function toRow(user: UserRecord): UserParams {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    password_hash: user.passwordHash,
    role: user.role,
    is_active: user.isActive ? 1 : 0,
    email_verified_at: toMillisOrNull(user.emailVerifiedAt),
    password_change_required: user.passwordChangeRequired ? 1 : 0,
    created_at: toMillis(user.createdAt),
    updated_at: toMillis(user.updatedAt),
  };
}

/** A user record from its row. */
export function userFromRow(row: UserRow): UserRecord {
  return {
    id: row.id,
    email: row.email,
    username: row.username,
    passwordHash: row.password_hash,
    role: row.role,
    isActive: row.is_active === 1,
    emailVerifiedAt: row.email_verified_at === null ? null : new Date(row.email_verified_at),
    passwordChangeRequired: row.password_change_required === 1,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** `[flag, value]` for one patch field: unset (`undefined`) keeps the column, anything else replaces it. */
function patchField<T, R>(value: T | undefined, convert: (v: T) => R): [number, R | null] {
  return value === undefined ? [0, null] : [1, convert(value)];
}

const same = <T>(v: T): T => v;
const bool = (v: boolean): number => (v ? 1 : 0);

function toUpdateParams(id: string, patch: UserPatch, updatedAt: Date): UpdateParams {
  const [setEmail, email] = patchField(patch.email, same);
  const [setUsername, username] = patchField(patch.username, same);
  const [setPasswordHash, passwordHash] = patchField(patch.passwordHash, same);
  const [setRole, role] = patchField(patch.role, same);
  const [setIsActive, isActive] = patchField(patch.isActive, bool);
  const [setVerified, verified] = patchField(patch.emailVerifiedAt, toMillisOrNull);
  const [setChange, change] = patchField(patch.passwordChangeRequired, bool);
  return {
    id,
    updated_at: toMillis(updatedAt),
    set_email: setEmail,
    email,
    set_username: setUsername,
    username,
    set_password_hash: setPasswordHash,
    password_hash: passwordHash,
    set_role: setRole,
    role,
    set_is_active: setIsActive,
    is_active: isActive,
    set_email_verified_at: setVerified,
    email_verified_at: verified,
    set_password_change_required: setChange,
    password_change_required: change,
  };
}

/**
 * {@link UserRepository} backed by the `users` table of a migrated database (see
 * `migrateSqliteDatabase`). Usually obtained through `createSqliteStore`; constructing it directly
 * is for applications that open and migrate the database themselves.
 */
export class SqliteUserRepository implements UserRepository {
  readonly #insert: BetterSqlite3.Statement<[UserParams]>;
  readonly #byId: BetterSqlite3.Statement<[string], UserRow>;
  readonly #byEmail: BetterSqlite3.Statement<[string], UserRow>;
  readonly #byUsername: BetterSqlite3.Statement<[string], UserRow>;
  readonly #update: BetterSqlite3.Statement<[UpdateParams], UserRow>;
  readonly #delete: BetterSqlite3.Statement<[string]>;
  readonly #count: BetterSqlite3.Statement<[], number>;
  readonly #first: BetterSqlite3.Statement<[number], UserRow>;
  readonly #after: BetterSqlite3.Statement<[number, string, number], UserRow>;

  /** Prepares every statement once against `db`, which must already hold the gatehouse schema. */
  constructor(db: BetterSqlite3.Database) {
    this.#insert = db.prepare<[UserParams]>(
      `INSERT INTO users (${USER_COLUMNS}) VALUES (@id, @email, @username, @password_hash, @role, @is_active,
        @email_verified_at, @password_change_required, @created_at, @updated_at)`,
    );
    this.#byId = db
      .prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`)
      .safeIntegers(false);
    this.#byEmail = db
      .prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE email = ?`)
      .safeIntegers(false);
    this.#byUsername = db
      .prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`)
      .safeIntegers(false);
    // One statement applies the patch and returns the row: no read-modify-write window, and a
    // unique-index violation aborts the whole statement, so a failed update changes nothing.
    this.#update = db
      .prepare<[UpdateParams], UserRow>(
        `UPDATE users SET
          email = CASE WHEN @set_email = 1 THEN @email ELSE email END,
          username = CASE WHEN @set_username = 1 THEN @username ELSE username END,
          password_hash = CASE WHEN @set_password_hash = 1 THEN @password_hash ELSE password_hash END,
          role = CASE WHEN @set_role = 1 THEN @role ELSE role END,
          is_active = CASE WHEN @set_is_active = 1 THEN @is_active ELSE is_active END,
          email_verified_at = CASE WHEN @set_email_verified_at = 1 THEN @email_verified_at ELSE email_verified_at END,
          password_change_required =
            CASE WHEN @set_password_change_required = 1 THEN @password_change_required ELSE password_change_required END,
          updated_at = @updated_at
        WHERE id = @id
        RETURNING ${USER_COLUMNS}`,
      )
      .safeIntegers(false);
    this.#delete = db.prepare<[string]>('DELETE FROM users WHERE id = ?');
    this.#count = db.prepare<[], number>('SELECT count(*) FROM users').pluck().safeIntegers(false);
    // Keyset pages over users_created_at_id_idx: the row-value comparison is an index range.
    this.#first = db
      .prepare<[number], UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY created_at, id LIMIT ?`)
      .safeIntegers(false);
    this.#after = db
      .prepare<[number, string, number], UserRow>(
        `SELECT ${USER_COLUMNS} FROM users WHERE (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?`,
      )
      .safeIntegers(false);
  }

  async create(user: NewUser): Promise<UserRecord> {
    const row = toRow(user);
    try {
      this.#insert.run(row);
    } catch (error) {
      if (isSqliteUniqueViolation(error)) throw new AlreadyRegisteredError();
      throw error;
    }
    return userFromRow(row);
  }

  async findById(id: string): Promise<UserRecord | null> {
    const row = this.#byId.get(id);
    return row ? userFromRow(row) : null;
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    const row = this.#byEmail.get(email);
    return row ? userFromRow(row) : null;
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const row = this.#byUsername.get(username);
    return row ? userFromRow(row) : null;
  }

  async update(id: string, patch: UserPatch, updatedAt: Date): Promise<UserRecord | null> {
    let row: UserRow | undefined;
    try {
      row = this.#update.get(toUpdateParams(id, patch, updatedAt));
    } catch (error) {
      if (isSqliteUniqueViolation(error)) throw new AlreadyRegisteredError();
      throw error;
    }
    return row ? userFromRow(row) : null;
  }

  async delete(id: string): Promise<boolean> {
    return this.#delete.run(id).changes > 0;
  }

  async count(): Promise<number> {
    return this.#count.get() ?? 0;
  }

  async list(query: UserListQuery): Promise<UserRecord[]> {
    const rows = query.after
      ? this.#after.all(query.after.createdAt.getTime(), query.after.id, query.limit)
      : this.#first.all(query.limit);
    return rows.map(userFromRow);
  }
}
