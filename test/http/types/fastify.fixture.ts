/**
 * Type fixture of `gatehouse/fastify`, checked by `types.test.ts`: it compiles as is, and each
 * line after a `@ts-expect-error` is an error once the directive is removed. Never run.
 */
import Fastify, { type FastifyRequest, type FastifyTypeProvider } from 'fastify';
import { expectTypeOf } from 'vitest';
import { gatehouseFastify, type Principal, requireAuth } from '../../../adapters/fastify/index.js';
import type { Gatehouse } from '../../../src/index.js';

declare const gatehouse: Gatehouse;
const gh = gatehouseFastify(gatehouse);
const app = Fastify();

// `request.auth` exists on every request type, without casts.
app.get('/anywhere', async (request) => {
  expectTypeOf(request.auth).toEqualTypeOf<Principal | null>();
});
export function ownHandler(
  request: FastifyRequest<{ Params: { id: string }; Body: { name: string } }>,
): void {
  expectTypeOf(request.auth).toEqualTypeOf<Principal | null>();
}
app.get('/nullable', { preHandler: [gh.authenticate()] }, async (request) => ({
  // @ts-expect-error without the accessor the principal may be null
  id: request.auth.userId,
}));

// Behind a guard, `requireAuth(request)` is a `Principal`, never null.
app.get('/me', { onRequest: [gh.authenticate()] }, async (request) => {
  expectTypeOf(requireAuth(request)).toEqualTypeOf<Principal>();
  return { id: requireAuth(request).userId };
});
app.register(async (scope) => {
  scope.addHook('onRequest', gh.authenticate());
  scope.addHook('preHandler', gh.requireRole('ADMIN'));
  scope.get('/admin', async (request) => ({ id: requireAuth(request).userId }));
});
// @ts-expect-error the accessor takes a request
requireAuth(42);

// `authorize`'s callback gets the route's typed request.
app.get<{ Params: { id: string } }>(
  '/docs/:id',
  {
    preHandler: [
      gh.authenticate(),
      gh.authorize('viewer', (request) => {
        expectTypeOf(request.params.id).toEqualTypeOf<string>();
        return { type: 'doc', id: request.params.id };
      }),
    ],
  },
  async (request) => ({ id: request.params.id }),
);
app.route<{ Params: { org: string; id: string } }>({
  method: 'GET',
  url: '/orgs/:org/docs/:id',
  onRequest: gh.authorize('viewer', async (request) => ({
    type: 'doc',
    id: `${request.params.org}/${request.params.id}`,
  })),
  handler: async () => ({}),
});
app.get<{ Params: { id: string } }>(
  '/a/:id',
  {
    // @ts-expect-error a param the route does not have
    preHandler: gh.authorize('viewer', (request) => ({ type: 'doc', id: request.params.nope })),
  },
  async () => ({}),
);
app.get(
  '/b/:id',
  {
    // @ts-expect-error without a route generic Fastify types params as unknown
    preHandler: gh.authorize('viewer', (request) => ({ type: 'doc', id: request.params.id })),
  },
  async () => ({}),
);

/** A minimal type provider: `{ id: 'string' }` as a params schema types `params.id` as a string. */
interface IdSchemaProvider extends FastifyTypeProvider {
  validator: this['schema'] extends { readonly id: 'string' } ? { id: string } : unknown;
  serializer: unknown;
}
app.withTypeProvider<IdSchemaProvider>().get(
  '/typed/:id',
  {
    schema: { params: { id: 'string' } as const },
    preHandler: [
      gh.authenticate(),
      gh.authorize('viewer', (request) => {
        expectTypeOf(request.params.id).toEqualTypeOf<string>();
        return { type: 'doc', id: request.params.id };
      }),
    ],
  },
  async (request) => ({ id: request.params.id }),
);
