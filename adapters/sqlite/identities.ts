/**
 * {@link AccountRepository} on SQLite (better-sqlite3): the `linked_identities` table. Two unique
 * indexes, `(issuer, subject)` and `(user_id, provider)`, decide concurrent links atomically.
 *
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import { AlreadyRegisteredError } from '../../src/errors.js';
import type { AccountRepository, LinkedIdentity, LinkedIdentityPatch } from '../../src/storage/types.js';
import { isSqliteUniqueViolation } from './users.js';

/** A row of `linked_identities` as better-sqlite3 returns it. */
interface IdentityRow {
  id: string;
  user_id: string;
  provider: string;
  issuer: string;
  subject: string;
  email: string | null;
  email_verified: number;
  tokens: string | null;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
}

const COLUMNS =
  'id, user_id, provider, issuer, subject, email, email_verified, tokens, created_at, updated_at, last_login_at';

function toRow(identity: LinkedIdentity): IdentityRow {
  return {
    id: identity.id,
    user_id: identity.userId,
    provider: identity.provider,
    issuer: identity.issuer,
    subject: identity.subject,
    email: identity.email,
    email_verified: identity.emailVerified ? 1 : 0,
    tokens: identity.tokens,
    created_at: identity.createdAt.getTime(),
    updated_at: identity.updatedAt.getTime(),
    last_login_at: identity.lastLoginAt === null ? null : identity.lastLoginAt.getTime(),
  };
}

function fromRow(row: IdentityRow): LinkedIdentity {
  return {
    id: row.id,
    userId: row.user_id,
    provider: row.provider,
    issuer: row.issuer,
    subject: row.subject,
    email: row.email,
    emailVerified: row.email_verified === 1,
    tokens: row.tokens,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    lastLoginAt: row.last_login_at === null ? null : new Date(row.last_login_at),
  };
}

/**
 * {@link AccountRepository} backed by the `linked_identities` table of a migrated database. Like
 * `tokens`, the table has no foreign key to `users`: a user's identities are removed with
 * `deleteAllForUser` (account deletion does it).
 */
export class SqliteAccountRepository implements AccountRepository {
  readonly #insert: BetterSqlite3.Statement<[IdentityRow]>;
  readonly #bySubject: BetterSqlite3.Statement<[string, string], IdentityRow>;
  readonly #byUserProvider: BetterSqlite3.Statement<[string, string], IdentityRow>;
  readonly #byId: BetterSqlite3.Statement<[string], IdentityRow>;
  readonly #listForUser: BetterSqlite3.Statement<[string], IdentityRow>;
  readonly #update: BetterSqlite3.Statement<[IdentityRow]>;
  readonly #delete: BetterSqlite3.Statement<[string]>;
  readonly #deleteForUser: BetterSqlite3.Statement<[string]>;

  /** Prepares every statement once against `db`, which must already hold the gatehouse schema. */
  constructor(db: BetterSqlite3.Database) {
    this.#insert = db.prepare<[IdentityRow]>(
      `INSERT INTO linked_identities (${COLUMNS})
       VALUES (@id, @user_id, @provider, @issuer, @subject, @email, @email_verified, @tokens,
               @created_at, @updated_at, @last_login_at)`,
    );
    const select = `SELECT ${COLUMNS} FROM linked_identities`;
    this.#bySubject = db.prepare(`${select} WHERE issuer = ? AND subject = ?`);
    this.#byUserProvider = db.prepare(`${select} WHERE user_id = ? AND provider = ?`);
    this.#byId = db.prepare(`${select} WHERE id = ?`);
    this.#listForUser = db.prepare(`${select} WHERE user_id = ? ORDER BY created_at, id`);
    this.#update = db.prepare<[IdentityRow]>(
      `UPDATE linked_identities SET email = @email, email_verified = @email_verified, tokens = @tokens,
         last_login_at = @last_login_at, updated_at = @updated_at
       WHERE id = @id`,
    );
    this.#delete = db.prepare<[string]>('DELETE FROM linked_identities WHERE id = ?');
    this.#deleteForUser = db.prepare<[string]>('DELETE FROM linked_identities WHERE user_id = ?');
  }

  async create(identity: LinkedIdentity): Promise<LinkedIdentity> {
    try {
      this.#insert.run(toRow(identity));
    } catch (error) {
      if (isSqliteUniqueViolation(error)) throw new AlreadyRegisteredError({ cause: error });
      throw error;
    }
    return fromRow(toRow(identity));
  }

  async findBySubject(issuer: string, subject: string): Promise<LinkedIdentity | null> {
    const row = this.#bySubject.get(issuer, subject);
    return row ? fromRow(row) : null;
  }

  async findByUserAndProvider(userId: string, provider: string): Promise<LinkedIdentity | null> {
    const row = this.#byUserProvider.get(userId, provider);
    return row ? fromRow(row) : null;
  }

  async listForUser(userId: string): Promise<LinkedIdentity[]> {
    return this.#listForUser.all(userId).map(fromRow);
  }

  async update(id: string, patch: LinkedIdentityPatch, updatedAt: Date): Promise<LinkedIdentity | null> {
    const row = this.#byId.get(id);
    if (!row) return null;
    const current = fromRow(row);
    const next: LinkedIdentity = {
      ...current,
      ...(patch.email !== undefined ? { email: patch.email } : {}),
      ...(patch.emailVerified !== undefined ? { emailVerified: patch.emailVerified } : {}),
      ...(patch.tokens !== undefined ? { tokens: patch.tokens } : {}),
      ...(patch.lastLoginAt !== undefined ? { lastLoginAt: patch.lastLoginAt } : {}),
      updatedAt,
    };
    return this.#update.run(toRow(next)).changes === 1 ? next : null;
  }

  async delete(id: string): Promise<boolean> {
    return this.#delete.run(id).changes === 1;
  }

  async deleteAllForUser(userId: string): Promise<number> {
    return this.#deleteForUser.run(userId).changes;
  }
}
