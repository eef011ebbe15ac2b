/**
 * {@link AccountRepository} on PostgreSQL: the `linked_identities` table. Two unique constraints,
 * `(issuer, subject)` and `(user_id, provider)`, decide concurrent links atomically whatever
 * instance they reach: an identity at a provider is linked to one local user only (OpenID Connect
 * Core 1.0 §5.7: `iss` and `sub` together are the only stable identifier). `update` is one
 * statement that applies the patch and returns the row.
 *
 * @module
 */
import { AlreadyRegisteredError } from '../../src/errors.js';
import type { AccountRepository, LinkedIdentity, LinkedIdentityPatch } from '../../src/storage/types.js';
import { hasNul, isUniqueViolation, isUuid, named, type Queryable, quoteSchema, run } from './sql.js';

/** A row of `linked_identities` as pg returns it. */
interface IdentityRow {
  id: string;
  user_id: string;
  provider: string;
  issuer: string;
  subject: string;
  email: string | null;
  email_verified: boolean;
  tokens: string | null;
  created_at: Date;
  updated_at: Date;
  last_login_at: Date | null;
}

const COLUMNS =
  'id, user_id, provider, issuer, subject, email, email_verified, tokens, created_at, updated_at, last_login_at';

function fromRow(row: IdentityRow): LinkedIdentity {
  return {
    id: row.id,
    userId: row.user_id,
    provider: row.provider,
    issuer: row.issuer,
    subject: row.subject,
    email: row.email,
    emailVerified: row.email_verified,
    tokens: row.tokens,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastLoginAt: row.last_login_at,
  };
}

/**
 * {@link AccountRepository} backed by `<schema>.linked_identities` of a migrated schema (see
 * `migratePostgres`). Usually obtained through `createPostgresStore`. Identity ids are UUIDs (the
 * column's type, canonical lower-case form): `create` refuses any other id, and `update` or
 * `delete` of one finds nothing without a query. Like `tokens`, the table has no foreign key to
 * `users`: a user's identities are removed with `deleteAllForUser` (account deletion does it).
 */
export class PostgresAccountRepository implements AccountRepository {
  readonly #db: Queryable;
  readonly #insert;
  readonly #bySubject;
  readonly #byUserProvider;
  readonly #listForUser;
  readonly #update;
  readonly #delete;
  readonly #deleteForUser;

  /** `db` is a `pg.Pool` (or a client); `schema` the schema holding the tables (default `gatehouse`). */
  constructor(db: Queryable, schema = 'gatehouse') {
    this.#db = db;
    const identities = `${quoteSchema(schema)}.linked_identities`;
    this.#insert = named(
      `INSERT INTO ${identities} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    );
    this.#bySubject = named(`SELECT ${COLUMNS} FROM ${identities} WHERE issuer = $1 AND subject = $2`);
    this.#byUserProvider = named(`SELECT ${COLUMNS} FROM ${identities} WHERE user_id = $1 AND provider = $2`);
    this.#listForUser = named(
      `SELECT ${COLUMNS} FROM ${identities} WHERE user_id = $1 ORDER BY created_at, id`,
    );
    // Each patch field comes with a flag: unset keeps the column.
    this.#update = named(
      `UPDATE ${identities} SET
         email = CASE WHEN $2::boolean THEN $3::text ELSE email END,
         email_verified = CASE WHEN $4::boolean THEN $5::boolean ELSE email_verified END,
         tokens = CASE WHEN $6::boolean THEN $7::text ELSE tokens END,
         last_login_at = CASE WHEN $8::boolean THEN $9::timestamptz ELSE last_login_at END,
         updated_at = $10
       WHERE id = $1
       RETURNING ${COLUMNS}`,
    );
    this.#delete = named(`DELETE FROM ${identities} WHERE id = $1`);
    this.#deleteForUser = named(`DELETE FROM ${identities} WHERE user_id = $1`);
  }

  async create(identity: LinkedIdentity): Promise<LinkedIdentity> {
    if (!isUuid(identity.id)) {
      throw new TypeError('gatehouse postgres: a linked identity id must be a lower-case UUID');
    }
    try {
      await run(this.#db, this.#insert, [
        identity.id,
        identity.userId,
        identity.provider,
        identity.issuer,
        identity.subject,
        identity.email,
        identity.emailVerified,
        identity.tokens,
        identity.createdAt,
        identity.updatedAt,
        identity.lastLoginAt,
      ]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AlreadyRegisteredError({ cause: error });
      throw error;
    }
    return { ...identity };
  }

  async findBySubject(issuer: string, subject: string): Promise<LinkedIdentity | null> {
    if (hasNul(issuer) || hasNul(subject)) return null;
    const { rows } = await run<IdentityRow>(this.#db, this.#bySubject, [issuer, subject]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async findByUserAndProvider(userId: string, provider: string): Promise<LinkedIdentity | null> {
    if (hasNul(userId) || hasNul(provider)) return null;
    const { rows } = await run<IdentityRow>(this.#db, this.#byUserProvider, [userId, provider]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async listForUser(userId: string): Promise<LinkedIdentity[]> {
    if (hasNul(userId)) return [];
    const { rows } = await run<IdentityRow>(this.#db, this.#listForUser, [userId]);
    return rows.map(fromRow);
  }

  async update(id: string, patch: LinkedIdentityPatch, updatedAt: Date): Promise<LinkedIdentity | null> {
    if (!isUuid(id)) return null;
    const field = (value: unknown) => [value !== undefined, value === undefined ? null : value];
    const { rows } = await run<IdentityRow>(this.#db, this.#update, [
      id,
      ...field(patch.email),
      ...field(patch.emailVerified),
      ...field(patch.tokens),
      ...field(patch.lastLoginAt),
      updatedAt,
    ]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async delete(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const { rowCount } = await run(this.#db, this.#delete, [id]);
    return rowCount === 1;
  }

  async deleteAllForUser(userId: string): Promise<number> {
    if (hasNul(userId)) return 0;
    const { rowCount } = await run(this.#db, this.#deleteForUser, [userId]);
    return rowCount ?? 0;
  }
}
