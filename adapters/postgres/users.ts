/**
 * {@link UserRepository} on PostgreSQL: the `users` table. Uniqueness of email and username is the
 * database's (unique constraints), so of two concurrent registrations of one email exactly one
 * succeeds whatever instance they reach; an update is one statement that applies the patch and
 * returns the row.
 *
 * @module
 */
import { AlreadyRegisteredError } from '../../src/errors.js';
import type {
  NewUser,
  UserListQuery,
  UserPatch,
  UserRecord,
  UserRepository,
} from '../../src/storage/types.js';
import { hasNul, isUniqueViolation, isUuid, named, type Queryable, quoteSchema, run } from './sql.js';

/** The smallest uuid: stands for a listing position whose id is not a uuid. */
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** A row of `users` as pg returns it. */
export interface UserRow {
  id: string;
  email: string;
  username: string | null;
  password_hash: string | null;
  role: string;
  is_active: boolean;
  email_verified_at: Date | null;
  password_change_required: boolean;
  created_at: Date;
  updated_at: Date;
}

/** The columns of `users`, in the order of {@link UserRow}. */
export const USER_COLUMNS: readonly (keyof UserRow)[] = [
  'id',
  'email',
  'username',
  'password_hash',
  'role',
  'is_active',
  'email_verified_at',
  'password_change_required',
  'created_at',
  'updated_at',
];

/** A user record from its row. */
export function userFromRow(row: UserRow): UserRecord {
  return {
    id: row.id,
    email: row.email,
    username: row.username,
    passwordHash: row.password_hash,
    role: row.role,
    isActive: row.is_active,
    emailVerifiedAt: row.email_verified_at,
    passwordChangeRequired: row.password_change_required,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * {@link UserRepository} backed by `<schema>.users` of a migrated schema (see `migratePostgres`).
 * Ids are UUIDs (the column's type); a lookup by any other string finds nothing without a query.
 */
export class PostgresUserRepository implements UserRepository {
  readonly #db: Queryable;
  readonly #insert;
  readonly #byId;
  readonly #byEmail;
  readonly #byUsername;
  readonly #update;
  readonly #delete;
  readonly #count;
  readonly #first;
  readonly #after;

  /** `db` is a `pg.Pool` (or a client); `schema` the schema holding the tables (default `gatehouse`). */
  constructor(db: Queryable, schema = 'gatehouse') {
    this.#db = db;
    const users = `${quoteSchema(schema)}.users`;
    const columns = USER_COLUMNS.join(', ');
    this.#insert = named(
      `INSERT INTO ${users} (${columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    );
    this.#byId = named(`SELECT ${columns} FROM ${users} WHERE id = $1`);
    this.#byEmail = named(`SELECT ${columns} FROM ${users} WHERE email = $1`);
    this.#byUsername = named(`SELECT ${columns} FROM ${users} WHERE username = $1`);
    // Each patch field comes with a flag: unset keeps the column. One statement, so a unique
    // violation aborts the whole update and nothing changes.
    this.#update = named(
      `UPDATE ${users} SET
         email = CASE WHEN $2 THEN $3 ELSE email END,
         username = CASE WHEN $4 THEN $5 ELSE username END,
         password_hash = CASE WHEN $6 THEN $7 ELSE password_hash END,
         role = CASE WHEN $8 THEN $9 ELSE role END,
         is_active = CASE WHEN $10 THEN $11::boolean ELSE is_active END,
         email_verified_at = CASE WHEN $12 THEN $13::timestamptz ELSE email_verified_at END,
         password_change_required = CASE WHEN $14 THEN $15::boolean ELSE password_change_required END,
         updated_at = $16
       WHERE id = $1
       RETURNING ${columns}`,
    );
    this.#delete = named(`DELETE FROM ${users} WHERE id = $1`);
    this.#count = named(`SELECT count(*)::int AS n FROM ${users}`);
    // Keyset pages over users_created_at_id_idx: the row comparison is an index range.
    this.#first = named(`SELECT ${columns} FROM ${users} ORDER BY created_at, id LIMIT $1`);
    this.#after = named(
      `SELECT ${columns} FROM ${users} WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT $3`,
    );
  }

  async create(user: NewUser): Promise<UserRecord> {
    try {
      await run(this.#db, this.#insert, [
        user.id,
        user.email,
        user.username,
        user.passwordHash,
        user.role,
        user.isActive,
        user.emailVerifiedAt,
        user.passwordChangeRequired,
        user.createdAt,
        user.updatedAt,
      ]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AlreadyRegisteredError();
      throw error;
    }
    return { ...user };
  }

  async findById(id: string): Promise<UserRecord | null> {
    if (!isUuid(id)) return null;
    const { rows } = await run<UserRow>(this.#db, this.#byId, [id]);
    return rows[0] ? userFromRow(rows[0]) : null;
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    if (hasNul(email)) return null;
    const { rows } = await run<UserRow>(this.#db, this.#byEmail, [email]);
    return rows[0] ? userFromRow(rows[0]) : null;
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    if (hasNul(username)) return null;
    const { rows } = await run<UserRow>(this.#db, this.#byUsername, [username]);
    return rows[0] ? userFromRow(rows[0]) : null;
  }

  async update(id: string, patch: UserPatch, updatedAt: Date): Promise<UserRecord | null> {
    if (!isUuid(id)) return null;
    const field = (value: unknown) => [value !== undefined, value === undefined ? null : value];
    try {
      const { rows } = await run<UserRow>(this.#db, this.#update, [
        id,
        ...field(patch.email),
        ...field(patch.username),
        ...field(patch.passwordHash),
        ...field(patch.role),
        ...field(patch.isActive),
        ...field(patch.emailVerifiedAt),
        ...field(patch.passwordChangeRequired),
        updatedAt,
      ]);
      return rows[0] ? userFromRow(rows[0]) : null;
    } catch (error) {
      if (isUniqueViolation(error)) throw new AlreadyRegisteredError();
      throw error;
    }
  }

  async delete(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const { rowCount } = await run(this.#db, this.#delete, [id]);
    return (rowCount ?? 0) > 0;
  }

  async count(): Promise<number> {
    const { rows } = await run<{ n: number }>(this.#db, this.#count, []);
    return rows[0]?.n ?? 0;
  }

  async list(query: UserListQuery): Promise<UserRecord[]> {
    const { after, limit } = query;
    if (!after) return (await run<UserRow>(this.#db, this.#first, [limit])).rows.map(userFromRow);
    // The id column is a uuid: a position whose id is not one (no stored user has it) is placed
    // by its time alone, before every user created at that instant.
    const id = isUuid(after.id) ? after.id : NIL_UUID;
    const { rows } = await run<UserRow>(this.#db, this.#after, [after.createdAt, id, limit]);
    return rows.map(userFromRow);
  }
}
