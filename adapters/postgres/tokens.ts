/**
 * {@link TokenRepository} on PostgreSQL: the token table, its families and the users' generations
 * (see `TokenRepository` on revocation). Every operation is one statement, so each is atomic on its
 * own and none holds a lock across round trips:
 *
 * - a read joins the token row with its family and the user's generation, so a revocation is seen
 *   by the next read on any instance, including tokens written concurrently with it (under READ
 *   COMMITTED a row inserted while a revoking `UPDATE` runs escapes that `UPDATE`, but never the
 *   family or generation it joins);
 * - the guard's read (`findByIdWithUser`) adds the user to the same query: one round trip;
 * - rotation is `UPDATE ... WHERE replaced_by IS NULL` (the row lock makes concurrent rotations
 *   of one token wait for each other and re-check, so exactly one wins) with the successor's
 *   `INSERT` in the same statement: never half-rotated.
 *
 * @module
 */
import type {
  NewTokenRecord,
  RotateResult,
  TokenRecord,
  TokenRepository,
  TokenWithUser,
  UserRepository,
} from '../../src/storage/types.js';
import { hasNul, named, type Queryable, quoteSchema, run } from './sql.js';
import { USER_COLUMNS, type UserRow, userFromRow } from './users.js';

/** A token read as pg returns it; `active` is the effective state. */
interface TokenRow {
  id: string;
  user_id: string;
  kind: string;
  family_id: string;
  token_hash: string | null;
  expires_at: Date;
  family_expires_at: Date;
  active: boolean;
  ip_address: string | null;
  user_agent: string | null;
  scope: string | null;
  client_id: string | null;
  replaced_by: string | null;
  used_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const INSERT_COLUMNS =
  'id, user_id, kind, family_id, token_hash, expires_at, family_expires_at, is_active, ip_address, user_agent, ' +
  'scope, client_id, replaced_by, used_at, created_at, updated_at';

/** The values of {@link INSERT_COLUMNS} for `record`, as `$1..$16`. */
function insertValues(record: NewTokenRecord): unknown[] {
  return [
    record.id,
    record.userId,
    record.kind,
    record.familyId,
    record.tokenHash,
    record.expiresAt,
    record.familyExpiresAt,
    record.active,
    record.ipAddress,
    record.userAgent,
    record.scope,
    record.clientId,
    record.replacedBy,
    record.usedAt,
    record.createdAt,
    record.updatedAt,
  ];
}

function fromRow(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind === 'access' ? 'access' : 'refresh',
    familyId: row.family_id,
    tokenHash: row.token_hash,
    expiresAt: row.expires_at,
    familyExpiresAt: row.family_expires_at,
    active: row.active,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    scope: row.scope,
    clientId: row.client_id,
    replacedBy: row.replaced_by,
    usedAt: row.used_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A UUID-shaped `user_id` as `uuid`, else NULL: the join to `users` never casts anything else. */
const USER_ID_AS_UUID = `CASE WHEN t.user_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
  THEN t.user_id::uuid END`;

/** Options of {@link PostgresTokenRepository}. */
export interface PostgresTokenRepositoryOptions {
  /** The schema holding the tables; default `gatehouse`. */
  readonly schema?: string;
  /**
   * The user repository of the same schema, whose table `findByIdWithUser` joins; without it
   * `findByIdWithUser` declines (gatehouse makes two reads).
   */
  readonly users?: UserRepository;
}

/**
 * {@link TokenRepository} backed by `tokens`, `token_families` and `token_subjects` of a migrated
 * schema (see `migratePostgres`). Usually obtained through `createPostgresStore`. It does not need
 * the `users` table except for `findByIdWithUser`.
 */
export class PostgresTokenRepository implements TokenRepository {
  readonly #db: Queryable;
  readonly #users: UserRepository | undefined;
  readonly #sql: Record<
    | 'create'
    | 'byId'
    | 'byIdWithUser'
    | 'byHash'
    | 'rotate'
    | 'revoke'
    | 'revokeFamily'
    | 'revokeUser'
    | 'revokeClient'
    | 'listActive'
    | 'deleteUser'
    | 'deleteExpired',
    { readonly name: string; readonly text: string }
  >;

  /** `db` is a `pg.Pool` (or a client). */
  constructor(db: Queryable, options: PostgresTokenRepositoryOptions = {}) {
    this.#db = db;
    this.#users = options.users;
    const s = quoteSchema(options.schema ?? 'gatehouse');
    const tokens = `${s}.tokens`;
    const families = `${s}.token_families`;
    const subjects = `${s}.token_subjects`;
    const read = `t.id, t.user_id, t.kind, t.family_id, t.token_hash, t.expires_at, t.family_expires_at,
      coalesce(t.is_active AND f.revoked_at IS NULL AND f.generation = coalesce(g.generation, 0), false) AS active,
      t.ip_address, t.user_agent, t.scope, t.client_id, t.replaced_by, t.used_at, t.created_at, t.updated_at`;
    const from = `${tokens} t
      LEFT JOIN ${families} f ON f.id = t.family_id
      LEFT JOIN ${subjects} g ON g.user_id = f.user_id`;
    // The first record of a family starts it at the user's generation as of this statement.
    const startFamily = (source: string) => `INSERT INTO ${families}
        (id, user_id, client_id, generation, revoked_at, expires_at, created_at)
      SELECT $4, $2, $12, coalesce((SELECT generation FROM ${subjects} WHERE user_id = $2), 0), NULL, $7, $15
      ${source}
      ON CONFLICT (id) DO NOTHING`;
    const values = '$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16';
    this.#sql = {
      create: named(
        `WITH family AS (${startFamily('')})
         INSERT INTO ${tokens} (${INSERT_COLUMNS}) VALUES (${values})`,
      ),
      byId: named(`SELECT ${read} FROM ${from} WHERE t.id = $1`),
      byIdWithUser: named(
        `SELECT ${read}, ${USER_COLUMNS.map((c) => `u.${c} AS u_${c}`).join(', ')}
         FROM ${from} LEFT JOIN ${s}.users u ON u.id = ${USER_ID_AS_UUID}
         WHERE t.id = $1`,
      ),
      byHash: named(`SELECT ${read} FROM ${from} WHERE t.token_hash = $1`),
      // $1..$16: the successor; $17: the current id; $18: now. The successor (and its family, when
      // new) is written only when the compare-and-swap marked the current token used.
      rotate: named(
        `WITH current AS (
           UPDATE ${tokens} t SET replaced_by = $1, used_at = $18, updated_at = $18
           FROM ${families} f LEFT JOIN ${subjects} g ON g.user_id = f.user_id
           WHERE t.id = $17 AND t.is_active AND t.replaced_by IS NULL
             AND f.id = t.family_id AND f.revoked_at IS NULL AND f.generation = coalesce(g.generation, 0)
           RETURNING t.id
         ), family AS (${startFamily('FROM current')}),
         successor AS (
           INSERT INTO ${tokens} (${INSERT_COLUMNS}) SELECT ${values} FROM current RETURNING id
         )
         SELECT count(*)::int AS rotated FROM successor`,
      ),
      revoke: named(`UPDATE ${tokens} SET is_active = false, updated_at = $2 WHERE id = $1 AND is_active`),
      revokeFamily: named(
        `WITH family AS (UPDATE ${families} SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL)
         UPDATE ${tokens} SET is_active = false, updated_at = $2 WHERE family_id = $1 AND is_active`,
      ),
      // Raise the generation; move the kept family (if live at the old generation) to the new one;
      // mark the rows. $3 is the kept family or NULL.
      revokeUser: named(
        `WITH generation AS (
           INSERT INTO ${subjects} (user_id, generation) VALUES ($1, 1)
           ON CONFLICT (user_id) DO UPDATE SET generation = ${subjects}.generation + 1
           RETURNING generation
         ), kept AS (
           UPDATE ${families} f SET generation = n.generation FROM generation n
           WHERE f.id = $3::text AND f.user_id = $1 AND f.revoked_at IS NULL AND f.generation = n.generation - 1
         )
         UPDATE ${tokens} SET is_active = false, updated_at = $2
         WHERE user_id = $1 AND is_active AND ($3::text IS NULL OR family_id <> $3::text)`,
      ),
      revokeClient: named(
        `WITH families AS (UPDATE ${families} SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL)
         UPDATE ${tokens} SET is_active = false, updated_at = $2 WHERE client_id = $1 AND is_active`,
      ),
      listActive: named(
        `SELECT * FROM (SELECT ${read} FROM ${from} WHERE t.user_id = $1 AND t.is_active AND t.expires_at > $2) r
         WHERE r.active ORDER BY r.created_at, r.id`,
      ),
      deleteUser: named(
        `WITH families AS (DELETE FROM ${families} WHERE user_id = $1),
         generation AS (DELETE FROM ${subjects} WHERE user_id = $1)
         DELETE FROM ${tokens} WHERE user_id = $1`,
      ),
      deleteExpired: named(
        `WITH families AS (DELETE FROM ${families} WHERE expires_at < $1)
         DELETE FROM ${tokens} WHERE expires_at < $1`,
      ),
    };
  }

  async create(record: NewTokenRecord): Promise<TokenRecord> {
    await run(this.#db, this.#sql.create, insertValues(record));
    return { ...record };
  }

  async findById(id: string): Promise<TokenRecord | null> {
    if (hasNul(id)) return null;
    const { rows } = await run<TokenRow>(this.#db, this.#sql.byId, [id]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async findByIdWithUser(id: string, users: UserRepository): Promise<TokenWithUser | null | undefined> {
    if (this.#users === undefined || users !== this.#users) return undefined;
    if (hasNul(id)) return null;
    const { rows } = await run<TokenRow & Record<string, unknown>>(this.#db, this.#sql.byIdWithUser, [id]);
    const row = rows[0];
    if (!row) return null;
    const user =
      row.u_id === null
        ? null
        : userFromRow(Object.fromEntries(USER_COLUMNS.map((c) => [c, row[`u_${c}`]])) as unknown as UserRow);
    return { record: fromRow(row), user };
  }

  async findByHash(hash: string): Promise<TokenRecord | null> {
    if (hasNul(hash)) return null;
    const { rows } = await run<TokenRow>(this.#db, this.#sql.byHash, [hash]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async rotate(currentId: string, next: NewTokenRecord, now: Date): Promise<RotateResult> {
    if (hasNul(currentId)) return { status: 'inactive' };
    const { rows } = await run<{ rotated: number }>(this.#db, this.#sql.rotate, [
      ...insertValues(next),
      currentId,
      now,
    ]);
    if (rows[0]?.rotated === 1) return { status: 'rotated' };
    const current = await this.findById(currentId);
    if (current?.active && current.replacedBy !== null) return { status: 'already_rotated', current };
    return { status: 'inactive' };
  }

  async revoke(id: string, now: Date): Promise<boolean> {
    if (hasNul(id)) return false;
    const { rowCount } = await run(this.#db, this.#sql.revoke, [id, now]);
    return (rowCount ?? 0) > 0;
  }

  async revokeFamily(familyId: string, now: Date): Promise<number> {
    if (hasNul(familyId)) return 0;
    const { rowCount } = await run(this.#db, this.#sql.revokeFamily, [familyId, now]);
    return rowCount ?? 0;
  }

  async revokeAllForUser(userId: string, now: Date, exceptFamilyId?: string): Promise<number> {
    if (hasNul(userId)) return 0;
    const except = exceptFamilyId === undefined || hasNul(exceptFamilyId) ? null : exceptFamilyId;
    const { rowCount } = await run(this.#db, this.#sql.revokeUser, [userId, now, except]);
    return rowCount ?? 0;
  }

  async revokeAllForClient(clientId: string, now: Date): Promise<number> {
    if (hasNul(clientId)) return 0;
    const { rowCount } = await run(this.#db, this.#sql.revokeClient, [clientId, now]);
    return rowCount ?? 0;
  }

  async listActiveForUser(userId: string, now: Date): Promise<TokenRecord[]> {
    if (hasNul(userId)) return [];
    const { rows } = await run<TokenRow>(this.#db, this.#sql.listActive, [userId, now]);
    return rows.map(fromRow);
  }

  async deleteAllForUser(userId: string): Promise<number> {
    if (hasNul(userId)) return 0;
    const { rowCount } = await run(this.#db, this.#sql.deleteUser, [userId]);
    return rowCount ?? 0;
  }

  async deleteExpired(before: Date): Promise<number> {
    const { rowCount } = await run(this.#db, this.#sql.deleteExpired, [before]);
    return rowCount ?? 0;
  }
}
