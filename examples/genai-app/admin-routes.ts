/**
 * Administration (ADMIN only, checked by the native `requireRole('ADMIN')` guard in front of
 * every route here): list users (`gatehouse.account.listUsers`, a page at a time: `?limit=` and
 * the `cursor` of the previous page), change a role (`gatehouse.account.setRole`), disable and enable
 * an account, force a logout everywhere, set a user's plan, allow a user to upload documents with
 * personal data. Each acts through gatehouse's public services, never by writing its tables.
 *
 * @module
 */
import { AuthError } from '../../src/index.js';
import { PLANS, type Plan } from './access-model.js';
import { type CoreContext, type CoreRoute, invalid, json, principalOf, readFields } from './core.js';

/** The admin routes. */
export function adminRoutes(ctx: CoreContext): CoreRoute[] {
  const { gatehouse, data } = ctx;
  const admin = { role: 'ADMIN' } as const;

  /** Runs an action on an existing user; gatehouse's errors become their status and code. */
  const onUser =
    (action: (userId: string, fields: Record<string, unknown>, adminId: string) => Promise<Response>) =>
    async (request: Parameters<CoreRoute['handle']>[0]): Promise<Response> => {
      const userId = request.params.id ?? '';
      if (!(await gatehouse.store.users.findById(userId)))
        return json(404, { error: 'not_found', message: 'No such user' });
      try {
        return await action(userId, await readFields(request.request), principalOf(request).userId);
      } catch (error) {
        if (error instanceof AuthError)
          return json(error.status, { error: error.code, message: error.message });
        throw error;
      }
    };

  return [
    {
      method: 'GET',
      path: '/admin/users',
      access: admin,
      handle: async ({ request }) => {
        // gatehouse's own listing of accounts (keyset pages, oldest first), joined with the plan
        // the app keeps: every account shows, whoever created it and whenever.
        const query = new URL(request.url).searchParams;
        const limit = query.has('limit') ? Number(query.get('limit')) : undefined;
        try {
          const page = await gatehouse.account.listUsers({
            ...(limit === undefined ? {} : { limit }),
            cursor: query.get('cursor'),
          });
          const users = page.users.map((user) => ({
            id: user.id,
            email: user.email,
            role: user.role,
            active: user.isActive,
            email_verified: user.emailVerified,
            created_at: user.createdAt.toISOString(),
            plan: data.profiles.get(user.id)?.plan ?? 'free',
          }));
          return json(200, { users, cursor: page.cursor });
        } catch (error) {
          if (error instanceof AuthError)
            return json(error.status, { error: error.code, message: error.message });
          throw error;
        }
      },
    },
    {
      method: 'POST',
      path: '/admin/users/:id/role',
      access: admin,
      handle: onUser(async (userId, fields, adminId) => {
        if (typeof fields.role !== 'string') return invalid('role must be a string');
        const change = await gatehouse.account.setRole(userId, fields.role, {
          changedBy: adminId,
          revokeSessions: fields.revoke_sessions === true,
        });
        return json(200, change);
      }),
    },
    {
      method: 'POST',
      path: '/admin/users/:id/disable',
      access: admin,
      handle: onUser(async (userId) => {
        await gatehouse.auth.disableAccount(userId);
        return new Response(null, { status: 204 });
      }),
    },
    {
      method: 'POST',
      path: '/admin/users/:id/enable',
      access: admin,
      handle: onUser(async (userId) => {
        await gatehouse.auth.enableAccount(userId);
        return new Response(null, { status: 204 });
      }),
    },
    {
      method: 'POST',
      path: '/admin/users/:id/logout',
      access: admin,
      handle: onUser(async (userId) => json(200, { revoked_tokens: await gatehouse.auth.logoutAll(userId) })),
    },
    {
      method: 'POST',
      path: '/admin/users/:id/plan',
      access: admin,
      handle: onUser(async (userId, fields) => {
        if (!PLANS.includes(fields.plan as Plan)) return invalid(`plan must be one of ${PLANS.join(', ')}`);
        data.profile(userId).plan = fields.plan as Plan;
        data.save();
        return json(200, { id: userId, plan: fields.plan });
      }),
    },
    {
      method: 'POST',
      path: '/admin/users/:id/pii-uploader',
      access: admin,
      handle: onUser(async (userId) => {
        await gatehouse.store.relationships.write([
          {
            object: { type: 'library', id: 'main' },
            relation: 'pii_uploader',
            subject: { type: 'user', id: userId },
          },
        ]);
        return new Response(null, { status: 204 });
      }),
    },
  ];
}
